/** Shows the oldest open conflict, field by field, and lets the user keep one side. */
import { useState } from 'react';
import { collectionLabels, fieldLabel } from './labels';
import { valueWords } from '../store/words';
import { displayNameOf } from '../store/remoteChanges';
import { useActions, useClinic } from './clinicContext';
import { shortDateTime } from './format';
import { DataTable } from '../components/DataTable';

export function ConflictDialog() {
  const conflicts = useClinic((s) => s.conflicts);
  const users = useClinic((s) => s.data.users);
  const data = useClinic((s) => s.data);
  const { resolveConflict } = useActions();
  const [busy, setBusy] = useState(false);
  const conflict = conflicts[0];
  if (!conflict) return null;
  const theirs = conflict.theirs;
  const author = typeof theirs.updatedBy === 'string' ? displayNameOf(theirs.updatedBy, users) : 'Another user';
  const current = data[conflict.collection][conflict.rowId] as Record<string, unknown> | undefined;
  const subject =
    conflict.collection === 'patients' && current ? `${String(current.firstName ?? '')} ${String(current.lastName ?? '')}`.trim() : collectionLabels[conflict.collection].toLowerCase();
  const choose = async (choice: 'mine' | 'theirs') => {
    setBusy(true);
    await resolveConflict(conflict.id, choice);
    setBusy(false);
  };
  return (
    <div className="dialog-backdrop conflict-backdrop">
      <div className="dialog dialog-medium conflict" role="dialog" aria-labelledby="conflict-title" aria-describedby="conflict-desc">
        <header className="dialog-header">
          <h2 id="conflict-title">Conflict</h2>
          {conflicts.length > 1 ? <span className="muted">1 of {conflicts.length}</span> : null}
        </header>
        <div className="dialog-body">
          <p id="conflict-desc">
            {author} changed the same {conflict.fields.length === 1 ? 'field' : 'fields'} of {subject} while you were editing it
            ({shortDateTime(conflict.recordedAt)}). Choose which version to keep.
          </p>
          <DataTable
            className="table conflict-table"
            rows={conflict.fields}
            rowKey={(f) => f}
            columns={[
              { header: 'Field', rowHeader: true, cell: (f) => fieldLabel(f) },
              { header: 'Mine', cellClass: 'conflict-mine', cell: (f) => valueWords(data, f, conflict.mine[f]) },
              { header: 'Theirs', cellClass: 'conflict-theirs', cell: (f) => valueWords(data, f, theirs[f]) },
            ]}
          />
        </div>
        <footer className="dialog-footer">
          <button type="button" className="primary" disabled={busy} onClick={() => void choose('mine')} autoFocus>
            Keep mine
          </button>
          <button type="button" disabled={busy} onClick={() => void choose('theirs')}>
            Keep theirs
          </button>
        </footer>
      </div>
    </div>
  );
}

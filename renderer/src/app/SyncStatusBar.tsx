/** The `Sync status` region, the first-download progress bar and the banner shown while the server is out of reach. */
import { connectionState } from '../store/connection';
import { count, shortDateTime, timeOf } from './format';
import { useActions, useClinic } from './clinicContext';

export function SyncStatusBar() {
  const sync = useClinic((s) => s.sync);
  const attention = useClinic((s) => s.attention.length);
  const { syncNow } = useActions();
  const online = sync?.online ?? false;
  const state = connectionState(sync);
  const lastSynced = sync?.lastSyncedAt ? timeOf(sync.lastSyncedAt) : null;
  return (
    <div className="sync">
      <div role="status" aria-label="Sync status" className={`sync-status is-${state}`} title={sync?.lastError ?? undefined}>
        <span className="dot" aria-hidden="true" />
        <span className="sync-state">{state === 'online' ? 'Online' : state === 'offline' ? 'Offline' : 'Connecting…'}</span>
        {sync && online && sync.connection === 'polling' ? <span className="muted"> (no live channel)</span> : null}
        {/* Only while changes wait to be sent (ui-contract): a steady "0 pending" reads like a count to watch. */}
        {sync && sync.pending > 0 ? <span className="sync-pending"> {sync.pending} pending</span> : null}
        {sync && sync.conflicts > 0 ? <span className="sync-conflicts"> {sync.conflicts === 1 ? '1 conflict' : `${sync.conflicts} conflicts`}</span> : null}
        {attention > 0 ? (
          <button
            type="button"
            className="ghost small attention-count"
            onClick={() => {
              const list = document.getElementById('needs-attention');
              list?.scrollIntoView({ block: 'nearest' });
              list?.focus();
            }}
          >
            Needs attention: {attention}
          </button>
        ) : null}
        {lastSynced ? (
          <span className="muted" title={shortDateTime(sync?.lastSyncedAt)}>
            {' '}
            Last synced {lastSynced}
          </span>
        ) : null}
      </div>
      <button type="button" className="ghost small" onClick={() => void syncNow()}>
        Sync now
      </button>
      <UpdateNotice />
    </div>
  );
}

/**
 * The terminal's software update, only while there is something to know (a download, an update
 * waiting for the app to close, a failed check); the admin screen has the full state. Outside the
 * `Sync status` region, so its words never mix with the connection state.
 */
function UpdateNotice() {
  const update = useClinic((s) => s.update);
  if (!update) return null;
  const version = update.availableVersion ?? '';
  let text: string | null = null;
  if (update.phase === 'downloading') text = `Downloading update ${version}${update.percent !== null ? ` (${update.percent}%)` : ''}`;
  else if (update.phase === 'ready') text = `Update ${version} installs when Clinic Desk closes`;
  else if (update.phase === 'available') text = `Version ${version} is available`;
  else if (update.phase === 'error') text = 'Update check failed';
  if (text === null) return null;
  return (
    <span className={`update-notice is-${update.phase}`} title={update.message ?? undefined}>
      {text}
    </span>
  );
}

export function InitialSyncProgress() {
  const initial = useClinic((s) => s.sync?.initialSync);
  if (!initial || initial.done) return null;
  const total = initial.total ?? 0;
  const percent = total > 0 ? Math.min(100, Math.round((initial.received / total) * 100)) : null;
  return (
    <div className="initial-sync">
      <span>
        Downloading clinic records{total > 0 ? `: ${count(initial.received)} of ${count(total)}` : '…'}
      </span>
      <div
        role="progressbar"
        aria-label="Initial sync"
        aria-valuemin={0}
        aria-valuemax={total > 0 ? total : undefined}
        aria-valuenow={total > 0 ? initial.received : undefined}
        className="progress"
      >
        <div className={percent === null ? 'progress-bar indeterminate' : 'progress-bar'} style={{ width: percent === null ? '30%' : `${percent}%` }} />
      </div>
    </div>
  );
}

/** Deliberately avoids the words of the status region, so "Offline" appears once on screen. */
export function ConnectionBanner() {
  // Only whether the server is out of reach: a pending count or a sync time changing renders nothing here.
  const offline = useClinic((s) => connectionState(s.sync) === 'offline');
  if (!offline) return null;
  return (
    <div className="banner banner-warning">
      <strong>No connection to the clinic server.</strong> Keep working: every change is saved on this terminal and sent as soon as the
      server is reachable again.
    </div>
  );
}

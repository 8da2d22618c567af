/** Conflicts the server reported for this terminal's edits, kept until someone resolves them. */
import type { Conflict } from '../../shared/ipc/contract';
import type { CacheDb } from './database';
import { prepared } from './prepared';

interface ConflictRecord {
  id: string;
  collection: string;
  row_id: string;
  mutation_id: string;
  fields: string;
  mine: string;
  theirs: string;
  recorded_at: string;
}

function fromRecord(r: ConflictRecord): Conflict {
  return {
    id: r.id,
    collection: r.collection as Conflict['collection'],
    rowId: r.row_id,
    mutationId: r.mutation_id,
    fields: JSON.parse(r.fields) as string[],
    mine: JSON.parse(r.mine) as Record<string, unknown>,
    theirs: JSON.parse(r.theirs) as Record<string, unknown>,
    recordedAt: r.recorded_at,
  };
}

export class ConflictLog {
  constructor(private readonly db: CacheDb) {}

  record(c: Conflict): void {
    const insert = prepared(this.db, 'INSERT INTO conflicts (id, collection, row_id, mutation_id, fields, mine, theirs, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(c.id, c.collection, c.rowId, c.mutationId, JSON.stringify(c.fields), JSON.stringify(c.mine), JSON.stringify(c.theirs), c.recordedAt);
  }

  list(): Conflict[] {
    return (prepared(this.db, 'SELECT * FROM conflicts ORDER BY recorded_at, rowid').all() as ConflictRecord[]).map(fromRecord);
  }

  get(id: string): Conflict | null {
    const r = prepared(this.db, 'SELECT * FROM conflicts WHERE id = ?').get(id) as ConflictRecord | undefined;
    return r ? fromRecord(r) : null;
  }

  remove(id: string): void {
    prepared(this.db, 'DELETE FROM conflicts WHERE id = ?').run(id);
  }

  count(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM conflicts').get() as { n: number }).n;
  }

  clear(): void {
    this.db.exec('DELETE FROM conflicts');
  }
}

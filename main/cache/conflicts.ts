/** Conflicts the server reported for this terminal's edits, kept until someone resolves them. */
import type { Conflict } from '../../shared/ipc/contract';
import type { CacheDb } from './database';
import { prepared } from './prepared';

/** A row of the conflicts table as `columns` reads it: Conflict's fields, the three below still JSON text. */
type ConflictRecord = Omit<Conflict, 'fields' | 'mine' | 'theirs'> & { fields: string; mine: string; theirs: string };
const columns = 'id, collection, row_id AS rowId, mutation_id AS mutationId, fields, mine, theirs, recorded_at AS recordedAt';

function fromRecord(r: ConflictRecord): Conflict {
  return {
    ...r,
    fields: JSON.parse(r.fields) as Conflict['fields'],
    mine: JSON.parse(r.mine) as Conflict['mine'],
    theirs: JSON.parse(r.theirs) as Conflict['theirs'],
  };
}

export class ConflictLog {
  constructor(private readonly db: CacheDb) {}

  record(c: Conflict): void {
    const insert = prepared(this.db, 'INSERT INTO conflicts (id, collection, row_id, mutation_id, fields, mine, theirs, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(c.id, c.collection, c.rowId, c.mutationId, JSON.stringify(c.fields), JSON.stringify(c.mine), JSON.stringify(c.theirs), c.recordedAt);
  }

  list(): Conflict[] {
    return (prepared(this.db, `SELECT ${columns} FROM conflicts ORDER BY recorded_at, rowid`).all() as ConflictRecord[]).map(fromRecord);
  }

  get(id: string): Conflict | null {
    const r = prepared(this.db, `SELECT ${columns} FROM conflicts WHERE id = ?`).get(id) as ConflictRecord | undefined;
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

/**
 * Refused changes kept in the cache until someone acts on them ("Needs attention"). Its own table,
 * created here if missing, so it survives restarts like the outbox it comes from.
 */
import { randomUUID } from 'node:crypto';
import type { AttentionEntry } from '../../shared/ipc/attention';
import type { CacheDb } from './database';
import { prepared } from './prepared';

interface AttentionRecord {
  id: string;
  user_id: string;
  entry: string;
  recorded_at: string;
}

export class AttentionLog {
  constructor(
    private readonly db: CacheDb,
    /** Told after an entry was added or removed (after the transaction that did it). */
    private readonly onChange: (userId: string) => void = () => {},
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS attention (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      entry TEXT NOT NULL,
      recorded_at TEXT NOT NULL
    )`);
  }

  record(entry: Omit<AttentionEntry, 'id' | 'recordedAt'>): AttentionEntry {
    const full: AttentionEntry = { ...entry, id: randomUUID(), recordedAt: new Date().toISOString() };
    prepared(this.db, 'INSERT INTO attention (id, user_id, entry, recorded_at) VALUES (?, ?, ?, ?)').run(
      full.id,
      full.userId,
      JSON.stringify(full),
      full.recordedAt,
    );
    this.changed(full.userId);
    return full;
  }

  /** One user's entries, oldest first. */
  list(userId: string): AttentionEntry[] {
    const records = prepared(this.db, 'SELECT * FROM attention WHERE user_id = ? ORDER BY recorded_at, rowid').all(userId) as AttentionRecord[];
    return records.map((r) => JSON.parse(r.entry) as AttentionEntry);
  }

  /** Removes one of `userId`'s entries; false when there is none with that id. */
  dismiss(userId: string, id: string): boolean {
    const removed = prepared(this.db, 'DELETE FROM attention WHERE id = ? AND user_id = ?').run(id, userId).changes > 0;
    if (removed) this.changed(userId);
    return removed;
  }

  /** Windows hear of it once the write is committed (record() runs inside the answer's transaction). */
  private changed(userId: string): void {
    setImmediate(() => this.onChange(userId));
  }

  count(userId: string): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM attention WHERE user_id = ?').get(userId) as { n: number }).n;
  }

  /** Another clinic server: its refusals mean nothing there. */
  clear(): void {
    this.db.exec('DELETE FROM attention');
  }
}

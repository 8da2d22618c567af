/**
 * Small persistent state of the terminal: settings, the session, the sync cursor.
 *
 * The session is the user whose work the cache holds (it owns the outbox), and whether that user
 * is signed in now: signed out, the terminal is locked (main/terminal.ts). Tokens never go
 * into the cache: they are the main thread's (main/session/sessionState.ts).
 */
import type { PublicUser } from '../../shared/domain/collections';
import { publicUser } from '../../shared/domain/collections';
import { durably, type CacheDb } from './database';
import { prepared } from './prepared';

/** The session as the cache keeps it: whose work it holds, and whether they are signed in. */
export interface CachedSession {
  user: PublicUser;
  /** Someone is at the terminal as this user (online, offline against the local verifier, or resumed). */
  signedIn: boolean;
}

export class TerminalState {
  /** The session is read for every cached row (role checks); keep it in memory, write through. */
  private session: CachedSession | null | undefined = undefined;

  constructor(private readonly db: CacheDb) {}

  getSetting(key: string): string | null {
    const r = prepared(this.db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? r.value : null;
  }

  /** Synced at once (durably): what an admin set on this terminal exists nowhere else. */
  setSetting(key: string, value: string): void {
    durably(this.db, () => prepared(this.db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value));
  }

  deleteSetting(key: string): void {
    durably(this.db, () => prepared(this.db, 'DELETE FROM settings WHERE key = ?').run(key));
  }

  getCursor(): string | null {
    const r = prepared(this.db, "SELECT value FROM sync_state WHERE key = 'cursor'").get() as { value: string } | undefined;
    return r ? r.value : null;
  }

  setCursor(cursor: string): void {
    prepared(this.db, "INSERT INTO sync_state (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(cursor);
  }

  clearCursor(): void {
    this.db.exec("DELETE FROM sync_state WHERE key = 'cursor'");
  }

  getSession(): CachedSession | null {
    if (this.session === undefined) this.session = this.readSession();
    return this.session;
  }

  private readSession(): CachedSession | null {
    const r = prepared(this.db, 'SELECT user, signed_in FROM session WHERE id = 1').get() as { user: string; signed_in: number } | undefined;
    if (!r) return null;
    const user = publicUser.safeParse(JSON.parse(r.user));
    if (!user.success) return null;
    return { user: user.data, signedIn: r.signed_in === 1 };
  }

  setSession(s: CachedSession): void {
    prepared(
      this.db,
      `INSERT INTO session (id, user, signed_in) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user = excluded.user, signed_in = excluded.signed_in`,
    ).run(JSON.stringify(s.user), s.signedIn ? 1 : 0);
    this.session = { user: s.user, signedIn: s.signedIn };
  }

  clearSession(): void {
    this.db.exec('DELETE FROM session');
    this.session = null;
  }
}

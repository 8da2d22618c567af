/** Small persistent state of the terminal: settings, the signed-in session, the sync cursor. */
import type { PublicUser } from '../../shared/domain/collections';
import { publicUser } from '../../shared/domain/collections';
import type { CacheDb } from './database';
import { prepared } from './prepared';

export interface StoredSession {
  user: PublicUser;
  accessToken: string | null;
  refreshToken: string | null;
}

export class TerminalState {
  /** The session is read for every cached row (role checks); keep it in memory, write through. */
  private session: StoredSession | null | undefined = undefined;

  constructor(private readonly db: CacheDb) {}

  getSetting(key: string): string | null {
    const r = prepared(this.db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? r.value : null;
  }

  setSetting(key: string, value: string): void {
    prepared(this.db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  deleteSetting(key: string): void {
    prepared(this.db, 'DELETE FROM settings WHERE key = ?').run(key);
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

  getSession(): StoredSession | null {
    if (this.session !== undefined) return this.session;
    this.session = this.readSession();
    return this.session;
  }

  private readSession(): StoredSession | null {
    const r = prepared(this.db, 'SELECT user, access_token, refresh_token FROM session WHERE id = 1').get() as
      | { user: string; access_token: string | null; refresh_token: string | null }
      | undefined;
    if (!r) return null;
    const user = publicUser.safeParse(JSON.parse(r.user));
    if (!user.success) return null;
    return { user: user.data, accessToken: r.access_token, refreshToken: r.refresh_token };
  }

  setSession(s: StoredSession): void {
    prepared(
      this.db,
      `INSERT INTO session (id, user, access_token, refresh_token) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user = excluded.user, access_token = excluded.access_token, refresh_token = excluded.refresh_token`,
    ).run(JSON.stringify(s.user), s.accessToken, s.refreshToken);
    this.session = { ...s };
  }

  setTokens(accessToken: string, refreshToken: string): void {
    prepared(this.db, 'UPDATE session SET access_token = ?, refresh_token = ? WHERE id = 1').run(accessToken, refreshToken);
    this.session = undefined;
  }

  clearSession(): void {
    this.db.exec('DELETE FROM session');
    this.session = null;
  }
}

/**
 * Small persistent state of the terminal: settings, the session, the sync cursor.
 *
 * The session is the user whose work the cache holds (it owns the outbox), and whether that user
 * is signed in now: signed out, the terminal is locked (main/terminal.ts). Tokens never go
 * into the cache: the access token lives in memory, the refresh token in the keystore, and only
 * where the keystore protects it at rest (otherwise in memory: a restart asks for a sign-in).
 */
import type { PublicUser } from '../../shared/domain/collections';
import { publicUser } from '../../shared/domain/collections';
import type { Keystore } from '../keystore/keystore';
import type { CacheDb } from './database';
import { prepared } from './prepared';

export interface StoredSession {
  user: PublicUser;
  /** Someone is at the terminal as this user (online, offline against the local verifier, or resumed). */
  signedIn: boolean;
  accessToken: string | null;
  refreshToken: string | null;
}

export class TerminalState {
  /** The session is read for every cached row (role checks); keep it in memory, write through. */
  private session: StoredSession | null | undefined = undefined;
  private accessToken: string | null = null;
  /** Used where the keystore keeps nothing at rest. */
  private refreshTokenInMemory: string | null = null;

  constructor(
    private readonly db: CacheDb,
    /** Where the refresh token is kept; none (worker threads, tests): in memory only. */
    private readonly keystore: Keystore | null = null,
  ) {}

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
    if (this.session === undefined) this.session = this.readSession();
    return this.session;
  }

  private readSession(): StoredSession | null {
    const r = prepared(this.db, 'SELECT user, signed_in FROM session WHERE id = 1').get() as { user: string; signed_in: number } | undefined;
    if (!r) return null;
    const user = publicUser.safeParse(JSON.parse(r.user));
    if (!user.success) return null;
    return { user: user.data, signedIn: r.signed_in === 1, accessToken: this.accessToken, refreshToken: this.readRefreshToken() };
  }

  private readRefreshToken(): string | null {
    if (this.keystore?.protectsAtRest) {
      try {
        return this.keystore.read('refresh-token');
      } catch {
        return null;
      }
    }
    return this.refreshTokenInMemory;
  }

  private keepRefreshToken(token: string | null): void {
    this.refreshTokenInMemory = token;
    if (!this.keystore) return;
    if (token !== null && this.keystore.protectsAtRest) this.keystore.write('refresh-token', token);
    else this.keystore.remove('refresh-token');
  }

  setSession(s: StoredSession): void {
    prepared(
      this.db,
      `INSERT INTO session (id, user, signed_in) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user = excluded.user, signed_in = excluded.signed_in`,
    ).run(JSON.stringify(s.user), s.signedIn ? 1 : 0);
    this.accessToken = s.accessToken;
    this.keepRefreshToken(s.refreshToken);
    this.session = { ...s };
  }

  setTokens(accessToken: string, refreshToken: string): void {
    this.accessToken = accessToken;
    this.keepRefreshToken(refreshToken);
    this.session = undefined;
  }

  clearSession(): void {
    this.db.exec('DELETE FROM session');
    this.accessToken = null;
    this.keepRefreshToken(null);
    this.session = null;
  }
}

/**
 * The terminal's session and settings as the main thread keeps them: read once from the cache
 * when it opens, then kept in memory and written through to the cache thread (in order, with the
 * calls after them). Every IPC message checks who is signed in, so this is never a round trip.
 *
 * The session is the user whose work the cache holds (it owns the outbox), and whether that user
 * is signed in now: signed out, the terminal is locked (main/terminal.ts). Tokens never go
 * into the cache: the access token lives in memory, the refresh token in the keystore (which
 * answers only on the main thread under Electron), and only where the keystore protects it at
 * rest (otherwise in memory: a restart asks for a sign-in).
 */
import type { PublicUser } from '../../shared/domain/collections';
import type { CacheCalls } from '../cache/cache-messages';
import type { CacheOpening } from '../cache/service';
import type { Keystore } from '../keystore/keystore';

export interface StoredSession {
  user: PublicUser;
  /** Someone is at the terminal as this user (online, offline against the local verifier, or resumed). */
  signedIn: boolean;
  accessToken: string | null;
  refreshToken: string | null;
}

export class SessionState {
  private session: { user: PublicUser; signedIn: boolean } | null;
  private readonly settings: Map<string, string>;
  private accessToken: string | null = null;
  /** What the keystore holds (read once: a read unseals a file), or only this, where it keeps nothing at rest. */
  private refreshToken: string | null | undefined = undefined;

  constructor(
    private readonly cache: CacheCalls,
    opening: CacheOpening,
    private readonly keystore: Keystore,
    /** A write the cache thread refused (a full disk): said in the log, the memory copy stays. */
    private readonly log: (line: string) => void,
  ) {
    this.session = opening.session;
    this.settings = new Map(Object.entries(opening.settings));
  }

  private writeThrough(write: Promise<void>, what: string): void {
    write.catch((err: unknown) => this.log(`the cache did not keep the ${what}: ${(err as Error).message}`));
  }

  getSetting(key: string): string | null {
    return this.settings.get(key) ?? null;
  }

  /** Written through only when it changes: each write is synced to disk (cache/state.ts), and a start sets the same values again. */
  setSetting(key: string, value: string): void {
    if (this.settings.get(key) === value) return;
    this.settings.set(key, value);
    this.writeThrough(this.cache.setSetting(key, value), `setting ${key}`);
  }

  deleteSetting(key: string): void {
    if (!this.settings.delete(key)) return;
    this.writeThrough(this.cache.setSetting(key, null), `setting ${key}`);
  }

  getSession(): StoredSession | null {
    return this.session && { ...this.session, accessToken: this.accessToken, refreshToken: this.readRefreshToken() };
  }

  setSession(s: StoredSession): void {
    this.session = { user: s.user, signedIn: s.signedIn };
    this.writeThrough(this.cache.saveSession(this.session), 'session');
    this.accessToken = s.accessToken;
    this.keepRefreshToken(s.refreshToken);
  }

  setTokens(accessToken: string, refreshToken: string): void {
    this.accessToken = accessToken;
    this.keepRefreshToken(refreshToken);
  }

  /** The cache thread clears its copy with the rows (CacheService.clearCache). */
  forgetSession(): void {
    this.session = null;
    this.accessToken = null;
    this.keepRefreshToken(null);
  }

  private readRefreshToken(): string | null {
    if (this.refreshToken === undefined) {
      try {
        this.refreshToken = this.keystore.protectsAtRest ? this.keystore.read('refresh-token') : null;
      } catch {
        this.refreshToken = null;
      }
    }
    return this.refreshToken;
  }

  private keepRefreshToken(token: string | null): void {
    this.refreshToken = token;
    if (token !== null && this.keystore.protectsAtRest) this.keystore.write('refresh-token', token);
    else this.keystore.remove('refresh-token');
  }
}

/**
 * The terminal core: the session, the settings, the sync engine and what each IPC channel does,
 * in plain Node. The cache (rows, outbox, conflicts) lives on the cache worker thread
 * (cache/cacheThread.ts): every read and write here is an awaited message to it, so no SQLite
 * work runs on this thread. The IPC dispatcher and the handlers sit on top (terminal.ts); Electron
 * (main/electron) and the headless WebSocket transport (main/headless) forward window messages
 * to the terminal and its events back.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { syncParserWarmUps } from '../shared/sync/warmUp';
import type { CollectionName, PublicUser } from '../shared/domain/collections';
import { canRead, syncedCollections } from '../shared/domain/access';
import type {
  Conflict,
  EventChannel,
  EventPayload,
  MutateRequest,
  SyncStatus,
  TerminalSettings,
} from '../shared/ipc/contract';
import { defaultOfflineSignInDays, terminalSettings, type UpdateStatus, type WireRow } from '../shared/ipc/contract';
import type { CacheKey } from './cache/database';
import { cacheKeyFrom } from './cache/encryption';
import type { Keystore } from './keystore/keystore';
import { keyFileKeystore } from './keystore/keyFile';
import { defaultCheckpointWorkerScript } from './cache/checkpointer';
import { defaultCacheWorkerScript, openCacheConnection, type CacheConnection } from './cache/cacheThread';
import type { CacheCalls } from './cache/cache-messages';
import type { CacheNotice } from './cache/service';
import { loopDelayOf, type LoopDelay } from './loopDelay';
import type { AttentionEntry } from '../shared/ipc/attention';
import { SessionState } from './session/sessionState';
import { ServerCertificateRefused, ServerClient, ServerRefused, ServerUnreachable, SessionExpired, type WireStats } from './sync/client';
import { normalizeFingerprint } from './sync/pinnedTls';
import { SyncEngine, seedSchedule, type ChangeSourceFactory, type SyncSchedule } from './sync/engine';
import { FirstDownload, defaultDownloadWorkerScript } from './sync/firstDownload/firstDownload';
import { defaultSnapshotFetchScript } from './sync/firstDownload/snapshotFetch';
import { IpcFailure } from './ipc/failure';
import { isJsonText, jsonText, parseJsonText, type JsonText } from './ipc/jsonText';
import { testCrashPoint } from './crash-hooks';
import { withPolicy, type MachinePolicy } from './policy/machinePolicy';

export interface TerminalCoreOptions {
  dataDir: string;
  /** Overrides (and persists) the saved server URL. */
  serverUrl?: string;
  /** Overrides (and persists) the saved terminal name. */
  terminalName?: string;
  /** Pins (and persists) the https server's certificate fingerprint (`AB:CD:...`). */
  serverFingerprint?: string;
  /** What takes the server's changes in (the bench's seed behaviour); default: the puller. */
  changeSource?: ChangeSourceFactory;
  /** Pokes carry the changes (default true); false pulls after every poke. */
  pokedChanges?: boolean;
  schedule?: Partial<SyncSchedule>;
  /** Where the core writes lines a support person reads; default: stderr with a timestamp. */
  log?: (line: string) => void;
  /** The WAL checkpoint thread's script (see cache/checkpointer.ts); default: its TypeScript source, for tsx. */
  checkpointWorker?: string | URL;
  /** The first download thread's script (see sync/firstDownload); default: its TypeScript source, for tsx. */
  downloadWorker?: string | URL;
  /** The thread snapshot parts come in on (sync/firstDownload/snapshotFetch.ts); default: its TypeScript source. */
  snapshotFetchWorker?: string | URL;
  /** The cache thread's script (see cache/cacheThread.ts); default: its TypeScript source, for tsx. */
  cacheWorker?: string | URL;
  /**
   * Default 'worker'. 'inline' serves the cache on the main thread, as the terminal did before the
   * cache thread: only for a benchmark measuring what the thread saves, side by side.
   */
  cacheThread?: 'worker' | 'inline';
  /** Machine-wide settings IT enforces (policy/machinePolicy.ts): they win over the user's settings. */
  policy?: MachinePolicy;
  /**
   * Where the cache key and the refresh token are kept: Electron passes the OS keystore
   * (safeStorage); default: a key file (mode 0600) in the data folder (main/keystore/keyFile.ts).
   */
  keystore?: Keystore;
  /**
   * Default true. False leaves the cache unencrypted: only for a benchmark measuring what the
   * encryption costs, side by side; no shell or command line sets it.
   */
  encryptCache?: boolean;
}

/** What the core emits on a channel: the payload, or its JSON text (a pulled page's data.changed, written on the cache thread). */
export type EventBody<E extends EventChannel> = EventPayload<E> | JsonText<EventPayload<E>>;

/**
 * One event as the core emits it. A transport sends `body` on as it is (text stays text, never
 * parsed on this thread); an in-process listener that wants the object (a test, the bench) reads
 * `payload`, parsed on first use and kept for the other listeners.
 */
export class TerminalEvent<E extends EventChannel = EventChannel> {
  private parsed: { value: EventPayload<E> } | null = null;

  constructor(
    readonly channel: E,
    readonly body: EventBody<E>,
  ) {}

  get payload(): EventPayload<E> {
    this.parsed ??= { value: isJsonText(this.body) ? parseJsonText(this.body) : this.body };
    return this.parsed.value;
  }
}

/** Any channel's event; `channel` tells them apart (and narrows `payload`). */
export type AnyTerminalEvent = { [E in EventChannel]: TerminalEvent<E> }[EventChannel];

export type EventListener = (event: AnyTerminalEvent) => void;

export interface TerminalStats {
  /** The main thread's, since the last resetStats (zeros before one). */
  eventLoopDelayMs: LoopDelay;
  wire: WireStats;
  /** Calls to the cache thread (each a message there and back). */
  cacheCalls: number;
  /** The outbox's size at the last status. */
  outbox: number;
}

const defaultServerUrl = 'http://127.0.0.1:4780';

/** Under Electron, the better-sqlite3 build for its ABI, which the core's threads load too (see cache/database.ts). */
const nativeBinding = (): string | undefined => process.env.CLINIC_SQLITE_NATIVE_BINDING || undefined;

export class TerminalCore {
  /** The cache file (on the cache thread; snapshot parts and the first download's connection sit beside it). */
  readonly cacheFile: string;
  private readonly connection: CacheConnection;
  private readonly cache: CacheCalls;
  private readonly state: SessionState;
  /** The outbox's size at the last status, for stats(). */
  private lastPending = 0;
  /** The cache calls made before the last resetStats. */
  private cacheCallsAtReset = 0;
  private readonly listeners = new Set<EventListener>();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly changeSource: ChangeSourceFactory | undefined;
  private readonly pokedChanges: boolean;
  private readonly schedule: SyncSchedule;
  private client: ServerClient;
  private engine: SyncEngine | null = null;
  private started = false;
  private closed = false;
  protected readonly log: (line: string) => void;
  private updateState: UpdateStatus | null = null;
  private readonly policy: MachinePolicy;
  private readonly downloadWorker: string | URL;
  private readonly snapshotFetchWorker: string | URL;
  private readonly cacheKey: CacheKey | null;
  /**
   * Signed in offline: the password, in this process's memory only, until the server is reachable
   * and confirms it (confirmOnline); the server's "no" then ends the session.
   */
  private offlineSignIn: { username: string; password: string; user: PublicUser } | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirmDelayMs = 1000;

  constructor(options: TerminalCoreOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} terminal: ${line}\n`));
    this.policy = options.policy ?? {};
    const keystore = options.keystore ?? keyFileKeystore(options.dataDir);
    if (!keystore.protectsAtRest) {
      this.log(
        `the keystore (${keystore.description}) keeps secrets in plain text (Linux without a keyring): ` +
          'no refresh token is kept at rest, so a restart asks for a new sign-in; install and unlock a keyring (libsecret) to change that',
      );
    }
    this.cacheKey = options.encryptCache === false ? null : cacheKeyFrom(keystore, this.log).key;
    if (this.cacheKey === null) this.log('the cache is NOT encrypted (a benchmark asked for it)');
    const checkpointWorker = options.checkpointWorker ?? defaultCheckpointWorkerScript();
    this.connection = openCacheConnection({
      script: options.cacheWorker ?? defaultCacheWorkerScript(),
      mode: options.cacheThread ?? 'worker',
      dataDir: options.dataDir,
      cacheKey: this.cacheKey,
      checkpointWorker: checkpointWorker instanceof URL ? fileURLToPath(checkpointWorker) : checkpointWorker,
      ...(nativeBinding() ? { nativeBinding: nativeBinding() } : {}),
      onNotice: (notice) => this.heard(notice),
    });
    this.cache = this.connection.calls;
    this.cacheFile = this.connection.opening.file;
    this.downloadWorker = options.downloadWorker ?? defaultDownloadWorkerScript();
    this.snapshotFetchWorker = options.snapshotFetchWorker ?? defaultSnapshotFetchScript();
    this.state = new SessionState(this.cache, this.connection.opening, keystore, this.log);
    // A session that cannot resume (signed in offline, or no refresh token kept at rest) is over.
    const kept = this.state.getSession();
    if (kept?.signedIn && !kept.refreshToken) {
      this.state.setSession({ ...kept, signedIn: false, accessToken: null, refreshToken: null });
      this.log(`${kept.user.username} was signed in when the terminal stopped; no refresh token was kept, so they sign in again`);
    }
    this.changeSource = options.changeSource;
    this.pokedChanges = options.pokedChanges ?? true;
    this.schedule = { ...seedSchedule, ...options.schedule };
    if (!this.state.getSetting('clientId')) this.state.setSetting('clientId', randomUUID());
    if (options.serverUrl) this.state.setSetting('serverUrl', terminalSettings.shape.serverUrl.parse(options.serverUrl));
    if (options.terminalName) this.state.setSetting('terminalName', options.terminalName);
    if (options.serverFingerprint) this.pinCertificate(options.serverFingerprint);
    this.client = this.makeClient();
    // The sync path's parsers (a poke, a push answer, a window's edit), built right after start
    // rather than on the first edit, which every terminal of the clinic receives at once
    // (shared/sync/warmUp.ts); the cache thread builds its own as it opens. One step per turn of
    // the loop: together they take 40-90 ms, which a window's first requests should not wait for.
    const warmUps = syncParserWarmUps();
    const nextWarmUp = () => {
      const step = warmUps.shift();
      if (step === undefined || this.closed) return;
      step();
      setTimeout(nextWarmUp, 0).unref();
    };
    setTimeout(nextWarmUp, 0).unref();
  }

  // ---------- wiring for transports ----------

  /** Shutting down: the terminal answers no more messages. */
  get isClosed(): boolean {
    return this.closed;
  }

  private heard(notice: CacheNotice): void {
    if (notice.type === 'log') this.log(notice.line);
    else if (!this.closed && this.state.getSession()?.user.id === notice.userId) this.emit('attention.changed', notice.entries);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit = <E extends EventChannel>(channel: E, body: EventBody<E>): void => {
    // TerminalEvent<E> is one member of the union; TypeScript cannot see which from a generic E.
    const event = new TerminalEvent(channel, body) as unknown as AnyTerminalEvent;
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log(`event listener for ${channel} failed: ${(err as Error).message}`);
      }
    }
  };

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.restartSync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forgetOfflineSignIn();
    const engine = this.engine;
    this.engine = null;
    // Let the run in flight finish (its transactions are synchronous), but do not hang on a dead server.
    if (engine) await Promise.race([engine.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.loopDelay.disable();
    await this.connection.close();
  }

  stats(): TerminalStats {
    return {
      eventLoopDelayMs: loopDelayOf(this.loopDelay),
      wire: { ...this.client.wire },
      cacheCalls: this.connection.sent.calls - this.cacheCallsAtReset,
      outbox: this.lastPending,
    };
  }

  /** A benchmark's cache pragma, run on the cache thread. */
  benchPragma(statement: string): Promise<unknown> {
    return this.cache.benchPragma(statement);
  }

  /** The cache thread's own event-loop delay (`reset`: start measuring anew). */
  cacheLoopDelay(reset = false): Promise<LoopDelay> {
    return this.cache.loopDelay(reset);
  }

  /**
   * Counts and the main thread's event-loop delay start again from now. The delay is measured
   * only from a first reset on: its timer wakes the thread 100 times a second, which every idle
   * terminal of a clinic would pay for a figure only benchmarks and tests read.
   */
  resetStats(): void {
    this.loopDelay.reset();
    this.loopDelay.enable();
    Object.assign(this.client.wire, { requests: 0, bytesSent: 0, bytesReceived: 0 });
    this.cacheCallsAtReset = this.connection.sent.calls;
  }

  // ---------- sync lifecycle ----------

  private makeClient(): ServerClient {
    const tokens = {
      accessToken: () => this.state.getSession()?.accessToken ?? null,
      refreshToken: () => this.state.getSession()?.refreshToken ?? null,
      saveTokens: (a: string, r: string) => this.state.setTokens(a, r),
    };
    // An https server is trusted by its pinned certificate (sync/pinnedTls.ts); an admin's first sign-in pins it.
    const pin = {
      // The machine policy's fingerprint wins over one pinned in the settings.
      expected: () => this.policy.certificateFingerprint ?? this.state.getSetting('serverFingerprint'),
      save: (fingerprint: string) => {
        this.pinCertificate(fingerprint);
        this.log(`pinned the clinic server's certificate on an admin's first sign-in: SHA-256 ${fingerprint}`);
      },
    };
    const client = new ServerClient(this.settings().serverUrl, tokens, undefined, pin, this.snapshotFetchWorker);
    client.onSnapshotThreadLost = (err) => this.log(`the snapshot thread cannot run (${err.message}); this first download walks the change log`);
    return client;
  }

  private pinCertificate(fingerprint: string | null): void {
    const normalized = fingerprint === null ? null : normalizeFingerprint(fingerprint);
    if (fingerprint !== null && normalized === null) throw new IpcFailure('bad_request', `Not a SHA-256 certificate fingerprint: ${fingerprint}`);
    if (normalized === null) this.state.deleteSetting('serverFingerprint');
    else this.state.setSetting('serverFingerprint', normalized);
  }

  private restartSync(): void {
    const old = this.engine;
    this.engine = null;
    void old?.stop();
    if (!this.started || this.closed) return;
    const session = this.state.getSession();
    // Signed in offline: no tokens yet; confirmOnline starts the engine once the server answers.
    if (!session?.signedIn || (!session.accessToken && !session.refreshToken)) return;
    this.engine = new SyncEngine({
      cache: this.cache,
      cacheFile: this.cacheFile,
      client: this.client,
      clientId: this.state.getSetting('clientId')!,
      ...(this.changeSource ? { changeSource: this.changeSource } : {}),
      pokedChanges: this.pokedChanges,
      schedule: this.schedule,
      emit: this.emit,
      role: () => this.state.getSession()?.user.role ?? null,
      onSessionExpired: (reason) => this.endSession(reason),
      startDownload: (role, collections, onAppended) => {
        // Its pages go straight into the cache file: the checkpoint thread must keep up from the first one.
        this.inBackground(this.cache.bulkWritesComing(), 'tell the checkpoint thread a download starts');
        return FirstDownload.start({
          script: this.downloadWorker,
          file: this.cacheFile,
          cacheKey: this.cacheKey,
          role,
          collections,
          onAppended,
          log: this.log,
          ...(nativeBinding() ? { nativeBinding: nativeBinding() } : {}),
        });
      },
      log: this.log,
    });
    this.engine.start();
  }

  /** The server refused the session: keep the user (and its outbox) but lock the terminal until a new sign-in. */
  private endSession(reason: string): void {
    const s = this.state.getSession();
    this.forgetOfflineSignIn();
    if (s) {
      this.state.setSession({ user: s.user, signedIn: false, accessToken: null, refreshToken: null });
      // Deactivated, or the password changed: no offline sign-in with the old one either.
      this.inBackground(this.cache.forgetVerifiersOf(s.user.id), 'forget the offline sign-in');
    }
    const engine = this.engine;
    this.engine = null;
    void engine?.stop();
    this.log(`session ended: ${reason}`);
    this.emit('session.changed', { user: null, reason });
  }

  /** A cache write nobody waits for (its order with later calls holds): a failure is logged. */
  private inBackground(write: Promise<unknown>, what: string): void {
    write.catch((err: unknown) => this.log(`could not ${what}: ${(err as Error).message}`));
  }

  /** Drop everything cached for the previous user (and its deleted pages, see secure_delete). */
  private async clearCache(): Promise<void> {
    this.state.forgetSession();
    await this.cache.clearCache();
  }

  // ---------- what the handlers do ----------

  /** The person signed in at this terminal (online or offline); null: the terminal is locked. */
  currentUser(): PublicUser | null {
    const s = this.state.getSession();
    return s?.signedIn ? s.user : null;
  }

  /** The signed-in user (the dispatcher lets no data channel through without one). */
  private workingUser(): PublicUser {
    const user = this.currentUser();
    if (!user) throw new IpcFailure('forbidden', 'Sign in first');
    return user;
  }

  /** The user's settings with the machine policy's values on top (policy wins). */
  settings(): TerminalSettings {
    const pinned = this.state.getSetting('serverFingerprint');
    const days = Number(this.state.getSetting('offlineSignInDays') ?? defaultOfflineSignInDays);
    return withPolicy(
      {
        serverUrl: this.state.getSetting('serverUrl') ?? defaultServerUrl,
        terminalName: this.state.getSetting('terminalName') ?? (hostname() || 'Clinic terminal'),
        offlineSignInDays: Number.isInteger(days) ? days : defaultOfflineSignInDays,
        // Only once a certificate is pinned (an https server): plain settings stay as they were.
        ...(pinned !== null ? { serverFingerprint: pinned } : {}),
      },
      this.policy,
    );
  }

  /** What the machine policy enforces on this terminal. */
  machinePolicy(): MachinePolicy {
    return { ...this.policy };
  }

  async login(username: string, password: string): Promise<PublicUser> {
    let answer;
    try {
      answer = await this.client.login(username, password);
    } catch (err) {
      // A certificate that is not the pinned one is no outage: the person is told why, not signed in offline.
      if (err instanceof ServerUnreachable && !(err instanceof ServerCertificateRefused)) return this.loginOffline(username, password, err);
      // Refused online (a wrong or changed password, a deactivated user): not offline either.
      if (err instanceof ServerRefused && err.status === 401) await this.cache.forgetVerifier(username);
      return this.serverFailure(err);
    }
    await this.takeOverCache(answer.user);
    this.forgetOfflineSignIn();
    this.state.setSession({ user: answer.user, signedIn: true, accessToken: answer.accessToken, refreshToken: answer.refreshToken });
    await this.rememberForOffline(username, password, answer.user);
    this.restartSync();
    this.emit('session.changed', { user: answer.user });
    return answer.user;
  }

  private async rememberForOffline(username: string, password: string, user: PublicUser): Promise<void> {
    if (this.settings().offlineSignInDays > 0) await this.cache.rememberVerifier(username, password, user);
  }

  /** The server cannot be reached: sign in against the local verifier of a recent online sign-in. */
  private async loginOffline(username: string, password: string, unreachable: ServerUnreachable): Promise<PublicUser> {
    const days = this.settings().offlineSignInDays;
    const check = days > 0 ? await this.cache.checkVerifier(username, password, days) : ({ ok: false, reason: 'unknown' } as const);
    if (!check.ok) {
      this.log(`offline sign-in refused for ${username} (${check.reason}): ${unreachable.message}`);
      throw new IpcFailure(
        'offline',
        days > 0
          ? `The clinic server cannot be reached. Without it, only someone who signed in on this terminal while it was online in the last ${days} day(s) can sign in, with the same password.`
          : 'The clinic server cannot be reached, and this terminal allows no sign-in without it.',
      );
    }
    await this.takeOverCache(check.user);
    this.state.setSession({ user: check.user, signedIn: true, accessToken: null, refreshToken: null });
    this.offlineSignIn = { username, password, user: check.user };
    this.confirmDelayMs = 1000;
    this.scheduleOnlineConfirmation();
    this.log(`signed in offline as ${check.user.username} (last online sign-in here ${check.verifiedAt}); the server confirms it when it is back`);
    this.emit('session.changed', { user: check.user, reason: 'Signed in offline: your changes are kept here and sent when the server is back' });
    void this.publishStatus();
    return check.user;
  }

  private scheduleOnlineConfirmation(): void {
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = setTimeout(() => void this.confirmOnline(), this.confirmDelayMs);
    this.confirmTimer.unref();
  }

  /**
   * Signed in offline, the server is asked again until it answers: its "yes" gives the session
   * its tokens and starts syncing (the queued work goes out); its "no" (a deactivated user, a
   * changed password) ends the session at once.
   */
  private async confirmOnline(): Promise<void> {
    const pending = this.offlineSignIn;
    if (!pending || this.closed) return;
    let answer;
    try {
      answer = await this.client.login(pending.username, pending.password);
    } catch (err) {
      if (this.offlineSignIn !== pending) return;
      if (err instanceof ServerRefused && (err.status === 401 || err.status === 403)) {
        await this.cache.forgetVerifier(pending.username);
        this.endSession('The clinic server no longer accepts this account; your changes stay on this terminal');
        return;
      }
      this.confirmDelayMs = Math.min(this.confirmDelayMs * 2, 5000);
      this.scheduleOnlineConfirmation();
      return;
    }
    if (this.offlineSignIn !== pending || this.closed) return;
    this.offlineSignIn = null;
    if (answer.user.id !== pending.user.id) {
      this.endSession('The clinic server knows this username as someone else now; please sign in again');
      return;
    }
    if (answer.user.role !== pending.user.role) await this.takeOverCache(answer.user);
    this.state.setSession({ user: answer.user, signedIn: true, accessToken: answer.accessToken, refreshToken: answer.refreshToken });
    await this.rememberForOffline(pending.username, pending.password, answer.user);
    this.log(`the clinic server confirmed the offline sign-in of ${answer.user.username}; syncing`);
    this.restartSync();
    this.emit('session.changed', { user: answer.user });
  }

  private forgetOfflineSignIn(): void {
    this.offlineSignIn = null;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
  }

  /** Before `user` signs in: the cache must not pass another user's (or role's) rows on, nor lose their unsent work. */
  private async takeOverCache(user: PublicUser): Promise<void> {
    const answer = { user };
    const previous = this.state.getSession();
    if (previous && previous.user.id !== answer.user.id) {
      const owners = await this.cache.outboxOwners();
      if (owners.length > 0) {
        throw new IpcFailure(
          'failed',
          `${await this.cache.outboxSize()} change(s) made by ${previous.user.displayName} have not reached the server yet; ` +
            `sign in as ${previous.user.username} while the server is reachable to send them first`,
        );
      }
    }
    // A different user, or the same user with another role, must not inherit what the cache holds.
    if (previous?.user.id !== answer.user.id || previous.user.role !== answer.user.role) {
      await this.clearCache();
      this.log(`signing in as ${answer.user.username} (${answer.user.role}); cache cleared for the new user`);
    } else {
      this.log(`signing in as ${answer.user.username} (${answer.user.role})`);
    }
  }

  async logout(): Promise<void> {
    const s = this.state.getSession();
    if (!s) return;
    // Best effort: send what is queued while the tokens still work.
    if (this.engine && (await this.cache.outboxSize()) > 0) {
      await Promise.race([this.engine.requestSync(), new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    const unsent = await this.cache.outboxSize();
    this.forgetOfflineSignIn();
    // Read now, not from `s`: the sync above may have rotated it.
    const refreshToken = this.state.getSession()?.refreshToken ?? null;
    this.state.setSession({ user: s.user, signedIn: false, accessToken: null, refreshToken: null });
    const engine = this.engine;
    this.engine = null;
    await engine?.stop();
    const ended = refreshToken ? await this.endRefreshToken(refreshToken) : 'no session on the server';
    this.log(`${s.user.username} signed out (${ended})${unsent > 0 ? `; ${unsent} change(s) wait on this terminal for their next sign-in` : ''}`);
    this.emit('session.changed', { user: null, reason: 'signed out' });
  }

  /**
   * The server ends the session's refresh token, so a copy of it (a backup of this PC's disk, say)
   * can never mint a new one. Sign-out never waits on that: offline, the token lapses by its age.
   */
  private async endRefreshToken(refreshToken: string): Promise<string> {
    try {
      await Promise.race([
        this.client.logout(refreshToken),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000).unref()),
      ]);
      return 'its session ended on the server';
    } catch (err) {
      return `the server could not end its session now (${err instanceof Error ? err.message : String(err)}); it lapses by its age`;
    }
  }

  /**
   * The collection's rows as the cache thread joined them into JSON text (what put() stored for
   * this user): the transports hand the text to the window unparsed (ipc/jsonText.ts).
   */
  async listText<C extends CollectionName>(collection: C): Promise<JsonText<WireRow<C>[]>> {
    const user = this.workingUser();
    if (!syncedCollections(user.role).includes(collection) || (collection !== 'users' && !canRead(user.role, collection))) {
      throw new IpcFailure('forbidden', `A ${user.role} may not see ${collection}`);
    }
    return jsonText(await this.cache.listJson(collection));
  }

  /**
   * A change made here: written with its outbox entry on the cache thread, then told to every
   * window of this terminal as one 'data.changed' (the sender's too: the row reaches windows only
   * that way), then pushed. The answer names the mutation and its row.
   */
  async mutate(request: MutateRequest): Promise<{ mutationId: string; id: string }> {
    const user = this.workingUser();
    const { mutationId, change } = await this.cache.mutate(user, request);
    testCrashPoint('after-outbox-commit');
    this.emit('data.changed', { source: 'local', changes: [change] });
    void this.publishStatus();
    void this.engine?.afterLocalMutation();
    return { mutationId, id: change.id };
  }

  /** The Electron shell reports its updater's state here; windows hear it as 'app.updateStatus'. */
  reportUpdateStatus(status: UpdateStatus): void {
    this.updateState = status;
    this.emit('app.updateStatus', status);
  }

  updateStatus(): UpdateStatus {
    return (
      this.updateState ?? {
        phase: 'unavailable',
        currentVersion: process.env.npm_package_version ?? 'development',
        availableVersion: null,
        percent: null,
        message: 'This terminal runs without the desktop shell, so it does not update itself.',
        checkedAt: null,
      }
    );
  }

  async syncStatus(): Promise<SyncStatus> {
    const status: SyncStatus = this.engine ? await this.engine.status() : await this.statusWithoutSync();
    this.lastPending = status.pending;
    return status;
  }

  /** Signed out, offline or not yet started: what the cache says, with why nothing syncs. */
  private async statusWithoutSync(): Promise<SyncStatus> {
    const { pending, conflicts } = await this.cache.syncCounts();
    return {
      connection: 'offline',
      online: false,
      pending,
      lastSyncedAt: null,
      lastError: this.offlineSignIn ? 'Signed in offline: the clinic server cannot be reached' : this.currentUser() ? null : 'Not signed in',
      initialSync: { done: (await this.cache.cursor()) !== null, received: 0, total: null },
      conflicts,
    };
  }

  private async publishStatus(): Promise<void> {
    try {
      if (this.engine) await this.engine.publishStatus();
      else this.emit('sync.status', await this.syncStatus());
    } catch (err) {
      if (!this.closed) this.log(`could not tell the windows the sync status: ${(err as Error).message}`);
    }
  }

  async syncNow(): Promise<SyncStatus> {
    // Asked for by a person: pull, even if the pokes say the cache is up to date.
    await this.engine?.requestSync(true);
    return this.syncStatus();
  }

  conflicts(): Promise<Conflict[]> {
    return this.cache.conflicts();
  }

  async resolveConflict(conflictId: string, choice: 'mine' | 'theirs'): Promise<void> {
    const c = await this.cache.conflict(conflictId);
    if (!c) throw new IpcFailure('bad_request', `No such conflict: ${conflictId}`);
    if (choice === 'mine' && Object.keys(c.mine).length > 0) {
      const current = await this.cache.row(c.collection, c.rowId);
      if (!current) throw new IpcFailure('bad_request', 'The row of this conflict no longer exists');
      await this.mutate({ op: 'update', collection: c.collection, id: c.rowId, baseVersion: current.version, data: c.mine });
    }
    await this.cache.removeConflict(conflictId);
    await this.publishStatus();
  }

  /** The signed-in user's refused changes ("Needs attention"). */
  attentionList(): Promise<AttentionEntry[]> {
    return this.cache.attentionList(this.workingUser().id);
  }

  async dismissAttention(id: string): Promise<void> {
    if (!(await this.cache.dismissAttention(this.workingUser().id, id))) throw new IpcFailure('bad_request', 'This entry is no longer listed');
  }

  /**
   * The settings that redirect the terminal: `settings.set` lets only a signed-in admin here
   * (shared/ipc/contract.ts); the machine's preconfiguration comes through applyMachineSettings.
   * A new server address signs everyone out (its users, tokens and verifiers are another
   * server's) and says so.
   */
  async setSettings(next: Partial<TerminalSettings> & Pick<TerminalSettings, 'serverUrl' | 'terminalName'>, by = 'an admin'): Promise<TerminalSettings> {
    const before = this.settings();
    if (this.policy.serverUrl !== undefined && next.serverUrl !== this.policy.serverUrl) {
      throw new IpcFailure('forbidden', `The server address is set by this computer's policy (${this.policy.serverUrl}); ask your IT department to change it`);
    }
    if (next.serverUrl !== before.serverUrl) {
      const unsent = await this.cache.outboxSize();
      if (unsent > 0) {
        throw new IpcFailure('failed', `${unsent} change(s) have not reached ${before.serverUrl} yet; wait until they are sent`);
      }
      this.state.setSetting('serverUrl', next.serverUrl);
      // Another server has another certificate: trust it only as given, or on an admin's first sign-in.
      this.pinCertificate(next.serverFingerprint ?? null);
      const hadSession = this.state.getSession() !== null;
      this.forgetOfflineSignIn();
      await this.clearCache();
      await this.cache.clearAttention();
      await this.cache.forgetAllVerifiers();
      this.client = this.makeClient();
      this.restartSync();
      const reason = `The clinic server address was changed to ${next.serverUrl} by ${by}; everyone was signed out. Please sign in again.`;
      this.log(reason);
      if (hadSession) this.emit('session.changed', { user: null, reason });
    } else if (next.serverFingerprint !== undefined && next.serverFingerprint !== before.serverFingerprint) {
      this.pinCertificate(next.serverFingerprint);
      this.client = this.makeClient();
      this.restartSync();
    }
    this.state.setSetting('terminalName', next.terminalName);
    if (next.offlineSignInDays !== undefined) {
      this.state.setSetting('offlineSignInDays', String(next.offlineSignInDays));
      if (next.offlineSignInDays === 0) await this.cache.forgetAllVerifiers();
    }
    return this.settings();
  }

  /** The machine-wide preconfiguration (main/electron/startupSettings.ts): no signed-in admin needed. */
  applyMachineSettings(next: TerminalSettings | (Partial<TerminalSettings> & Pick<TerminalSettings, 'serverUrl' | 'terminalName'>)): Promise<TerminalSettings> {
    const checked = terminalSettings.partial({ offlineSignInDays: true }).parse(next);
    return this.setSettings(checked, "this computer's preconfiguration");
  }

  /** Admin screens: a direct call to the server (they need the network). */
  async admin<T>(call: (client: ServerClient) => Promise<T>): Promise<T> {
    if (!this.currentUser()) throw new IpcFailure('forbidden', 'Sign in first');
    if (this.offlineSignIn) throw new IpcFailure('offline', 'Signed in offline: this needs the clinic server, which has not answered yet');
    return this.serverCall(() => call(this.client));
  }

  /** Server errors as clear IPC errors. */
  private async serverCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      return this.serverFailure(err);
    }
  }

  private serverFailure(err: unknown): never {
    if (err instanceof ServerUnreachable) throw new IpcFailure('offline', err.message);
    if (err instanceof SessionExpired) {
      this.endSession(err.message);
      throw new IpcFailure('forbidden', err.message);
    }
    if (err instanceof ServerRefused) {
      const body = err.body as { details?: unknown[] } | null;
      if (err.status === 401 || err.status === 403) throw new IpcFailure('forbidden', err.message);
      if (err.status === 400 || err.status === 409 || err.status === 404) {
        throw new IpcFailure('bad_request', err.message, Array.isArray(body?.details) ? body.details : undefined);
      }
      throw new IpcFailure('failed', err.message);
    }
    throw err;
  }
}



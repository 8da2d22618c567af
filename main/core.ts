/**
 * The terminal core: the local cache, the outbox, the sync engine and the IPC handlers, in plain
 * Node. Electron (main/electron) and the headless WebSocket transport (main/headless) only
 * forward window messages to `invoke` and `onEvent`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AnyRow, CollectionName, PublicUser } from '../shared/domain/collections';
import { canRead } from '../shared/domain/access';
import type {
  Conflict,
  EventChannel,
  EventPayload,
  IpcEnvelope,
  MutateRequest,
  SyncStatus,
  TerminalSettings,
} from '../shared/ipc/contract';
import { defaultOfflineSignInDays, terminalSettings, type UpdateStatus } from '../shared/ipc/contract';
import { openCache, type CacheDb, type CacheKey } from './cache/database';
import { cacheKeyFrom } from './cache/encryption';
import type { Keystore } from './keystore/keystore';
import { keyFileKeystore } from './keystore/keyFile';
import { OfflineVerifiers } from './session/offlineVerifiers';
import { WalCheckpointer, defaultCheckpointWorkerScript } from './cache/checkpointer';
import { RowCache } from './cache/rows';
import { Outbox } from './cache/outbox';
import { ConflictLog } from './cache/conflicts';
import { AttentionLog } from './cache/attention';
import type { AttentionEntry } from '../shared/ipc/attention';
import { TerminalState } from './cache/state';
import { CacheWriter } from './sync/apply';
import { ServerCertificateRefused, ServerClient, ServerRefused, ServerUnreachable, SessionExpired, type WireStats } from './sync/client';
import { normalizeFingerprint } from './sync/pinnedTls';
import { SyncEngine, seedSchedule, type SyncSchedule, type SyncStrategy } from './sync/engine';
import { FirstDownload, defaultDownloadWorkerScript } from './sync/firstDownload/firstDownload';
import { dropLoadTables } from './sync/firstDownload/bulkLoad';
import { removeSnapshotFiles } from './sync/firstDownload/snapshotImport';
import { writeLocalMutation } from './mutations/local';
import { IpcFailure } from './ipc/failure';
import { IpcDispatcher, type IpcSender } from './ipc/dispatch';
import { createHandlers } from './ipc/handlers';
import { testCrashPoint } from './crash-hooks';
import { withPolicy, type MachinePolicy } from './policy/machinePolicy';

export type { IpcSender } from './ipc/dispatch';

export interface TerminalCoreOptions {
  dataDir: string;
  /** Overrides (and persists) the saved server URL. */
  serverUrl?: string;
  /** Overrides (and persists) the saved terminal name. */
  terminalName?: string;
  /** Pins (and persists) the https server's certificate fingerprint (`AB:CD:...`). */
  serverFingerprint?: string;
  strategy?: SyncStrategy;
  /** Live strategy: pokes carry the changes (default true); false pulls after every poke. */
  pokedChanges?: boolean;
  schedule?: Partial<SyncSchedule>;
  /** Where the core writes lines a support person reads; default: stderr with a timestamp. */
  log?: (line: string) => void;
  /** The WAL checkpoint thread's script (see cache/checkpointer.ts); default: its TypeScript source, for tsx. */
  checkpointWorker?: string | URL;
  /** The first download thread's script (see sync/firstDownload); default: its TypeScript source, for tsx. */
  downloadWorker?: string | URL;
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

export type EventListener = <E extends EventChannel>(channel: E, payload: EventPayload<E>) => void;

export interface TerminalStats {
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number };
  wire: WireStats;
  outbox: number;
}

const defaultServerUrl = 'http://127.0.0.1:4780';

/** Under Electron, the better-sqlite3 build for its ABI, which the core's threads load too (see cache/database.ts). */
const nativeBinding = (): string | undefined => process.env.CLINIC_SQLITE_NATIVE_BINDING || undefined;

export class TerminalCore {
  readonly db: CacheDb;
  private readonly checkpointer: WalCheckpointer;
  private readonly state: TerminalState;
  private readonly rows: RowCache;
  private readonly outbox: Outbox;
  private readonly conflictLog: ConflictLog;
  private readonly attention: AttentionLog;
  private readonly writer: CacheWriter;
  private readonly dispatcher: IpcDispatcher;
  private readonly listeners = new Set<EventListener>();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly strategy: SyncStrategy;
  private readonly pokedChanges: boolean;
  private readonly schedule: SyncSchedule;
  private client: ServerClient;
  private engine: SyncEngine | null = null;
  private started = false;
  private closed = false;
  private readonly log: (line: string) => void;
  private updateState: UpdateStatus | null = null;
  private readonly policy: MachinePolicy;
  private readonly downloadWorker: string | URL;
  private readonly cacheKey: CacheKey | null;
  private readonly verifiers: OfflineVerifiers;
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
    this.db = openCache(options.dataDir, this.cacheKey, this.log);
    this.checkpointer = new WalCheckpointer(this.db, {
      script: options.checkpointWorker ?? defaultCheckpointWorkerScript(),
      log: this.log,
      cacheKey: this.cacheKey,
      ...(nativeBinding() ? { nativeBinding: nativeBinding() } : {}),
    });
    this.downloadWorker = options.downloadWorker ?? defaultDownloadWorkerScript();
    this.state = new TerminalState(this.db, keystore);
    this.verifiers = new OfflineVerifiers(this.db);
    // A session that cannot resume (signed in offline, or no refresh token kept at rest) is over.
    const kept = this.state.getSession();
    if (kept?.signedIn && !kept.refreshToken) {
      this.state.setSession({ ...kept, signedIn: false, accessToken: null, refreshToken: null });
      this.log(`${kept.user.username} was signed in when the terminal stopped; no refresh token was kept, so they sign in again`);
    }
    this.rows = new RowCache(this.db, () => this.state.getSession()?.user.role ?? null);
    this.outbox = new Outbox(this.db);
    this.conflictLog = new ConflictLog(this.db);
    this.attention = new AttentionLog(this.db, (userId) => {
      if (!this.closed && this.state.getSession()?.user.id === userId) this.emit('attention.changed', this.attention.list(userId));
    });
    this.writer = new CacheWriter(this.rows, this.outbox, this.conflictLog, this.attention);
    this.strategy = options.strategy ?? 'live';
    this.pokedChanges = options.pokedChanges ?? true;
    this.schedule = { ...seedSchedule, ...options.schedule };
    if (!this.state.getSetting('clientId')) this.state.setSetting('clientId', randomUUID());
    if (options.serverUrl) this.state.setSetting('serverUrl', terminalSettings.shape.serverUrl.parse(options.serverUrl));
    if (options.terminalName) this.state.setSetting('terminalName', options.terminalName);
    if (options.serverFingerprint) this.pinCertificate(options.serverFingerprint);
    this.client = this.makeClient();
    this.dispatcher = new IpcDispatcher(createHandlers(this), this.log, () => this.currentUser());
    this.loopDelay.enable();
  }

  // ---------- wiring for transports ----------

  invoke(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    if (this.closed) return Promise.resolve({ ok: false, error: { code: 'failed', message: 'The terminal is shutting down' } });
    return this.dispatcher.invoke(channel, request, sender);
  }

  registerWindow(windowId: string): () => void {
    return this.dispatcher.registerWindow(windowId);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit = <E extends EventChannel>(channel: E, payload: EventPayload<E>): void => {
    for (const l of this.listeners) {
      try {
        l(channel, payload);
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
    await this.checkpointer.stop();
    this.db.close();
  }

  stats(): TerminalStats {
    const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
    const h = this.loopDelay;
    return {
      eventLoopDelayMs: { mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
      wire: { ...this.client.wire },
      outbox: this.outbox.size(),
    };
  }

  resetStats(): void {
    this.loopDelay.reset();
    Object.assign(this.client.wire, { requests: 0, bytesSent: 0, bytesReceived: 0 });
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
    return new ServerClient(this.settings().serverUrl, tokens, undefined, pin);
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
      db: this.db,
      rows: this.rows,
      outbox: this.outbox,
      conflicts: this.conflictLog,
      state: this.state,
      writer: this.writer,
      client: this.client,
      clientId: this.state.getSetting('clientId')!,
      strategy: this.strategy,
      pokedChanges: this.pokedChanges,
      schedule: this.schedule,
      emit: this.emit,
      role: () => this.state.getSession()?.user.role ?? null,
      onSessionExpired: (reason) => this.endSession(reason),
      startDownload: (role, collections, onAppended) =>
        FirstDownload.start({
          script: this.downloadWorker,
          file: this.db.name,
          cacheKey: this.cacheKey,
          role,
          collections,
          onAppended,
          log: this.log,
          ...(nativeBinding() ? { nativeBinding: nativeBinding() } : {}),
        }),
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
      this.verifiers.forgetUserId(s.user.id);
    }
    const engine = this.engine;
    this.engine = null;
    void engine?.stop();
    this.log(`session ended: ${reason}`);
    this.emit('session.changed', { user: null, reason });
  }

  /** Drop everything cached for the previous user (and its deleted pages, see secure_delete). */
  private clearCache(): void {
    this.db.transaction(() => {
      this.rows.clearAll();
      dropLoadTables(this.db);
      removeSnapshotFiles(this.db.name);
      this.conflictLog.clear();
      this.state.clearCursor();
      this.state.clearSession();
    })();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
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
      if (err instanceof ServerRefused && err.status === 401) this.verifiers.forget(username);
      return this.serverFailure(err);
    }
    this.takeOverCache(answer.user);
    this.forgetOfflineSignIn();
    this.state.setSession({ user: answer.user, signedIn: true, accessToken: answer.accessToken, refreshToken: answer.refreshToken });
    await this.rememberForOffline(username, password, answer.user);
    this.restartSync();
    this.emit('session.changed', { user: answer.user });
    return answer.user;
  }

  private async rememberForOffline(username: string, password: string, user: PublicUser): Promise<void> {
    if (this.settings().offlineSignInDays > 0) await this.verifiers.remember(username, password, user);
  }

  /** The server cannot be reached: sign in against the local verifier of a recent online sign-in. */
  private async loginOffline(username: string, password: string, unreachable: ServerUnreachable): Promise<PublicUser> {
    const days = this.settings().offlineSignInDays;
    const check = days > 0 ? await this.verifiers.check(username, password, days) : ({ ok: false, reason: 'unknown' } as const);
    if (!check.ok) {
      this.log(`offline sign-in refused for ${username} (${check.reason}): ${unreachable.message}`);
      throw new IpcFailure(
        'offline',
        days > 0
          ? `The clinic server cannot be reached. Without it, only someone who signed in on this terminal while it was online in the last ${days} day(s) can sign in, with the same password.`
          : 'The clinic server cannot be reached, and this terminal allows no sign-in without it.',
      );
    }
    this.takeOverCache(check.user);
    this.state.setSession({ user: check.user, signedIn: true, accessToken: null, refreshToken: null });
    this.offlineSignIn = { username, password, user: check.user };
    this.confirmDelayMs = 1000;
    this.scheduleOnlineConfirmation();
    this.log(`signed in offline as ${check.user.username} (last online sign-in here ${check.verifiedAt}); the server confirms it when it is back`);
    this.emit('session.changed', { user: check.user, reason: 'Signed in offline: your changes are kept here and sent when the server is back' });
    this.publishStatus();
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
        this.verifiers.forget(pending.username);
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
    if (answer.user.role !== pending.user.role) this.takeOverCache(answer.user);
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
  private takeOverCache(user: PublicUser): void {
    const answer = { user };
    const previous = this.state.getSession();
    if (previous && previous.user.id !== answer.user.id) {
      const owners = this.outbox.owners();
      if (owners.length > 0) {
        throw new IpcFailure(
          'failed',
          `${this.outbox.size()} change(s) made by ${previous.user.displayName} have not reached the server yet; ` +
            `sign in as ${previous.user.username} while the server is reachable to send them first`,
        );
      }
    }
    // A different user, or the same user with another role, must not inherit what the cache holds.
    if (previous?.user.id !== answer.user.id || previous.user.role !== answer.user.role) {
      this.clearCache();
      this.log(`signing in as ${answer.user.username} (${answer.user.role}); cache cleared for the new user`);
    } else {
      this.log(`signing in as ${answer.user.username} (${answer.user.role})`);
    }
  }

  async logout(): Promise<void> {
    const s = this.state.getSession();
    if (!s) return;
    // Best effort: send what is queued while the tokens still work.
    if (this.engine && this.outbox.size() > 0) {
      await Promise.race([this.engine.requestSync(), new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    const unsent = this.outbox.size();
    this.forgetOfflineSignIn();
    this.state.setSession({ user: s.user, signedIn: false, accessToken: null, refreshToken: null });
    const engine = this.engine;
    this.engine = null;
    await engine?.stop();
    this.log(`${s.user.username} signed out${unsent > 0 ? `; ${unsent} change(s) wait on this terminal for their next sign-in` : ''}`);
    this.emit('session.changed', { user: null, reason: 'signed out' });
  }

  list(collection: CollectionName): AnyRow[] {
    const user = this.workingUser();
    if (!this.rows.holds(collection) || (collection !== 'users' && !canRead(user.role, collection))) {
      throw new IpcFailure('forbidden', `A ${user.role} may not see ${collection}`);
    }
    return this.rows.list(collection);
  }

  mutate(request: MutateRequest): { mutationId: string; row: AnyRow | null } {
    const user = this.workingUser();
    const result = writeLocalMutation(this.db, this.rows, this.outbox, user, request);
    testCrashPoint('after-outbox-commit');
    this.emit('data.changed', { source: 'local', changes: [result.change] });
    this.publishStatus();
    void this.engine?.afterLocalMutation();
    return { mutationId: result.mutationId, row: result.row };
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

  syncStatus(): SyncStatus {
    if (this.engine) return this.engine.status();
    return {
      connection: 'offline',
      online: false,
      pending: this.outbox.size(),
      lastSyncedAt: null,
      lastError: this.offlineSignIn ? 'Signed in offline: the clinic server cannot be reached' : this.currentUser() ? null : 'Not signed in',
      initialSync: { done: this.state.getCursor() !== null, received: 0, total: null },
      conflicts: this.conflictLog.count(),
    };
  }

  private publishStatus(): void {
    if (this.engine) this.engine.publishStatus();
    else this.emit('sync.status', this.syncStatus());
  }

  async syncNow(): Promise<SyncStatus> {
    // Asked for by a person: pull, even if the pokes say the cache is up to date.
    await this.engine?.requestSync(true);
    return this.syncStatus();
  }

  conflicts(): Conflict[] {
    return this.conflictLog.list();
  }

  resolveConflict(conflictId: string, choice: 'mine' | 'theirs'): void {
    const c = this.conflictLog.get(conflictId);
    if (!c) throw new IpcFailure('bad_request', `No such conflict: ${conflictId}`);
    if (choice === 'mine' && Object.keys(c.mine).length > 0) {
      const current = this.rows.get(c.collection, c.rowId);
      if (!current) throw new IpcFailure('bad_request', 'The row of this conflict no longer exists');
      this.mutate({ op: 'update', collection: c.collection, id: c.rowId, baseVersion: current.version, data: c.mine });
    }
    this.conflictLog.remove(conflictId);
    this.publishStatus();
  }

  /** The signed-in user's refused changes ("Needs attention"). */
  attentionList(): AttentionEntry[] {
    return this.attention.list(this.workingUser().id);
  }

  dismissAttention(id: string): void {
    if (!this.attention.dismiss(this.workingUser().id, id)) throw new IpcFailure('bad_request', 'This entry is no longer listed');
  }

  /**
   * The settings that redirect the terminal: `settings.set` lets only a signed-in admin here
   * (shared/ipc/contract.ts); the machine's preconfiguration comes through applyMachineSettings.
   * A new server address signs everyone out (its users, tokens and verifiers are another
   * server's) and says so.
   */
  setSettings(next: Partial<TerminalSettings> & Pick<TerminalSettings, 'serverUrl' | 'terminalName'>, by = 'an admin'): TerminalSettings {
    const before = this.settings();
    if (this.policy.serverUrl !== undefined && next.serverUrl !== this.policy.serverUrl) {
      throw new IpcFailure('forbidden', `The server address is set by this computer's policy (${this.policy.serverUrl}); ask your IT department to change it`);
    }
    if (next.serverUrl !== before.serverUrl) {
      if (this.outbox.size() > 0) {
        throw new IpcFailure('failed', `${this.outbox.size()} change(s) have not reached ${before.serverUrl} yet; wait until they are sent`);
      }
      this.state.setSetting('serverUrl', next.serverUrl);
      // Another server has another certificate: trust it only as given, or on an admin's first sign-in.
      this.pinCertificate(next.serverFingerprint ?? null);
      const hadSession = this.state.getSession() !== null;
      this.forgetOfflineSignIn();
      this.clearCache();
      this.attention.clear();
      this.verifiers.forgetAll();
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
      if (next.offlineSignInDays === 0) this.verifiers.forgetAll();
    }
    return this.settings();
  }

  /** The machine-wide preconfiguration (main/electron/startupSettings.ts): no signed-in admin needed. */
  applyMachineSettings(next: TerminalSettings | (Partial<TerminalSettings> & Pick<TerminalSettings, 'serverUrl' | 'terminalName'>)): TerminalSettings {
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

export function createTerminalCore(options: TerminalCoreOptions): TerminalCore {
  return new TerminalCore(options);
}

/**
 * The clinic server's HTTP API as the terminal uses it (axios). Every answer is checked against
 * the shared schemas before the engine trusts it. A 401 triggers one token refresh and a retry;
 * when the refresh fails too, the session is over and the user must sign in again.
 * Counts bytes over the wire, so the bench can compare the live sync with the seed's.
 */
import axios, { type AxiosInstance } from 'axios';
import { publicUser, type AnyRow, type CollectionName, type PublicUser } from '../../shared/domain/collections';
import { apiRoutes, collectionRoutes, pathOf, type AnswerOf, type HttpMethod, type RouteSpec } from '../../shared/http/routes';
import { change, errorBody, liveChangesParam, type Change, type LoginResponse, type PushRequest, type PushResponse } from '../../shared/sync/protocol';
import { snapshotHeaders } from '../../shared/sync/snapshot';
import type { ClientOptions } from 'ws';
import { defaultSnapshotFetchScript, SnapshotFetchThread, SnapshotThreadClosed, type SnapshotFetchAnswer } from './firstDownload/snapshotFetch';
import type { SnapshotSeal } from './firstDownload/snapshotSeal';
import { CertificateMismatch, CertificateNotYetTrusted, fingerprintOf, notYetTrustedMessage, PinnedAgent, pinnedConnect, type CertificatePin } from './pinnedTls';

/** A pull page as the server's bytes, read and checked on the cache thread (see Puller.pullDeltas). */
export type PulledAnswer = { bytes: Buffer; path: string };

/** The server could not be reached (network down, server stopped, timeout). */
export class ServerUnreachable extends Error {}
/** The server's TLS certificate is not the one this terminal trusts (or none is trusted yet). */
export class ServerCertificateRefused extends ServerUnreachable {}
/** The server refused the session; a person has to sign in again. */
export class SessionExpired extends Error {}
/** The server answered with an error status. */
export class ServerRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}
/** The server answered something that does not match the protocol. */
export class BadServerAnswer extends Error {
  /** Named, so that it is still told apart after crossing from the cache thread (sync/puller.ts). */
  override name = 'BadServerAnswer';
}

/** Check one pulled change (the envelope was checked by `pull`). */
export function parsePulledChange(raw: unknown): Change {
  const parsed = change.safeParse(raw);
  if (!parsed.success) throw new BadServerAnswer(`Unexpected change in a pull page: ${parsed.error.message.slice(0, 300)}`);
  return parsed.data;
}

/** One part of a first-download snapshot, written to a file (shared/sync/snapshot.ts). */
export interface SnapshotPart {
  bytes: number;
  /** How long the server took to write it (Server-Timing), when it said. */
  serverMs: number | null;
  cursor: string;
  /** Where the next part starts; null: this was the last. */
  next: string | null;
  /** First part: rows in the whole snapshot. */
  total: number | null;
}

export interface TokenStore {
  accessToken(): string | null;
  refreshToken(): string | null;
  saveTokens(accessToken: string, refreshToken: string): void;
}

/** The pinned certificate of an https server: kept by the terminal, set on an admin's first sign-in. */
export interface ServerPin extends CertificatePin {
  save(fingerprint: string): void;
}

/** Where and how the live channel connects; the token goes in the first message, never the URL. */
export interface LiveTarget {
  url: string;
  token: string | null;
  options?: ClientOptions;
}

/** Over https with no certificate pinned yet, only these go out (see requireTrust). */
const sentBeforeTrust: readonly RouteSpec[] = [apiRoutes.login, apiRoutes.health];

/** A pull page's path: `since` left out at the start of the log. */
function pullPath(since: string | null, limit: number): string {
  return pathOf(apiRoutes.pull, {}, { limit, since: since || undefined });
}

/** The reason a request failed, as this terminal tells it. */
function unreachable(baseUrl: string, err: unknown): ServerUnreachable {
  const cause = (err as { cause?: unknown }).cause ?? err;
  if (cause instanceof CertificateMismatch || cause instanceof CertificateNotYetTrusted) return new ServerCertificateRefused(cause.message);
  return new ServerUnreachable(`Cannot reach the clinic server at ${baseUrl}: ${(err as Error).message}`);
}

/**
 * An answer's text as JSON: null for an empty body; a good answer that is not JSON is refused
 * (a refusal's body may be anything: its status says enough). Used where the answer is read: here,
 * and on the cache thread for pull pages (pulledPage.ts).
 */
export function answerJson(method: HttpMethod, path: string, status: number, text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    if (status < 400) throw new BadServerAnswer(`The server sent something that is not JSON for ${method} ${path}`);
    return null;
  }
}

export interface WireStats {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

export class ServerClient {
  private readonly http: AxiosInstance;
  readonly wire: WireStats = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  private refreshing: Promise<void> | null = null;
  private readonly tls: boolean;
  private readonly pin: ServerPin;
  /** The certificate fingerprint the last request's connection was shown (https). */
  private lastFingerprint: string | null = null;

  private readonly snapshots: SnapshotFetchThread;
  /** Told when the snapshot thread could not run (the first download then walks the change log). */
  onSnapshotThreadLost: ((err: Error) => void) | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenStore,
    private readonly timeoutMs = 15_000,
    pin: ServerPin = { expected: () => null, save: () => {} },
    /** The snapshot thread's script: its TypeScript source under tsx, the bundled .cjs under Electron. */
    snapshotFetchScript: string | URL = defaultSnapshotFetchScript(),
  ) {
    this.tls = baseUrl.startsWith('https:');
    this.pin = pin;
    this.snapshots = new SnapshotFetchThread(snapshotFetchScript);
    this.http = axios.create({
      // https: the server's certificate is checked against the pinned fingerprint (pinnedTls.ts).
      ...(this.tls ? { httpsAgent: new PinnedAgent(pin, { keepAlive: true }) } : {}),
      baseURL: baseUrl.replace(/\/+$/, ''),
      timeout: timeoutMs,
      // Bytes: most answers are decoded and parsed here, but a first download's pages go on to
      // its own thread untouched (see pullBytes).
      responseType: 'arraybuffer',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  /** One request; the answer's text unparsed. */
  private async send(route: RouteSpec, path: string, body?: unknown, headers: Record<string, string> = {}, auth = true) {
    const { status, bytes } = await this.sendForBytes(route, path, body, headers, auth);
    return { status, text: bytes.toString('utf8') };
  }

  /** One request of a route of the table (`path`: its path with parameters and query filled in). */
  private async sendForBytes(route: RouteSpec, path: string, body?: unknown, headers: Record<string, string> = {}, auth = true) {
    const method = route.method;
    const data = body === undefined ? undefined : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (data !== undefined) h['content-type'] = 'application/json';
    const token = this.tokens.accessToken();
    if (auth && token) h.authorization = `Bearer ${token}`;
    this.requireTrust(route);
    let res;
    try {
      res = await this.http.request<Buffer>({ method, url: path, data, headers: h });
    } catch (err) {
      throw unreachable(this.baseUrl, err);
    }
    this.lastFingerprint = this.tls ? fingerprintOf((res.request as { socket?: object } | undefined)?.socket) : null;
    this.wire.requests++;
    this.wire.bytesSent += data ? Buffer.byteLength(data) : 0;
    const bytes = Buffer.isBuffer(res.data) ? res.data : Buffer.alloc(0);
    this.wire.bytesReceived += bytes.length;
    return { status: res.status, bytes };
  }

  /**
   * Over https with no certificate pinned yet, only a sign-in may go out (an admin's pins the
   * certificate it was made over); nothing else is sent to a server this terminal cannot verify.
   */
  private requireTrust(route: RouteSpec): void {
    if (this.tls && this.pin.expected() === null && !sentBeforeTrust.includes(route)) {
      throw new ServerCertificateRefused(notYetTrustedMessage);
    }
  }

  private async raw(route: RouteSpec, path: string, body?: unknown, headers: Record<string, string> = {}, auth = true) {
    const { status, text } = await this.send(route, path, body, headers, auth);
    return { status, json: answerJson(route.method, path, status, text) };
  }

  /** An authenticated request: refresh once on 401, then give up with SessionExpired. */
  private async authorized(route: RouteSpec, path: string, body?: unknown, headers?: Record<string, string>) {
    let res = await this.sendForBytes(route, path, body, headers);
    if (res.status === 401) {
      await this.refresh();
      res = await this.sendForBytes(route, path, body, headers);
      if (res.status === 401) throw new SessionExpired('The server no longer accepts this session; please sign in again');
    }
    return res;
  }

  /** An authenticated request whose answer is checked with the route's response schema. */
  private async call<S extends RouteSpec>(route: S, path: string, body?: unknown, headers?: Record<string, string>): Promise<AnswerOf<S>> {
    const { status, bytes } = await this.authorized(route, path, body, headers);
    return this.checked(route, path, { status, json: answerJson(route.method, path, status, bytes.toString('utf8')) });
  }

  /** The answer of a route as the table says it is, or the error it is; `expect: null` checks errors only. */
  private checked<S extends RouteSpec>(route: S, path: string, res: { status: number; json: unknown }, expect: 'answer' | null = 'answer'): AnswerOf<S> {
    const method = route.method;
    if (res.status >= 500 || res.status === 502 || res.status === 503) {
      throw new ServerUnreachable(`The clinic server failed (${res.status}) on ${method} ${path}`);
    }
    if (res.status >= 400) {
      const parsed = errorBody.safeParse(res.json);
      throw new ServerRefused(res.status, parsed.success ? parsed.data.error : `HTTP ${res.status}`, res.json);
    }
    if (expect === null || route.response === null) return undefined as AnswerOf<S>;
    const parsed = route.response.safeParse(res.json);
    if (!parsed.success) throw new BadServerAnswer(`Unexpected answer to ${method} ${path}: ${parsed.error.message.slice(0, 300)}`);
    return parsed.data as AnswerOf<S>;
  }

  /** Single-flight: concurrent 401s share one refresh (refresh tokens rotate and work once). */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const refreshToken = this.tokens.refreshToken();
        if (!refreshToken) throw new SessionExpired('Not signed in');
        const route = apiRoutes.refresh;
        const res = await this.raw(route, route.path, { refreshToken }, {}, false);
        if (res.status === 401 || res.status === 400 || res.status === 403) throw new SessionExpired('The session has expired; please sign in again');
        const tokens = this.checked(route, route.path, res);
        this.tokens.saveTokens(tokens.accessToken, tokens.refreshToken);
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async login(username: string, password: string): Promise<LoginResponse> {
    const route = apiRoutes.login;
    const res = await this.raw(route, route.path, { username, password }, {}, false);
    if (res.status === 401) throw new ServerRefused(401, 'Wrong username or password', res.json);
    if (res.status === 429) throw new ServerRefused(429, 'Too many failed sign-ins; wait a minute and try again', res.json);
    const seen = this.lastFingerprint;
    const answer = this.checked(route, route.path, res);
    if (this.tls && this.pin.expected() === null) {
      // Trust on first use, by an admin only: their sign-in pins the certificate it went over.
      if (answer.user.role !== 'admin' || seen === null) throw new ServerCertificateRefused(notYetTrustedMessage);
      this.pin.save(seen);
    }
    return answer;
  }

  /** Sign-out: the server ends the refresh token (an access token lapses by itself within minutes). */
  async logout(refreshToken: string): Promise<void> {
    const route = apiRoutes.logout;
    const res = await this.raw(route, route.path, { refreshToken }, {}, false);
    this.checked(route, route.path, res, null);
  }

  /**
   * One page of the change log as the server's bytes: errors are told apart here, a good answer
   * is read and checked where it is applied, on the cache thread (sync/pulledPage.ts), so that a
   * 2,000-row page never costs this thread its parse.
   */
  async pull(since: string | null, limit: number): Promise<PulledAnswer> {
    return { bytes: await this.pullBytes(since, limit), path: pullPath(since, limit) };
  }

  /**
   * One page of the change log as the server's bytes, undecoded: a first download hands them
   * to its own thread (sync/firstDownload), which decodes and checks them there.
   */
  async pullBytes(since: string | null, limit: number): Promise<Buffer> {
    const path = pullPath(since, limit);
    const res = await this.authorized(apiRoutes.pull, path);
    // Errors are told apart as for every other call; a good answer stays bytes.
    if (res.status >= 400) this.checked(apiRoutes.pull, path, { status: res.status, json: answerJson('GET', path, res.status, res.bytes.toString('utf8')) }, null);
    return res.bytes;
  }

  /**
   * Write a part of a first-download snapshot (shared/sync/snapshot.ts) to `file`, sealed with
   * `seal`, as it arrives. Parts are tens of megabytes: they come in on a thread of their own
   * (firstDownload/snapshotFetch.ts), so neither this thread's memory nor its event loop holds
   * them. Null when the server does not offer snapshots (an older server: 404; a store without
   * them: 501), or when that thread cannot start: the first download then walks the change log.
   */
  async snapshotTo(file: string, after: string | null, limit: number, seal: SnapshotSeal): Promise<SnapshotPart | null> {
    const path = pathOf(apiRoutes.snapshot, {}, { limit, after });
    let res = await this.snapshotRequest(path, file, seal);
    if (res === null) return null;
    if (res.status === 401) {
      await this.refresh();
      res = await this.snapshotRequest(path, file, seal);
      if (res === null) return null;
      if (res.status === 401) throw new SessionExpired('The server no longer accepts this session; please sign in again');
    }
    if (res.status !== 200) {
      if (res.status === 404 || res.status === 501) return null;
      this.checked(apiRoutes.snapshot, path, { status: res.status, json: answerJson('GET', path, res.status, res.text) }, null);
      throw new BadServerAnswer(`Unexpected answer ${res.status} to GET ${path}`);
    }
    const header = (name: string) => res.headers[name] ?? null;
    const cursor = header(snapshotHeaders.cursor) ?? '';
    const next = header(snapshotHeaders.next);
    const total = header(snapshotHeaders.total);
    if (!/^\d{1,15}$/.test(cursor) || (next !== null && !/^\d{1,15}$/.test(next)) || (total !== null && !/^\d{1,15}$/.test(total))) {
      throw new BadServerAnswer(`Unexpected snapshot headers from GET ${path}: cursor "${cursor}", next "${next}", total "${total}"`);
    }
    const timing = /snapshot;dur=(\d+)/.exec(header('server-timing') ?? '');
    return { bytes: res.bytes, serverMs: timing ? Number(timing[1]) : null, cursor, next, total: total === null ? null : Number(total) };
  }

  /** One snapshot request on the snapshot thread; null when that thread cannot run here. */
  private async snapshotRequest(path: string, file: string, seal: SnapshotSeal) {
    this.requireTrust(apiRoutes.snapshot);
    let answer: SnapshotFetchAnswer;
    try {
      answer = await this.snapshots.fetch({ url: `${this.http.defaults.baseURL}${path}`, token: this.tokens.accessToken(), pin: this.pin.expected(), file, seal, timeoutMs: this.timeoutMs });
    } catch (err) {
      if (!(err instanceof SnapshotThreadClosed)) this.onSnapshotThreadLost?.(err as Error);
      return null;
    }
    this.wire.requests++;
    if (answer.kind === 'unreachable') {
      throw answer.certificate ? new ServerCertificateRefused(answer.message) : new ServerUnreachable(`Cannot reach the clinic server at ${this.baseUrl}: ${answer.message}`);
    }
    this.wire.bytesReceived += answer.bytes;
    if (answer.kind === 'broken') throw new ServerUnreachable(`The snapshot from ${this.baseUrl} broke off after ${answer.bytes} bytes: ${answer.message}`);
    return answer;
  }

  /** The snapshot thread ends (sign-out, shutdown); a later first download starts it again. */
  endSnapshots(): void {
    this.snapshots.close();
  }

  async push(request: PushRequest): Promise<PushResponse> {
    return this.call(apiRoutes.push, apiRoutes.push.path, request);
  }

  async listCollection(collection: CollectionName): Promise<AnyRow[]> {
    const route = collectionRoutes[collection].list;
    return this.call(route, pathOf(route));
  }

  async getRow(collection: CollectionName, id: string): Promise<AnyRow> {
    const route = collectionRoutes[collection].get;
    return this.call(route, pathOf(route, { id }));
  }

  async health(): Promise<boolean> {
    const res = await this.raw(apiRoutes.health, apiRoutes.health.path, undefined, {}, false);
    return res.status === 200;
  }

  async audit(limit?: number) {
    // No limit (or 0): the server's default.
    return this.call(apiRoutes.audit, pathOf(apiRoutes.audit, {}, { limit: limit || undefined }));
  }

  async serverInfo() {
    return this.call(apiRoutes.serverInfo, apiRoutes.serverInfo.path);
  }

  /** The created user as the admin screen shows it (its public fields). */
  async createUser(input: Record<string, unknown>): Promise<PublicUser> {
    return publicUser.parse(await this.call(apiRoutes.createUser, apiRoutes.createUser.path, input));
  }

  async updateUser(id: string, baseVersion: number, changes: Record<string, unknown>): Promise<AnyRow> {
    const route = collectionRoutes.users.update;
    return this.call(route, pathOf(route, { id }), changes, { 'if-match': String(baseVersion) });
  }

  /**
   * The live channel: its address (`withChanges` asks for pokes that carry the changes), the
   * token for its first message, and over wss the same pinned certificate as every request.
   */
  liveTarget(withChanges: boolean): LiveTarget {
    const u = new URL(this.baseUrl.replace(/\/+$/, '') + apiRoutes.live.path);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (withChanges) u.searchParams.set(liveChangesParam, '1');
    const options: ClientOptions | undefined = this.tls
      ? { createConnection: pinnedConnect(this.pin, true) as unknown as ClientOptions['createConnection'] }
      : undefined;
    return { url: u.toString(), token: this.tokens.accessToken(), ...(options ? { options } : {}) };
  }
}

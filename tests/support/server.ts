/**
 * A real clinic server for tests: fresh temp data dir, 127.0.0.1 on a free port, quiet logger,
 * a signed-in admin, and `createUser(role)` for sessions of other roles.
 *
 *   const server = await startTestServer();
 *   const { session } = await server.createUser('receptionist');
 *   const res = await request(server.url, 'GET', '/api/patients', { token: session.accessToken });
 *   await server.close();
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { PublicUser, Role } from '../../shared/domain/collections';
import { startClinicServer, type ClinicServer } from '../../server/app';
import { createTestSchema, postgresUrlForTests, type StoreKind, type TestSchema } from './stores';

export interface Session {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
}

/** Tests read JSON answers loosely and assert on what they need. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  body: T;
  headers: Headers;
  /** The raw text, for answers that are not JSON. */
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (malformed JSON, huge bodies); content-type defaults to application/json. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * Certificates of the test servers that speak TLS, by origin: requests to them trust exactly that
 * certificate (as a pinned terminal does), nothing else.
 */
const testCertificates = new Map<string, string>();

/** A request over https to a test server with its own self-signed certificate (fetch cannot be told to trust one). */
function httpsRequest(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string; headers: Headers }> {
  const ca = testCertificates.get(url.origin);
  if (!ca) throw new Error(`no test certificate known for ${url.origin}`);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: h });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One HTTP request against the server; never throws on a status code. */
export async function request<T = Json>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const url = new URL(path, baseUrl);
  const res = url.protocol === 'https:' ? await httpsRequest(url, method, headers, body) : await fetch(url, { method, headers, body });
  const text = typeof res.text === 'string' ? res.text : await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

/** A request function bound to a server and a session. */
export function clientFor(baseUrl: string, session?: Session | { accessToken: string }) {
  const token = session?.accessToken;
  return {
    get: <T = Json>(path: string, headers?: Record<string, string>) => request<T>(baseUrl, 'GET', path, { token, headers }),
    post: <T = Json>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>(baseUrl, 'POST', path, { token, body, headers }),
    patch: <T = Json>(path: string, body: unknown, ifMatch?: number | string, headers?: Record<string, string>) =>
      request<T>(baseUrl, 'PATCH', path, { token, body, headers: { ...(ifMatch !== undefined ? { 'if-match': String(ifMatch) } : {}), ...headers } }),
    del: <T = Json>(path: string, headers?: Record<string, string>) => request<T>(baseUrl, 'DELETE', path, { token, headers }),
    request: <T = Json>(method: string, path: string, options: Omit<RequestOptions, 'token'> = {}) => request<T>(baseUrl, method, path, { ...options, token }),
  };
}
export type ApiClient = ReturnType<typeof clientFor>;

export async function login(baseUrl: string, username: string, password: string): Promise<Session> {
  const res = await request(baseUrl, 'POST', '/api/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${res.text}`);
  return res.body as Session;
}

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  /** The PostgreSQL URL (with its test schema) when the server runs on PostgreSQL: start another instance on it. */
  databaseUrl: string | undefined;
  admin: Session;
  adminPassword: string;
  /** The running server (its store, bootstrap and demo summary). */
  server: ClinicServer;
  /** A client signed in as admin. */
  api: ApiClient;
  createUser(role: Role, username?: string): Promise<{ user: PublicUser & { version: number; active: boolean }; password: string; session: Session }>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  demo?: boolean;
  /** Reuse a data dir (restart tests); by default a fresh temp dir that close() removes. */
  dataDir?: string;
  logLevel?: string;
  adminPassword?: string;
  /** A `postgres://` URL selects the PostgreSQL store (see tests/support/stores.ts). */
  databaseUrl?: string;
  /**
   * 'sqlite' (default): the data dir. 'postgres': a fresh schema on DATABASE_URL that close() drops
   * (unless `databaseUrl` is given: then that one, left in place for the caller).
   */
  store?: StoreKind;
  /** Live-channel heartbeat interval (default 15 s). */
  liveHeartbeatMs?: number;
  /** Default 0 (a free port); a restart test gives the previous one. */
  port?: number;
  /**
   * scrypt cost of new password hashes (log2 N). Test servers use 14 unless told otherwise: the
   * product's OWASP cost (17) takes about a second a hash on these machines, and the suites sign in
   * hundreds of users. tests/integration/server-hardening.test.ts checks the product's default.
   */
  passwordHashLog2N?: number;
  /** Speak TLS (a self-signed certificate made in the data dir) although the server is on loopback. */
  tls?: boolean;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'clinic-server-test-')));
  const adminPassword = options.adminPassword ?? 'admin-test-password';
  let ownSchema: TestSchema | null = null;
  let databaseUrl = options.databaseUrl;
  if (options.store === 'postgres' && databaseUrl === undefined) {
    const base = postgresUrlForTests();
    if (!base) throw new Error("startTestServer({ store: 'postgres' }) needs DATABASE_URL");
    ownSchema = await createTestSchema(base);
    databaseUrl = ownSchema.url;
  }
  const server = await startClinicServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    dataDir,
    adminPassword,
    demo: options.demo ?? false,
    databaseUrl,
    liveHeartbeatMs: options.liveHeartbeatMs,
    passwordHashLog2N: options.passwordHashLog2N ?? 14,
    tls: options.tls ?? false,
    logLevel: options.logLevel ?? process.env.CLINIC_TEST_LOG_LEVEL ?? 'silent',
  }).catch(async (error: unknown) => {
    await ownSchema?.drop();
    throw error;
  });
  const url = server.url;
  if (server.tls) testCertificates.set(new URL(url).origin, await readFile(server.tls.certFile, 'utf8'));
  const admin = await login(url, 'admin', adminPassword);
  let counter = 0;
  let closed = false;
  return {
    url,
    port: server.port,
    dataDir,
    databaseUrl,
    admin,
    adminPassword,
    server,
    api: clientFor(url, admin),
    async createUser(role, username) {
      counter += 1;
      const name = username ?? `${role}-${counter}-${randomUUID().slice(0, 8)}`;
      const password = `pw-${randomUUID()}`;
      const res = await request(url, 'POST', '/api/users', {
        token: admin.accessToken,
        body: { username: name, displayName: `Test ${role} ${counter}`, role, password },
      });
      if (res.status !== 201) throw new Error(`createUser ${name} failed: ${res.status} ${res.text}`);
      const session = await login(url, name, password);
      return { user: res.body, password, session };
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      await ownSchema?.drop();
    },
  };
}

/** Stands for the object `current()` returns when a property is read, so it can be named before it exists. */
function lateBound<T extends object>(current: () => T): T {
  return new Proxy({} as T, { get: (_, key) => Reflect.get(current(), key) });
}

/** A test server for the length of `run`, closed however it ends (e.g. a server reopened on kept storage). */
export async function withTestServer(options: TestServerOptions, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

/**
 * The head of a server suite: one test server for the enclosing describe block, started before
 * its tests (ahead of the block's own before hooks) and closed after them. `server` and `api`
 * (signed in as admin) may be named at once and used from the hooks and tests on; `staff` signs in
 * a new user of a role.
 *
 *   for (const store of storesUnderTest()) describe(store, () => {
 *     const { server, api, staff } = serverPerSuite({ store });
 *     let reception: ApiClient;
 *     before(async () => { reception = (await staff('receptionist')).api; });
 */
export function serverPerSuite(options: TestServerOptions = {}) {
  let started: TestServer | null = null;
  before(async () => {
    started = await startTestServer(options);
  });
  after(() => started?.close());
  const current = (): TestServer => {
    if (!started) throw new Error('the suite server starts in before(): use it from hooks and tests');
    return started;
  };
  return {
    server: lateBound(current),
    api: lateBound(() => current().api),
    async staff(role: Role, username?: string): Promise<{ api: ApiClient; id: string; user: Awaited<ReturnType<TestServer['createUser']>> }> {
      const user = await current().createUser(role, username);
      return { api: clientFor(current().url, user.session), id: user.user.id, user };
    },
  };
}

export type SuiteServer = ReturnType<typeof serverPerSuite>;

/**
 * What a suite's tests share (its staff, patients, tokens), made once in a before hook that runs
 * after the suite server's, and named at once: `const clinic = setUpPerSuite(async () => ({ ... }))`,
 * then `clinic.patientId` in the hooks and tests on.
 */
export function setUpPerSuite<T extends object>(make: () => Promise<T>): T {
  let made: T | null = null;
  before(async () => {
    made = await make();
  });
  return lateBound(() => {
    if (!made) throw new Error('the suite set-up is made in before(): use it from hooks and tests');
    return made;
  });
}

/**
 * A test server that a test takes down and brings back on the same data dir and port (outages,
 * restarts): `first` is the test server as started, `restart()` starts the clinic server again
 * where it was, and `close()` (in the test's finally) stops whichever runs and removes the data dir.
 */
export async function restartableTestServer(): Promise<{ first: TestServer; restart(): Promise<ClinicServer>; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'clinic-server-restarts-'));
  const first = await startTestServer({ dataDir });
  let again: ClinicServer | null = null;
  return {
    first,
    async restart() {
      await again?.close();
      again = await startClinicServer({ host: '127.0.0.1', port: first.port, dataDir, adminPassword: first.adminPassword, logLevel: 'silent' });
      return again;
    },
    async close() {
      await first.close();
      await again?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The clinic server: Fastify with the store, auth, the collection routes, sync and the live
 * channel. `startClinicServer` is what `npm run server` and the tests call.
 */
import { resolve } from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { CollectionName } from '../shared/domain/collections';
import { ensureAdmin, type BootstrapResult } from './auth/bootstrap';
import { FailedLoginSummary } from './auth/failedLogins';
import { OWASP_SCRYPT_LOG2_N, PasswordHasher } from './auth/passwords';
import { loadSigningKey, SIGNING_KEY_ENV, watchSigningKey } from './auth/signingKey';
import { LoginThrottle } from './auth/throttle';
import { TokenIssuer } from './auth/tokens';
import { DEMO_ADMIN_ID } from './demo/constants';
import type { DemoSummary } from './demo/clinic';
import type { LogFormat } from './config/flags';
import type { ServerContext } from './http/context';
import { BODY_LIMIT_BYTES, installErrorHandler } from './http/errors';
import { installAuthGuard } from './http/guard';
import { refuseNulText } from './http/nul-text';
import { loggerOptions } from './http/logger';
import { LiveHub } from './live/hub';
import { healthRoutes } from './ops/health';
import { ServerMetrics } from './ops/metrics';
import { refuseRestoredAwayCursors } from './ops/restoredCursors';
import { auditRoutes } from './routes/audit';
import { serverInfoRoutes } from './routes/serverInfo';
import { loadServerTls, wantsTls, type ServerTls } from './tls/certificate';
import { authRoutes } from './routes/auth';
import { rowRoutes } from './routes/rows';
import { syncRoutes } from './routes/sync';
import { userRoutes } from './routes/users';
import { PostgresStore } from './store/postgres';
import { SqliteClinicStore } from './store/sqlite';
import { serveUpdates } from './updates/serveUpdates';
import { ChangePulls } from './sync/changePulls';
import type { ClinicStore } from './store/types';

export interface ClinicServerOptions {
  host?: string;
  /** 0 picks a free port. Default 4780. */
  port?: number;
  dataDir?: string;
  /** `postgres://...` selects the PostgreSQL store. */
  databaseUrl?: string;
  /** Fill an empty store with the demo clinic. */
  demo?: boolean;
  /** The first admin's password; generated (and reported) when absent. */
  adminPassword?: string;
  /** pino level, or 'silent'. Default 'info'. */
  logLevel?: string;
  /** pino's JSON lines (default) or pino-pretty's readable lines. */
  logFormat?: LogFormat;
  /** When set, GET /metrics asks for `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Where an admin drops installers and latest*.yml (default <dataDir>/updates, or CLINIC_UPDATES_DIR). */
  updatesDir?: string;
  /** Live-channel heartbeat interval; default 15 s (tests shorten it). */
  liveHeartbeatMs?: number;
  /**
   * The access-token signing key (base64url, at least 32 bytes); default CLINIC_JWT_KEY, else the
   * key file in the data dir (server/auth/signingKey.ts).
   */
  signingKey?: string;
  /** log2 of scrypt's N for new password hashes: OWASP's 17 unless a test asks for less. */
  passwordHashLog2N?: number;
  /** PEM files of the certificate to speak TLS with (`--tls-cert`/`--tls-key`). */
  tlsCert?: string;
  tlsKey?: string;
  /** Speak TLS on loopback too (off loopback it always does, unless insecureHttp). */
  tls?: boolean;
  /** Plain http off loopback (`--insecure-http`): the start line says so. */
  insecureHttp?: boolean;
}

export interface ClinicServer {
  url: string;
  port: number;
  host: string;
  store: ClinicStore;
  /** What first start did (admin created, generated password). */
  bootstrap: BootstrapResult;
  demo: DemoSummary | null;
  /** The certificate it speaks TLS with, or null on plain http. */
  tls: Omit<ServerTls, 'key' | 'cert'> | null;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {}

/** Every 403 goes to the audit log: who was refused what, where. */
function auditForbidden(store: ClinicStore, request: FastifyRequest, message: string): Promise<void> {
  const actor = request.actor;
  const collection = (request.routeOptions.config as { collection?: CollectionName } | undefined)?.collection ?? null;
  const id = (request.params as { id?: unknown } | undefined)?.id;
  return store.write((tx) =>
    tx.appendAudit({
      userId: actor?.id ?? null,
      username: actor?.username ?? null,
      action: 'forbidden',
      collection,
      rowId: typeof id === 'string' && id.length <= 100 ? id : null,
      detail: `${request.method} ${request.url.split('?')[0]!.slice(0, 200)}: ${message}`,
    }),
  );
}

export async function openStore(options: { dataDir?: string; databaseUrl?: string }): Promise<ClinicStore> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    try {
      return new PostgresStore(url);
    } catch (error) {
      throw new StoreUnavailableError(`DATABASE_URL: ${(error as Error).message}`);
    }
  }
  return new SqliteClinicStore({ dataDir: resolve(options.dataDir ?? './data') });
}

export async function startClinicServer(options: ClinicServerOptions = {}): Promise<ClinicServer> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir ?? './data');
  // The certificate first: a wrong --tls-cert stops the start before the store is touched.
  const tlsChoice = { host, certFile: options.tlsCert, keyFile: options.tlsKey, tls: options.tls, insecureHttp: options.insecureHttp };
  const tls = wantsTls(tlsChoice) ? await loadServerTls({ dataDir, host, certFile: options.tlsCert, keyFile: options.tlsKey }) : null;
  const store = await openStore(options);
  await store.migrate();

  let bootstrap: BootstrapResult;
  let demo: DemoSummary | null = null;
  const adminPassword = options.adminPassword ?? process.env.CLINIC_ADMIN_PASSWORD ?? undefined;
  const passwords = new PasswordHasher(options.passwordHashLog2N ?? OWASP_SCRYPT_LOG2_N);
  if (options.demo && (await store.countUsers()) === 0) {
    bootstrap = await ensureAdmin(store, adminPassword, DEMO_ADMIN_ID, passwords);
    // Two instances started with --demo at once on one store: only the one whose transaction
    // created the admin seeds. faker is loaded only here (350-400 ms, 40 MB).
    if (bootstrap.created) demo = await (await import('./demo/clinic')).seedDemoClinic(store, DEMO_ADMIN_ID, new Date(), passwords);
  } else {
    bootstrap = await ensureAdmin(store, adminPassword, undefined, passwords);
  }

  // On PostgreSQL, failed sign-ins are counted in the database, so every instance sees them.
  const throttle = store instanceof PostgresStore ? new LoginThrottle((o) => store.sharedRateLimiter(o)) : new LoginThrottle();
  const signingKey = await loadSigningKey({ dataDir, store, envKey: options.signingKey ?? process.env[SIGNING_KEY_ENV] });
  const tokens = await TokenIssuer.open(signingKey.secret);
  const logLevel = options.logLevel ?? 'info';
  const app: FastifyInstance = (Fastify as unknown as (o: FastifyServerOptions & { https?: object }) => FastifyInstance)({
    ...(tls ? { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' } } : {}),
    bodyLimit: BODY_LIMIT_BYTES,
    logger: loggerOptions(logLevel, options.logFormat ?? 'json'),
    // Request lines only at debug: at info the log holds refusals, errors and lifecycle.
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    forceCloseConnections: false,
    return503OnClosing: true,
  });
  const failedLogins = new FailedLoginSummary(store, (err) => app.log.error({ err }, 'writing the failed sign-in summary failed'));
  const ctx: ServerContext = { store, tokens, throttle, passwords, failedLogins };
  // A rotated key file (npm run rotate-key) takes effect without a restart.
  const stopWatchingKey = signingKey.file
    ? watchSigningKey(
        signingKey.file,
        (secret) => void tokens.replaceKey(secret).then(() => app.log.info('the signing key file changed: new access tokens use the new key')),
        (err) => app.log.error({ err }, 'the rotated signing key could not be read; the previous key stays in use'),
      )
    : () => {};
  app.addHook('onClose', async () => {
    stopWatchingKey();
    await failedLogins.close();
  });
  installErrorHandler(app, (request, message) => auditForbidden(store, request, message));
  refuseNulText(app);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  installAuthGuard(app, ctx);
  // One reader of the change log for pulls and live updates, so both share each page read.
  const pulls = new ChangePulls(store);
  app.addHook('onClose', async () => pulls.close());
  const hub = new LiveHub(ctx, pulls, options.liveHeartbeatMs);
  const metrics = new ServerMetrics({ terminals: () => hub.size, backlog: () => hub.backlog() });
  const unwatch = await metrics.watchStore(store);
  app.addHook('onClose', async () => unwatch());
  metrics.routes(app, options.metricsToken);
  healthRoutes(app, store);
  await refuseRestoredAwayCursors(app, store);
  hub.routes(app);
  authRoutes(app, ctx);
  userRoutes(app, ctx);
  rowRoutes(app, ctx);
  syncRoutes(app, ctx, pulls);
  auditRoutes(app, ctx);
  serverInfoRoutes(app, { tls: tls ? { fingerprint: tls.fingerprint, source: tls.source } : null });
  // The terminals' update feed: files an admin drops into <data-dir>/updates (docs/admin.md).
  await app.register(serveUpdates, { updatesDir: options.updatesDir ?? process.env.CLINIC_UPDATES_DIR ?? resolve(options.dataDir ?? './data', 'updates') });

  // Built before the first request rather than on the clinic's first edit after a start.
  await pulls.warmUp();
  await app.listen({ host, port: options.port ?? 4780 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4780);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    host,
    store,
    bootstrap,
    demo,
    tls: tls ? { fingerprint: tls.fingerprint, source: tls.source, certFile: tls.certFile } : null,
    close() {
      // Stop accepting, say goodbye to live sockets, let in-flight requests finish, then the store.
      closing ??= (async () => {
        hub.close();
        await app.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/**
 * The clinic server: Fastify with the store, auth, the collection routes, sync and the live
 * channel. `startClinicServer` is what `npm run server` and the tests call.
 */
import { resolve } from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ensureAdmin, type BootstrapResult } from './auth/bootstrap';
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
}

export interface ClinicServer {
  url: string;
  port: number;
  host: string;
  store: ClinicStore;
  /** What first start did (admin created, generated password). */
  bootstrap: BootstrapResult;
  demo: DemoSummary | null;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {}

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
  const store = await openStore(options);
  await store.migrate();

  let bootstrap: BootstrapResult;
  let demo: DemoSummary | null = null;
  const adminPassword = options.adminPassword ?? process.env.CLINIC_ADMIN_PASSWORD ?? undefined;
  if (options.demo && (await store.countUsers()) === 0) {
    bootstrap = await ensureAdmin(store, adminPassword, DEMO_ADMIN_ID);
    // Two instances started with --demo at once on one store: only the one whose transaction
    // created the admin seeds. faker is loaded only here (350-400 ms, 40 MB).
    if (bootstrap.created) demo = await (await import('./demo/clinic')).seedDemoClinic(store, DEMO_ADMIN_ID);
  } else {
    bootstrap = await ensureAdmin(store, adminPassword);
  }

  // On PostgreSQL, failed sign-ins are counted in the database, so every instance sees them.
  const throttle = store instanceof PostgresStore ? new LoginThrottle((o) => store.sharedRateLimiter(o)) : new LoginThrottle();
  const ctx: ServerContext = { store, tokens: await TokenIssuer.open(store), throttle };
  const logLevel = options.logLevel ?? 'info';
  const app: FastifyInstance = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: loggerOptions(logLevel, options.logFormat ?? 'json'),
    // Request lines only at debug: at info the log holds refusals, errors and lifecycle.
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    forceCloseConnections: false,
    return503OnClosing: true,
  });
  installErrorHandler(app);
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
  // The terminals' update feed: files an admin drops into <data-dir>/updates (docs/admin.md).
  await app.register(serveUpdates, { updatesDir: options.updatesDir ?? process.env.CLINIC_UPDATES_DIR ?? resolve(options.dataDir ?? './data', 'updates') });

  await app.listen({ host, port: options.port ?? 4780 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4780);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    store,
    bootstrap,
    demo,
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

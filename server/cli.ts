/**
 * `npm run server -- [--port 4780] [--host 127.0.0.1] [--data-dir ./data] [--demo] [--log-level info] [--updates-dir <dir>]
 *   [--tls-cert <pem> --tls-key <pem>] [--tls] [--insecure-http]`
 * Off loopback the server speaks TLS (server/tls/certificate.ts) unless --insecure-http.
 * DATABASE_URL=postgres://... selects the PostgreSQL store; CLINIC_ADMIN_PASSWORD sets the first
 * admin's password (otherwise one is generated and printed once).
 */
import { parseArgs } from 'node:util';
import { startClinicServer, StoreUnavailableError } from './app';
import { DEMO_PASSWORD } from './demo/clinic';
import { SigningKeyError } from './auth/signingKey';
import { describeTransport, TlsSetupError } from './tls/certificate';

function fail(message: string): never {
  console.error(`clinic server: ${message}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '4780' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: './data' },
      demo: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      'updates-dir': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      tls: { type: 'boolean', default: false },
      'insecure-http': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\nusage: npm run server -- [--port 4780] [--host 127.0.0.1] [--data-dir ./data] [--demo]`);
}
if (args.help) {
  console.log('usage: npm run server -- [--port 4780] [--host 127.0.0.1] [--data-dir ./data] [--demo] [--log-level info] [--updates-dir <dir>] [--tls-cert <pem> --tls-key <pem>] [--tls] [--insecure-http]');
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not "${args.port}"`);

let server;
try {
  server = await startClinicServer({
    port,
    host: args.host,
    dataDir: args['data-dir'],
    databaseUrl: process.env.DATABASE_URL,
    demo: args.demo,
    logLevel: args['log-level'],
    updatesDir: args['updates-dir'],
    tlsCert: args['tls-cert'],
    tlsKey: args['tls-key'],
    tls: args.tls,
    insecureHttp: args['insecure-http'],
  });
} catch (error) {
  if (error instanceof StoreUnavailableError || error instanceof TlsSetupError || error instanceof SigningKeyError) fail(error.message);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${port} on ${args.host} is already in use`);
  console.error(error);
  fail(`could not start: ${(error as Error).message}`);
}

const { bootstrap, demo } = server;
if (bootstrap.created) {
  if (bootstrap.generatedPassword) {
    console.log(`first start: created user "admin" with password ${bootstrap.generatedPassword}  (shown once; set CLINIC_ADMIN_PASSWORD to choose it)`);
  } else console.log('first start: created user "admin" with the password from CLINIC_ADMIN_PASSWORD');
}
if (demo) {
  const counts = Object.entries(demo.counts).map(([c, n]) => `${n} ${c}`).join(', ');
  console.log(`demo clinic seeded in ${demo.millis} ms: ${counts}`);
} else if (args.demo) console.log('--demo: the store already has data, so no demo was added');
if (args.demo) console.log(`demo users (password ${DEMO_PASSWORD}): dr.adams dr.baker dr.chen asst.diaz asst.evans desk.fischer desk.garcia`);
for (const line of describeTransport(server.tls, args.host, args['insecure-http'])) console.log(line);
console.log(`clinic server (${server.store.description}) listening on ${server.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing connections and the store...`);
    server
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  });
}

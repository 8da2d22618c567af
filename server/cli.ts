/**
 * `npm run server -- [flags]`, `npm run server -- backup <file>`, `npm run server -- restore <file>`,
 * `npm run server -- rotate-key`. Off loopback the server speaks TLS (server/tls/certificate.ts)
 * unless --insecure-http.
 * Every flag is also an environment variable (config/flags.ts; `--help` lists them).
 * CLINIC_ADMIN_PASSWORD sets the first admin's password (otherwise one is generated and printed once).
 * Runs as compiled JavaScript (dist-server/cli.js, built by scripts/build-server.mjs).
 */
import { startClinicServer, StoreUnavailableError } from './app';
import { readServerConfig, usage, UsageError, type ServerCommand, type ServerConfig } from './config/flags';
import { DEMO_PASSWORD } from './demo/constants';
import { backupStore, restoreStore } from './maintenance/backup';
import { rotateSigningKey, SigningKeyError, SIGNING_KEY_ENV } from './auth/signingKey';
import { describeTransport, TlsSetupError } from './tls/certificate';

function fail(message: string): never {
  console.error(`clinic server: ${message}`);
  process.exit(2);
}

let command: ServerCommand;
let config: ServerConfig;
try {
  ({ command, config } = readServerConfig(process.argv.slice(2), process.env));
} catch (error) {
  if (error instanceof UsageError) fail(`${error.message}\n${usage()}`);
  throw error;
}

switch (command.command) {
  case 'help':
    console.log(usage());
    process.exit(0);
    break;
  case 'backup':
    await maintenance(async () => {
      const report = await backupStore(config, command.file);
      console.log(`backup written to ${report.file} (${report.bytes} bytes, change log up to ${report.head})`);
    });
    break;
  case 'restore':
    await maintenance(async () => {
      const report = await restoreStore(config, command.file);
      console.log(`restored ${report.file}: change log up to ${report.restoredHead}; new changes continue after ${report.resumesAfter}`);
      if (report.keptAs) console.log(`the replaced store was kept as ${report.keptAs} (delete it once the restore is checked)`);
      console.log('terminals that synced later changes download everything again at their next pull');
    });
    break;
  case 'rotate-key':
    await maintenance(async () => {
      if (process.env[SIGNING_KEY_ENV]) console.log(`note: ${SIGNING_KEY_ENV} is set in this shell; a server started with it ignores the key file`);
      const file = await rotateSigningKey(config.dataDir);
      console.log(`new signing key written to ${file}; a running server uses it within seconds, and access tokens signed with the old key are refused from then on`);
    });
    break;
  case 'serve':
    await serve(config);
    break;
}

async function maintenance(task: () => Promise<void>): Promise<void> {
  try {
    await task();
    process.exit(0);
  } catch (error) {
    fail((error as Error).message);
  }
}

async function serve(options: ServerConfig): Promise<void> {
  let server;
  try {
    server = await startClinicServer({
      port: options.port,
      host: options.host,
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      demo: options.demo,
      logLevel: options.logLevel,
      logFormat: options.logFormat,
      updatesDir: options.updatesDir,
      metricsToken: options.metricsToken,
      tlsCert: options.tlsCert,
      tlsKey: options.tlsKey,
      tls: options.tls,
      insecureHttp: options.insecureHttp,
    });
  } catch (error) {
    if (error instanceof StoreUnavailableError || error instanceof TlsSetupError || error instanceof SigningKeyError) fail(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${options.port} on ${options.host} is already in use`);
    console.error(error);
    fail(`could not start: ${(error as Error).message}`);
  }

  // These few lines are for the person starting the server (the generated password is shown
  // once, never logged); everything after goes to the log in --log-format.
  const { bootstrap, demo } = server;
  if (bootstrap.created) {
    if (bootstrap.generatedPassword) {
      console.log(`first start: created user "admin" with password ${bootstrap.generatedPassword}  (shown once; set CLINIC_ADMIN_PASSWORD to choose it)`);
    } else console.log('first start: created user "admin" with the password from CLINIC_ADMIN_PASSWORD');
  }
  if (demo) {
    const counts = Object.entries(demo.counts).map(([c, n]) => `${n} ${c}`).join(', ');
    console.log(`demo clinic seeded in ${demo.millis} ms: ${counts}`);
  } else if (options.demo) console.log('--demo: the store already has data, so no demo was added');
  if (options.demo) console.log(`demo users (password ${DEMO_PASSWORD}): dr.adams dr.baker dr.chen asst.diaz asst.evans desk.fischer desk.garcia`);
  for (const line of describeTransport(server.tls, options.host, options.insecureHttp)) console.log(line);
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
}

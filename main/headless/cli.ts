/**
 * `npm run terminal -- --server <url> --data-dir <dir> --port <p> [--name <terminal name>]`
 * A terminal without Electron: the core plus the renderer served to a browser on this machine.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { createTerminal, type Terminal } from '../terminal';
import { startHeadlessTransport } from './transport';

const usage = 'usage: npm run terminal -- --server <url> --data-dir <dir> --port <port> [--name <terminal name>] [--server-fingerprint <SHA-256>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      server: { type: 'string' },
      'server-fingerprint': { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const port = Number(args.port ?? '4781');
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not ${args.port}`);

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} terminal: ${line}\n`);
let core: Terminal;
try {
  core = createTerminal({
    dataDir: resolve(args['data-dir'] ?? './data/terminal'),
    ...(args.server ? { serverUrl: args.server } : {}),
    ...(args['server-fingerprint'] ? { serverFingerprint: args['server-fingerprint'] } : {}),
    ...(args.name ? { terminalName: args.name } : {}),
    log,
  });
} catch (err) {
  fail(`cannot start the terminal: ${(err as Error).message}`);
}
core.start();
const transport = await startHeadlessTransport({
  core,
  rendererDir: join(import.meta.dirname, '..', '..', 'renderer', 'dist'),
  port,
  log,
}).catch((err: Error) => fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`));
// The token in the fragment is this launch's secret: whoever opens this address may drive the terminal.
process.stdout.write(`terminal on ${transport.openUrl} (server ${core.settings().serverUrl})\n`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  await transport.close();
  await core.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

/**
 * `npm start`: the demo clinic on this machine. Starts the clinic server with demo data
 * (./data/server, port 4780), builds the renderer if needed, then opens the desktop app. Where
 * Electron's binary is missing (it cannot be downloaded here), the same UI is served to the
 * browser by a headless terminal on port 4781 (./data/terminal). Ctrl-C stops everything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClinicServer, type ClinicServer } from '../server/app';
import { DEMO_PASSWORD, demoStaff } from '../server/demo/clinic';
import { createTerminal, type Terminal } from '../main/terminal';
import { startHeadlessTransport, type HeadlessTerminal } from '../main/headless/transport';

const root = join(import.meta.dirname, '..');
const rendererDist = join(root, 'renderer', 'dist');
const say = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

/** Electron's executable, when its binary was downloaded at install time (never require('electron'): it would try to download). */
function electronBinary(): string | null {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function run(what: string, command: string, args: string[]): void {
  say(what);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal})`);
}

/**
 * A copy of better-sqlite3-multiple-ciphers (the terminal's encrypted cache) compiled for
 * Electron's ABI in .electron-native/, handed to the core through CLINIC_SQLITE_NATIVE_BINDING, so
 * the Node build in node_modules (tests, headless terminal) stays.
 */
function electronSqliteBinding(): string {
  const target = join(root, '.electron-native', 'better_sqlite3_multiple_ciphers.node');
  if (existsSync(target)) return target;
  const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  const work = join(root, '.electron-native', 'better-sqlite3-multiple-ciphers');
  cpSync(join(root, 'node_modules', 'better-sqlite3-multiple-ciphers'), work, { recursive: true, filter: (src) => !src.includes(`${join('build', 'Release', 'obj')}`) });
  run(`building better-sqlite3-multiple-ciphers for Electron ${electronVersion} (once)`, 'npx', [
    'node-gyp', 'rebuild', '--directory', work, '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers',
  ]);
  mkdirSync(join(root, '.electron-native'), { recursive: true });
  copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  return target;
}

let server: ClinicServer;
try {
  server = await startClinicServer({ demo: true, dataDir: join(root, 'data', 'server'), port: 4780, logLevel: 'warn', logFormat: 'pretty' });
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail('port 4780 is already in use; is another clinic server running?');
  throw err;
}
if (server.bootstrap.created) {
  say(
    server.bootstrap.generatedPassword
      ? `first start: created user "admin" with password ${server.bootstrap.generatedPassword}  (shown once; set CLINIC_ADMIN_PASSWORD to choose it)`
      : 'first start: created user "admin" with the password from CLINIC_ADMIN_PASSWORD',
  );
}
say(`clinic server (demo) listening on ${server.url}`);
say(`demo users (password ${DEMO_PASSWORD}): ${demoStaff.map((s) => s.username).join(' ')}`);

if (!existsSync(join(rendererDist, 'index.html'))) run('building the renderer (renderer/dist is missing)', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);

let electron: ChildProcess | null = null;
let core: Terminal | null = null;
let transport: HeadlessTerminal | null = null;
let stopping = false;

async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (electron && electron.exitCode === null) {
      electron.kill('SIGTERM');
      await new Promise((r) => electron!.once('exit', r));
    }
    await transport?.close();
    await core?.close();
    await server.close();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const binary = electronBinary();
if (binary) {
  if (!existsSync(join(root, 'dist-electron', 'main.cjs'))) run('building the Electron shell', 'npm', ['run', 'build:electron']);
  const nativeBinding = electronSqliteBinding();
  say('opening Clinic Desk (Electron)');
  electron = spawn(binary, ['.'], { cwd: root, stdio: 'inherit', env: { ...process.env, CLINIC_SQLITE_NATIVE_BINDING: nativeBinding } });
  electron.once('exit', (code) => void stop(code ?? 0));
} else {
  say("Electron's binary is missing on this machine, so the same UI is served to your browser by a headless terminal instead.");
  core = createTerminal({ dataDir: join(root, 'data', 'terminal'), serverUrl: server.url, terminalName: 'Demo terminal' });
  core.start();
  try {
    transport = await startHeadlessTransport({ core, rendererDir: rendererDist, port: 4781 });
  } catch (err) {
    await core.close();
    await server.close();
    fail(`cannot serve the terminal on 127.0.0.1:4781 (${(err as Error).message})`);
  }
  say(`terminal on ${transport.openUrl}  (open this address, with its #token, in a browser; Ctrl-C stops the server and the terminal)`);
}

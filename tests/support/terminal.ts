/**
 * Test terminals: a real terminal core, either in this process or as a child process running
 * `main/headless/cli.ts` (then reached over its loopback WebSocket, like a browser would, and
 * killable with SIGKILL to simulate a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import WebSocket from 'ws';
import type { EventChannel, InvokeChannel, InvokeRequest, InvokeResponse, IpcEnvelope, WireFrame } from '../../shared/ipc/contract';
import { createTerminal, type Terminal } from '../../main/terminal';
import { isJsonText } from '../../main/ipc/jsonText';
import type { ChangeSourceFactory, SyncSchedule } from '../../main/sync/engine';

export interface TerminalEvent {
  channel: EventChannel;
  payload: unknown;
  at: number;
  /** In-process: whether the core emitted the payload as JSON text (main/ipc/jsonText.ts) rather than as an object. */
  asText?: boolean;
}

export interface TestTerminal {
  dataDir: string;
  mode: 'inprocess' | 'child';
  /** The in-process core (undefined in child mode). */
  core?: Terminal;
  /** Child mode: the address the terminal printed, with its launch token (`#token=...`): what a browser opens. */
  url?: string;
  /** Child mode: the launch token alone. */
  token?: string;
  /** Every event received, in order. */
  events: TerminalEvent[];
  invoke<C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R): Promise<IpcEnvelope<InvokeResponse<C, R>>>;
  /** Raw invoke, for tests that send malformed messages. */
  invokeRaw(channel: string, request: unknown): Promise<IpcEnvelope<unknown>>;
  /** invoke, and throw on an error envelope. */
  call<C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R): Promise<InvokeResponse<C, R>>;
  /** Resolve with the first event (already received or future) matching the predicate. */
  waitForEvent(predicate: (e: TerminalEvent) => boolean, timeoutMs?: number, since?: number): Promise<TerminalEvent>;
  /** Poll until `check` returns true. */
  waitUntil(check: () => Promise<boolean> | boolean, timeoutMs?: number, what?: string): Promise<void>;
  login(username: string, password: string): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
  /** Resolves when a child exits (child mode). */
  exited?: Promise<number | null>;
}

export interface StartTerminalOptions {
  serverUrl: string;
  dataDir?: string;
  port?: number;
  mode: 'inprocess' | 'child';
  /** In process: what takes the server's changes in instead of the puller (the bench's seed behaviour). */
  changeSource?: ChangeSourceFactory;
  /** In process: pokes carry the changes (the core's default) or only say "pull". */
  pokedChanges?: boolean;
  schedule?: Partial<SyncSchedule>;
  /** Extra environment for a child (e.g. CLINIC_TERMINAL_CRASH_AT). */
  env?: Record<string, string>;
  name?: string;
  /** The https server's certificate fingerprint to pin (`--server-fingerprint`). */
  serverFingerprint?: string;
  /** In process: the first download thread's script (default: the core's own). */
  downloadWorker?: string;
  /** In process: the snapshot thread's script (a path that does not exist tests the fallback). */
  snapshotFetchWorker?: string;
  /** In process: the core's support log (default: dropped). */
  log?: (line: string) => void;
}

const root = join(import.meta.dirname, '..', '..');
/** Where child terminals' support logs are kept, one file per terminal. */
export const terminalLogDir = join(root, 'test-results', 'terminal-logs');

function base(dataDir: string, mode: TestTerminal['mode'], invokeRaw: TestTerminal['invokeRaw'], events: TerminalEvent[]) {
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const handle = {
    dataDir,
    mode,
    events,
    invokeRaw,
    invoke: ((channel: string, request: unknown) => invokeRaw(channel, request)) as TestTerminal['invoke'],
    async call(channel: InvokeChannel, request: unknown) {
      const r = await invokeRaw(channel, request);
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
      return r.value as never;
    },
    waitForEvent(predicate: (e: TerminalEvent) => boolean, timeoutMs = 10_000, since = 0) {
      return new Promise<TerminalEvent>((resolve, reject) => {
        const check = () => {
          const found = events.slice(since).find(predicate);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition') {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (await check()) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async login(username: string, password: string) {
      await handle.call('session.login', { username, password });
    },
  };
  return { handle, notify };
}

export async function startTerminal(options: StartTerminalOptions): Promise<TestTerminal> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'clinic-terminal-'));
  const events: TerminalEvent[] = [];

  if (options.mode === 'inprocess') {
    const core = createTerminal({
      dataDir,
      serverUrl: options.serverUrl,
      ...(options.name ? { terminalName: options.name } : {}),
      ...(options.serverFingerprint ? { serverFingerprint: options.serverFingerprint } : {}),
      ...(options.changeSource ? { changeSource: options.changeSource } : {}),
      ...(options.pokedChanges !== undefined ? { pokedChanges: options.pokedChanges } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
      ...(options.downloadWorker ? { downloadWorker: options.downloadWorker } : {}),
      ...(options.snapshotFetchWorker ? { snapshotFetchWorker: options.snapshotFetchWorker } : {}),
      log: options.log ?? (() => {}),
    });
    const { handle, notify } = base(dataDir, 'inprocess', (channel, request) => core.invoke(channel, request), events);
    core.onEvent(({ channel, body, payload }) => {
      events.push({ channel, payload, at: performance.now(), asText: isJsonText(body) });
      notify();
    });
    core.start();
    return {
      ...handle,
      core,
      kill: async () => {
        throw new Error('kill() needs mode: child');
      },
      close: () => core.close(),
    };
  }

  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'main/headless/cli.ts'), '--server', options.serverUrl, '--data-dir', dataDir, '--port', String(options.port ?? 0), ...(options.name ? ['--name', options.name] : []), ...(options.serverFingerprint ? ['--server-fingerprint', options.serverFingerprint] : [])],
    { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  // The terminal's support log, kept for a failed run (test-results/ is git-ignored).
  mkdirSync(terminalLogDir, { recursive: true });
  const logFile = createWriteStream(join(terminalLogDir, `${options.name ?? 'terminal'}-${basename(dataDir)}.log`), { flags: 'a' });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    logFile.write(d);
  });
  child.once('exit', () => logFile.end());
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const { port, token } = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /terminal on http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ port: Number(m[1]), token: m[2]! });
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`terminal exited (${code}) before listening:\n${stderr}`)));
    setTimeout(() => reject(new Error(`terminal did not start within 30 s:\n${stderr}`)), 30_000).unref();
  });

  const ws = new WebSocket(`ws://127.0.0.1:${port}/ipc`, ['clinic-ipc', `clinic-token.${token}`], { origin: `http://127.0.0.1:${port}` });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<number, (e: IpcEnvelope<unknown>) => void>();
  let nextId = 1;
  let notifyRef = () => {};
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as WireFrame;
    if (frame.kind === 'result') {
      pending.get(frame.id)?.(frame.envelope);
      pending.delete(frame.id);
    } else if (frame.kind === 'event') {
      events.push({ channel: frame.channel, payload: frame.payload, at: performance.now() });
      notifyRef();
    }
  });
  const lost = () => {
    for (const [id, resolve] of pending) {
      pending.delete(id);
      resolve({ ok: false, error: { code: 'offline', message: 'terminal connection lost' } });
    }
  };
  ws.on('close', lost);
  ws.on('error', () => {});
  const invokeRaw = (channel: string, request: unknown) =>
    new Promise<IpcEnvelope<unknown>>((resolve) => {
      if (ws.readyState !== ws.OPEN) {
        resolve({ ok: false, error: { code: 'offline', message: 'terminal connection lost' } });
        return;
      }
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ kind: 'invoke', id, channel, request } satisfies WireFrame));
    });
  const { handle, notify } = base(dataDir, 'child', invokeRaw, events);
  notifyRef = notify;
  return {
    ...handle,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    token,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      ws.terminate();
    },
    close: async () => {
      ws.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * In-process terminals on one server, one per name (or per set of options), all signed in as one
 * user. Each joins `started` as soon as it runs, so the caller's finally closes it even when a
 * sign-in fails.
 */
export async function signedInTerminals<const T extends readonly (string | (Partial<StartTerminalOptions> & { name: string }))[]>(
  serverUrl: string,
  staff: { user: { username: string }; password: string },
  names: T,
  started: TestTerminal[],
): Promise<{ -readonly [K in keyof T]: TestTerminal }> {
  const terminals: TestTerminal[] = [];
  for (const entry of names) {
    const terminal = await startTerminal({ serverUrl, mode: 'inprocess', ...(typeof entry === 'string' ? { name: entry } : entry) });
    started.push(terminal);
    terminals.push(terminal);
  }
  for (const terminal of terminals) await terminal.login(staff.user.username, staff.password);
  return terminals as { -readonly [K in keyof T]: TestTerminal };
}

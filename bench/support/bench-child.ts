/**
 * A bench process of its own (a group of terminal cores, a crowd of live sockets), driven over
 * child_process IPC: the parent tells it what to do and waits for a message of a given type.
 * A child answers `{type:'failed', error}` when something went wrong; that throws in the parent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface BenchChild<In, Out extends { type: string }> {
  pid: number;
  tell(message: In): void;
  /** The next message of `type` (earlier messages of other types wait in the inbox). */
  next<T extends Out['type']>(type: T, timeoutMs?: number): Promise<Extract<Out, { type: T }>>;
  /** Asks it to exit with `bye`, then kills it if it has not gone within 10 s. */
  close(bye: In): Promise<void>;
}

/** Starts `bench/<script>` with its config as JSON in the environment variable `configEnv`. */
export async function startBenchChild<In, Out extends { type: string }>(script: string, configEnv: string, config: unknown): Promise<BenchChild<In, Out>> {
  // BENCH_CHILD_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p': Node flags for the children only (profiling; NODE_OPTIONS refuses --cpu-prof).
  const flags = process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...flags, '--import', 'tsx', join(root, 'bench', script)], {
    cwd: root,
    env: { ...process.env, [configEnv]: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Out[] = [];
  let wake: (() => void) | null = null;
  let exited = false;
  child.on('message', (m) => {
    inbox.push(m as Out);
    wake?.();
  });
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      wake?.();
      resolve();
    }),
  );
  const next = async <T extends Out['type']>(type: T, timeoutMs = 600_000): Promise<Extract<Out, { type: T }>> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type || m.type === 'failed');
      if (i >= 0) {
        const m = inbox.splice(i, 1)[0]!;
        if (m.type === 'failed') throw new Error(`${script} (pid ${child.pid}): ${(m as unknown as { error: string }).error}`);
        return m as Extract<Out, { type: T }>;
      }
      if (exited) throw new Error(`${script} (pid ${child.pid}) exited before '${type}'`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`${script} (pid ${child.pid}): no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => (clearTimeout(timer), resolve());
      });
      wake = null;
    }
  };
  const handle: BenchChild<In, Out> = {
    pid: child.pid!,
    tell: (message) => void child.send(message as object),
    next,
    close: async (bye) => {
      if (exited) return;
      child.send(bye as object);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
  await next('ready' as Out['type']);
  return handle;
}

/** In the child: its config, which the parent put into `env` as JSON; exits when it is not there. */
export function configFromEnv<Config>(env: string, startedBy: string): Config {
  const config = JSON.parse(process.env[env] ?? 'null') as Config | null;
  if (config === null) {
    console.error(`this process is started by ${startedBy} (${env} is unset)`);
    process.exit(2);
  }
  return config;
}

/** Answers the parent's messages one at a time; an error becomes a `failed` message. */
export function serveParent<In>(handle: (message: In) => Promise<void>): void {
  let chain = Promise.resolve();
  process.on('message', (raw) => {
    chain = chain.then(() =>
      handle(raw as In).catch((error: unknown) => {
        process.send?.({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' });
}

/**
 * Wall-clock milliseconds with a fraction, comparable across processes on one machine (the
 * server's stamps are Date.now(); performance.timeOrigin is the same clock at process start).
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

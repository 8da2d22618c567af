/**
 * The clinic server as a child process (`server/cli.ts`), so that a run can SIGKILL it, freeze it
 * (SIGSTOP/SIGCONT) and start it again on the same data directory, and so that its CPU is not
 * counted against the terminals measured in the bench process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** One signing key for every server this bench run starts. */
const benchSigningKey = randomBytes(32).toString('base64url');
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface ServerProcessOptions {
  dataDir: string;
  adminPassword: string;
  /** Passed to the server as DATABASE_URL (PostgreSQL store). */
  databaseUrl?: string;
  demo?: boolean;
  /** Lines of the server's own log go here (default: dropped, kept in `tail`). */
  log?: (line: string) => void;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** The last lines the server printed, for error messages. */
  tail(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  readonly exited: boolean;
}

export async function startServerProcess(options: ServerProcessOptions, timeoutMs = 60_000): Promise<ServerProcess> {
  // BENCH_SERVER_PROF=<dir>: V8 CPU profiles of the server process (written when it exits cleanly).
  const profile = process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : [];
  const args = [...profile, '--import', 'tsx', join(root, 'server', 'cli.ts'), '--port', '0', '--data-dir', options.dataDir, '--log-level', 'warn'];
  if (options.demo) args.push('--demo');
  // Instances on one database must share the token signing key (server/auth/signingKey.ts).
  const env: NodeJS.ProcessEnv = { ...process.env, CLINIC_ADMIN_PASSWORD: options.adminPassword, CLINIC_JWT_KEY: process.env.CLINIC_JWT_KEY ?? benchSigningKey };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      options.log?.(line);
      const found = /listening on (http:\/\/[^\s"',]+)/.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!.replace(/\/$/, ''));
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening (${code ?? signal}):\n${lines.slice(-20).join('\n')}`));
    });
  });
  const port = Number(new URL(url).port);

  return {
    url,
    port,
    pid: child.pid!,
    tail: () => lines.slice(-20).join('\n'),
    kill: async (signal = 'SIGTERM') => {
      if (exited) return;
      if (signal !== 'SIGKILL') child.kill('SIGCONT');
      child.kill(signal);
      const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(forced);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    get exited() {
      return exited;
    },
  };
}

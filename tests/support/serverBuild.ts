/**
 * The server as it runs in production: compiled by scripts/build-server.mjs, started with plain
 * `node`. Each test process builds its own copy under .tmp/ (inside the repo, so packages resolve
 * from node_modules), so test files running in parallel never replace each other's files.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
let built: Promise<string> | null = null;

/** The compiled cli.js, built once per test process. */
export function compiledServerCli(): Promise<string> {
  built ??= (async () => {
    const outdir = join(root, '.tmp', `dist-server-${process.pid}-${randomBytes(3).toString('hex')}`);
    process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
    await run(process.execPath, [join(root, 'scripts', 'build-server.mjs'), '--outdir', outdir], { cwd: root });
    return join(outdir, 'cli.js');
  })();
  return built;
}

/** Runs `node cli.js ...args` to its end (backup, restore, --help). */
export async function runServerCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = await compiledServerCli();
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

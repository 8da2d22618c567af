/**
 * `npm test`: type-check, the layering rules (.dependency-cruiser.cjs over the whole tree), then every
 * test under tests/ with node's own test runner.
 * Unit and integration files run first; the end-to-end files need the built renderer and
 * Debian's Chromium, so they run last, after `vite build`.
 * Pass folder names to run a subset: `npm test -- unit integration`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const suites = ['unit', 'integration', 'e2e'] as const;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = wanted.length > 0 ? suites.filter((s) => wanted.includes(s)) : [...suites];

function testFiles(dir: string): string[] {
  let found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(testFiles(path));
    else if (name.endsWith('.test.ts') || name.endsWith('.test.tsx')) found.push(relative(root, path));
  }
  return found;
}

function run(step: string, command: string, args: string[]): void {
  console.log(`\n== ${step}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    console.error(`\n${step} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

if (wanted.length === 0) {
  run('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  run('layering', 'npm', ['run', '--silent', 'layering']);
}

const nodeFiles = selected.filter((s) => s !== 'e2e').flatMap((s) => testFiles(join(root, 'tests', s)));
const e2eFiles = selected.includes('e2e') ? testFiles(join(root, 'tests', 'e2e')) : [];
if (e2eFiles.length > 0) run('renderer build', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);

const files = [...nodeFiles, ...e2eFiles];
// The server suites also run on PostgreSQL when DATABASE_URL names one; say once when they do not.
if (!/^postgres(ql)?:\/\//i.test(process.env.DATABASE_URL ?? '')) {
  console.log('PostgreSQL tests skipped: DATABASE_URL is not set');
  process.env.CLINIC_TESTS_PG_SKIP_ANNOUNCED = '1';
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One file at a time: integration and e2e files start servers and browsers, and the machine has 2 cores.
run('tests', process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', ...files]);

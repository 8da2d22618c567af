/**
 * The layering rules (.dependency-cruiser.cjs) can fail: the project's own config, run by the same
 * CLI `npm test` runs, over a small tree where every rule is broken once beside imports that are
 * allowed. `npm test` runs the same rules over the real tree (scripts/test.ts, `npm run layering`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** A module that imports each name from where it is given, and exports them all as `name`. */
function importing(name: string, imports: Record<string, string>): string {
  const lines = Object.entries(imports).map(([what, from]) => `import { ${what} } from '${from}';`);
  return [...lines, `export const ${name} = [${Object.keys(imports).join(', ')}];`].join('\n');
}

/** Each file of the tree, and what it imports. */
const tree: Record<string, string> = {
  'shared/domain.ts': `export const statuses = ['booked', 'seen'] as const;\n`,
  'shared/io.ts': importing('io', { readFileSync: 'node:fs', createElement: 'react', view: '../renderer/src/view' }),
  'renderer/src/view.ts': `export const view = 'view';\n`,
  'renderer/src/screen.ts': importing('screen', { statuses: '../../shared/domain', core: '../../main/core' }),
  'main/core.ts': importing('core', { statuses: '../shared/domain', handlers: './ipc/handlers', app: '../server/app' }),
  'main/ipc/handlers.ts': `import { core } from '../core';\nexport const handlers = () => core;\n`,
  'main/sync/client.ts': importing('client', { statuses: '../../shared/domain' }),
  'server/app.ts': importing('app', { client: '../main/sync/client' }),
  'preload/preload.ts': importing('bridge', { contextBridge: 'electron', join: 'node:path', z: 'zod', statuses: '../shared/domain' }),
  // bench/ and tests/ may import anything.
  'bench/run.ts': importing('run', { core: '../main/core', app: '../server/app' }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', strict: true } }),
};

type Violation = { rule: { name: string }; from: string; to: string };
let fixture = '';

before(async () => {
  fixture = await mkdtemp(join(tmpdir(), 'clinic-layering-'));
  for (const [file, text] of Object.entries(tree)) {
    await mkdir(dirname(join(fixture, file)), { recursive: true });
    await writeFile(join(fixture, file), text);
  }
  // react, electron and zod resolve to the project's own packages, as they do in the real tree.
  await symlink(join(root, 'node_modules'), join(fixture, 'node_modules'), 'dir');
});
after(async () => {
  if (fixture) await rm(fixture, { recursive: true, force: true });
});

function cruise(outputType: 'err' | 'json') {
  return spawnSync(
    process.execPath,
    [cli, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', outputType, 'shared', 'server', 'main', 'preload', 'renderer', 'bench'],
    { cwd: fixture, encoding: 'utf8' },
  );
}

test('every layering rule fails on a tree that breaks it, and only there', () => {
  // As `npm run layering` runs it: the exit code is the number of errors, so `npm test` stops.
  const asInTest = cruise('err');
  assert.equal(asInTest.status, 9, asInTest.stdout + asInTest.stderr);
  assert.match(asInTest.stdout, /9 dependency violations \(9 errors, 0 warnings\)/);

  const run = cruise('json');
  assert.equal(run.status, 0, run.stderr);
  const violations = (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  // Packages are named by their folder, wherever node_modules resolves to; built-ins without 'node:'.
  const found = violations
    .map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, '$1')}`)
    .sort();
  assert.deepEqual(found, [
    'main-not-to-server: main/core.ts -> server/app.ts',
    'no-circular-in-app-layers: main/core.ts -> main/ipc/handlers.ts',
    'preload-not-to-node: preload/preload.ts -> path',
    'preload-only-shared-and-electron: preload/preload.ts -> zod',
    'renderer-not-to-main-server-preload: renderer/src/screen.ts -> main/core.ts',
    'server-not-to-main: server/app.ts -> main/sync/client.ts',
    'shared-not-to-app-layers: shared/io.ts -> renderer/src/view.ts',
    'shared-not-to-dom-or-electron: shared/io.ts -> react',
    'shared-not-to-node: shared/io.ts -> fs',
  ]);
});

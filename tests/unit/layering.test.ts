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

/** Each file of the tree, and what it imports. */
const tree: Record<string, string> = {
  'shared/domain.ts': `export const statuses = ['booked', 'seen'] as const;\n`,
  'shared/io.ts': [
    `import { readFileSync } from 'node:fs';`,
    `import { createElement } from 'react';`,
    `import { view } from '../renderer/src/view';`,
    `export const io = [readFileSync, createElement, view];`,
  ].join('\n'),
  'renderer/src/view.ts': `export const view = 'view';\n`,
  'renderer/src/screen.ts': [
    `import { statuses } from '../../shared/domain';`,
    `import { core } from '../../main/core';`,
    `export const screen = [statuses, core];`,
  ].join('\n'),
  'main/core.ts': [
    `import { statuses } from '../shared/domain';`,
    `import { handlers } from './ipc/handlers';`,
    `import { app } from '../server/app';`,
    `export const core = [statuses, handlers, app];`,
  ].join('\n'),
  'main/ipc/handlers.ts': `import { core } from '../core';\nexport const handlers = () => core;\n`,
  'main/sync/client.ts': `import { statuses } from '../../shared/domain';\nexport const client = statuses;\n`,
  'server/app.ts': `import { client } from '../main/sync/client';\nexport const app = client;\n`,
  'preload/preload.ts': [
    `import { contextBridge } from 'electron';`,
    `import { join } from 'node:path';`,
    `import { z } from 'zod';`,
    `import { statuses } from '../shared/domain';`,
    `export const bridge = [contextBridge, join, z, statuses];`,
  ].join('\n'),
  // bench/ and tests/ may import anything.
  'bench/run.ts': `import { core } from '../main/core';\nimport { app } from '../server/app';\nexport const run = [core, app];\n`,
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

/**
 * `npm run deps:app` (scripts/app-production-tree.ts): the installer carries only the desktop's
 * packages. On the real tree it passes and lists what the bundles load at run time; on a small
 * project whose app declares a server package it fails naming that package.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'app-production-tree.ts');

function productionTree(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

test("the app's production tree holds the packages its bundles load and no server-only package", () => {
  const run = productionTree();
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const lines = run.stdout.trim().split('\n');
  const count = /^(\d+) packages in the app's production tree/.exec(lines.at(-1) ?? '');
  assert.ok(count, lines.at(-1));
  const names = lines.slice(0, -1).map((id) => id.replace(/@[^@]+$/, ''));
  assert.equal(names.length, Number(count[1]));
  // What dist-electron/main.cjs requires at run time (scripts/build-electron.ts' externals).
  for (const name of ['better-sqlite3-multiple-ciphers', 'electron-log', 'electron-updater']) assert.ok(names.includes(name), name);
  for (const name of ['fastify', 'pg', '@faker-js/faker', 'better-sqlite3', 'tsx', 'clinic-desk-server']) assert.ok(!names.includes(name), name);
});

test('an app that declares a server package fails the check, naming it; without it, it passes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clinic-app-tree-'));
  try {
    const write = async (file: string, json: object) => {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), JSON.stringify(json));
    };
    const app = { name: 'fixture-app', version: '1.0.0', workspaces: ['server'] };
    await write('server/package.json', { name: 'fixture-server', version: '1.0.0', dependencies: { fastify: '^5.0.0', zod: '^4.0.0' } });
    await write('node_modules/fastify/package.json', { name: 'fastify', version: '5.1.0' });
    await write('node_modules/zod/package.json', { name: 'zod', version: '4.1.0' });
    await write('node_modules/electron-log/package.json', { name: 'electron-log', version: '5.4.4' });
    await symlink('../server', join(dir, 'node_modules', 'fixture-server'), 'dir');

    // zod is the server's and the app's own: not server-only. fastify is only the server's.
    await write('package.json', { ...app, dependencies: { 'electron-log': '^5.0.0', zod: '^4.0.0', fastify: '^5.0.0' } });
    const strayed = productionTree('--root', dir);
    assert.equal(strayed.status, 1, strayed.stdout + strayed.stderr);
    assert.match(strayed.stdout, /^3 packages in the app's production tree/m);
    assert.match(strayed.stderr, /server-only or build-time packages in the app's production tree: fastify@5\.1\.0\n/);

    await write('package.json', { ...app, dependencies: { 'electron-log': '^5.0.0', zod: '^4.0.0' } });
    const clean = productionTree('--root', dir);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.deepEqual(clean.stdout.trim().split('\n'), ['electron-log@5.4.4', 'zod@4.1.0', "2 packages in the app's production tree (what electron-builder packs)"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the server workspace's packages are hoisted into the root node_modules, where dist-server/ resolves them", async () => {
  const { dependencies } = JSON.parse(await readFile(join(root, 'server', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.ok(Object.keys(dependencies).length > 0);
  for (const name of Object.keys(dependencies)) {
    assert.ok(existsSync(join(root, 'node_modules', name, 'package.json')), `${name} is in node_modules/`);
    assert.ok(!existsSync(join(root, 'server', 'node_modules', name)), `${name} has no copy of its own under server/node_modules (a version range unlike the root's?)`);
  }
});

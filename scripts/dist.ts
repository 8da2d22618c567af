/**
 * `npm run dist [-- --win | --linux | --mac]`: the installers, in release/.
 * 1. stops with one sentence where Electron's binary is missing (it cannot be downloaded here);
 * 2. builds the renderer and the Electron bundles;
 * 3. runs electron-builder (electron-builder.yml), which rebuilds better-sqlite3 for Electron's ABI
 *    inside node_modules (npmRebuild) and packs it;
 * 4. always puts the Node build of better-sqlite3 back, so `npm test` keeps working afterwards.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinaryProblem } from './distPreflight';

const root = join(import.meta.dirname, '..');
const electronDir = process.env.CLINIC_ELECTRON_DIR ?? join(root, 'node_modules', 'electron');

const problem = electronBinaryProblem(electronDir);
if (problem !== null) {
  console.error(problem);
  process.exit(1);
}

function run(step: string, command: string, args: string[]): void {
  console.log(`\n== ${step}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`${step} failed (exit ${result.status ?? result.signal})`);
}

const nodeBuild = join(root, 'node_modules', 'better-sqlite3-multiple-ciphers', 'build', 'Release', 'better_sqlite3.node');
const saved = join(root, '.tmp', 'dist', 'better_sqlite3.node-for-node');
if (existsSync(nodeBuild)) {
  mkdirSync(join(root, '.tmp', 'dist'), { recursive: true });
  copyFileSync(nodeBuild, saved);
}

let failed: unknown = null;
try {
  run('renderer', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
  run('electron bundles', 'npx', ['tsx', 'scripts/build-electron.ts']);
  run('installers', 'npx', ['electron-builder', '--config', 'electron-builder.yml', '--publish', 'never', ...process.argv.slice(2)]);
} catch (error) {
  failed = error;
} finally {
  if (existsSync(saved)) {
    copyFileSync(saved, nodeBuild);
    console.log('restored the Node build of better-sqlite3-multiple-ciphers (for npm test / npm run terminal)');
  }
}
if (failed !== null) {
  console.error(failed instanceof Error ? failed.message : String(failed));
  process.exit(1);
}
console.log('\ninstallers and latest*.yml are in release/; copy them into the server\'s updates folder to publish (docs/admin.md)');

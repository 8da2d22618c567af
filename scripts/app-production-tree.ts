/**
 * `npm run deps:app`: the desktop app's production dependency tree, collected the way
 * electron-builder collects what it packs into the installer (its own npm collector), printed
 * one package a line with the count. Exits 1 when a server-only package is in it: a dependency
 * of the server workspace (server/package.json) other than the few the app's code imports too,
 * the server workspace itself, or a tool that only builds or runs sources.
 * `--count` prints the count line alone; `--root <dir>` collects another project (the tests' own).
 */
import { getCollectorByPackageManager, PM } from 'app-builder-lib/out/node-module-collector';
import { TmpDir } from 'builder-util';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Manifest = { name: string; dependencies?: Record<string, string> };
type PackedModule = { name: string; version: string; dependencies?: PackedModule[] };

const rootArg = process.argv[process.argv.indexOf('--root') + 1];
const root = process.argv.includes('--root') && rootArg ? resolve(rootArg) : join(import.meta.dirname, '..');
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
const app = readManifest(root);
const server = readManifest(join(root, 'server'));

/** Tools that compile or run the sources; the installed app runs bundles and needs none of them. */
const buildTools = ['tsx', 'esbuild', 'typescript', 'vite', 'electron', 'electron-builder', 'dependency-cruiser'];
/** The server's packages that the app's own code imports too (shared/ and main/). */
const sharedWithApp = new Set(['zod', 'ws', 'libphonenumber-js']);
const serverOnly = new Set([server.name, ...Object.keys(server.dependencies ?? {}).filter((name) => !sharedWithApp.has(name)), ...buildTools]);

const tmp = new TmpDir('app-production-tree');
let packed: PackedModule[];
try {
  packed = (await getCollectorByPackageManager(PM.NPM, root, tmp).getNodeModules({ packageName: app.name })).nodeModules;
} finally {
  await tmp.cleanup();
}

const tree = new Map<string, string>();
const walk = (modules: PackedModule[]) => {
  for (const m of modules) {
    tree.set(`${m.name}@${m.version}`, m.name);
    walk(m.dependencies ?? []);
  }
};
walk(packed);

if (!process.argv.includes('--count')) for (const id of [...tree.keys()].sort()) console.log(id);
console.log(`${tree.size} packages in the app's production tree (what electron-builder packs)`);
const strays = [...tree].filter(([, name]) => serverOnly.has(name)).map(([id]) => id).sort();
if (strays.length > 0) {
  console.error(`server-only or build-time packages in the app's production tree: ${strays.join(', ')}`);
  process.exit(1);
}

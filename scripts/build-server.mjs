/**
 * Compiles the clinic server to plain JavaScript in dist-server/ (esbuild, ~0.2 s), so the server
 * runs under `node` alone: no TypeScript compiler at run time. `npm run server` runs it before
 * every start, and `npm install` (prepare) once; a deployment runs `node dist-server/cli.js`.
 * Packages stay in node_modules (external); the demo generator, and with it faker, is a chunk of
 * its own that only `--demo` loads.
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // `npm ci --omit=dev` (a runtime-only install) has no esbuild: there is nothing to build with,
  // and a copied dist-server/ is what runs.
  if (process.env.npm_lifecycle_event === 'prepare') process.exit(0);
  console.error('build-server: esbuild is not installed; run npm install (with dev dependencies) first');
  process.exit(1);
}
// `--outdir <dir>`: tests build their own copy (inside the repo, so node_modules resolves).
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'dist-server');
// Files are overwritten in place (a running server keeps working: same content, same chunk names),
// then chunks of an older build are removed.
const result = await build({
  entryPoints: { cli: join(root, 'server', 'cli.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  // The chunks are ES modules; package.json's "type": "module" makes node read them as such.
  absWorkingDir: root,
  metafile: true,
});
const built = new Set(Object.keys(result.metafile.outputs).map((file) => resolve(root, file)));
for (const file of readdirSync(outdir)) {
  if (!built.has(join(outdir, file))) rmSync(join(outdir, file), { force: true });
}

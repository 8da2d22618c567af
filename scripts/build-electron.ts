/**
 * `npm run build:electron`: bundles the Electron entry and the preload with esbuild.
 *   main/electron/main.ts -> dist-electron/main.cjs     (Node in Electron's main process)
 *   preload/preload.ts    -> dist-electron/preload.cjs  (sandboxed preload: one file, only 'electron' required)
 *   main/cache/cacheThread.ts -> dist-electron/cache-worker.cjs (the thread that holds the cache connection)
 *   main/cache/checkpoint-worker.ts -> dist-electron/checkpoint-worker.cjs (the cache's WAL checkpoint thread)
 *   main/sync/firstDownload/download-worker.ts -> dist-electron/download-worker.cjs (the first download's thread)
 *   main/sync/firstDownload/snapshot-fetch-worker.ts -> dist-electron/snapshot-fetch-worker.cjs (its snapshot parts come in there)
 * Native and Electron-bound packages stay external and ship in node_modules (better-sqlite3 is
 * unpacked from the asar, see electron-builder.yml).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist-electron');
rmSync(outdir, { recursive: true, force: true });

// Electron 45 runs Node 22 in the main process and Chromium 140 in the renderer.
const common = {
  bundle: true,
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'none',
} as const;

await Promise.all([
  build({
    ...common,
    entryPoints: {
      main: 'main/electron/main.ts',
      'cache-worker': 'main/cache/cacheThread.ts',
      'checkpoint-worker': 'main/cache/checkpoint-worker.ts',
      'download-worker': 'main/sync/firstDownload/download-worker.ts',
      'snapshot-fetch-worker': 'main/sync/firstDownload/snapshot-fetch-worker.ts',
    },
    outdir,
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    target: 'node22',
    external: ['electron', 'better-sqlite3-multiple-ciphers', 'electron-updater', 'electron-log', 'bufferutil', 'utf-8-validate'],
    // The core's default worker paths use import.meta.url (tsx); Electron passes the bundled workers instead.
    logOverride: { 'empty-import-meta': 'silent' },
  }),
  build({
    ...common,
    entryPoints: { preload: 'preload/preload.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    platform: 'browser',
    target: 'chrome140',
    // The contract's zod schemas come along for the channel lists; minified it loads faster per window.
    minify: true,
    external: ['electron'],
  }),
]);
console.log(`built ${['main', 'cache-worker', 'checkpoint-worker', 'download-worker', 'snapshot-fetch-worker', 'preload'].map((n) => join('dist-electron', `${n}.cjs`)).join(', ')}`);

/**
 * The update feed for the terminals' electron-updater (generic provider): the files an admin drops
 * into the server's updates folder, served read-only at /updates/.
 *
 * No login: installers and latest.yml are not secret (anyone with an installer could read the same
 * bytes), and a terminal must be able to update before anyone signs in on it. Integrity comes from
 * the sha512 digests in latest.yml, which electron-updater checks before installing. What IS
 * guarded: only update files (by extension) in the folder itself are served, never a listing,
 * hidden files, subfolders or anything outside it.
 */
import { mkdir } from 'node:fs/promises';
import { extname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export type ServeUpdatesOptions = {
  /** The folder the admin drops releases into (default `<data-dir>/updates`). */
  updatesDir: string;
};

/** What electron-builder publishes: metadata, installers and the blockmaps of differential updates. */
const updateFileExtensions = new Set(['.yml', '.exe', '.blockmap', '.appimage', '.deb', '.rpm', '.dmg', '.zip', '.7z', '.nupkg']);

export function isUpdateFileName(pathName: string): boolean {
  const name = pathName.replace(/^\/+/, '');
  // Only files directly in the folder: electron-updater never asks for subfolders.
  if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) return false;
  return updateFileExtensions.has(extname(name).toLowerCase());
}

export const serveUpdates: FastifyPluginAsync<ServeUpdatesOptions> = async (app, options) => {
  // An empty folder is a valid state (no update published yet); create it so admins find it.
  await mkdir(options.updatesDir, { recursive: true });
  await app.register(fastifyStatic, {
    root: options.updatesDir,
    prefix: '/updates/',
    // The server may serve the renderer with @fastify/static too; keep reply.sendFile theirs.
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    serveDotFiles: false,
    etag: true,
    lastModified: true,
    acceptRanges: true,
    // Caches must revalidate: an admin replacing latest.yml must reach terminals at their next check.
    cacheControl: false,
    allowedPath: (pathName) => isUpdateFileName(pathName),
    setHeaders: (reply, path) => {
      reply.header('cache-control', 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
      reply.header(
        'content-type',
        extname(path).toLowerCase() === '.yml' ? 'text/yaml; charset=utf-8' : 'application/octet-stream',
      );
    },
  });
};

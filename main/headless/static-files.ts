/** Serves the built renderer (renderer/dist) with correct content types; SPA routes get index.html. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { rendererContentType } from '../rendererContentTypes';


const missingBuildPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clinic Desk</title></head>
<body><h1>Clinic Desk</h1><p>The user interface has not been built yet. Run <code>npm run build:renderer</code>, then reload this page.</p></body></html>`;

export function serveRenderer(rendererDir: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    const index = join(rendererDir, 'index.html');
    if (!existsSync(index)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(missingBuildPage);
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad path\n');
      return;
    }
    const candidate = normalize(join(rendererDir, pathname));
    if (candidate !== rendererDir && !candidate.startsWith(rendererDir + sep)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    let file = candidate;
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // Client-side routes (no extension) get the app; a missing asset is a real 404.
      if (extname(pathname) !== '') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
        return;
      }
      file = index;
    }
    const type = rendererContentType(file);
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': type,
      'content-length': statSync(file).size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
}

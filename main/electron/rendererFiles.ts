/**
 * Serves the built renderer (renderer/dist) under `app://clinic/` with a strict Content Security
 * Policy on every response. The policy is a header, not only a <meta>, so it also covers the
 * first bytes of the page. Plain Node: the path resolution and headers are tested without Electron.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { rendererContentType } from '../rendererContentTypes';
import { appHost } from './trustedSender';

/** Nothing from the network: the renderer only talks to main through the preload bridge. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  // React's style={...} attributes are inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "object-src 'none'",
].join('; ');


/** The file under `root` an app:// URL names, or null for anything outside it or another host. */
export function rendererFileFor(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.host !== appHost) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const base = normalize(root);
  const file = normalize(join(base, relative));
  if (!file.startsWith(base.endsWith(sep) ? base : base + sep)) return null;
  return file;
}

export type RendererResponse = { status: number; headers: Record<string, string>; body: Buffer | string };

export async function rendererResponse(root: string, requestUrl: string): Promise<RendererResponse> {
  const headers = { 'content-security-policy': contentSecurityPolicy, 'x-content-type-options': 'nosniff' };
  const file = rendererFileFor(root, requestUrl);
  if (file === null) return { status: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: 'not found' };
  // A path without an extension is a client-side route of the single-page app: answer index.html.
  const candidates = extname(file) === '' ? [file, join(normalize(root), 'index.html')] : [file];
  for (const path of candidates) {
    try {
      const body = await readFile(path);
      const type = rendererContentType(path);
      return { status: 200, headers: { ...headers, 'content-type': type }, body };
    } catch {
      // next candidate
    }
  }
  return { status: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: 'not found' };
}

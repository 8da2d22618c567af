/**
 * The `app://clinic` origin our windows load the renderer from: a standard, secure scheme so the
 * page gets a real origin (the sender check in trustedSender.ts relies on it) and a CSP header.
 */
import { protocol } from 'electron';
import { rendererResponse } from './rendererFiles';
import { appScheme } from './trustedSender';

/** Must run before the app's ready event. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveRenderer(rendererDist: string): void {
  protocol.handle(appScheme, async (request) => {
    const answer = await rendererResponse(rendererDist, request.url);
    const body = typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body);
    return new Response(body, { status: answer.status, headers: answer.headers });
  });
}

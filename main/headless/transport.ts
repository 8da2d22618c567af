/**
 * The headless transport: the same IPC contract as Electron, over a loopback WebSocket at /ipc
 * (frames = WireFrame), next to a static server for the renderer. Any program on this machine can
 * reach a loopback port, so a WebSocket is accepted only
 * - from loopback, with a Host of 127.0.0.1:<port> or localhost:<port> (a DNS-rebinding page
 *   sends its own host name),
 * - with an Origin of this very server (another website open in the browser cannot drive it),
 * - and with this launch's secret token, which only the printed URL carries (in its fragment, so
 *   it never reaches a server log or a Referer): the page reads it from location.hash and offers
 *   it as a WebSocket subprotocol (`clinic-token.<token>`), the one header a browser lets a page set.
 * Every answer carries the Content-Security-Policy as a header, with frame-ancestors 'none'.
 * The renderer's files themselves are the public build output and hold no clinic data.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { maxIpcPayloadBytes, type EventChannel, type WireFrame } from '../../shared/ipc/contract';
import { isJsonText, type JsonText } from '../ipc/jsonText';
import type { Terminal } from '../terminal';
import { serveRenderer } from './static-files';

export interface HeadlessTerminal {
  /** The server's base address (no token). */
  url: string;
  /** The address to open: the base address with this launch's token in the fragment. */
  openUrl: string;
  /** This launch's secret. */
  token: string;
  port: number;
  close(): Promise<void>;
}

/** The subprotocol the page asks for, and the prefix of the one that carries the token. */
export const ipcSubprotocol = 'clinic-ipc';
export const tokenSubprotocolPrefix = 'clinic-token.';

/** As a header (a <meta> tag cannot say frame-ancestors): the same policy as renderer/index.html's, plus no framing. */
export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameOrigin(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function hostIsOurs(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

function offeredToken(req: IncomingMessage): string | null {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(tokenSubprotocolPrefix));
  return carrier ? carrier.slice(tokenSubprotocolPrefix.length) : null;
}

function sameSecret(offered: string | null, token: string): boolean {
  if (offered === null) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: { end(data: string): void }, status: 401 | 403, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startHeadlessTransport(options: {
  core: Terminal;
  rendererDir: string;
  port?: number;
  log?: (line: string) => void;
  /** This launch's secret; default: 256 random bits. (A test restarting a terminal "in place" passes the old one.) */
  token?: string;
}): Promise<HeadlessTerminal> {
  const { core } = options;
  const log = options.log ?? (() => {});
  const token = options.token ?? randomBytes(32).toString('base64url');
  const files = serveRenderer(options.rendererDir);
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-security-policy', contentSecurityPolicy);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    if (!hostIsOurs(req, (http.address() as AddressInfo).port)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('This terminal answers only at 127.0.0.1 or localhost\n');
      return;
    }
    files(req, res);
  });
  // Frames somewhat above the IPC limit still reach the core, which answers 'too_large' clearly.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxIpcPayloadBytes * 4,
    // The token travels as a second subprotocol; the one the server picks is never the token.
    handleProtocols: (protocols) => (protocols.has(ipcSubprotocol) ? ipcSubprotocol : false),
  });
  const sockets = new Set<WebSocket>();

  const broadcast = (frame: WireFrame) => {
    const text = JSON.stringify(frame);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(text);
  };
  /**
   * An event frame around a payload that is already JSON text (a pulled page's data.changed from
   * the cache thread), sent as the fragments of one WebSocket message: the pieces are never
   * parsed here, nor joined into one big string.
   */
  const broadcastText = (channel: EventChannel, payload: JsonText<unknown>) => {
    const fragments = [`{"kind":"event","channel":${JSON.stringify(channel)},"payload":`, ...payload.jsonPieces, '}'];
    for (const s of sockets) {
      if (s.readyState !== s.OPEN) continue;
      fragments.forEach((fragment, i) => s.send(fragment, { fin: i === fragments.length - 1 }));
    }
  };
  const stopEvents = core.onEvent(({ channel, body }) => {
    if (isJsonText(body)) broadcastText(channel, body);
    else broadcast({ kind: 'event', channel, payload: body });
  });

  http.on('upgrade', (req, socket, head) => {
    const port = (http.address() as AddressInfo).port;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refusal: { status: 401 | 403; why: string } | null =
      path !== '/ipc' || !loopback.has(req.socket.remoteAddress ?? '')
        ? { status: 403, why: 'not the IPC endpoint or not from this machine' }
        : !hostIsOurs(req, port)
          ? { status: 403, why: `Host ${req.headers.host ?? '(none)'} is not this terminal` }
          : !sameOrigin(req, port)
            ? { status: 403, why: `origin ${req.headers.origin ?? '(none)'} is not this terminal` }
            : !sameSecret(offeredToken(req), token)
              ? { status: 401, why: 'no or a wrong launch token' }
              : null;
    if (refusal) {
      log(`refused a WebSocket from ${req.socket.remoteAddress ?? '?'}: ${refusal.why}`);
      refuse(socket, refusal.status, refusal.status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const windowId = `headless-${randomUUID()}`;
      const unregister = core.registerWindow(windowId);
      sockets.add(ws);
      ws.on('message', (data, isBinary) => {
        let frame: Partial<WireFrame>;
        try {
          frame = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString() : data.toString()) as Partial<WireFrame>;
        } catch {
          return; // not a frame; nothing to answer to
        }
        if (frame?.kind !== 'invoke' || typeof frame.id !== 'number') return;
        const { id, channel, request } = frame as Extract<WireFrame, { kind: 'invoke' }>;
        // A WireFrame 'result' with the envelope's text spliced in: a data.list answer is the
        // cache thread's JSON text, never parsed on this thread (Terminal.invokeForWire).
        void core.invokeForWire(channel, request, { windowId }).then((answer) => {
          const envelope = typeof answer === 'string' ? answer : JSON.stringify(answer);
          if (ws.readyState === ws.OPEN) ws.send(`{"kind":"result","id":${JSON.stringify(id)},"envelope":${envelope}}`);
        });
      });
      ws.on('close', () => {
        sockets.delete(ws);
        unregister();
      });
      ws.on('error', () => {});
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    openUrl: `${url}#token=${token}`,
    token,
    port,
    close: async () => {
      stopEvents();
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

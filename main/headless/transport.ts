/**
 * The headless transport: the same IPC contract as Electron, over a loopback WebSocket at /ipc
 * (frames = WireFrame), next to a static server for the renderer. Only connections from this
 * machine whose page came from this very server (same origin) are accepted, so another website
 * open in the browser cannot drive the terminal.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { maxIpcPayloadBytes, type WireFrame } from '../../shared/ipc/contract';
import type { TerminalCore } from '../core';
import { serveRenderer } from './static-files';

export interface HeadlessTerminal {
  url: string;
  port: number;
  close(): Promise<void>;
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameOrigin(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export async function startHeadlessTransport(options: {
  core: TerminalCore;
  rendererDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<HeadlessTerminal> {
  const { core } = options;
  const log = options.log ?? (() => {});
  const http = createServer(serveRenderer(options.rendererDir));
  // Frames somewhat above the IPC limit still reach the core, which answers 'too_large' clearly.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxIpcPayloadBytes * 4 });
  const sockets = new Set<WebSocket>();

  const broadcast = (frame: WireFrame) => {
    const text = JSON.stringify(frame);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(text);
  };
  const stopEvents = core.onEvent((channel, payload) => broadcast({ kind: 'event', channel, payload }));

  http.on('upgrade', (req, socket, head) => {
    const port = (http.address() as AddressInfo).port;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/ipc' || !loopback.has(req.socket.remoteAddress ?? '') || !sameOrigin(req, port)) {
      log(`refused a WebSocket from ${req.socket.remoteAddress ?? '?'} origin ${req.headers.origin ?? '(none)'} path ${path}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
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
        void core.invoke(channel, request, { windowId }).then((envelope) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ kind: 'result', id, envelope } satisfies WireFrame));
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
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      stopEvents();
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/**
 * The live channel: terminals hold a WebSocket open and hear `{"type":"poke","cursor"}` after
 * commits, so they pull at once instead of polling. Pokes are coalesced per socket (at most one
 * per POKE_INTERVAL_MS, the last one always carrying the newest cursor); a heartbeat goes out
 * every HEARTBEAT_MS so terminals notice a dead link. At each heartbeat the server checks every
 * socket's session again: a socket whose token expired or whose user was deactivated is closed
 * with liveCloseUnauthorized (close code 1001 means the server is going away).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { liveClientMessage, liveCloseUnauthorized, type LiveServerMessage } from '../../shared/sync/protocol';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { actorFromToken } from '../http/guard';
import type { Actor } from '../store/types';

export const POKE_INTERVAL_MS = 20;
export const HEARTBEAT_MS = 15_000;
const AUTH_TIMEOUT_MS = 10_000;

const liveQuery = z.strictObject({ token: z.string().min(1).max(4000).optional() });

interface LiveClient {
  socket: WebSocket;
  actor: Actor;
  /** The access token the socket signed in with, checked again at every heartbeat. */
  token: string;
  /** Nothing but `ready` may reach a socket first: pokes wait and heartbeats skip it until then. */
  ready: boolean;
  lastPokeAt: number;
  pending: string | null;
  timer: NodeJS.Timeout | null;
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ServerContext,
    heartbeatMs = HEARTBEAT_MS,
  ) {
    this.unsubscribe = ctx.store.onCommitted((cursor) => this.committed(cursor));
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  routes(app: FastifyInstance): void {
    app.get(
      '/api/sync/live',
      {
        websocket: true,
        // A token in the query string is checked before the upgrade: a bad one gets a plain 401.
        preValidation: async (request) => {
          const parsed = liveQuery.safeParse(request.query ?? {});
          if (!parsed.success) throw new HttpError(400, 'the live channel takes only ?token=');
          if (parsed.data.token !== undefined) {
            const actor = await actorFromToken(this.ctx, parsed.data.token);
            if (!actor) throw new HttpError(401, 'the access token is invalid or expired');
            request.actor = actor;
            request.liveToken = parsed.data.token;
          }
        },
      },
      (socket, request) => {
        if (request.actor && request.liveToken) {
          void this.admit(socket, request.actor, request.liveToken, request.log);
          return;
        }
        // No token in the URL: the first message must be {"type":"auth","token"}.
        const timeout = setTimeout(() => refuse(socket, 'no auth message'), AUTH_TIMEOUT_MS);
        socket.once('message', async (data) => {
          clearTimeout(timeout);
          const msg = parseMessage(data.toString());
          if (!msg || msg.type !== 'auth') return refuse(socket, 'the first message must be {"type":"auth","token"}');
          const actor = await actorFromToken(this.ctx, msg.token);
          if (!actor) return refuse(socket, 'the access token is invalid or expired');
          await this.admit(socket, actor, msg.token, request.log);
        });
      },
    );
  }

  private async admit(socket: WebSocket, actor: Actor, token: string, log: FastifyBaseLogger): Promise<void> {
    const client: LiveClient = { socket, actor, token, ready: false, lastPokeAt: 0, pending: null, timer: null };
    this.clients.add(client);
    socket.on('close', () => {
      if (client.timer) clearTimeout(client.timer);
      this.clients.delete(client);
    });
    socket.on('error', () => socket.terminate());
    socket.on('message', (data) => {
      const msg = parseMessage(data.toString());
      if (msg?.type === 'ping' && client.ready) send(socket, { type: 'heartbeat', at: new Date().toISOString() });
    });
    // The client joins before the head is read, so a commit during the read is poked after `ready`.
    let head: string;
    try {
      head = await this.ctx.store.headCursor();
    } catch (err) {
      log.error({ err }, 'live channel: reading the head cursor failed');
      socket.close(1011, 'the server could not read its change log');
      return;
    }
    send(socket, { type: 'ready', cursor: head });
    client.ready = true;
    if (client.pending !== null) this.flush(client);
  }

  private committed(cursor: string): void {
    for (const client of this.clients) {
      client.pending = cursor;
      if (client.timer || !client.ready) continue;
      const wait = client.lastPokeAt + POKE_INTERVAL_MS - Date.now();
      if (wait <= 0) this.flush(client);
      else client.timer = setTimeout(() => this.flush(client), wait);
    }
  }

  private flush(client: LiveClient): void {
    client.timer = null;
    if (client.pending === null) return;
    send(client.socket, { type: 'poke', cursor: client.pending });
    client.pending = null;
    client.lastPokeAt = Date.now();
  }

  private beat(): void {
    const at = new Date().toISOString();
    for (const client of this.clients) {
      if (client.ready) send(client.socket, { type: 'heartbeat', at });
      void this.recheck(client);
    }
  }

  /** Pokes carry no data, but a session that ended must not keep hearing the clinic's activity. */
  private async recheck(client: LiveClient): Promise<void> {
    const actor = await actorFromToken(this.ctx, client.token).catch(() => client.actor);
    if (!actor && this.clients.has(client)) refuse(client.socket, 'the session has ended; refresh the token or sign in again');
  }

  /** Shutdown: say goodbye with 1001 (going away) so terminals reconnect later. */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const client of this.clients) {
      if (client.timer) clearTimeout(client.timer);
      client.socket.close(1001, 'server shutting down');
    }
    this.clients.clear();
  }
}

function parseMessage(text: string) {
  try {
    const parsed = liveClientMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function send(socket: WebSocket, message: LiveServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

function refuse(socket: WebSocket, error: string): void {
  send(socket, { type: 'error', error });
  socket.close(liveCloseUnauthorized, 'unauthorized');
}

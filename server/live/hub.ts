/**
 * The live channel: terminals hold a WebSocket open and hear `{"type":"poke","cursor"}` after
 * commits, so they pull at once instead of polling. Pokes are coalesced per socket (at most one
 * per POKE_INTERVAL_MS, the last one always carrying the newest cursor); a heartbeat goes out
 * every HEARTBEAT_MS so terminals notice a dead link. At each heartbeat the server checks every
 * socket's session again: a socket whose token expired or whose user was deactivated is closed
 * with liveCloseUnauthorized (close code 1001 means the server is going away).
 *
 * A socket opened with `?changes=1` gets the changes in the poke (shared/sync/protocol.ts): the
 * pull answer since the cursor it was last told, read as a pull by its user would be (same role
 * filter, same audit) while the session is still valid; otherwise, or past liveChangesMax, a
 * plain poke.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { syncedCollections } from '../../shared/domain/access';
import { apiRoutes, liveQuery } from '../../shared/http/routes';
import { liveChangesMax, liveChangesParam, liveClientMessage, liveCloseUnauthorized, type LiveServerMessage } from '../../shared/sync/protocol';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { activeActor, actorFromToken } from '../http/guard';
import type { ChangePulls } from '../sync/changePulls';
import type { Actor } from '../store/types';

export const POKE_INTERVAL_MS = 20;
export const HEARTBEAT_MS = 15_000;
const AUTH_TIMEOUT_MS = 10_000;


interface LiveClient {
  socket: WebSocket;
  actor: Actor;
  /** The access token the socket signed in with, checked again at every heartbeat. */
  token: string;
  /** When the token expires (ms): no changes go out in pokes after it. */
  expiresAt: number;
  log: FastifyBaseLogger;
  /** Nothing but `ready` may reach a socket first: pokes wait and heartbeats skip it until then. */
  ready: boolean;
  lastPokeAt: number;
  pending: string | null;
  timer: NodeJS.Timeout | null;
  /** Asked for the changes in its pokes (?changes=1). */
  wantsChanges: boolean;
  /** The cursor of the last `ready` or poke sent: the next poke's changes start there. */
  told: string | null;
  /** A poke's changes are being read: later commits wait for it, so pokes stay in order. */
  reading: boolean;
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ServerContext,
    private readonly pulls: ChangePulls,
    heartbeatMs = HEARTBEAT_MS,
  ) {
    this.unsubscribe = ctx.store.onCommitted((cursor) => this.committed(cursor));
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** For the metrics: sockets with a poke waiting, and bytes the network has not taken yet. */
  backlog(): { pokes: number; bytes: number } {
    let pokes = 0;
    let bytes = 0;
    for (const client of this.clients) {
      if (client.pending !== null || client.reading) pokes += 1;
      bytes += client.socket.bufferedAmount;
    }
    return { pokes, bytes };
  }

  routes(app: FastifyInstance): void {
    app.get(
      apiRoutes.live.path,
      {
        websocket: true,
        // A token never travels in a URL (it would end up in proxy and access logs): the only
        // query parameter is ?changes=1, and the first message signs the socket in.
        preValidation: async (request) => {
          const parsed = liveQuery.safeParse(request.query ?? {});
          if (!parsed.success) {
            const token = typeof (request.query as Record<string, unknown> | undefined)?.token === 'string';
            throw new HttpError(
              400,
              token
                ? 'the live channel takes no token in its URL: send {"type":"auth","token"} as the first message'
                : `the live channel takes only ?${liveChangesParam}=1`,
              [{ path: token ? 'token' : 'query', message: 'not allowed' }],
            );
          }
        },
      },
      (socket, request) => {
        const wantsChanges = liveQuery.safeParse(request.query ?? {}).data?.[liveChangesParam] === '1';
        const timeout = setTimeout(() => refuse(socket, 'no auth message'), AUTH_TIMEOUT_MS);
        socket.once('message', async (data) => {
          clearTimeout(timeout);
          const msg = parseMessage(data.toString());
          if (!msg || msg.type !== 'auth') return refuse(socket, 'the first message must be {"type":"auth","token"}');
          let actor;
          try {
            actor = await actorFromToken(this.ctx, msg.token);
          } catch (err) {
            request.log.error({ err }, 'live channel: checking the token failed');
            return socket.close(1011, 'the server could not check the token');
          }
          if (!actor) return refuse(socket, 'the access token is invalid or expired');
          await this.admit(socket, actor, msg.token, wantsChanges, request.log);
        });
        socket.on('close', () => clearTimeout(timeout));
      },
    );
  }

  private async admit(socket: WebSocket, actor: Actor, token: string, wantsChanges: boolean, log: FastifyBaseLogger): Promise<void> {
    const client: LiveClient = {
      socket,
      actor,
      token,
      expiresAt: 0,
      log,
      ready: false,
      lastPokeAt: 0,
      pending: null,
      timer: null,
      wantsChanges,
      told: null,
      reading: false,
    };
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
      client.expiresAt = (await this.ctx.tokens.verify(token))?.expiresAt ?? 0;
      head = await this.ctx.store.headCursor();
    } catch (err) {
      log.error({ err }, 'live channel: reading the head cursor failed');
      socket.close(1011, 'the server could not read its change log');
      return;
    }
    send(socket, { type: 'ready', cursor: head });
    client.told = head;
    client.ready = true;
    if (client.pending !== null) this.flush(client);
  }

  private committed(cursor: string): void {
    for (const client of this.clients) {
      client.pending = cursor;
      this.schedule(client);
    }
  }

  private schedule(client: LiveClient): void {
    if (client.timer || !client.ready || client.reading) return;
    const wait = client.lastPokeAt + POKE_INTERVAL_MS - Date.now();
    if (wait <= 0) this.flush(client);
    else client.timer = setTimeout(() => this.flush(client), wait);
  }

  private flush(client: LiveClient): void {
    client.timer = null;
    const cursor = client.pending;
    if (cursor === null || client.reading) return;
    client.pending = null;
    client.lastPokeAt = Date.now();
    const from = client.told;
    if (!client.wantsChanges || from === null) return this.poke(client, cursor);
    client.reading = true;
    void this.pokeWithChanges(client, from, cursor).finally(() => {
      client.reading = false;
      if (client.pending !== null && this.clients.has(client)) this.schedule(client);
    });
  }

  private poke(client: LiveClient, cursor: string): void {
    send(client.socket, { type: 'poke', cursor });
    client.told = cursor;
  }

  /** The poke with the changes since `from` in it, read as this user's pull would be; else a plain one. */
  private async pokeWithChanges(client: LiveClient, from: string, cursor: string): Promise<void> {
    try {
      // A pull checks the session on every request; so does a poke that carries data.
      const actor = Date.now() < client.expiresAt ? await activeActor(this.ctx, client.actor.id) : null;
      if (actor && this.clients.has(client)) {
        const collections = syncedCollections(actor.role);
        const answer = await this.pulls.answer(actor, { since: from, limit: liveChangesMax, collections, via: 'live update' });
        if (!answer.hasMore && answer.cursor !== from) {
          // The pull answer's own text after the poke's fields: {"type":"poke","from":..,"changes":[..],"cursor":..,"hasMore":false}
          sendText(client.socket, `{"type":"poke","from":${JSON.stringify(from)},${answer.body.slice(1)}`);
          client.told = answer.cursor;
          return;
        }
        // Nothing after `from`: the socket was told this cursor already (ready read the head
        // after the commit), unless the read missed the commit, which a plain poke makes it pull.
        if (!answer.hasMore && cursor === from) return;
      }
    } catch (err) {
      client.log.warn({ err }, 'live channel: reading the changes for a poke failed; sending a plain poke');
    }
    this.poke(client, cursor);
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
  sendText(socket, JSON.stringify(message));
}

function sendText(socket: WebSocket, text: string): void {
  if (socket.readyState === socket.OPEN) socket.send(text);
}

function refuse(socket: WebSocket, error: string): void {
  send(socket, { type: 'error', error });
  socket.close(liveCloseUnauthorized, 'unauthorized');
}

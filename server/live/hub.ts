/**
 * The live channel: terminals hold a WebSocket open and hear `{"type":"poke","cursor"}` after
 * commits, so they pull at once instead of polling. Pokes are coalesced (a socket gets at most one
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
import type { Duplex } from 'node:stream';
import * as ws from 'ws';
import type { WebSocket } from 'ws';
import { syncedCollections } from '../../shared/domain/access';
import { apiRoutes, liveQuery } from '../../shared/http/routes';
import { liveChangesMax, liveChangesParam, liveClientMessage, liveCloseUnauthorized, type LiveServerMessage } from '../../shared/sync/protocol';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { activeActor, actorFromToken } from '../http/guard';
import type { ChangePulls } from '../sync/changePulls';
import type { PullAnswer } from '../sync/pullAnswer';
import type { Actor } from '../store/types';
import type { Role } from '../../shared/domain/collections';

export const POKE_INTERVAL_MS = 20;
export const HEARTBEAT_MS = 15_000;
const AUTH_TIMEOUT_MS = 10_000;


interface LiveClient {
  socket: WebSocket;
  /** The connection under the socket: a poke framed once for all its sockets is written here as it is. */
  wire: Duplex;
  /** No extension negotiated (app.ts leaves permessage-deflate off): ws sends without a queue of its own. */
  plainFrames: boolean;
  actor: Actor;
  /** The access token the socket signed in with, checked again at every heartbeat. */
  token: string;
  /** When the token expires (ms): no changes go out in pokes after it. */
  expiresAt: number;
  log: FastifyBaseLogger;
  /** Nothing but `ready` may reach a socket first: pokes wait and heartbeats skip it until then. */
  ready: boolean;
  /** A commit came while the socket was joining: poke it once it is ready. */
  missed: boolean;
  /** Asked for the changes in its pokes (?changes=1). */
  wantsChanges: boolean;
  /** The cursor of the last `ready` or poke sent: the next poke's changes start there. */
  told: string | null;
}

/** One poke's text, encoded once for every socket it goes to. */
interface Outgoing {
  bytes: Buffer;
  cursor: string;
  clients: LiveClient[];
}

/**
 * The fan-out is one pass over the sockets per commit (or per POKE_INTERVAL_MS of commits), not
 * one job per socket: a clinic group has hundreds of terminals, and they share a handful of
 * distinct pokes (one plain poke, and one poke with changes per role and starting cursor). Each
 * distinct poke is read, serialised and encoded once, the read audits of all sockets go into one
 * transaction, and then every socket is written in the same tick.
 */
export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** The newest committed cursor: the end of the log every ready socket is to be told. */
  private latest: string | null = null;
  private lastFanOutAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** A fan-out is reading: commits meanwhile wait for the next one, so pokes stay in order. */
  private fanning = false;

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
      if (this.latest !== null && client.ready && client.told !== this.latest) pokes += 1;
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
          await this.admit(socket, request.raw.socket, actor, msg.token, wantsChanges, request.log);
        });
        socket.on('close', () => clearTimeout(timeout));
      },
    );
  }

  private async admit(socket: WebSocket, wire: Duplex, actor: Actor, token: string, wantsChanges: boolean, log: FastifyBaseLogger): Promise<void> {
    const client: LiveClient = { socket, wire, plainFrames: socket.extensions === '', actor, token, expiresAt: 0, log, ready: false, missed: false, wantsChanges, told: null };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
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
    if (client.missed) this.schedule();
  }

  private committed(cursor: string): void {
    this.latest = cursor;
    for (const client of this.clients) if (!client.ready) client.missed = true;
    this.schedule();
  }

  /** A fan-out now, or when the last one is POKE_INTERVAL_MS old, or when the one reading ends. */
  private schedule(): void {
    if (this.timer || this.fanning) return;
    const wait = this.lastFanOutAt + POKE_INTERVAL_MS - Date.now();
    if (wait <= 0) void this.fanOut();
    else this.timer = setTimeout(() => void this.fanOut(), wait);
  }

  private async fanOut(): Promise<void> {
    this.timer = null;
    const cursor = this.latest;
    if (cursor === null) return;
    const due = [...this.clients].filter((c) => c.ready && c.told !== cursor);
    for (const c of this.clients) if (c.ready) c.missed = false;
    if (due.length === 0) return;
    this.fanning = true;
    this.lastFanOutAt = Date.now();
    try {
      const plain = due.filter((c) => !c.wantsChanges || c.told === null);
      const withChanges = due.filter((c) => c.wantsChanges && c.told !== null);
      const outgoing = withChanges.length > 0 ? await this.pokesWithChanges(withChanges, plain) : [];
      if (plain.length > 0) outgoing.push({ bytes: Buffer.from(JSON.stringify({ type: 'poke', cursor } satisfies LiveServerMessage)), cursor, clients: plain });
      // Every socket in the same tick: the last terminal hears the commit as soon as the first.
      for (const poke of outgoing) {
        const frame = textFrame(poke.bytes);
        for (const client of poke.clients) {
          if (!this.clients.has(client)) continue;
          writeFrame(client, frame, poke.bytes);
          client.told = poke.cursor;
        }
      }
    } finally {
      this.fanning = false;
      if (this.latest !== cursor || [...this.clients].some((c) => c.ready && c.missed)) this.schedule();
    }
  }

  /**
   * The pokes with the changes since each socket's `from`, read as a pull of its user would be
   * (same role filter, same audit) while its session is valid. Sockets that cannot have one (a
   * session that ended, more than liveChangesMax changes, a failed read) go into `plain`.
   */
  private async pokesWithChanges(clients: LiveClient[], plain: LiveClient[]): Promise<Outgoing[]> {
    // A pull checks the session on every request; so does a poke that carries data: one read per user.
    const now = Date.now();
    const current = clients.filter((c) => now < c.expiresAt);
    for (const c of clients) if (now >= c.expiresAt) plain.push(c);
    const ids = [...new Set(current.map((c) => c.actor.id))];
    const read = await Promise.all(ids.map((id) => activeActor(this.ctx, id).catch(() => null)));
    const users = new Map(ids.map((id, i) => [id, read[i]!] as const));
    const groups = new Map<string, { role: Role; from: string; members: { client: LiveClient; actor: Actor }[] }>();
    for (const client of current) {
      const actor = users.get(client.actor.id);
      if (!actor) {
        plain.push(client);
        continue;
      }
      const from = client.told!;
      const key = `${actor.role}|${from}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { role: actor.role, from, members: [] }));
      group.members.push({ client, actor });
    }
    const answered: { from: string; answer: PullAnswer; members: { client: LiveClient; actor: Actor }[] }[] = [];
    await Promise.all(
      [...groups.values()].map(async ({ role, from, members }) => {
        try {
          const answer = await this.pulls.read(role, { since: from, limit: liveChangesMax, collections: syncedCollections(role) });
          if (!answer.hasMore && answer.cursor !== from) return void answered.push({ from, answer, members });
        } catch (err) {
          members[0]!.client.log.warn({ err }, 'live channel: reading the changes for a poke failed; sending plain pokes');
        }
        // More than a poke holds, or the read did not see the commit yet: a plain poke makes them pull.
        for (const m of members) plain.push(m.client);
      }),
    );
    try {
      await this.pulls.audit(answered.flatMap(({ from, answer, members }) => members.map(({ actor }) => ({ actor, answer, since: from, via: 'live update' }))));
    } catch (err) {
      clients[0]!.log.warn({ err }, 'live channel: auditing the changes of a poke failed; sending plain pokes');
      for (const { members } of answered) for (const m of members) plain.push(m.client);
      return [];
    }
    return answered.map(({ from, answer, members }) => ({
      // The pull answer's own text after the poke's fields: {"type":"poke","from":..,"changes":[..],"cursor":..,"hasMore":false}
      bytes: Buffer.from(`{"type":"poke","from":${JSON.stringify(from)},${answer.body.slice(1)}`),
      cursor: answer.cursor,
      clients: members.map((m) => m.client),
    }));
  }

  private beat(): void {
    const heartbeat = Buffer.from(JSON.stringify({ type: 'heartbeat', at: new Date().toISOString() } satisfies LiveServerMessage));
    const frame = textFrame(heartbeat);
    // Terminals of one user share a token check and a user read in a beat.
    const checks = new Map<string, Promise<Actor | null>>();
    for (const client of this.clients) {
      if (client.ready) writeFrame(client, frame, heartbeat);
      let check = checks.get(client.token);
      if (!check) checks.set(client.token, (check = actorFromToken(this.ctx, client.token).catch(() => client.actor)));
      void this.recheck(client, check);
    }
  }

  /** Pokes carry no data, but a session that ended must not keep hearing the clinic's activity. */
  private async recheck(client: LiveClient, check: Promise<Actor | null>): Promise<void> {
    const actor = await check;
    if (!actor && this.clients.has(client)) refuse(client.socket, 'the session has ended; refresh the token or sign in again');
  }

  /** Shutdown: say goodbye with 1001 (going away) so terminals reconnect later. */
  close(): void {
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe();
    for (const client of this.clients) client.socket.close(1001, 'server shutting down');
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

/** ws's own framing (exported by ws, though @types/ws leaves it out); options as ws's send passes them for a server. */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

/**
 * A text message framed once (RFC 6455: unmasked from a server, uncompressed: permessage-deflate
 * is off), header and payload in one Buffer, for every socket it goes to. `socket.send` would
 * frame it again per socket and hand the connection two buffers.
 */
function textFrame(payload: Buffer): Buffer {
  return Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
}

/**
 * One write of the whole frame to the connection. ws writes its own frames (ready, error, close)
 * to the same connection, in order with these; it queues frames itself only while compressing,
 * so a socket with an extension negotiated gets `payload` through ws instead.
 */
function writeFrame(client: LiveClient, frame: Buffer, payload: Buffer): void {
  if (client.socket.readyState !== client.socket.OPEN) return;
  if (!client.plainFrames) client.socket.send(payload, { binary: false });
  else if (client.wire.writable) client.wire.write(frame);
}

function refuse(socket: WebSocket, error: string): void {
  send(socket, { type: 'error', error });
  socket.close(liveCloseUnauthorized, 'unauthorized');
}

/**
 * The live channel: a WebSocket to `/api/sync/live` on which the server pokes after every
 * committed change. A poke says "pull now", and may carry the changes themselves (the engine
 * applies them only on top of the cursor they follow); a missed poke costs latency, never
 * correctness. Reconnects with backoff; a silent socket (no heartbeat for 75 s) is treated as dead.
 * The socket signs in with its first message, {"type":"auth","token"}: a token never goes in a URL.
 */
import WebSocket from 'ws';
import { liveCloseUnauthorized, liveServerMessage, type LiveClientMessage } from '../../shared/sync/protocol';
import type { LiveTarget } from './client';
import { Backoff } from './backoff';

/** Changes a poke carried (the live channel's `?changes=1`, shared/sync/protocol.ts). */
export interface PokedPage {
  /** The cursor the changes follow: the cache must be exactly there. */
  from: string;
  cursor: string;
  changes: unknown[];
}

export interface LiveChannelEvents {
  /** A poke or `ready`: the log ends at `cursor`; `page` when the poke carried the changes. */
  onPoke(cursor: string, page: PokedPage | null): void;
  onUp(): void;
  onDown(reason: string): void;
  /** The upgrade was refused with 401: the access token needs a refresh. */
  onUnauthorized(): void;
}

export class LiveChannel {
  private socket: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff(500, 15_000);
  private stopped = true;
  private up = false;

  constructor(
    private readonly target: () => LiveTarget,
    private readonly events: LiveChannelEvents,
    private readonly silenceMs = 75_000,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.retryTimer = this.silenceTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.terminate();
    }
    this.markDown('stopped');
  }

  /** Reconnect now (after a token refresh, or when the server came back). */
  reconnectSoon(): void {
    if (this.stopped || this.socket) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private markDown(reason: string): void {
    if (this.up) {
      this.up = false;
      this.events.onDown(reason);
    }
  }

  private armSilence(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.socket?.terminate(), this.silenceMs);
    this.silenceTimer.unref();
  }

  private connect(): void {
    if (this.stopped) return;
    const target = this.target();
    const socket = new WebSocket(target.url, { handshakeTimeout: 10_000, ...target.options });
    this.socket = socket;
    let unauthorized = false;
    let failure: string | null = null;
    socket.on('open', () => {
      const auth: LiveClientMessage = { type: 'auth', token: target.token ?? '' };
      socket.send(JSON.stringify(auth));
      this.backoff.reset();
      this.up = true;
      this.armSilence();
      this.events.onUp();
    });
    socket.on('message', (data) => {
      this.armSilence();
      let parsed;
      try {
        parsed = liveServerMessage.safeParse(JSON.parse(data.toString()));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === 'ready') this.events.onPoke(msg.cursor, null);
      if (msg.type === 'poke') {
        const page = msg.from !== undefined && msg.changes !== undefined ? { from: msg.from, cursor: msg.cursor, changes: msg.changes } : null;
        this.events.onPoke(msg.cursor, page);
      }
    });
    socket.on('unexpected-response', (_req, res) => {
      unauthorized = res.statusCode === 401 || res.statusCode === 403;
      socket.terminate();
    });
    socket.on('error', (error) => {
      // 'close' follows and schedules the retry; a refused certificate is said as it is.
      failure = error.message;
    });
    socket.on('close', (code) => {
      // The server ends a live session whose token expired or whose user was deactivated.
      if (code === liveCloseUnauthorized) unauthorized = true;
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      this.markDown(failure ? `live channel closed: ${failure}` : 'live channel closed');
      if (unauthorized) this.events.onUnauthorized();
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.connect();
        }, this.backoff.next());
        this.retryTimer.unref();
      }
    });
  }
}

/**
 * Hears commits of OTHER server instances on the same database and schema: one dedicated
 * connection LISTENs on the store's channel (a pooled connection would lose the LISTEN when it
 * is handed to someone else). Each commit's NOTIFY carries the writing instance's id and the
 * cursor after that commit; this instance already announced its own commits, so it skips them.
 *
 * When the connection drops, it reconnects with backoff and then reports the current head once,
 * so live clients pull whatever was committed while nobody was listening.
 */
import pg from 'pg';
import { clientConfig, quoteIdent, type PostgresTarget } from './connection';

export interface ChangeFeedOptions {
  target: PostgresTarget;
  channel: string;
  instanceId: string;
  onCommitted: (cursor: string) => void;
  /** Called after a reconnect: the store looks up the head and announces it. */
  onResync: () => void;
  onError: (message: string, error: unknown) => void;
}

interface CommitNotice {
  instance: string;
  cursor: string;
}

function parseNotice(payload: string | undefined): CommitNotice | null {
  if (!payload) return null;
  try {
    const value: unknown = JSON.parse(payload);
    if (
      typeof value === 'object' &&
      value !== null &&
      'instance' in value &&
      'cursor' in value &&
      typeof value.instance === 'string' &&
      typeof value.cursor === 'string'
    ) {
      return { instance: value.instance, cursor: value.cursor };
    }
  } catch {
    // fall through: not ours
  }
  return null;
}

export class ChangeFeed {
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(private readonly options: ChangeFeedOptions) {}

  /** Resolves once LISTEN is in place (the first time; later reconnects run in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(clientConfig(this.options.target, 'listen'));
    client.on('notification', (message) => {
      if (message.channel !== this.options.channel) return;
      const notice = parseNotice(message.payload);
      if (notice && notice.instance !== this.options.instanceId) this.options.onCommitted(notice.cursor);
    });
    client.on('error', (error) => {
      this.options.onError('live change feed connection failed', error);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.options.channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(5_000, 100 * 2 ** this.failures);
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      this.connect().then(
        () => this.options.onResync(),
        (error: unknown) => {
          this.options.onError('live change feed could not reconnect; retrying', error);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}

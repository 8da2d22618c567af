/**
 * A loopback TCP proxy in front of the clinic server. It counts the bytes of every connection in
 * both directions (HTTP and the live WebSocket alike, headers included: what a clinic's network
 * actually carries) without touching the terminal core, and it can cut the network: drop every
 * open connection and refuse new ones until it is healed. The target can move, so a restarted
 * server on a new port stays behind the same terminal-facing address.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface ByteCount {
  /** Terminal -> server. */
  up: number;
  /** Server -> terminal. */
  down: number;
  connections: number;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: give this to a terminal as its server URL. */
  url: string;
  port: number;
  bytes(): ByteCount;
  resetBytes(): void;
  retarget(target: ProxyTarget): void;
  /** Drop every open connection and refuse new ones (a pulled cable). */
  cut(): void;
  heal(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export async function startCountingProxy(initialTarget: ProxyTarget): Promise<CountingProxy> {
  let target = initialTarget;
  let counts: ByteCount = { up: 0, down: 0, connections: 0 };
  let cut = false;
  const open = new Set<Socket>();

  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    counts.connections += 1;
    const upstream = createConnection({ host: target.host, port: target.port });
    open.add(client);
    open.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      counts.up += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.down += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bytes: () => ({ ...counts }),
    resetBytes: () => {
      counts = { up: 0, down: 0, connections: 0 };
    },
    retarget: (next) => {
      target = next;
    },
    cut: () => {
      cut = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    heal: () => {
      cut = false;
    },
    get isCut() {
      return cut;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A TCP proxy in front of a server that a test can switch off and on: while off, every connection
 * (new or open) is cut, as when a terminal loses the network; the server itself stays up, so the
 * test can still talk to it directly.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SwitchableProxy {
  url: string;
  up(): void;
  down(): void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(target: string): Promise<SwitchableProxy> {
  const { hostname, port } = new URL(target);
  let isUp = true;
  const open = new Set<Socket>();
  const proxy = createServer((client) => {
    if (!isUp) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    up: () => {
      isUp = true;
    },
    down: () => {
      isUp = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    close: async () => {
      isUp = false;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

/**
 * The browser's `window.clinic` when there is no Electron preload: the same ClinicBridge, speaking
 * the contract's WireFrames over `ws://<this page's host>/ipc` to a headless terminal
 * (`npm run terminal`). Call `installHeadlessBridge()` once, when `window.clinic` is undefined;
 * it resolves with the bridge once the terminal answers (or after a few seconds regardless:
 * calls made while disconnected wait for the connection, which is retried with backoff).
 * Browser code only: knows nothing but shared/.
 */
import type { ClinicBridge, InvokeChannel, InvokeRequest, InvokeResponse, IpcEnvelope, WireFrame } from '../../../shared/ipc/contract';
import { eventListeners } from './eventListeners';

type Pending = { resolve: (e: IpcEnvelope<unknown>) => void; frame: string; sent: boolean };

const tokenKey = 'clinic-terminal-token';

/**
 * The terminal's per-launch secret: the address it printed carries it in the fragment
 * (`#token=...`). It is taken out of the address bar at once (hash routes follow) and kept for
 * this tab only, so a reload still connects.
 */
export function takeLaunchToken(): string | null {
  const match = /^#token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(tokenKey, match[1]!);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return match[1]!;
  }
  return sessionStorage.getItem(tokenKey);
}

export function installHeadlessBridge(
  url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ipc`,
  token: string | null = takeLaunchToken(),
  /** Called once when the terminal keeps refusing this window before it ever connected (a stale or wrong token). */
  onRefused: () => void = () => {},
): Promise<ClinicBridge> {
  const listeners = eventListeners();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let retryMs = 250;
  let firstOpen: (() => void) | null = null;
  let everOpened = false;
  let refusals = 0;

  const connect = () => {
    // The token rides as a second subprotocol (a page cannot set other headers on a WebSocket).
    const ws = new WebSocket(url, token ? ['clinic-ipc', `clinic-token.${token}`] : ['clinic-ipc']);
    socket = ws;
    ws.onopen = () => {
      everOpened = true;
      retryMs = 250;
      for (const p of pending.values()) {
        if (!p.sent) {
          ws.send(p.frame);
          p.sent = true;
        }
      }
      firstOpen?.();
      firstOpen = null;
    };
    ws.onmessage = (msg) => {
      let frame: WireFrame;
      try {
        frame = JSON.parse(String(msg.data)) as WireFrame;
      } catch {
        return;
      }
      if (frame.kind === 'result') {
        const p = pending.get(frame.id);
        pending.delete(frame.id);
        p?.resolve(frame.envelope);
      } else if (frame.kind === 'event') {
        listeners.emit(frame.channel, frame.payload);
      }
    };
    ws.onclose = () => {
      socket = null;
      if (!everOpened && ++refusals === 3) onRefused();
      // A call already sent may or may not have run; say so rather than guess.
      for (const [id, p] of pending) {
        if (p.sent) {
          pending.delete(id);
          p.resolve({ ok: false, error: { code: 'offline', message: 'The connection to the terminal was lost; please try again' } });
        }
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };

  const bridge: ClinicBridge = {
    invoke<C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R) {
      const id = nextId++;
      const frame = JSON.stringify({ kind: 'invoke', id, channel, request } satisfies WireFrame);
      return new Promise<IpcEnvelope<InvokeResponse<C, R>>>((resolve) => {
        const open = socket?.readyState === WebSocket.OPEN;
        pending.set(id, { resolve: resolve as (e: IpcEnvelope<unknown>) => void, frame, sent: open });
        if (open) socket!.send(frame);
      });
    },
    on: listeners.on,
  };
  (globalThis as { clinic?: ClinicBridge }).clinic = bridge;
  return new Promise((resolve) => {
    firstOpen = () => resolve(bridge);
    setTimeout(() => resolve(bridge), 3000);
    connect();
  });
}

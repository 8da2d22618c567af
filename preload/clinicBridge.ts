/**
 * Builds `window.clinic` from the IPC contract's channel lists over an ipcRenderer-shaped
 * transport. Only the contract's channels pass; the page never touches ipcRenderer itself.
 * Kept apart from preload.ts (which imports Electron) so it is tested under Node.
 */
import {
  eventChannelNames,
  invokeChannelNames,
  isJsonPieces,
  type ClinicBridge,
  type EventChannel,
  type InvokeChannel,
  type InvokeRequest,
  type InvokeResponse,
  type IpcEnvelope,
} from '../shared/ipc/contract';

/** The part of Electron's ipcRenderer the bridge uses. */
export type RendererIpc = {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
};

const invokeAllowed: ReadonlySet<string> = new Set<string>(invokeChannelNames);
const eventAllowed: ReadonlySet<string> = new Set<string>(eventChannelNames);

export function createClinicBridge(ipc: RendererIpc): ClinicBridge {
  async function invoke<C extends InvokeChannel, R extends InvokeRequest<C>>(
    channel: C,
    request: R,
  ): Promise<IpcEnvelope<InvokeResponse<C, R>>> {
    if (!invokeAllowed.has(channel)) {
      return { ok: false, error: { code: 'unknown_channel', message: `"${String(channel)}" is not a Clinic Desk channel` } };
    }
    // main answers every invoke with an envelope (see shared/ipc/contract.ts); a data.list answer
    // comes as its JSON text (the cache thread's), parsed here rather than in main.
    const answer = await ipc.invoke(channel, request);
    return (typeof answer === 'string' ? JSON.parse(answer) : answer) as IpcEnvelope<InvokeResponse<C, R>>;
  }
  return {
    invoke,
    on(channel, listener) {
      if (!eventAllowed.has(channel)) return () => undefined;
      // Drop Electron's event object: the page gets the payload only, never the sender. A payload
      // main held as JSON text (a pulled page's data.changed) comes as its pieces, parsed here.
      const forward = (_event: unknown, payload: unknown) =>
        listener((isJsonPieces(payload) ? JSON.parse(payload.jsonPieces.join('')) : payload) as Parameters<typeof listener>[0]);
      ipc.on(channel satisfies EventChannel, forward);
      return () => {
        ipc.removeListener(channel, forward);
      };
    },
  };
}

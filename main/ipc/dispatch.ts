/**
 * Every message from a window passes here before a handler sees it: the sender must be a
 * registered window, the channel must exist, the person signed in (if any) must be one the
 * channel's declared access admits, the request must fit maxIpcPayloadBytes and match the
 * channel's schema. Anything else gets a clear error envelope and changes nothing. The access
 * check comes before validation, so a locked terminal tells a caller nothing about its data.
 */
import type { Role } from '../../shared/domain/collections';
import {
  channelAccess,
  invokeChannels,
  mayCall,
  maxIpcPayloadBytes,
  type InvokeChannel,
  type InvokeRequest,
  type InvokeResponse,
  type IpcEnvelope,
} from '../../shared/ipc/contract';
import { IpcFailure } from './failure';
import type { JsonText } from './jsonText';

/** Who sent a message: the transport's id of the window (Electron webContents id, headless connection id). */
export interface IpcSender {
  windowId: string;
}

/** A handler answers with the contract's value, or that value already as JSON text (ipc/jsonText.ts). */
export type Handlers = { [C in InvokeChannel]: (request: z_out<C>) => Promise<InvokeResponse<C> | JsonText<InvokeResponse<C>>> };
type z_out<C extends InvokeChannel> = import('zod').output<(typeof invokeChannels)[C]['request']>;

function isChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(invokeChannels, channel);
}

export class IpcDispatcher {
  private readonly windows = new Set<string>();

  constructor(
    private readonly handlers: Handlers,
    private readonly log: (line: string) => void,
    /** The person signed in at this terminal now; null while it is locked. */
    private readonly signedIn: () => { role: Role } | null,
  ) {}

  /** A transport registers each window it opens; messages from anything else are refused. */
  registerWindow(windowId: string): () => void {
    this.windows.add(windowId);
    return () => this.windows.delete(windowId);
  }

  async invoke(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    try {
      if (sender !== undefined && !this.windows.has(sender.windowId)) {
        throw new IpcFailure('forbidden', 'Messages are only accepted from this terminal’s own windows');
      }
      if (!isChannel(channel)) {
        throw new IpcFailure('unknown_channel', `Unknown channel: ${JSON.stringify(channel)?.slice(0, 100) ?? String(channel)}`);
      }
      const user = this.signedIn();
      if (!mayCall(channel, user)) {
        const access = channelAccess(channel);
        throw user === null
          ? new IpcFailure('forbidden', `Sign in first: ${channel} needs a signed-in user`)
          : new IpcFailure('forbidden', `A ${user.role} may not use ${channel} (${Array.isArray(access) ? `only ${access.join(', ')}` : String(access)})`);
      }
      let serialized: string | undefined;
      try {
        serialized = JSON.stringify(request);
      } catch {
        throw new IpcFailure('bad_request', `The ${channel} request cannot be serialized`);
      }
      const bytes = serialized === undefined ? 0 : Buffer.byteLength(serialized);
      if (bytes > maxIpcPayloadBytes) {
        throw new IpcFailure('too_large', `The ${channel} request is ${bytes} bytes; the limit is ${maxIpcPayloadBytes}`);
      }
      const parsed = invokeChannels[channel].request.safeParse(request === undefined ? {} : request);
      if (!parsed.success) {
        throw new IpcFailure(
          'bad_request',
          `Invalid ${channel} request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`,
          parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
      const handler = this.handlers[channel] as (r: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data as InvokeRequest<typeof channel>) };
    } catch (err) {
      if (err instanceof IpcFailure) return { ok: false, error: err.toIpcError() };
      this.log(`ipc ${String(channel)} failed: ${(err as Error)?.stack ?? String(err)}`);
      return { ok: false, error: { code: 'failed', message: (err as Error)?.message ?? 'Internal error' } };
    }
  }
}

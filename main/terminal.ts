/**
 * A terminal as its windows reach it: the core (core.ts) with the IPC checks and the table of
 * channels in front of it. A window's message goes transport -> here -> core, one way; the core's
 * events go back to the transports through onEvent, and the core knows nothing of IPC channels.
 *
 * Every message passes the checks before the core sees it: the sender must be a registered
 * window, the channel must exist, the person signed in (if any) must be one the channel's
 * declared access admits, the request must fit maxIpcPayloadBytes and match the channel's schema.
 * Anything else gets a clear error envelope and changes nothing. The access check comes before
 * validation, so a locked terminal tells a caller nothing about its data.
 */
import type { output } from 'zod';
import {
  channelAccess,
  invokeChannels,
  mayCall,
  maxIpcPayloadBytes,
  type InvokeChannel,
  type InvokeResponse,
  type IpcEnvelope,
} from '../shared/ipc/contract';
import { TerminalCore, type TerminalCoreOptions } from './core';
import { IpcFailure } from './ipc/failure';
import { isJsonText, joinedJson, parseJsonText, type JsonText } from './ipc/jsonText';

export type { AnyTerminalEvent, EventBody, EventListener, TerminalCoreOptions, TerminalStats } from './core';
export { TerminalEvent } from './core';

/** Who sent a message: the transport's id of the window (Electron webContents id, headless connection id). */
export interface IpcSender {
  windowId: string;
}

/** A handler answers with the contract's value, or that value already as JSON text (ipc/jsonText.ts). */
type Handlers = {
  [C in InvokeChannel]: (request: output<(typeof invokeChannels)[C]['request']>) => Promise<InvokeResponse<C> | JsonText<InvokeResponse<C>>>;
};

/** One handler per invoke channel of shared/ipc/contract.ts; each only calls into the core. */
function handlersOf(core: TerminalCore): Handlers {
  return {
    'session.login': async ({ username, password }) => ({ user: await core.login(username, password) }),
    'session.logout': async () => {
      await core.logout();
      return { ok: true };
    },
    'session.current': async () => ({ user: core.currentUser(), settings: core.settings() }),
    'data.list': async ({ collection }) => core.listText(collection),
    'data.mutate': async (request) => core.mutate(request),
    'sync.status': async () => core.syncStatus(),
    'sync.now': async () => core.syncNow(),
    'conflicts.list': async () => core.conflicts(),
    'conflicts.resolve': async ({ conflictId, choice }) => {
      await core.resolveConflict(conflictId, choice);
      return { ok: true };
    },
    'settings.get': async () => core.settings(),
    'settings.set': async (next) => core.setSettings(next),
    'admin.audit': async ({ limit }) => core.admin((c) => c.audit(limit)),
    'admin.createUser': async (input) => core.admin((c) => c.createUser(input)),
    'admin.serverInfo': async () => core.admin((c) => c.serverInfo()),
    'app.updateStatus': async () => core.updateStatus(),
    'attention.list': async () => core.attentionList(),
    'attention.dismiss': async ({ id }) => {
      await core.dismissAttention(id);
      return { ok: true };
    },
    'admin.updateUser': async ({ id, baseVersion, ...changes }) => core.admin((c) => c.updateUser(id, baseVersion, changes)),
    // Only the Electron shell can save a window as a PDF (main/electron/printing.ts answers there).
    'print.savePdf': async () => {
      throw new IpcFailure('unsupported', 'Saving as a PDF needs the desktop app; use Print and choose "Save as PDF"');
    },
  };
}

function isChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(invokeChannels, channel);
}

export class Terminal extends TerminalCore {
  private readonly handlers = handlersOf(this);
  private readonly windows = new Set<string>();

  /** A transport registers each window it opens; messages from anything else are refused. */
  registerWindow(windowId: string): () => void {
    this.windows.add(windowId);
    return () => this.windows.delete(windowId);
  }

  async invoke(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    const envelope = await this.invokeRaw(channel, request, sender);
    return envelope.ok && isJsonText(envelope.value) ? { ok: true, value: parseJsonText(envelope.value) } : envelope;
  }

  /**
   * The answer for a transport to send on: the envelope, or its JSON text when the cache thread
   * gave the answer as text (data.list), spliced in unparsed; the window parses it.
   */
  async invokeForWire(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown> | string> {
    const envelope = await this.invokeRaw(channel, request, sender);
    return envelope.ok && isJsonText(envelope.value) ? `{"ok":true,"value":${joinedJson(envelope.value)}}` : envelope;
  }

  private async invokeRaw(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    if (this.isClosed) return { ok: false, error: { code: 'failed', message: 'The terminal is shutting down' } };
    try {
      if (sender !== undefined && !this.windows.has(sender.windowId)) {
        throw new IpcFailure('forbidden', 'Messages are only accepted from this terminal’s own windows');
      }
      if (!isChannel(channel)) {
        throw new IpcFailure('unknown_channel', `Unknown channel: ${JSON.stringify(channel)?.slice(0, 100) ?? String(channel)}`);
      }
      const user = this.currentUser();
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
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      if (err instanceof IpcFailure) return { ok: false, error: err.toIpcError() };
      this.log(`ipc ${String(channel)} failed: ${(err as Error)?.stack ?? String(err)}`);
      return { ok: false, error: { code: 'failed', message: (err as Error)?.message ?? 'Internal error' } };
    }
  }
}

export function createTerminal(options: TerminalCoreOptions): Terminal {
  return new Terminal(options);
}

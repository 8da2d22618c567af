/**
 * A terminal as its windows reach it: the core (core.ts) with the IPC dispatcher in front of it.
 * A window's message goes transport -> here -> ipc/dispatch.ts -> ipc/handlers.ts -> core, one
 * way; the core's events go back to the transports through onEvent.
 */
import type { IpcEnvelope } from '../shared/ipc/contract';
import { TerminalCore, type TerminalCoreOptions } from './core';
import { IpcDispatcher, type IpcSender } from './ipc/dispatch';
import { createHandlers } from './ipc/handlers';
import { JsonText } from './ipc/jsonText';

export type { IpcSender } from './ipc/dispatch';
export type { EventListener, TerminalCoreOptions, TerminalStats } from './core';

export class Terminal extends TerminalCore {
  private readonly dispatcher: IpcDispatcher;

  constructor(options: TerminalCoreOptions) {
    super(options);
    this.dispatcher = new IpcDispatcher(createHandlers(this), this.log, () => this.currentUser());
  }

  async invoke(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    const envelope = await this.invokeRaw(channel, request, sender);
    return envelope.ok && envelope.value instanceof JsonText ? { ok: true, value: JSON.parse(envelope.value.text) } : envelope;
  }

  /**
   * The answer for a transport to send on: the envelope, or its JSON text when the cache thread
   * gave the answer as text (data.list), spliced in unparsed; the window parses it.
   */
  async invokeForWire(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown> | string> {
    const envelope = await this.invokeRaw(channel, request, sender);
    return envelope.ok && envelope.value instanceof JsonText ? `{"ok":true,"value":${envelope.value.text}}` : envelope;
  }

  private invokeRaw(channel: unknown, request: unknown, sender?: IpcSender): Promise<IpcEnvelope<unknown>> {
    if (this.isClosed) return Promise.resolve({ ok: false, error: { code: 'failed', message: 'The terminal is shutting down' } });
    return this.dispatcher.invoke(channel, request, sender);
  }

  /** A transport registers each window it opens; messages from anything else are refused. */
  registerWindow(windowId: string): () => void {
    return this.dispatcher.registerWindow(windowId);
  }
}

export function createTerminal(options: TerminalCoreOptions): Terminal {
  return new Terminal(options);
}

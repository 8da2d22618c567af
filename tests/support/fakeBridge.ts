/**
 * An in-memory `window.clinic` for renderer unit tests: answers invokes from handlers the test
 * supplies, records every call, and lets the test emit main's events.
 */
import type {
  ClinicBridge,
  EventChannel,
  EventPayload,
  InvokeChannel,
  InvokeRequest,
  InvokeResponse,
  IpcEnvelope,
} from '../../shared/ipc/contract';
import { eventListeners } from '../../renderer/src/bridge/eventListeners';

type Handler<C extends InvokeChannel> = (request: InvokeRequest<C>) => IpcEnvelope<InvokeResponse<C>> | Promise<IpcEnvelope<InvokeResponse<C>>>;
export type FakeHandlers = { [C in InvokeChannel]?: Handler<C> };

export type FakeBridge = ClinicBridge & {
  calls: { channel: InvokeChannel; request: unknown }[];
  emit<E extends EventChannel>(channel: E, payload: EventPayload<E>): void;
  listenerCount(channel: EventChannel): number;
};

export function fakeBridge(handlers: FakeHandlers): FakeBridge {
  const listeners = eventListeners();
  const calls: FakeBridge['calls'] = [];
  return {
    calls,
    async invoke(channel, request) {
      calls.push({ channel, request });
      const handler = handlers[channel] as Handler<typeof channel> | undefined;
      if (!handler) return { ok: false, error: { code: 'unknown_channel', message: `no fake for ${channel}` } };
      return (await handler(request)) as never;
    },
    on: listeners.on,
    emit: listeners.emit,
    listenerCount: listeners.count,
  };
}

export const ok = <T>(value: T): IpcEnvelope<T> => ({ ok: true, value });

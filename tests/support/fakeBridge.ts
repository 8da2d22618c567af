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

type Handler<C extends InvokeChannel> = (request: InvokeRequest<C>) => IpcEnvelope<InvokeResponse<C>> | Promise<IpcEnvelope<InvokeResponse<C>>>;
export type FakeHandlers = { [C in InvokeChannel]?: Handler<C> };

export type FakeBridge = ClinicBridge & {
  calls: { channel: InvokeChannel; request: unknown }[];
  emit<E extends EventChannel>(channel: E, payload: EventPayload<E>): void;
  listenerCount(channel: EventChannel): number;
};

export function fakeBridge(handlers: FakeHandlers): FakeBridge {
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const calls: FakeBridge['calls'] = [];
  return {
    calls,
    async invoke(channel, request) {
      calls.push({ channel, request });
      const handler = handlers[channel] as Handler<typeof channel> | undefined;
      if (!handler) return { ok: false, error: { code: 'unknown_channel', message: `no fake for ${channel}` } };
      return (await handler(request)) as never;
    },
    on(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(channel, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    emit(channel, payload) {
      for (const listener of listeners.get(channel) ?? []) listener(payload);
    },
    listenerCount(channel) {
      return listeners.get(channel)?.size ?? 0;
    },
  };
}

export const ok = <T>(value: T): IpcEnvelope<T> => ({ ok: true, value });

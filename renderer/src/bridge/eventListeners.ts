/**
 * The listeners a ClinicBridge keeps per event channel: `on` is the bridge's own (it returns the
 * listener's removal), `emit` hands an event from the terminal to each. The headless bridge and
 * the tests' in-memory bridge both keep theirs here.
 */
import type { ClinicBridge, EventChannel } from '../../../shared/ipc/contract';

type Listener = (payload: unknown) => void;

export function eventListeners(): { on: ClinicBridge['on']; emit(channel: EventChannel, payload: unknown): void; count(channel: EventChannel): number } {
  const byChannel = new Map<EventChannel, Set<Listener>>();
  return {
    on(channel, listener) {
      const set = byChannel.get(channel) ?? new Set();
      byChannel.set(channel, set);
      set.add(listener as Listener);
      return () => set.delete(listener as Listener);
    },
    emit(channel, payload) {
      for (const listener of byChannel.get(channel) ?? []) listener(payload);
    },
    count(channel) {
      return byChannel.get(channel)?.size ?? 0;
    },
  };
}

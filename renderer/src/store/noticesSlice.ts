/** Toasts, conflicts and the Needs attention list: what the desk is told, always in words. */
import type { AttentionEntry } from '../../../shared/ipc/attention';
import type { Conflict, EventPayload } from '../../../shared/ipc/contract';
import { call, type SliceContext, type ToastTone } from './clinicState';
import { refusalWords, rowWords, withoutIds } from './words';

export type NoticesActions = ReturnType<typeof createNoticesActions>;

export function createNoticesActions({ store, bridge, set, setTimer, toastMs }: SliceContext) {
  let nextToastId = 1;

  function toast(tone: ToastTone, text: string, key?: string): void {
    const id = nextToastId++;
    // No notice ever shows a raw id, whatever sentence reached it.
    const words = withoutIds(text);
    set((s) => {
      // A keyed toast replaces its predecessor ("Saved" after "Saved"), so a drained queue is one notice.
      const others = key ? s.toasts.filter((t) => t.key !== key) : s.toasts;
      // Newer notices push out older ones, but never an error: it stays until dismissed.
      const next = [...others, { id, tone, text: words, key }];
      const errors = next.filter((t) => t.tone === 'error');
      const rest = next.filter((t) => t.tone !== 'error').slice(-Math.max(1, 4 - errors.length));
      return { toasts: next.filter((t) => t.tone === 'error' || rest.includes(t)) };
    });
    if (toastMs > 0 && tone !== 'error') setTimer(() => dismissToast(id), toastMs);
  }

  function dismissToast(id: number): void {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  }

  function onOutcome(outcome: EventPayload<'mutation.outcome'>): void {
    if (store.getState().phase !== 'ready') return;
    // A refusal is told by its Needs attention entry (onAttention), in words.
    if (outcome.status === 'applied') toast('success', 'Saved', 'saved');
  }

  /** What an entry says: "Not booked: the booking of Deckow, Leanne with Dr. Baker, … — Dr. Baker already has …". */
  function attentionText(entry: AttentionEntry): { what: string; why: string } {
    const data = store.getState().data;
    const row = { ...(entry.before ?? {}), ...(entry.data ?? {}) };
    const subject = entry.op === 'adjust' ? rowWords(data, entry.collection, entry.before) : rowWords(data, entry.collection, row);
    return { what: `Not saved: ${subject}`, why: refusalWords(data, entry) };
  }

  function onAttention(entries: AttentionEntry[]): void {
    const state = store.getState();
    if (state.phase !== 'ready') return;
    const known = new Set(state.attention.map((e) => e.id));
    set({ attention: entries });
    for (const entry of entries) {
      if (known.has(entry.id)) continue;
      const { what, why } = attentionText(entry);
      toast('error', `${what}. ${why}. It is listed under Needs attention.`, `attention:${entry.id}`);
    }
  }

  function onConflict(conflict: Conflict): void {
    set((s) => ({ conflicts: [...s.conflicts.filter((c) => c.id !== conflict.id), conflict] }));
  }

  async function dismissAttention(id: string): Promise<boolean> {
    const answer = await call(bridge, 'attention.dismiss', { id });
    if (!answer.ok) {
      toast('error', `Could not take it off the list: ${answer.error}`);
      return false;
    }
    set((s) => ({ attention: s.attention.filter((e) => e.id !== id), toasts: s.toasts.filter((t) => t.key !== `attention:${id}`) }));
    return true;
  }

  return { toast, dismissToast, onOutcome, attentionText, onAttention, onConflict, dismissAttention };
}

/**
 * "Needs attention": changes made on this terminal that the server refused (a double booking, a
 * payment past the balance, a value it does not allow). They are kept in the terminal's cache
 * until someone acts on them, so nothing a user did vanishes. Entries carry what was wanted and
 * why it was refused; windows put that into words (never raw ids).
 */
import { z } from 'zod';
import { collectionName } from '../domain/collections';
import { rowId } from '../domain/primitives';
import { mutationOps } from '../sync/protocol';

const row = z.record(z.string(), z.unknown());

export const attentionEntry = z.object({
  id: z.string(),
  /** Who made the change; only they see the entry. */
  userId: z.string(),
  collection: collectionName,
  op: z.enum(mutationOps),
  rowId: rowId,
  /** What the change carried: a create's fields, an update's changed fields, an adjustment. */
  data: row.nullable(),
  /** The row before the change, as this terminal had it (null for a create): names what it was about. */
  before: row.nullable(),
  /** HTTP-like reason code from the server (400, 403, 404, 409). */
  code: z.int().nullable(),
  /** The server's sentence; may hold ids, so windows show their own words instead. */
  error: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })),
  /** A double booking: the appointment it would have overlapped. */
  conflictsWith: row.nullable(),
  madeAt: z.string(),
  recordedAt: z.string(),
});
export type AttentionEntry = z.infer<typeof attentionEntry>;

export const attentionInvokeChannels = {
  'attention.list': { access: 'signed-in', request: z.strictObject({}), response: z.array(attentionEntry) },
  /** Someone acted on it (rebooked, saved again, or discarded it): it leaves the list. */
  'attention.dismiss': { access: 'signed-in', request: z.strictObject({ id: z.string().min(1).max(100) }), response: z.object({ ok: z.literal(true) }) },
} as const;

export const attentionEventChannels = {
  /** The signed-in user's entries, whole, after every change to them. */
  'attention.changed': z.array(attentionEntry),
} as const;

/**
 * Builds the parsers of the sync path once, as a process or thread starts, instead of on the
 * first edit after start. zod builds each object schema's parser on its first check (and each
 * nested object's on the first check that reaches it): 5-20 ms apiece here, and on a clinic's
 * first edit after a start every terminal and the server paid theirs for the same edit at once
 * (docs/performance.md, "500 live terminals": edit 0 at ~200 ms against ~40 ms after it).
 *
 * Samples are made up and their verdicts are not wanted: a schema that one day refuses a
 * sample must not stop anything from starting, it only leaves that parser to its first use.
 */
import { anyRow, collectionNames, collections } from '../domain/collections';
import { invokeChannels } from '../ipc/contract';
import { change, liveServerMessage, pullEnvelope, pushRequest, pushResponse } from './protocol';

const id = '00000000-0000-4000-8000-000000000000';
const at = new Date(0).toISOString();

/** A row as the server sends it: the meta fields and one collection's defaults. */
function sampleRow(defaults: object): Record<string, unknown> {
  return { ...defaults, id, version: 1, updatedAt: at, updatedBy: id };
}

/**
 * What a terminal or the server checks on every synced edit, one step per collection and one for
 * the protocol's messages: a step builds a few parsers (2-12 ms here; the clinic settings' about
 * 35 ms), so a thread that serves windows can run them between its other work, not in one block.
 */
export function syncParserWarmUps(): Array<() => void> {
  const perCollection = collectionNames.map((c) => () => {
    const { defaults } = collections[c];
    const row = sampleRow(defaults);
    collections[c].create.safeParse({ ...defaults });
    collections[c].update.safeParse({ ...defaults });
    collections[c].row.safeParse(row);
    change.safeParse({ collection: c, id, op: 'upsert', version: 1, row });
  });
  const protocol = () => {
    const row = sampleRow(collections.patients.defaults);
    anyRow.safeParse(row);
    const mutation = { mutationId: id, collection: 'patients', op: 'update', id, baseVersion: 1, data: { notes: '' } };
    pushRequest.safeParse({ clientId: 'warm-up', mutations: [mutation] });
    pushResponse.safeParse({ results: [{ mutationId: id, status: 'applied', row }], cursor: '1' });
    pullEnvelope.safeParse({ changes: [], cursor: '1', hasMore: false });
    liveServerMessage.safeParse({ type: 'poke', cursor: '1', from: '0', changes: [] });
    liveServerMessage.safeParse({ type: 'heartbeat', at });
    invokeChannels['data.mutate'].request.safeParse({ op: 'update', collection: 'patients', id, baseVersion: 1, data: { notes: '' } });
  };
  return [...perCollection, protocol];
}

/** Every step at once: for a thread that serves no window yet (the server before it listens, the cache thread as it opens). */
export function warmUpSyncParsers(): void {
  for (const step of syncParserWarmUps()) step();
}

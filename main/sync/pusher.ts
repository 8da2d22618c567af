/**
 * The pusher: sends the outbox to the server, in order, a batch at a time, and lays the server's
 * answers onto the cache (on its thread) in one transaction per batch; the windows hear of the
 * rows that changed, of conflicts and of every mutation's outcome.
 */
import type { AnyRow, CollectionName } from '../../shared/domain/collections';
import type { MutationResult } from '../../shared/sync/protocol';
import type { CacheCalls } from '../cache/cache-messages';
import { toMutation, type OutboxEntry } from '../cache/outbox';
import { testCrashPoint } from '../crash-hooks';
import { ServerRefused, type ServerClient } from './client';
import type { Emit } from './engineDeps';

export interface PusherDeps {
  cache: CacheCalls;
  client: ServerClient;
  clientId: string;
  /** Mutations per push request. */
  pushBatch: number;
  emit: Emit;
}

export class Pusher {
  /** A batch the server refused as a whole is retried one mutation at a time to find the culprit. */
  private oneByOne = false;

  constructor(private readonly deps: PusherDeps) {}

  /**
   * Pushes until the outbox is empty; how many mutations the server answered. `first`: the first
   * batch as the run's start read it (CacheService.runStart, nextBatch with pushBatch).
   */
  async pushOutbox(first?: OutboxEntry[]): Promise<number> {
    let answered = 0;
    for (let given = first; ; given = undefined) {
      // nextBatch(1) is the first entry of nextBatch(n): a batch read for the run serves one-by-one too.
      const batch = given ? given.slice(0, this.oneByOne ? 1 : this.deps.pushBatch) : await this.deps.cache.nextBatch(this.oneByOne ? 1 : this.deps.pushBatch);
      if (batch.length === 0) return answered;
      let results: MutationResult[];
      try {
        const answer = await this.deps.client.push({ clientId: this.deps.clientId, mutations: batch.map(toMutation) });
        results = answer.results;
      } catch (err) {
        if (err instanceof ServerRefused && err.status !== 401) {
          if (batch.length > 1) {
            this.oneByOne = true;
            continue;
          }
          results = [{ mutationId: batch[0]!.mutationId, status: 'rejected', error: err.message, code: err.status }];
        } else {
          await this.deps.cache.recordPushFailure(
            batch.map((e) => e.mutationId),
            err instanceof Error ? err.message : String(err),
          );
          throw err;
        }
      }
      testCrashPoint('before-push-answer');
      this.oneByOne = false;
      await this.applyResults(batch, results);
      answered += results.length;
    }
  }

  private async applyResults(batch: OutboxEntry[], results: MutationResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.mutationId, r]));
    // Rejected edits without the server's row: fetch it so the local row can be rolled back.
    const fetched: Record<string, AnyRow | null> = {};
    for (const e of batch) {
      const r = byId.get(e.mutationId);
      // A refusal may carry ANOTHER row (the clashing appointment, the invoice a payment exceeds).
      if (r && r.status !== 'applied' && r.row?.id !== e.rowId && e.op !== 'create') {
        fetched[e.mutationId] = await this.fetchRow(e.collection, e.rowId);
      }
    }
    const { changed, conflicts, outcomes } = await this.deps.cache.applyPushAnswer(batch, results, fetched);
    if (changed.count > 0) this.deps.emit('data.changed', changed.payload);
    for (const c of conflicts) this.deps.emit('conflict.recorded', c);
    for (const o of outcomes) this.deps.emit('mutation.outcome', o);
  }

  private async fetchRow(collection: CollectionName, id: string): Promise<AnyRow | null> {
    try {
      return await this.deps.client.getRow(collection, id);
    } catch (err) {
      if (err instanceof ServerRefused && err.status === 404) return null;
      // Cannot tell: keep the cached row as the server's until the next pull says otherwise.
      return this.deps.cache.row(collection, id);
    }
  }
}

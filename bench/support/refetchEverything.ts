/**
 * The seed's sync behaviour, kept for the bench's bytes rows only: no live channel; every 30 s
 * (patients, appointments) and 60 s (inventory, referrals), and after every local mutation, GET
 * each collection in full through the REST routes and make the cache equal to it. It plugs into
 * the terminal's sync engine as its change source (main/sync/engineDeps.ts).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CollectionName, Role } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import type { ChangeSource, ChangeSourceFactory, ChangeSourceHost } from '../../main/sync/engine';
import type { PokedPage, RunStart } from '../../main/cache/service';

export interface RefetchSchedule {
  /** Patients and appointments. */
  fastMs: number;
  /** Inventory and referrals. */
  slowMs: number;
}

export const seedRefetchSchedule: RefetchSchedule = { fastMs: 30_000, slowMs: 60_000 };

const fastCollections: CollectionName[] = ['patients', 'appointments'];
const slowCollections: CollectionName[] = ['inventory', 'referrals'];

class RefetchEverything implements ChangeSource {
  private readonly due = new Set<CollectionName>();
  private readonly timers: NodeJS.Timeout[] = [];
  readonly isLive = false;

  constructor(
    private readonly host: ChangeSourceHost,
    private readonly schedule: RefetchSchedule,
  ) {}

  start(): void {
    this.allDue();
    const every = (ms: number, collections: CollectionName[]) => {
      const timer = setInterval(() => {
        const allowed = this.allowed();
        for (const c of collections) if (allowed.includes(c)) this.due.add(c);
        void this.host.requestSync();
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.schedule.fastMs, fastCollections);
    every(this.schedule.slowMs, slowCollections);
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** The seed refetched everything after every mutation. */
  afterLocalMutation(): void {
    this.allDue();
  }

  wantPull(): void {}

  /** It takes nothing from pokes: every run refetches. */
  readyPages(): readonly PokedPage[] {
    return [];
  }

  async beginRun(_start: RunStart): Promise<void> {}

  dropReadyPages(): void {}

  succeeded(): void {}

  forget(): void {
    this.allDue();
  }

  /** The REST user list is admin-only; the seed never fetched it, so this does not either. */
  collections(role: Role): CollectionName[] {
    return syncedCollections(role).filter((c) => c !== 'users' || role === 'admin');
  }

  /** True: the refetched collections may have changed the cache. */
  async pull(): Promise<boolean> {
    const { deps } = this.host;
    const due = [...this.due].filter((c) => this.allowed().includes(c));
    for (const collection of due) {
      const rows = await deps.client.listCollection(collection);
      // As with pull pages: an answer means the server is reachable, even mid-run.
      this.host.answered();
      this.due.delete(collection);
      const changes = await deps.cache.replaceCollection(collection, rows);
      if (changes.length > 0) deps.emit('data.changed', { source: 'remote', changes });
      await yieldToEventLoop();
    }
    this.host.initial.done = true;
    return true;
  }

  private allowed(): CollectionName[] {
    const role = this.host.deps.role();
    return role ? this.collections(role) : [];
  }

  private allDue(): void {
    for (const c of this.allowed()) this.due.add(c);
  }
}

/** The seed's behaviour as a change source for the terminal's sync engine. */
export function refetchEverything(schedule: Partial<RefetchSchedule> = {}): ChangeSourceFactory {
  const s = { ...seedRefetchSchedule, ...schedule };
  return (host) => new RefetchEverything(host, s);
}

/**
 * Changes that came inside pokes (the live channel's `?changes=1`, shared/sync/protocol.ts),
 * waiting for the sync loop to apply them instead of pulling. A page applies only on top of the
 * cursor it starts from; a page that does not continue the cache's cursor is dropped, and the
 * loop pulls as after any poke. So a lost, late or doubled poke costs a pull, never a change.
 */
export interface PokedPage {
  /** The cursor the changes follow: the cache must be exactly there. */
  from: string;
  cursor: string;
  changes: unknown[];
}

/** Pages wait only while the loop is busy; a loop stuck offline must not hoard them. */
const maxWaiting = 64;

export class PokedChanges {
  private waiting: PokedPage[] = [];
  /** The newest cursor the server named, in a poke or `ready`. */
  private newest: string | null = null;
  /** Pokes and `ready`s heard so far (never reset): whether one came since a given moment. */
  heardCount = 0;

  heard(cursor: string, page: PokedPage | null): void {
    this.heardCount++;
    this.newest = cursor;
    if (!page) return;
    this.waiting.push(page);
    if (this.waiting.length > maxWaiting) this.waiting.shift();
  }

  /** The page that continues `cursor`, if one came; pages before it are dropped. */
  next(cursor: string): PokedPage | null {
    while (this.waiting.length > 0) {
      const page = this.waiting.shift()!;
      if (page.from === cursor) return page;
    }
    return null;
  }

  /** Whether `cursor` is where the newest poke said the log ends: nothing is left to pull. */
  isNewest(cursor: string): boolean {
    return this.newest === cursor;
  }

  clear(): void {
    this.waiting = [];
    this.newest = null;
  }
}

/**
 * After each commit every connected terminal is poked and pulls from the same cursor: with 50
 * terminals that is 49 identical queries for one change. Identical pulls (same cursor, limit,
 * role and collections) share one store read, and one answer text, until the next commit.
 * Answers are built per role before they are shared; auditing stays per request (the caller's job).
 */
import type { ClinicStore } from '../store/types';

/** Even without a commit notice (another instance's may lag), a shared page is this fresh. */
const maxAgeMs = 1_000;
/** Bounded: the cache only ever serves the burst right after a commit. */
const maxEntries = 256;

export class SharedPulls<Page> {
  private readonly pages = new Map<string, { at: number; page: Promise<Page> }>();
  private readonly unsubscribe: () => void;

  constructor(store: ClinicStore) {
    this.unsubscribe = store.onCommitted(() => this.pages.clear());
  }

  /** The page for `key`, read once by `read` and shared by identical requests until a commit. */
  get(key: string, read: () => Promise<Page>): Promise<Page> {
    const now = Date.now();
    const hit = this.pages.get(key);
    if (hit && now - hit.at <= maxAgeMs) return hit.page;
    if (this.pages.size >= maxEntries) this.pages.clear();
    const page = read();
    this.pages.set(key, { at: now, page });
    // A failed read is not shared: the next request tries again.
    page.catch(() => {
      if (this.pages.get(key)?.page === page) this.pages.delete(key);
    });
    return page;
  }

  close(): void {
    this.unsubscribe();
    this.pages.clear();
  }
}

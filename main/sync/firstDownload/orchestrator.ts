/**
 * The first-download orchestrator: a cache with no cursor is filled on the download thread
 * (./firstDownload.ts) from a snapshot where the server offers one, or else from the change
 * log's pages. This side fetches (the next answer while the thread writes the last), hands the
 * bytes over undecoded, resumes a download a failed request cut off, and finally tells the
 * windows of every row cached. Without the thread, the engine's puller walks the log itself.
 */
import { rmSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CollectionName } from '../../../shared/domain/collections';
import { syncedCollections } from '../../../shared/domain/access';
import { snapshotPartRows } from '../../../shared/sync/snapshot';
import { BadServerAnswer, type SnapshotPart } from '../client';
import type { EngineDeps, InitialSync } from '../engineDeps';
import type { FirstDownload } from './firstDownload';
import { removeSnapshotFiles, snapshotFileBeside } from './snapshotImport';
import { newSnapshotSeal, type SnapshotSeal } from './snapshotSeal';

/** Rows per 'data.downloaded' event when windows hear of a first download's rows (about 1 ms each). */
const announceBatchRows = 2000;

export type { InitialSync };

/** What the orchestrator shares with the engine that runs it. */
export interface DownloadHost {
  initial: InitialSync;
  stopped(): boolean;
  /** The server answered: a long first download must not read as Offline until its last page. */
  answered(): void;
  publishStatus(): Promise<void>;
}

/** A snapshot part already on its way when its download failed or stopped is nobody's: it holds a user's rows. */
function discardPrefetched(next: Promise<FirstAnswer>): void {
  next.then((a) => a.kind === 'snapshot' && rmSync(a.file, { force: true }), () => undefined);
}

/** What a first download starts from: a snapshot of every row, or the change log's first page. */
type FirstAnswer = { kind: 'snapshot'; file: string; part: SnapshotPart; seal: SnapshotSeal } | { kind: 'page'; bytes: Buffer };

export class FirstDownloads {
  /** The first download in progress, kept across failed requests so it resumes where it stopped. */
  private download: FirstDownload | null = null;
  /** Set when the download thread could not start: the puller walks the log instead. */
  private downloadThreadUnavailable = false;
  /** Set when the server offers no snapshot, or sent one this terminal refused: walk the log. */
  private snapshotsUnusable = false;
  /** Snapshot parts fetched so far: each gets a file name of its own. */
  private snapshotParts = 0;

  constructor(
    private readonly deps: Pick<EngineDeps, 'cache' | 'cacheFile' | 'client' | 'schedule' | 'startDownload' | 'role' | 'emit' | 'log'>,
    private readonly host: DownloadHost,
  ) {}

  /** The engine stopped: the download's thread goes. */
  abort(): void {
    const download = this.download;
    this.download = null;
    void download?.abort();
  }

  /** The cache was emptied: the next download starts from nothing. */
  forget(): void {
    this.download = null;
  }

  /**
   * The first download under way, or a new one on its thread; null: the puller walks the log instead. A
   * new download asks for its first answer (a snapshot, or else the first page) while the thread
   * starts (loading its code takes a while).
   */
  async begin(): Promise<{ download: FirstDownload; first: Promise<FirstAnswer> } | null> {
    // Awaited by downloadOnThread; unused when the thread cannot start.
    const settledLater = (answer: Promise<FirstAnswer>) => {
      answer.catch(() => undefined);
      return answer;
    };
    if (this.download?.usable && !(this.snapshotsUnusable && this.download.snapshotNext !== null)) {
      const d = this.download;
      const first = d.snapshotNext !== null ? this.laterSnapshotPart(d.snapshotNext) : d.cursor === null ? this.snapshotOrFirstPage() : this.pageAt(d.cursor);
      return { download: d, first: settledLater(first) };
    }
    // A snapshot the server stopped offering half-way: start over, walking the log.
    if (this.download?.usable) void this.download.abort();
    if (this.download?.fromSnapshot && this.download.refusedAnswer && !this.snapshotsUnusable) {
      // Its bad row may have surfaced as any error (the copy runs while the next page is fetched):
      // asking for the same snapshot again would fail the same way.
      this.snapshotsUnusable = true;
      this.deps.log(`the server's snapshot was refused (${this.download.failureMessage}); this first download walks the change log instead`);
    }
    this.download = null;
    const role = this.deps.role();
    if (!this.deps.startDownload || this.downloadThreadUnavailable || !role) return null;
    Object.assign(this.host.initial, { done: false, received: 0, total: null });
    // Parts a crashed download left behind (they hold this user's rows; nothing reads them).
    removeSnapshotFiles(this.deps.cacheFile);
    const first = settledLater(this.snapshotOrFirstPage());
    try {
      this.download = await this.deps.startDownload(role, syncedCollections(role), (changes) => {
        this.host.initial.received += changes;
        void this.host.publishStatus();
      });
    } catch (err) {
      this.downloadThreadUnavailable = true;
      this.deps.log(`the first download thread cannot run (${(err as Error).message}); the change log is pulled page by page instead`);
      return null;
    }
    if (this.host.stopped()) {
      void this.download.abort();
      this.download = null;
      return null;
    }
    return { download: this.download, first };
  }

  private async pageAt(cursor: string | null): Promise<FirstAnswer> {
    return { kind: 'page', bytes: await this.deps.client.pullBytes(cursor, this.deps.schedule.pullLimit) };
  }

  /** The first part of a snapshot (shared/sync/snapshot.ts) where the server offers one, or else the first page. */
  private async snapshotOrFirstPage(): Promise<FirstAnswer> {
    if (!this.snapshotsUnusable) {
      const first = await this.snapshotPart(null);
      if (first) return first;
    }
    return this.pageAt(null);
  }

  /** A part after the first: the server offered the snapshot, so it must go on offering it. */
  private async laterSnapshotPart(after: string): Promise<FirstAnswer> {
    const part = await this.snapshotPart(after);
    if (!part) throw new BadServerAnswer('The server stopped offering the snapshot half-way; the first download starts over');
    return part;
  }

  /**
   * A snapshot part, in a file of its own beside the cache (the thread copies the one before while
   * it comes). Null when the server offers no snapshots.
   */
  private async snapshotPart(after: string | null): Promise<FirstAnswer | null> {
    const started = performance.now();
    const file = snapshotFileBeside(this.deps.cacheFile, this.snapshotParts++);
    // The part is written to disk sealed with a key of its own that only this process holds.
    const seal = newSnapshotSeal();
    let part;
    try {
      part = await this.deps.client.snapshotTo(file, after, snapshotPartRows.default, seal);
    } catch (err) {
      rmSync(file, { force: true });
      throw err;
    }
    if (part === null) {
      rmSync(file, { force: true });
      this.snapshotsUnusable = true;
      this.deps.log('the server offers no snapshot: the first download walks the change log');
      return null;
    }
    // Stopped meanwhile (a sign-out): the file holds the previous user's rows.
    if (this.host.stopped()) rmSync(file, { force: true });
    this.deps.log(
      `first download: snapshot part of ${(part.bytes / 1e6).toFixed(1)} MB came in ${Math.round(performance.now() - started)} ms` +
        (part.serverMs !== null ? ` (the server wrote it in ${part.serverMs} ms)` : '') +
        (part.next === null ? ', the last' : ''),
    );
    return { kind: 'snapshot', file, part, seal };
  }

  /**
   * A first download: this thread fetches the snapshot or the pages (the next one as soon as the
   * download thread has read the last one's cursor) and passes their bytes on, undecoded; the
   * download thread checks and writes them and finally swaps them into the cache. A failed
   * request leaves the download where it was, and the next run resumes it.
   */
  async run({ download, first }: { download: FirstDownload; first: Promise<FirstAnswer> }): Promise<string | null> {
    const started = performance.now();
    const cursor = await this.handOverPages(download, first);
    if (this.host.stopped()) return null;
    const summary = await download.finish(cursor);
    this.download = null;
    const rows = Object.values(summary.rows).reduce((a, b) => a + (b ?? 0), 0);
    this.deps.log(
      `first download: ${rows} rows cached in ${Math.round(performance.now() - started)} ms` +
        (summary.duplicates > 0 ? `, ${summary.duplicates} rows that changed meanwhile came twice` : '') +
        (summary.pendingRows > 0 ? `, ${summary.pendingRows} rows with unsent edits laid back on top` : ''),
    );
    await this.announceCachedRows(Object.keys(summary.rows) as CollectionName[]);
    this.host.initial.done = true;
    await this.host.publishStatus();
    return cursor;
  }

  /**
   * Hand the first answer and everything after it to the thread: a snapshot's parts, each asked for
   * while the thread copies the one before, then the pages after the snapshot. Returns the last
   * page's cursor.
   */
  private async handOverPages(download: FirstDownload, first: Promise<FirstAnswer>): Promise<string> {
    let next = first;
    try {
      for (;;) {
        const answer = await next;
        this.host.answered();
        if (answer.kind === 'snapshot') {
          const copied = download.snapshot(answer.file, answer.part, answer.seal);
          if (answer.part.total !== null) this.host.initial.total = answer.part.total;
          next = answer.part.next !== null ? this.laterSnapshotPart(answer.part.next) : this.pageAt(download.cursor);
          // Settled later by the await above; a failure we never await must not crash the process.
          next.catch(() => undefined);
          await copied;
          if (this.host.stopped()) {
            discardPrefetched(next);
            return download.cursor ?? '';
          }
          continue;
        }
        const envelope = await download.page(answer.bytes);
        // The changes after a snapshot come on top of its rows.
        if (download.fromSnapshot) this.host.initial.total = (this.host.initial.total ?? 0) + envelope.changes;
        else if (envelope.total !== null) this.host.initial.total = envelope.total;
        if (!envelope.hasMore || this.host.stopped()) return envelope.cursor;
        next = this.pageAt(envelope.cursor);
        next.catch(() => undefined);
      }
    } catch (err) {
      discardPrefetched(next);
      throw err;
    }
  }

  /** Tell the windows of every row a first download cached, a batch at a time between yields. */
  private async announceCachedRows(collections: CollectionName[]): Promise<void> {
    for (const collection of collections) {
      let after = 0;
      for (;;) {
        if (this.host.stopped()) return;
        const batch = await this.deps.cache.rowsJsonAfter(collection, after, announceBatchRows);
        if (batch.count > 0) this.deps.emit('data.downloaded', { collection, rowsJson: batch.json });
        if (batch.count < announceBatchRows) break;
        after = batch.last;
        await yieldToEventLoop();
      }
    }
  }
}

/**
 * The main thread's side of a first download: it hands each pulled page's bytes to the download
 * thread (./download-worker.ts) and hears back the page's envelope (to ask for the next page at
 * once), each page's rows appended, and the swap at the end. One download lives across failed
 * requests: after a network error the engine resumes it from `cursor`.
 */
import type { Worker } from 'node:worker_threads';
import type { CollectionName, Role } from '../../../shared/domain/collections';
import { startWorkerThread } from '../../workerThreads';
import { BadServerAnswer } from '../client';
import type { SwapSummary } from './bulkLoad';
import type { DownloadCommand, DownloadReport, DownloadWorkerData } from './messages';
import type { CacheKey } from '../../cache/encryption';
import type { SnapshotSeal } from './snapshotSeal';

export interface FirstDownloadOptions {
  /** The thread's script: ./download-worker.ts under tsx, the bundled .cjs under Electron. */
  script: string | URL;
  /** The cache file. */
  file: string;
  nativeBinding?: string;
  /** The thread opens the encrypted cache with the same key. */
  cacheKey: CacheKey | null;
  role: Role;
  collections: CollectionName[];
  /** Rows of a page were written (for the progress the windows show). */
  onAppended: (changes: number) => void;
  log: (line: string) => void;
}

export type PageEnvelope = Extract<DownloadReport, { type: 'envelope' }>;

type Waiter<T> = { resolve: (value: T) => void; reject: (err: Error) => void };

export class FirstDownload {
  /** Where the next page starts: the cursor of the last page handed over (null: the beginning). */
  cursor: string | null = null;
  /** The download began with the server's snapshot (its rows are in the load tables). */
  fromSnapshot = false;
  /** Where the snapshot's next part starts; null: no (more) parts. */
  snapshotNext: string | null = null;
  private failure: Error | null = null;
  private readonly envelopes: Waiter<PageEnvelope>[] = [];
  private finishing: Waiter<SwapSummary> | null = null;
  private ended = false;

  private constructor(
    private readonly worker: Worker,
    private readonly options: FirstDownloadOptions,
  ) {
    worker.on('message', (report: DownloadReport) => this.hear(report));
    worker.on('error', (err) => this.fail(new Error(`the download thread failed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.ended) this.fail(new Error(`the download thread exited (code ${code})`));
    });
  }

  /** Starts the thread; rejects if it cannot run (the engine then writes pages itself). */
  static start(options: FirstDownloadOptions): Promise<FirstDownload> {
    const data: DownloadWorkerData = {
      file: options.file,
      cacheKey: options.cacheKey,
      role: options.role,
      collections: options.collections,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    };
    const worker = startWorkerThread(options.script, data);
    // A download never keeps a terminal process alive on its own.
    worker.unref();
    return new Promise((resolve, reject) => {
      const onReady = (report: DownloadReport) => {
        if (report.type !== 'ready') return;
        cleanup();
        resolve(new FirstDownload(worker, options));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`the download thread exited before it was ready (code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onReady);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onReady);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /** The download failed because the server's answer (a page, a snapshot) was refused. */
  get refusedAnswer(): boolean {
    return this.failure instanceof BadServerAnswer;
  }

  get failureMessage(): string {
    return this.failure?.message ?? '';
  }

  /** The download can go on (it did not fail and was not aborted or finished). */
  get usable(): boolean {
    return this.failure === null && !this.ended;
  }

  /**
   * Hand over one pull answer's bytes; resolves with its envelope once the thread parsed it. The
   * bytes move to the thread (`bytes` must not be used afterwards): decoding and copying 180 MB
   * of pages cost the main thread half a second.
   */
  page(bytes: Buffer): Promise<PageEnvelope> {
    // A Buffer may be a view into a larger (pooled) allocation: only a whole one moves as it is.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const owned = whole ? (bytes.buffer as ArrayBuffer) : new Uint8Array(bytes).buffer;
    return this.handOver({ type: 'page', bytes: owned }, [owned]);
  }

  /**
   * A snapshot part is in `file` (shared/sync/snapshot.ts); resolves once the thread has opened it,
   * while it copies the rows. The pages after the snapshot start at its first part's cursor.
   */
  snapshot(file: string, part: { cursor: string; next: string | null }, seal: SnapshotSeal): Promise<PageEnvelope> {
    this.fromSnapshot = true;
    if (this.cursor === null) this.cursor = part.cursor;
    this.snapshotNext = part.next;
    return this.handOver({ type: 'snapshot', file, seal }, [], false);
  }

  private handOver(command: DownloadCommand, transfer: ArrayBuffer[], takeCursor = true): Promise<PageEnvelope> {
    if (this.failure) return Promise.reject(this.failure);
    const envelope = new Promise<PageEnvelope>((resolve, reject) => this.envelopes.push({ resolve, reject }));
    this.worker.postMessage(command, transfer);
    return envelope.then((e) => {
      if (takeCursor) this.cursor = e.cursor;
      return e;
    });
  }

  /** After the last page: index, swap the rows in and store `cursor`. */
  finish(cursor: string): Promise<SwapSummary> {
    if (this.failure) return Promise.reject(this.failure);
    const done = new Promise<SwapSummary>((resolve, reject) => (this.finishing = { resolve, reject }));
    this.send({ type: 'finish', cursor });
    return done;
  }

  /** Stop: the thread drops the load tables (they hold this user's rows) and ends. */
  async abort(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const stopped = new Promise<void>((resolve) => {
      this.worker.on('message', (r: DownloadReport) => (r.type === 'aborted' || r.type === 'failed') && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.send({ type: 'abort' });
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.worker.terminate();
    this.rejectAll(new Error('the download was stopped'));
  }

  private send(command: DownloadCommand): void {
    this.worker.postMessage(command);
  }

  private hear(report: DownloadReport): void {
    switch (report.type) {
      case 'envelope':
        this.envelopes.shift()?.resolve(report);
        break;
      case 'appended':
        this.options.onAppended(report.changes);
        break;
      case 'progress':
        this.options.log(`first download: ${report.step}`);
        break;
      case 'finished':
        this.ended = true;
        this.finishing?.resolve(report.summary);
        this.finishing = null;
        break;
      case 'failed':
        this.fail(report.badAnswer ? new BadServerAnswer(report.error) : new Error(`the first download failed: ${report.error}`));
        break;
      default:
        break;
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectAll(err);
  }

  private rejectAll(err: Error): void {
    for (const w of this.envelopes.splice(0)) w.reject(err);
    this.finishing?.reject(err);
    this.finishing = null;
  }
}

/** The thread's script beside this module, for tsx (the Electron build passes its bundled copy). */
export function defaultDownloadWorkerScript(): URL {
  return new URL('./download-worker.ts', import.meta.url);
}

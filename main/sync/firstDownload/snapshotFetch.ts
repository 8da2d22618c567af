/**
 * The main thread's side of the thread that receives a first download's snapshot parts
 * (./snapshot-fetch-worker.ts). A part is tens of megabytes: its socket reads, the sealing
 * cipher, the file writes and the garbage they leave stalled the main thread's event loop (the
 * windows' IPC) for milliseconds at a time. The main thread keeps the session and the rules of
 * trust (ServerClient.snapshotTo): it hands the thread one request at a time with its token and
 * pinned certificate, and reads back the status, the headers and the byte count.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../workerThreads';
import type { SnapshotSeal } from './snapshotSeal';

export interface SnapshotFetchRequest {
  id: number;
  /** The whole URL of the part (GET /api/sync/snapshot?...). */
  url: string;
  token: string | null;
  /** The pinned certificate's fingerprint (https); the thread refuses any other. */
  pin: string | null;
  /** Where the sealed part goes (0600). */
  file: string;
  seal: SnapshotSeal;
  /** No answer, or no bytes, for this long: the request is given up. */
  timeoutMs: number;
}

export type SnapshotFetchAnswer =
  /** The server answered: a 200's body is in the file, any other status's body is `text`. */
  | { id: number; kind: 'answer'; status: number; headers: Record<string, string>; text: string; bytes: number }
  /** No answer: `certificate` when the server showed another certificate than the pinned one. */
  | { id: number; kind: 'unreachable'; certificate: boolean; message: string }
  /** A 200 whose body broke off. */
  | { id: number; kind: 'broken'; message: string; bytes: number };

/** The thread's script beside this module, for tsx (the Electron build passes its bundled copy). */
export function defaultSnapshotFetchScript(): URL {
  return new URL('./snapshot-fetch-worker.ts', import.meta.url);
}

/** A request the thread was closed under (a sign-out or shutdown mid-download): nothing went wrong. */
export class SnapshotThreadClosed extends Error {}

/** How long the thread waits for the next part before it ends (a first download asks for the next at once). */
const idleMs = 10_000;

export class SnapshotFetchThread {
  private worker: Worker | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (a: SnapshotFetchAnswer) => void; reject: (e: Error) => void }>();

  constructor(private readonly script: string | URL) {}

  fetch(request: Omit<SnapshotFetchRequest, 'id'>): Promise<SnapshotFetchAnswer> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<SnapshotFetchAnswer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } satisfies SnapshotFetchRequest);
    });
  }

  /** Ends the thread; a request still under way is refused. */
  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new SnapshotThreadClosed('the snapshot thread was closed'));
    void worker?.terminate();
  }

  private start(): Worker {
    const worker = startWorkerThread(this.script, null);
    // A download that is left half-way must not keep the process alive.
    worker.unref();
    worker.on('message', (answer: SnapshotFetchAnswer) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      waiter?.resolve(answer);
      if (this.waiting.size === 0) this.idleTimer = setTimeout(() => this.close(), idleMs).unref();
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the snapshot thread ended (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}

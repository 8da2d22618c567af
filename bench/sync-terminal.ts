/**
 * A terminal core alone in its own process, for the figures that need a process to themselves:
 * the initial sync into an empty cache (time, rows/s, peak memory of the process) and the
 * event-loop delay while it syncs and while a burst of incoming changes lands.
 * Driven by bench/scenarios/initial-sync.ts over the IPC channel of child_process.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { openTerminal, signIn } from './support/terminal';
import { waitFor } from './support/stats';
import { isJsonText } from '../main/ipc/jsonText';

export interface SyncTerminalConfig {
  dataDir: string;
  serverUrl: string;
  username: string;
  password: string;
  /** False: the cache unencrypted (the side-by-side baseline of docs/performance.md). */
  encryptCache?: boolean;
  /** 'inline': the cache on the main thread, as before the cache thread (the side-by-side "today"). */
  cacheThread?: 'worker' | 'inline';
}

export type SyncParentMessage = { type: 'sync' } | { type: 'burst'; marker: string; count: number } | { type: 'exit' };

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export type SyncChildMessage =
  | { type: 'ready' }
  | {
      type: 'synced';
      ms: number;
      cpuMs: number;
      rows: number;
      peakRssBytes: number;
      peakHeapBytes: number;
      rssBeforeBytes: number;
      /** The main thread's (the windows' and IPC's). */
      loopDelay: LoopDelay;
      /** The cache thread's own, measured there (10 ms resolution); inline: the main thread's again. */
      cacheLoopDelay: LoopDelay;
      /** An idle thread of this process sampling its own loop: what waiting for a CPU alone costs. */
      controlLoopDelay: LoopDelay;
    }
  | { type: 'armed' }
  | { type: 'burst-done'; ms: number; received: number; loopDelay: LoopDelay; cacheLoopDelay: LoopDelay; controlLoopDelay: LoopDelay }
  | { type: 'failed'; error: string };

const config = JSON.parse(process.env.BENCH_SYNC ?? 'null') as SyncTerminalConfig | null;
if (config === null) {
  console.error('sync-terminal is started by bench/scenarios/initial-sync.ts (BENCH_SYNC is unset)');
  process.exit(2);
}
const cfg = config;
const send = (m: SyncChildMessage) => process.send?.(m);

// 1 ms sampling: the target is a p99 under 20 ms, so the instrument must resolve well below it.
const histogram = monitorEventLoopDelay({ resolution: 1 });
const loopDelay = (): LoopDelay => ({
  p50: histogram.percentile(50) / 1e6,
  p99: histogram.percentile(99) / 1e6,
  max: histogram.max / 1e6,
});

/**
 * The control: a thread of this process that does nothing but sample its own event loop at the
 * main thread's resolution. On 2 CPUs shared with the cache, download and checkpoint threads and
 * the server, a thread with no work still waits for a CPU now and then; its p99 beside the main
 * thread's says how much of the main thread's is the machine and how much is its own work.
 */
const control = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const { monitorEventLoopDelay } = require('node:perf_hooks');
   const h = monitorEventLoopDelay({ resolution: 1 });
   parentPort.on('message', (m) => {
     if (m === 'start') { h.reset(); h.enable(); parentPort.postMessage(null); return; }
     h.disable();
     parentPort.postMessage({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
   });`,
  { eval: true },
);
control.unref();
function askControl(what: 'start' | 'stop'): Promise<LoopDelay | null> {
  return new Promise((resolve) => {
    control.once('message', (answer: LoopDelay | null) => resolve(answer));
    control.postMessage(what);
  });
}
async function controlLoopDelay(): Promise<LoopDelay> {
  const answer = await askControl('stop');
  if (answer === null) throw new Error('the control thread answered a stop without its figures');
  return answer;
}

function highWaterMark(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 20);
sampler.unref();

async function main(): Promise<void> {
  // BENCH_PULL_LIMIT: try another page size than the core's default (an experiment, not the default figure).
  const pullLimit = Number(process.env.BENCH_PULL_LIMIT ?? 0);
  const terminal = await openTerminal({
    dataDir: cfg.dataDir,
    serverUrl: cfg.serverUrl,
    terminalName: 'bench-sync',
    ...(cfg.encryptCache === false ? { encryptCache: false } : {}),
    ...(cfg.cacheThread ? { cacheThread: cfg.cacheThread } : {}),
    ...(pullLimit > 0 ? { schedule: { pullLimit } } : {}),
    // BENCH_CACHE_PRAGMAS="cache_size=-65536;...": an experiment on the cache file's settings.
    cachePragmas: (process.env.BENCH_CACHE_PRAGMAS ?? '').split(';').filter((p) => p.trim() !== ''),
    // BENCH_TERMINAL_LOG=1: the core's support log on stderr (what the first download did, and when).
    ...(process.env.BENCH_TERMINAL_LOG ? { log: (line: string) => console.error(`${new Date().toISOString()} sync terminal: ${line}`) } : {}),
  });
  process.on('message', (raw) => {
    const message = raw as SyncParentMessage;
    void (async () => {
      try {
        if (message.type === 'sync') {
          const rssBefore = process.memoryUsage().rss;
          peakRss = rssBefore;
          peakHeap = 0;
          histogram.reset();
          histogram.enable();
          await terminal.cacheLoopDelay(true);
          await askControl('start');
          const started = performance.now();
          const cpuBefore = process.cpuUsage();
          await signIn(terminal, cfg.username, cfg.password, 600_000);
          const ms = performance.now() - started;
          // Every thread of this process (the download and checkpoint threads too).
          const cpu = process.cpuUsage(cpuBefore);
          histogram.disable();
          const controlDelay = await controlLoopDelay();
          const cacheLoopDelay = await terminal.cacheLoopDelay();
          const status = await terminal.status();
          // The kernel's own peak of this process's memory (VmHWM); the sampler may miss a spike between
          // samples. Not resourceUsage().maxRSS: Linux carries the parent's peak across fork+exec into it.
          const kernelPeak = highWaterMark();
          send({
            type: 'synced',
            ms,
            cpuMs: (cpu.user + cpu.system) / 1000,
            rows: status.initialSync.received,
            peakRssBytes: Math.max(peakRss, kernelPeak),
            peakHeapBytes: peakHeap,
            rssBeforeBytes: rssBefore,
            loopDelay: loopDelay(),
            cacheLoopDelay,
            controlLoopDelay: controlDelay,
          });
        } else if (message.type === 'burst') {
          const seen = new Set<string>();
          let last = 0;
          // The burst's edits set notes to "<marker> <i>". A pulled page's event is the cache
          // thread's JSON text: it is searched, not parsed, because parsing it here would add to the
          // main thread's figure what no terminal does (its transports pass the text on).
          const needle = `"notes":"${message.marker} `;
          const off = terminal.onEvent((event) => {
            if (event.channel !== 'data.changed') return;
            const body = event.body;
            if (isJsonText(body)) {
              for (const piece of body.jsonPieces) {
                for (let at = piece.indexOf(needle); at >= 0; at = piece.indexOf(needle, at + needle.length)) {
                  seen.add(piece.slice(at + needle.length, piece.indexOf('"', at + needle.length)));
                }
              }
            } else if (body.source === 'remote') {
              for (const c of body.changes) if (c.row && 'notes' in c.row && c.row.notes.startsWith(message.marker)) seen.add(c.row.notes.slice(message.marker.length + 1));
            } else return;
            last = performance.now();
          });
          histogram.reset();
          histogram.enable();
          await terminal.cacheLoopDelay(true);
          await askControl('start');
          const started = performance.now();
          send({ type: 'armed' });
          await waitFor(() => seen.size >= message.count, 120_000, 5);
          histogram.disable();
          const controlDelay = await controlLoopDelay();
          off();
          const cacheLoopDelay = await terminal.cacheLoopDelay();
          send({ type: 'burst-done', ms: last - started, received: seen.size, loopDelay: loopDelay(), cacheLoopDelay, controlLoopDelay: controlDelay });
        } else if (message.type === 'exit') {
          await terminal.close();
          process.exit(0);
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});

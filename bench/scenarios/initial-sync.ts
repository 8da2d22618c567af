/**
 * Initial sync of a large clinic into an empty terminal (a child process of its own), then a
 * burst of 1,000 incoming changes into the same terminal. See ../sync-terminal.ts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Mutation } from '../../shared/sync/protocol';
import type { BenchClinic } from './clinic';
import type { LoopDelay, SyncChildMessage, SyncParentMessage, SyncTerminalConfig } from '../sync-terminal';
import { processCpuMs } from '../support/machine';

const root = join(import.meta.dirname, '..', '..');

export interface InitialSyncResult {
  /** The server's store: sqlite or postgres. */
  store: string;
  /** Whether the terminal's cache was encrypted (as shipped) or not (the baseline of a side-by-side run). */
  encrypted: boolean;
  /** Where the cache ran: on its worker thread (as shipped) or inline on the main thread (as before; side by side). */
  cacheThread: 'worker' | 'inline';
  patients: number;
  appointments: number;
  rows: number;
  ms: number;
  rowsPerSecond: number;
  /** CPU time the terminal process (all its threads) and the server process used for the sync. */
  terminalCpuMs: number;
  serverCpuMs: number | null;
  peakRssBytes: number;
  rssBeforeBytes: number;
  peakHeapBytes: number;
  /** The main thread's. */
  loopDelay: LoopDelay;
  /** The cache thread's own (inline: the main thread's). */
  cacheLoopDelay: LoopDelay;
  /** An idle thread of the terminal process sampling its own loop in the same window: the machine's share. */
  controlLoopDelay: LoopDelay;
  burst: { changes: number; ms: number; received: number; loopDelay: LoopDelay; cacheLoopDelay: LoopDelay; controlLoopDelay: LoopDelay } | null;
}

export async function measureInitialSync(
  clinic: BenchClinic,
  workDir: string,
  name: string,
  burstChanges: number,
  encrypted = true,
  cacheThread: 'worker' | 'inline' = 'worker',
  /** The burst edits the patients from this one on (a second run on the same clinic takes others: each edit's base is version 1). */
  burstFrom = 0,
): Promise<InitialSyncResult> {
  const staff = clinic.staff[0]!;
  const config: SyncTerminalConfig = {
    dataDir: join(workDir, name),
    serverUrl: clinic.server.url,
    username: staff.username,
    password: staff.password,
    ...(encrypted ? {} : { encryptCache: false }),
    ...(cacheThread === 'inline' ? { cacheThread } : {}),
  };
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of the terminal process there (see docs/performance.md).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', join(root, 'bench', 'sync-terminal.ts')], {
    cwd: root,
    env: { ...process.env, BENCH_SYNC: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: SyncChildMessage[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m) => {
    inbox.push(m as SyncChildMessage);
    wake?.();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
    wake?.();
  });
  const next = async <T extends SyncChildMessage['type']>(type: T): Promise<Extract<SyncChildMessage, { type: T }>> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type || m.type === 'failed');
      if (i >= 0) {
        const m = inbox.splice(i, 1)[0]!;
        if (m.type === 'failed') throw new Error(`sync terminal: ${m.error}`);
        return m as Extract<SyncChildMessage, { type: T }>;
      }
      if (exited) throw new Error(`sync terminal exited before '${type}'`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const tell = (m: SyncParentMessage) => child.send(m);

  try {
    await next('ready');
    const serverCpuBefore = processCpuMs(clinic.server.pid);
    tell({ type: 'sync' });
    const synced = await next('synced');
    const serverCpuAfter = processCpuMs(clinic.server.pid);
    let burst: InitialSyncResult['burst'] = null;
    if (burstChanges > 0) {
      const marker = `burst ${randomUUID()}`;
      tell({ type: 'burst', marker, count: burstChanges });
      await next('armed');
      // Another terminal's big push: 1,000 edits of different patients, in pushes of 500.
      const mutations: Mutation[] = clinic.seed.patientIds.slice(burstFrom, burstFrom + burstChanges).map((id, i) => ({
        mutationId: randomUUID(),
        collection: 'patients',
        op: 'update',
        id,
        baseVersion: 1,
        data: { notes: `${marker} ${i}` },
      }));
      for (let from = 0; from < mutations.length; from += 500) {
        const answer = await clinic.admin.push(`bench-burst-${name}`, mutations.slice(from, from + 500));
        const refused = answer.results.filter((r) => r.status !== 'applied');
        if (refused.length > 0) throw new Error(`burst: ${refused.length} edits refused: ${refused[0]!.error}`);
      }
      const done = await next('burst-done');
      burst = { changes: burstChanges, ms: done.ms, received: done.received, loopDelay: done.loopDelay, cacheLoopDelay: done.cacheLoopDelay, controlLoopDelay: done.controlLoopDelay };
    }
    tell({ type: 'exit' });
    return {
      store: clinic.plan.databaseUrl ? 'postgres' : 'sqlite',
      encrypted,
      cacheThread,
      patients: clinic.seed.patientIds.length,
      appointments: clinic.plan.appointments,
      rows: synced.rows,
      ms: synced.ms,
      rowsPerSecond: synced.rows / (synced.ms / 1000),
      terminalCpuMs: synced.cpuMs,
      serverCpuMs: serverCpuBefore !== null && serverCpuAfter !== null ? serverCpuAfter - serverCpuBefore : null,
      peakRssBytes: synced.peakRssBytes,
      rssBeforeBytes: synced.rssBeforeBytes,
      peakHeapBytes: synced.peakHeapBytes,
      loopDelay: synced.loopDelay,
      cacheLoopDelay: synced.cacheLoopDelay,
      controlLoopDelay: synced.controlLoopDelay,
      burst,
    };
  } finally {
    if (!exited) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => (clearTimeout(timer), resolve()));
        if (exited) resolve();
      });
    }
  }
}

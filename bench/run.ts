/**
 * `npm run bench` (quick, under a minute or so) or `npm run bench -- --full`: headless terminal
 * cores against a real clinic server process on loopback. Prints one table per question and
 * writes everything measured, with the machine it ran on, to bench/results/ (git-ignored).
 *
 *   --full            the whole set (50 terminals, 100k patients + 500k appointments, longer windows)
 *   --only a,b        run some scenarios: propagation, bytes, sync, throughput, live500, ui
 *                     (ui: the whole path in Chromium; BENCH_UI_SETS="5000x2,100000x10" = patients x terminals,
 *                     BENCH_UI_SAVES=n registrations per set; --full runs all four sets)
 *   --postgres        also measure throughput on PostgreSQL in quick mode (--full always tries)
 *   --database-url    the PostgreSQL to use (default: $DATABASE_URL, else a fresh database on 127.0.0.1:5432)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo } from './support/machine';
import { bytes, count, distribution, latencyCells, ms, table, type Distribution } from './support/stats';
import { prepareClinic, type BenchClinic, type ClinicPlan } from './scenarios/clinic';
import { measurePropagation, type PropagationResult } from './scenarios/propagation';
import { measureBytes, type BytesResult } from './scenarios/bytes';
import { measureInitialSync, type InitialSyncResult } from './scenarios/initial-sync';
import { measureRawThroughput, measureTerminalThroughput, type ThroughputResult } from './scenarios/throughput';
import { measureLiveClinic, type CorePriority, type GroupsCpu, type LiveClinicPlan, type LiveClinicResult } from './scenarios/live-clinic';
import { dropPostgresDatabase, freshPostgresDatabase } from './support/postgres';
import { measureUi, type UiResult, type UiSet } from './scenarios/ui';

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    'database-url': { type: 'string' },
    postgres: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const full = args.full;
const only = new Set((args.only ?? `propagation,bytes,sync,throughput${full ? ',live500,ui' : ''}`).split(','));
const root = join(import.meta.dirname, '..');
const workDir = mkdtempSync(join(tmpdir(), 'clinic-bench-'));
const started = Date.now();
/** The machine is shared: the 1-minute load at each step says how much the figures were disturbed. */
const loadLog: { step: string; load1m: number }[] = [];
const progress = (line: string) => {
  loadLog.push({ step: line, load1m: Math.round(loadavg()[0]! * 100) / 100 });
  console.error(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
};

/**
 * BENCH_SYNC_ENCRYPTION_ROUNDS=n: each initial-sync set is synced 2n more times into fresh
 * terminals, alternating an unencrypted and an encrypted cache, against the same server: what
 * the encryption at rest costs, side by side in one run (docs/performance.md).
 */
const encryptionRounds = Number(process.env.BENCH_SYNC_ENCRYPTION_ROUNDS ?? 0);
/** BENCH_SYNC_SETS="100000+500000,10000+0": only these initial-sync data sets (patients+appointments). */
const syncSetsOverride = process.env.BENCH_SYNC_SETS?.split(',').map((set) => {
  const [patients, appointments] = set.split('+').map(Number);
  if (!Number.isInteger(patients) || !Number.isInteger(appointments)) throw new Error(`BENCH_SYNC_SETS: "${set}" is not <patients>+<appointments>`);
  return { patients: patients!, appointments: appointments! };
});

const baseSettings = full
  ? {
      propagation: [
        { terminals: 2, mutations: 100 },
        { terminals: 10, mutations: 100 },
        { terminals: 50, mutations: 100 },
        // Side by side: the same 50 terminals when pokes only say "pull" (the contract's minimum).
        { terminals: 50, mutations: 100, pokedChanges: false },
      ],
      idleSeconds: 60,
      syncSets: [
        { patients: 10_000, appointments: 50_000 },
        { patients: 100_000, appointments: 0 },
        { patients: 100_000, appointments: 500_000 },
      ],
      throughput: { terminals: 50, terminalSeconds: 15, rawClients: 50, rawSeconds: 10 },
      live500: { coreEdits: 100, liveEdits: 50 },
    }
  : {
      propagation: [
        { terminals: 2, mutations: 30 },
        { terminals: 10, mutations: 30 },
        { terminals: 10, mutations: 30, pokedChanges: false },
      ],
      idleSeconds: 15,
      syncSets: [{ patients: 10_000, appointments: 50_000 }],
      throughput: { terminals: 10, terminalSeconds: 3, rawClients: 50, rawSeconds: 3 },
      live500: { coreEdits: 30, liveEdits: 30 },
    };
const settings = syncSetsOverride ? { ...baseSettings, syncSets: syncSetsOverride } : baseSettings;

/**
 * 500 live terminals (issue 20): 50 full cores in 5 processes of 10, and 450 light live clients
 * in 3 processes of 150, against one server; quick and full differ only in the number of edits.
 */
const liveClinicPlan: LiveClinicPlan = {
  coreProcesses: 5,
  coresPerProcess: 10,
  socketProcesses: 3,
  socketsPerProcess: 150,
  inProcess: false,
  lowPriorityCores: true,
  ...settings.live500,
  spacingMs: 250,
  // BENCH_LIVE_PLAN='{"socketsPerProcess":50}': a smaller or larger clinic group for an experiment.
  ...(JSON.parse(process.env.BENCH_LIVE_PLAN ?? '{}') as Partial<LiveClinicPlan>),
};

/** BENCH_UI_SETS="5000x2,100000x10": the Chromium sets (patients x terminals). */
const uiSets: UiSet[] = (process.env.BENCH_UI_SETS ?? (full ? '5000x2,5000x10,100000x2,100000x10' : '5000x2')).split(',').map((set) => {
  const [patients, terminals] = set.split('x').map(Number);
  if (!Number.isInteger(patients) || !Number.isInteger(terminals) || terminals! < 2) throw new Error(`BENCH_UI_SETS: "${set}" is not <patients>x<terminals>, terminals >= 2`);
  return { patients: patients!, terminals: terminals! };
});
const uiSettings = {
  saves: Number(process.env.BENCH_UI_SAVES ?? (full ? 30 : 10)),
  searches: full ? 6 : 3,
  switches: full ? 15 : 5,
  scrollFrames: full ? 300 : 120,
};

/** The working clinic of the propagation, bytes and throughput runs: 5,000 patients. */
const workingClinic: ClinicPlan = {
  patients: 5000,
  appointments: 5000,
  inventory: 100,
  referrals: 500,
  staff: [
    { username: 'bench.doctor', role: 'doctor' },
    { username: 'bench.assistant', role: 'assistant' },
    { username: 'bench.desk', role: 'receptionist' },
  ],
};

interface Report {
  mode: 'quick' | 'full';
  startedAt: string;
  machine: ReturnType<typeof machineInfo>;
  terminalsRun: string;
  propagation: PropagationResult[];
  bytes: BytesResult | null;
  initialSync: InitialSyncResult[];
  throughput: ThroughputResult[];
  liveClinic: LiveClinicResult | null;
  ui: UiResult[];
  notMeasured: string[];
  loadLog: typeof loadLog;
  seconds: number;
}

const report: Report = {
  mode: full ? 'full' : 'quick',
  startedAt: new Date().toISOString(),
  machine: machineInfo(),
  terminalsRun:
    'propagation, bytes and terminal throughput: terminal cores in the bench process (one SQLite file each); ' +
    'initial sync and burst: one terminal core in a child process of its own; the server: a child process; ' +
    'ui: each terminal a child process (main/headless) with its renderer in a page of one headless Chromium',
  propagation: [],
  bytes: null,
  initialSync: [],
  throughput: [],
  liveClinic: null,
  ui: [],
  notMeasured: [],
  loadLog,
  seconds: 0,
};

async function withClinic<T>(name: string, plan: ClinicPlan, run: (clinic: BenchClinic) => Promise<T>): Promise<T> {
  progress(`preparing ${name}: ${count(plan.patients)} patients, ${count(plan.appointments)} appointments${plan.databaseUrl ? ' on PostgreSQL' : ''}`);
  const clinic = await prepareClinic(workDir, name, plan);
  progress(`${name} seeded in ${(clinic.seed.ms / 1000).toFixed(1)} s`);
  try {
    return await run(clinic);
  } finally {
    await clinic.close();
  }
}

async function runSyncSets(): Promise<void> {
  for (const set of settings.syncSets) {
    const name = `sync-${set.patients}-${set.appointments}`;
    await withClinic(name, { ...set, inventory: 100, referrals: 0, staff: [{ username: 'sync.doctor', role: 'doctor' }] }, async (clinic) => {
      progress(`initial sync of ${count(set.patients)} patients + ${count(set.appointments)} appointments, then a burst of 1,000 changes`);
      report.initialSync.push(await measureInitialSync(clinic, workDir, name, 1000));
      // Side by side, same server, same run: the cache inline on the main thread, as before the cache thread.
      progress(`the same with the cache inline on the main thread (before the cache thread)`);
      report.initialSync.push(await measureInitialSync(clinic, workDir, `${name}-inline`, 1000, true, 'inline', 1000));
      for (let round = 1; round <= encryptionRounds; round++) {
        for (const encrypted of [false, true]) {
          progress(`initial sync ${encrypted ? 'encrypted' : 'UNencrypted'} cache, round ${round} of ${encryptionRounds}`);
          report.initialSync.push(await measureInitialSync(clinic, workDir, `${name}-${encrypted ? 'enc' : 'plain'}-${round}`, 0, encrypted));
        }
      }
    });
  }
  if (!full) return;
  // The first set once more with the PostgreSQL store behind the server.
  const set = settings.syncSets[0]!;
  const given = args['database-url'] ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined);
  const databaseUrl = given ?? (await freshPostgresDatabase());
  if (!databaseUrl) {
    report.notMeasured.push('initial sync on PostgreSQL: no PostgreSQL reachable');
    return;
  }
  try {
    const plan = { ...set, inventory: 100, referrals: 0, staff: [{ username: 'sync.doctor', role: 'doctor' as const }], databaseUrl };
    await withClinic('sync-postgres', plan, async (clinic) => {
      progress(`initial sync on PostgreSQL of ${count(set.patients)} patients + ${count(set.appointments)} appointments`);
      report.initialSync.push(await measureInitialSync(clinic, workDir, 'sync-postgres', 1000));
    });
  } catch (error) {
    report.notMeasured.push(`initial sync on PostgreSQL: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    if (!given) await dropPostgresDatabase(databaseUrl);
  }
}

/** One clinic per size; each terminal count opens fresh terminals (their own first download) on it. */
async function runUiSets(): Promise<void> {
  for (const patients of [...new Set(uiSets.map((s) => s.patients))]) {
    const plan: ClinicPlan = { ...workingClinic, patients, appointments: Math.min(5000, patients) };
    await withClinic(`ui-${patients}`, plan, async (clinic) => {
      for (const set of uiSets.filter((s) => s.patients === patients)) {
        progress(`ui: ${count(set.patients)} patients, ${set.terminals} terminals in Chromium`);
        try {
          report.ui.push(await measureUi(clinic, workDir, set, uiSettings, progress));
        } catch (error) {
          // One set that could not start (a terminal too slow to come up on a loaded machine) leaves the others' rows.
          report.notMeasured.push(`ui ${count(set.patients)} patients x ${set.terminals} terminals: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    });
  }
}

async function main(): Promise<void> {
  // Quick mode runs the sync sets on their own server during the bytes run's idle window (nothing
  // reaches the idle terminals from another server); --full runs everything one after another.
  let syncDone = !only.has('sync');
  const syncDuringIdle = !full && only.has('bytes') && only.has('sync');
  if (only.has('propagation') || only.has('bytes') || only.has('throughput')) {
    await withClinic('working-clinic', workingClinic, async (clinic) => {
      if (only.has('propagation')) {
        for (const p of settings.propagation) {
          const pokedChanges = !('pokedChanges' in p) || p.pokedChanges !== false;
          progress(`propagation with ${p.terminals} terminals${pokedChanges ? '' : ', plain pokes'}`);
          report.propagation.push(await measurePropagation(clinic, workDir, p.terminals, p.mutations, pokedChanges));
        }
      }
      if (only.has('bytes')) {
        progress(`bytes: live vs baseline, idle window ${settings.idleSeconds} s${syncDuringIdle ? ' (initial sync runs meanwhile on its own server)' : ''}`);
        report.bytes = await measureBytes(clinic, workDir, {
          idleSeconds: settings.idleSeconds,
          timerSpeedup: 10,
          changes: 5,
          changesPerTerminalHour: 30,
          terminalsInClinic: 10,
          ...(syncDuringIdle ? { duringIdle: () => runSyncSets().then(() => void (syncDone = true)) } : {}),
        });
      }
      if (only.has('throughput')) {
        const t = settings.throughput;
        progress(`throughput: ${t.terminals} terminals pushing for ${t.terminalSeconds} s`);
        report.throughput.push(await measureTerminalThroughput(clinic, workDir, t.terminals, t.terminalSeconds, 'sqlite'));
        progress(`throughput: ${t.rawClients} raw HTTP pushers for ${t.rawSeconds} s`);
        report.throughput.push(await measureRawThroughput(clinic, [clinic.server.url], t.rawClients, t.rawSeconds, 'sqlite'));
      }
    });
  }
  if (only.has('throughput') && !full && !args.postgres) {
    report.notMeasured.push('PostgreSQL throughput: quick mode (run with --postgres or --full)');
  } else if (only.has('throughput')) {
    const given = args['database-url'] ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined);
    const databaseUrl = given ?? (await freshPostgresDatabase());
    if (!databaseUrl) {
      report.notMeasured.push('PostgreSQL throughput: no PostgreSQL reachable (set DATABASE_URL or --database-url)');
    } else {
      try {
        const t = settings.throughput;
        await withClinic('postgres-clinic', { ...workingClinic, databaseUrl }, async (clinic) => {
          progress(`throughput on PostgreSQL: ${t.rawClients} raw pushers, one instance`);
          report.throughput.push(await measureRawThroughput(clinic, [clinic.server.url], t.rawClients, t.rawSeconds, 'postgres'));
          const second = await clinic.startSecondInstance();
          progress('throughput on PostgreSQL: two instances');
          report.throughput.push(await measureRawThroughput(clinic, [clinic.server.url, second.url], t.rawClients, t.rawSeconds, 'postgres'));
        });
      } catch (error) {
        report.notMeasured.push(`PostgreSQL throughput: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        if (!given) await dropPostgresDatabase(databaseUrl);
      }
    }
  }
  if (!syncDone) await runSyncSets();
  if (only.has('live500')) {
    // A clinic of its own: its 500 terminals must not be disturbed by, or disturb, the other rows.
    await withClinic('live-clinic', workingClinic, async (clinic) => {
      report.liveClinic = await measureLiveClinic(clinic, workDir, liveClinicPlan, progress);
    });
  }
  if (only.has('ui')) await runUiSets();
  if (!full) report.notMeasured.push('quick mode: 50-terminal propagation and the 100k patients (+ 500k appointments) syncs run only with --full');
}

const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

function print(r: Report): void {
  const out: string[] = [];
  const m = r.machine;
  out.push(`Clinic Desk bench (${r.mode}), ${r.startedAt}, ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}, load ${m.loadAverage1m}`);
  out.push(`terminals: ${r.terminalsRun}`);
  if (r.propagation.length) {
    out.push('', '1. Propagation: mutation on one terminal -> data.changed on every other terminal (target p99 < 100 ms at 50)');
    out.push(
      table([
        ['terminals', 'pokes', 'samples', 'p50', 'p95', 'p99', 'max', 'missed', 'p99 < 100 ms'],
        ...r.propagation.map((p) => [
          String(p.terminals),
          p.pokedChanges ? 'carry the changes' : 'plain: pull',
          ...latencyCells(p.latency),
          String(p.missed),
          mark(p.latency.p99 < 100 && p.missed === 0),
        ]),
      ]),
    );
    for (const plain of r.propagation.filter((p) => !p.pokedChanges)) {
      const carried = r.propagation.find((p) => p.pokedChanges && p.terminals === plain.terminals);
      if (!carried) continue;
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
      out.push(
        `   ${plain.terminals} terminals, side by side: plain pokes (each terminal pulls) take ${ratio(plain.latency.p50, carried.latency.p50)} the p50 and ${ratio(plain.latency.p99, carried.latency.p99)} the p99 of pokes that carry the changes`,
      );
    }
  }
  if (r.bytes) {
    const b = r.bytes;
    out.push('', `2. Bytes over the wire per terminal (TCP payload through a counting proxy, both directions), ${count(b.patients)} patients`);
    out.push(
      table([
        ['strategy', 'idle / minute', 'per own change', 'per change elsewhere', 'working hour', 'how idle was measured'],
        ...[b.live, b.baseline].map((s) => [
          s.strategy,
          bytes(s.idleBytesPerMinute),
          bytes(s.writerBytesPerChange),
          s.strategy === 'baseline' ? `${bytes(s.readerBytesPerChange)} (until its timer)` : bytes(s.readerBytesPerChange),
          bytes(s.strategy === 'live' ? b.hour.liveBytes : b.hour.baselineBytes),
          `${s.idleWindowSeconds.toFixed(0)} s window, ${s.idleScale}`,
        ]),
      ]),
    );
    out.push(`   working hour = ${b.hour.assumption}`);
    out.push(`   baseline / live over a working hour: ${b.hour.ratio.toFixed(0)}x (target >= 100x: ${mark(b.hour.ratio >= 100)}); live idle ${bytes(b.live.idleBytesPerMinute)}/min (target < 2 KB: ${mark(b.live.idleBytesPerMinute < 2048)})`);
  }
  if (r.initialSync.length) {
    out.push('', '3-4. Initial sync into an empty terminal (child process), then a burst of 1,000 incoming changes; event-loop delay sampled every 1 ms');
    out.push(
      table([
        ['data set', 'store', 'cache', 'rows', 'time', 'rows/s', 'CPU terminal + server', 'peak RSS', 'loop p99', 'loop max', 'burst time', 'burst loop p99', 'burst loop max'],
        ...r.initialSync.map((s) => [
          `${count(s.patients)} patients + ${count(s.appointments)} appts`,
          s.store,
          `${s.encrypted ? 'encrypted' : 'plain'}${s.cacheThread === 'inline' ? ', inline' : ''}`,
          count(s.rows),
          ms(s.ms, 0),
          count(s.rowsPerSecond),
          `${(s.terminalCpuMs / 1000).toFixed(1)} + ${s.serverCpuMs === null ? '?' : (s.serverCpuMs / 1000).toFixed(1)} s`,
          bytes(s.peakRssBytes),
          ms(s.loopDelay.p99),
          ms(s.loopDelay.max),
          s.burst ? ms(s.burst.ms, 0) : 'n/a',
          s.burst ? ms(s.burst.loopDelay.p99) : 'n/a',
          s.burst ? ms(s.burst.loopDelay.max) : 'n/a',
        ]),
      ]),
    );
    for (const big of r.initialSync.filter((s) => s.patients >= 100_000 && s.store === 'sqlite')) {
      out.push(`   ${count(big.patients)} patients${big.appointments ? ` + ${count(big.appointments)} appointments` : ' alone'} in ${ms(big.ms, 0)} (target for 100k patients < 5 s: ${mark(big.ms < 5000)})`);
    }
    // Side by side (BENCH_SYNC_ENCRYPTION_ROUNDS): the encrypted cache against the unencrypted one, same server, same run.
    const sets = [...new Set(r.initialSync.map((s) => `${s.patients}+${s.appointments}+${s.store}`))];
    for (const key of sets) {
      const runs = r.initialSync.filter((s) => `${s.patients}+${s.appointments}+${s.store}` === key && s.burst === null);
      const plain = runs.filter((s) => !s.encrypted);
      const enc = runs.filter((s) => s.encrypted);
      if (plain.length === 0 || enc.length === 0) continue;
      const median = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const mid = sorted.length / 2;
        return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
      };
      const ratio = median(enc.map((s) => s.ms)) / median(plain.map((s) => s.ms));
      // The terminal's CPU time (all its threads) hardly depends on what else runs on the machine; wall time does.
      const cpuRatio = median(enc.map((s) => s.terminalCpuMs)) / median(plain.map((s) => s.terminalCpuMs));
      out.push(
        `   encryption at rest, ${count(runs[0]!.patients)} patients + ${count(runs[0]!.appointments)} appointments: plain ${plain.map((x) => ms(x.ms, 0)).join(', ')}; ` +
          `encrypted ${enc.map((x) => ms(x.ms, 0)).join(', ')}; median time encrypted / plain ${ratio.toFixed(2)}x (target <= 1.25x: ${mark(ratio <= 1.25)}); ` +
          `median terminal CPU ${cpuRatio.toFixed(2)}x`,
      );
    }
    const shipped = r.initialSync.filter((s) => s.cacheThread === 'worker');
    const worst = Math.max(...shipped.flatMap((s) => [s.loopDelay.p99, s.burst?.loopDelay.p99 ?? 0]));
    out.push(`   worst event-loop p99 ${ms(worst)} (target < 20 ms: ${mark(worst < 20)})`);
    // The main thread with the cache on its worker thread, the worker's own loop, and the cache inline (before), same run.
    const pairs = shipped.flatMap((w) => {
      const inline = r.initialSync.find((s) => s.cacheThread === 'inline' && s.patients === w.patients && s.appointments === w.appointments && s.store === w.store);
      return inline && w.burst && inline.burst ? [{ w, inline }] : [];
    });
    if (pairs.length > 0) {
      out.push('', '   Main thread event-loop delay p99: cache on its worker thread vs inline on the main thread (as before), same server, same run');
      out.push(
        table([
          ['data set', 'phase', 'main, cache thread', 'idle thread beside it (the machine)', 'cache thread itself', 'main, cache inline (before)', 'inline / thread'],
          ...pairs.flatMap(({ w, inline }) =>
            (
              [
                ['first download', w.loopDelay, w.controlLoopDelay, w.cacheLoopDelay, inline.loopDelay],
                ['1,000-change burst', w.burst!.loopDelay, w.burst!.controlLoopDelay, w.burst!.cacheLoopDelay, inline.burst!.loopDelay],
              ] as const
            ).map(([phase, main, idle, cache, before]) => [
              `${count(w.patients)} + ${count(w.appointments)}`,
              phase,
              ms(main.p99),
              ms(idle.p99),
              ms(cache.p99),
              ms(before.p99),
              `${(before.p99 / Math.max(main.p99, 0.001)).toFixed(1)}x`,
            ]),
          ),
        ]),
      );
      const worstMain = Math.max(...pairs.flatMap(({ w }) => [w.loopDelay.p99, w.burst!.loopDelay.p99]));
      out.push(`   worst main-thread p99 with the cache thread ${ms(worstMain)} (target < 5 ms: ${mark(worstMain < 5)})`);
    }
  }
  if (r.throughput.length) {
    out.push('', '5. Server throughput: mutations acknowledged per second (terminals: data.mutate -> mutation.outcome; raw: one mutation per HTTP push)');
    out.push(
      table([
        ['mode', 'store', 'instances', 'clients', 'acked/s', 'p50', 'p99', 'max', 'acked', 'refused'],
        ...r.throughput.map((t) => [
          t.mode,
          t.store,
          String(t.instances),
          String(t.clients),
          count(t.perSecond),
          ms(t.latency.p50),
          ms(t.latency.p99),
          ms(t.latency.max),
          count(t.acknowledged),
          String(t.refused),
        ]),
      ]),
    );
  }
  if (r.liveClinic) printLiveClinic(r.liveClinic, r.propagation, out, r.machine.nproc);
  if (r.ui.length) printUi(r.ui, out);
  for (const n of r.notMeasured) out.push(`not measured: ${n}`);
  const loads = r.loadLog.map((l) => l.load1m);
  out.push('', `took ${r.seconds.toFixed(0)} s; 1-minute load average during the run ${Math.min(...loads)}..${Math.max(...loads)} on ${m.nproc} CPUs (other work on the machine disturbs the loop-delay and latency tails)`);
  console.log(out.join('\n'));
}

function printLiveClinic(c: LiveClinicResult, propagation: PropagationResult[], out: string[], nproc: number): void {
  const f = c.floor;
  const x = (a: number) => `${(a / f.floorMs).toFixed(1)}x`;
  const cpu = (v: number | null) => (v === null ? '?' : ms(v));
  const prio = (p: CorePriority) => (p === 'equal' ? 'all processes equal' : 'core groups at nice 19');
  out.push('', `6. A clinic group's live terminals on one server; the floor of this run: loopback HTTP round trip p50 ${ms(f.httpRoundTrip.p50, 2)} + SQLite commit p50 ${ms(f.sqliteCommit.p50, 2)} = ${ms(f.floorMs, 2)} (one pushed mutation: p50 ${ms(f.rawPush.p50)}, p99 ${ms(f.rawPush.p99)})`);
  out.push(
    `   Two views side by side: "all processes equal" (the default) and "core groups at nice 19" (every thread of the core-group processes at the lowest priority, so the server and the light sockets run first:` +
      ` a model of a clinic whose terminals are other machines; the cores' own receipts then wait for what CPU is left). Every core, light socket and the server share these ${nproc} CPUs.`,
  );
  const core = (where: string, d: Distribution, missed: number | null, verdict: boolean) => [
    where,
    String(d.count),
    ms(d.p50),
    ms(d.p95),
    ms(d.p99),
    ms(d.max),
    `${x(d.p50)} / ${x(d.p99)}`,
    missed === null ? '' : String(missed),
    verdict ? mark(d.p99 < 20 && missed === 0) : '',
  ];
  // The same cores in the bench process: measured by the live clinic itself when its plan asks,
  // else the propagation row of this run with as many terminals (--full has one).
  const terminals = c.spread[0]!.terminals;
  const inProcess = c.inProcess ?? propagation.find((p) => p.pokedChanges && p.terminals === terminals) ?? null;
  out.push(`   ${terminals} terminal cores: data.mutate on one -> data.changed on each other (target with the cores spread: p99 < 20 ms); the run's first edit apart from the rest`);
  out.push(
    table([
      ['cores', 'samples', 'p50', 'p95', 'p99', 'max', 'p50 / p99 x floor', 'missed', 'p99 < 20 ms'],
      ...(inProcess ? [core(`in one process (the bench${c.inProcess ? '' : ', from the propagation row'})`, inProcess.latency, inProcess.missed, false)] : []),
      ...c.spread.flatMap((s) => [
        core(`spread over ${s.processes} processes, ${prio(s.priority)}`, s.latency, s.missed, true),
        core(`  of them: the step's first edit${s.priority === 'equal' ? ' (each core\'s first after start)' : ''}`, s.firstEdit, null, false),
        core('  of them: every later edit (steady state)', s.steady, null, false),
      ]),
    ]),
  );
  if (!inProcess) out.push(`   (the same cores in one process: not measured in this run; --full has it, or BENCH_LIVE_PLAN='{"inProcess":true}')`);
  const l0 = c.live[0]!;
  out.push(`   ${l0.terminals} live terminals (${l0.fullCores} full cores in ${c.plan.coreProcesses} processes + ${l0.lightSockets} light live sockets in ${c.plan.socketProcesses} processes), ${l0.edits} patient edits from one core, ${c.plan.spacingMs} ms apart, per step; per edit, from the server's commit stamp (target: last receipt p99 < 50 ms, none missed)`);
  const row = (what: string, d: Distribution, verdict = '') => [what, String(d.count), ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max), `${x(d.p50)} / ${x(d.p99)}`, verdict];
  out.push(
    table([
      ['figure', 'samples', 'p50', 'p95', 'p99', 'max', 'p50 / p99 x floor', 'p99 < 50 ms, none missed'],
      ...c.live.flatMap((l) => [
        row(`${prio(l.priority)}: commit -> last of all ${l.terminals - 1} receivers`, l.lastReceipt, mark(l.lastReceipt.p99 < 50 && l.missed === 0)),
        row(`  the step's first edit${l.priority === 'equal' ? ' (the light sockets\' first)' : ''}: last receipt`, distribution(l.firstEditLast === null ? [] : [l.firstEditLast])),
        row('  every later edit (steady state): last receipt', l.steadyLast),
        row(`  commit -> last of ${l.lightSockets} light sockets (the fan-out)`, l.lastSocket),
        row(`  commit -> last of ${l.fullCores - 1} cores' data.changed`, l.lastCore),
        row('  commit -> each light socket', l.everySocket),
        row('  data.mutate on the sender -> last receipt', l.lastFromRequest),
      ]),
    ]),
  );
  // The machine's CPU floor: what every process of the run spends per edit, spread over its CPUs;
  // and what the receivers alone spend, which no last receipt can beat while they share the CPUs.
  const groupsLine = (what: string, g: GroupsCpu, cores: number) => {
    const sum = g.server === null || g.coreGroups === null ? null : g.server + g.coreGroups + (g.socketGroups ?? 0);
    const receivers = g.coreGroups === null ? null : g.coreGroups + (g.socketGroups ?? 0);
    return (
      `   CPU per edit, ${what}: server ${cpu(g.server)}, core groups ${cpu(g.coreGroups)} (${cpu(g.coreGroups === null ? null : g.coreGroups / cores)} a core)` +
      `${g.socketGroups === null ? '' : `, light-socket groups ${cpu(g.socketGroups)}`}; sum ${cpu(sum)} / ${nproc} CPUs = ${cpu(sum === null ? null : sum / nproc)} of the machine per edit;` +
      ` the receivers' CPU ${cpu(receivers)} / ${nproc} CPUs = ${cpu(receivers === null ? null : receivers / nproc)}: the lower bound of "last receipt" while they share these CPUs (a high one: it includes what a core does after its receipt)`
    );
  };
  out.push(...c.spread.map((s) => groupsLine(`the ${s.terminals} spread cores, ${prio(s.priority)}`, s.cpu, s.terminals)), ...c.live.map((l) => groupsLine(`all ${l.terminals} live terminals, ${prio(l.priority)}`, l.cpu, l.fullCores)));
  for (const l of c.live) out.push(`   ${prio(l.priority)}: missed receipts: ${l.missed}; light sockets heard ${count(l.counts.pokesWithChanges)} pokes with the changes and ${count(l.counts.plainPokes)} plain pokes, made ${count(l.counts.pulls)} pulls; ${l.counts.closed} sockets closed`);
}

/** Own screen < 50 ms at 5k and < 100 ms at 100k; other screens < 100 ms at 10 terminals; search < 50 ms and scroll frames < 20 ms at 100k (p95). */
function uiTarget(kind: string, patients: number, terminals: number): number | null {
  if (kind.startsWith('own screen')) return patients >= 100_000 ? 100 : 50;
  if (kind.startsWith('other screens') && terminals >= 10) return 100;
  if (kind.startsWith('search') && patients >= 100_000) return 50;
  if (kind.startsWith('register scroll') && patients >= 100_000) return 20;
  return null;
}

function printUi(results: UiResult[], out: string[]): void {
  out.push('', '7. The whole path in Chromium: click (or key) in a page -> the change painted (the first task after the frame that shows it); one clock for every page');
  out.push(
    table([
      ['patients', 'terminals', 'what', 'samples', 'p50', 'p95', 'p99', 'max', 'missed', 'target p95'],
      ...results.flatMap((u) =>
        u.rows.map((row) => {
          const target = uiTarget(row.kind, u.patients, u.terminals);
          return [
            count(u.patients),
            String(u.terminals),
            row.kind,
            ...latencyCells(row.latency),
            String(row.missed),
            target === null ? '' : `< ${target} ms: ${mark(row.latency.p95 < target && row.missed === 0)}`,
          ];
        }),
      ),
    ]),
  );
  for (const u of results) {
    const rounds = u.chromiumCpuPerRound ?? [];
    if (rounds.length > 0) {
      const median = (pick: (r: (typeof rounds)[number]) => number) => distribution(rounds.map(pick)).p50;
      out.push(
        `   ${count(u.patients)} patients, ${u.terminals} terminals: Chromium CPU per save round (median of ${rounds.length}; all ${u.terminals} pages): ` +
          `renderers ${median((r) => r.renderer)} ms, GPU ${median((r) => r.gpu)} ms, browser ${median((r) => r.browser)} ms, other ${median((r) => r.other)} ms; ` +
          `renderers by round: ${rounds.map((r) => r.renderer).join(', ')} ms`,
      );
    }
    const page = u.receivingPage;
    if (page) {
      out.push(
        `   ${count(u.patients)} patients, ${u.terminals} terminals: a receiving page per row received (${page.rows} rows): ` +
          `CPU ${page.cpu ?? '-'} ms (its renderer process: ${Object.entries(page.threads ?? {}).map(([name, ms]) => `${name} ${ms}`).join(', ')}); main thread's tasks ${page.task} ms wall, of them script ${page.script} ms, style ${page.style} ms, layout ${page.layout} ms`,
      );
    }
    const p50 = (kind: string) => u.rows.find((r) => r.kind === kind)?.latency.p50 ?? NaN;
    const screen = p50('other screens: Save click -> row painted');
    const core = p50('other cores: Save click -> data.changed');
    const own = p50('own screen: Save click -> row painted');
    const ownCore = p50('own core: Save click -> data.changed (local)');
    out.push(
      `   ${count(u.patients)} patients, ${u.terminals} terminals: the renderer's share of the p50 (painted minus the core's data.changed): ` +
        `own screen ${ms(own - ownCore)} of ${ms(own)}, other screens ${ms(screen - core)} of ${ms(screen)}; ` +
        `other screens / core only ${(screen / p50('core only: data.mutate -> data.changed on the other cores')).toFixed(2)}x`,
    );
  }
}

main()
  .then(() => {
    report.seconds = (Date.now() - started) / 1000;
    print(report);
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.mode}-${report.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    writeFileSync(join(dir, `latest-${report.mode}.json`), JSON.stringify(report, null, 2));
    console.error(`results written to ${file}`);
    if (!args.keep) rmSync(workDir, { recursive: true, force: true });
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    console.error(`bench failed; data kept in ${workDir}`);
    process.exit(1);
  });

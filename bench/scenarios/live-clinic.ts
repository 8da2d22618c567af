/**
 * A clinic group's 500 live terminals on one server (issue 20), side by side in one run:
 * - the floor: one loopback HTTP round trip plus one SQLite commit, measured here and now;
 * - the 50-terminal core figure (data.mutate on one core -> data.changed on each other core)
 *   with all 50 cores in this process, as bench/scenarios/propagation.ts measures it, and with
 *   the same 50 cores spread over several processes (bench/core-group.ts);
 * - 500 live terminals: those 50 cores plus light clients in other processes, each holding a
 *   real live socket with `?changes=1` (bench/live-sockets.ts). Patient edits from one core;
 *   the figure is the server's fan-out, from the server's stamp of the edit (the row's
 *   `updatedAt`, taken inside the write transaction just before it commits) to the last
 *   terminal's receipt. Every process stamps with the same machine-wide clock (epochNow).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { BenchClinic } from './clinic';
import { measurePropagation, type PropagationResult } from './propagation';
import type { CoreGroupChildMessage, CoreGroupConfig, CoreGroupParentMessage, LiveSocketsChildMessage, LiveSocketsConfig, LiveSocketsParentMessage, Receipt, SocketCounts } from '../support/live-clinic-messages';
import { ClinicHttp } from '../support/clinic-http';
import { startBenchChild, type BenchChild } from '../support/bench-child';
import { processCpuMs } from '../support/machine';
import { distribution, sleep, type Distribution } from '../support/stats';

export interface LiveClinicPlan {
  /** Full terminal cores: `coreProcesses` processes of `coresPerProcess` each. */
  coreProcesses: number;
  coresPerProcess: number;
  /** Light live clients: `socketProcesses` processes of `socketsPerProcess` each. */
  socketProcesses: number;
  socketsPerProcess: number;
  /** Edits for the core figures (in one process, spread) and for the 500 live terminals. */
  coreEdits: number;
  liveEdits: number;
  /** The pause after each edit: patient edits, not a burst. */
  spacingMs: number;
  /**
   * Also time the same cores all in the bench process, side by side (about 4 min of set-up on
   * 2 CPUs). Off by default: `--full` already has that row from its 50-terminal propagation run.
   */
  inProcess: boolean;
  /**
   * Also run the spread-core step and the 500-terminal step again with every core-group process
   * (all its threads) at nice 19, beside the default where all processes are equal: on a real
   * clinic the cores are other PCs and do not take the server's CPU; here they share 2 CPUs.
   */
  lowPriorityCores: boolean;
}

/** 'equal': every process at the default nice; 'cores low': the core groups at nice 19. */
export type CorePriority = 'equal' | 'cores low';

export interface LoopbackFloor {
  /** GET /api/health on a kept-alive connection. */
  httpRoundTrip: Distribution;
  /** BEGIN IMMEDIATE; INSERT; COMMIT on a WAL file with synchronous=NORMAL, as the server's store. */
  sqliteCommit: Distribution;
  /** One mutation pushed over HTTP: the round trip with the server's whole write in it. */
  rawPush: Distribution;
  /** httpRoundTrip.p50 + sqliteCommit.p50. */
  floorMs: number;
}

export interface SpreadCoresResult {
  priority: CorePriority;
  processes: number;
  terminals: number;
  mutations: number;
  latency: Distribution;
  /** The receipts of the run's first edit (each core's first received edit after its start). */
  firstEdit: Distribution;
  /** The receipts of every later edit. */
  steady: Distribution;
  missed: number;
  setupMs: number;
  /** The server process's CPU time per edit (all threads): what the machine's load hardly moves. */
  serverCpuMsPerEdit: number | null;
  /** Every bench process group's CPU time per edit. */
  cpu: GroupsCpu;
}

/**
 * CPU milliseconds per edit of each group of the run's processes (all their threads, from /proc;
 * the idle time between edits included): summed and divided by the machine's CPUs, the floor
 * no latency of the run can go under. null: a process could not be read.
 */
export interface GroupsCpu {
  server: number | null;
  /** All core-group processes together. */
  coreGroups: number | null;
  /** All light-socket processes together (null before they are started). */
  socketGroups: number | null;
}

export interface LiveTerminalsResult {
  priority: CorePriority;
  terminals: number;
  fullCores: number;
  lightSockets: number;
  edits: number;
  /** Per edit: the server's stamp -> the last receipt among all terminals. */
  lastReceipt: Distribution;
  /** The step's first edit (the light sockets' first): its last receipt. */
  firstEditLast: number | null;
  /** lastReceipt without the step's first edit. */
  steadyLast: Distribution;
  /** Per edit: the server's stamp -> the last light socket's receipt (the fan-out alone). */
  lastSocket: Distribution;
  /** Per edit: the server's stamp -> the last full core's data.changed (fan-out + the core applying it). */
  lastCore: Distribution;
  /** Per edit: data.mutate on the sending core -> the last receipt. */
  lastFromRequest: Distribution;
  /** Every (edit, light socket): the server's stamp -> that socket's receipt. */
  everySocket: Distribution;
  /** (edit, terminal) pairs that never received it. */
  missed: number;
  counts: SocketCounts;
  serverCpuMsPerEdit: number | null;
  cpu: GroupsCpu;
}

export interface LiveClinicResult {
  plan: LiveClinicPlan;
  floor: LoopbackFloor;
  /** The same number of cores in the bench process: null when the plan leaves it out. */
  inProcess: PropagationResult | null;
  /** The default (every process equal) first, then with the core groups at nice 19 if the plan asks. */
  spread: SpreadCoresResult[];
  live: LiveTerminalsResult[];
}

const markerPrefix = 'live-clinic ';

export async function measureLoopbackFloor(clinic: BenchClinic, workDir: string, samples = 50): Promise<LoopbackFloor> {
  const timed = async (run: () => unknown): Promise<number> => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  // The server process is fresh: its first requests would time V8's compiler, not the loopback.
  for (let i = 0; i < 20; i++) await fetch(`${clinic.server.url}/api/health`).then((r) => r.text());
  const rtt: number[] = [];
  for (let i = 0; i < samples; i++) rtt.push(await timed(() => fetch(`${clinic.server.url}/api/health`).then((r) => r.text())));
  const db = new Database(join(workDir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, row_id TEXT NOT NULL, at TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO changes (row_id, at) VALUES (?, ?)');
  const commit: number[] = [];
  for (let i = 0; i < samples; i++) {
    commit.push(
      await timed(() => {
        db.exec('BEGIN IMMEDIATE');
        insert.run(randomUUID(), new Date().toISOString());
        db.exec('COMMIT');
      }),
    );
  }
  db.close();
  const staff = clinic.staff[0]!;
  const http = await ClinicHttp.login(clinic.server.url, staff.username, staff.password);
  const push: number[] = [];
  for (let i = 0; i < samples; i++) {
    const mutation = { mutationId: randomUUID(), collection: 'inventory' as const, op: 'adjust' as const, id: clinic.seed.inventoryIds[i % clinic.seed.inventoryIds.length]!, data: { delta: 1, reason: 'bench floor' } };
    push.push(await timed(() => http.push('bench-floor', [mutation])));
  }
  const httpRoundTrip = distribution(rtt);
  const sqliteCommit = distribution(commit);
  return { httpRoundTrip, sqliteCommit, rawPush: distribution(push), floorMs: httpRoundTrip.p50 + sqliteCommit.p50 };
}

type CoreGroup = BenchChild<CoreGroupParentMessage, CoreGroupChildMessage>;
type SocketCrowd = BenchChild<LiveSocketsParentMessage, LiveSocketsChildMessage>;

/** Starts counting the CPU time of each group of processes; the returned function gives it per edit. */
function groupsCpu(clinic: BenchClinic, groups: CoreGroup[], crowds: SocketCrowd[]): (edits: number) => GroupsCpu {
  const sum = (pids: number[]) => pids.reduce<number | null>((n, pid) => {
    const ms = processCpuMs(pid);
    return n === null || ms === null ? null : n + ms;
  }, 0);
  const pids = { server: [clinic.server.pid], coreGroups: groups.map((g) => g.pid), socketGroups: crowds.map((c) => c.pid) };
  const before = { server: sum(pids.server), coreGroups: sum(pids.coreGroups), socketGroups: sum(pids.socketGroups) };
  return (edits) => {
    const per = (k: keyof GroupsCpu) => {
      const after = sum(pids[k]);
      return pids[k].length === 0 || before[k] === null || after === null ? null : (after - before[k]) / edits;
    };
    return { server: per('server'), coreGroups: per('coreGroups'), socketGroups: per('socketGroups') };
  };
}

/** Edits patient `ids[i]` from `sender` (a group and its core) for each i, one after another. */
async function driveEdits(groups: CoreGroup[], ids: string[], sender: (i: number) => { group: number; core: number }, tag: string, spacingMs: number): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const { group, core } = sender(i);
    const marker = `${markerPrefix}${tag} ${i} ${randomUUID()}`;
    groups[group]!.tell({ type: 'mutate', core, patientId: ids[i]!, marker });
    sentAt.set(marker, (await groups[group]!.next('mutated')).sentAt);
    await sleep(spacingMs);
  }
  // Every edit pushed, then time for the last pokes to land: what has not arrived by then is missed.
  for (const group of groups) {
    group.tell({ type: 'settle' });
    const { pending } = await group.next('settled');
    if (pending > 0) throw new Error(`${tag}: ${pending} edits still not pushed after 60 s`);
  }
  await sleep(2000);
  return sentAt;
}

/** Receipts of every group, their receivers numbered across groups (group g's core c is g * perGroup + c). */
async function coreReceipts(groups: CoreGroup[], perGroup: number): Promise<Receipt[]> {
  const all: Receipt[] = [];
  for (const [g, group] of groups.entries()) {
    group.tell({ type: 'report' });
    for (const r of (await group.next('receipts')).receipts) all.push({ ...r, receiver: g * perGroup + r.receiver });
  }
  return all;
}

/** The first receipt per (marker, receiver): a core may hear an edit twice (poke, then its own pull). */
function firstReceipts(receipts: Receipt[]): Map<string, Map<number, Receipt>> {
  const byMarker = new Map<string, Map<number, Receipt>>();
  for (const r of receipts) {
    let m = byMarker.get(r.marker);
    if (!m) byMarker.set(r.marker, (m = new Map()));
    const seen = m.get(r.receiver);
    if (!seen || r.at < seen.at) m.set(r.receiver, r);
  }
  return byMarker;
}

/**
 * Every thread of each process to `nice` (Linux keeps a nice value per thread, and os.setPriority
 * on a pid sets only its main thread's): the cores' cache and checkpoint threads too. Threads
 * started later inherit it from the thread that starts them.
 */
function renice(pids: number[], nice: number): void {
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), nice);
  }
}

/** One step of spread-core edits: every core's data.mutate -> data.changed on each other core. */
async function measureSpread(clinic: BenchClinic, groups: CoreGroup[], crowds: SocketCrowd[], plan: LiveClinicPlan, ids: string[], tag: string, priority: CorePriority, setupMs: number): Promise<SpreadCoresResult> {
  const terminals = plan.coreProcesses * plan.coresPerProcess;
  const spreadSender = (i: number) => ({ group: i % plan.coreProcesses, core: 0 });
  const spreadCpu = groupsCpu(clinic, groups, crowds);
  const spreadSent = await driveEdits(groups, ids, spreadSender, tag, plan.spacingMs);
  const spreadCpuMs = spreadCpu(ids.length);
  const spreadFirst = firstReceipts(await coreReceipts(groups, plan.coresPerProcess));
  const samples: number[] = [];
  const first: number[] = [];
  const steady: number[] = [];
  let spreadMissed = 0;
  [...spreadSent.entries()].forEach(([marker, sentAt], i) => {
    const senderIndex = spreadSender(i).group * plan.coresPerProcess;
    const got = [...(spreadFirst.get(marker)?.values() ?? [])].filter((r) => r.receiver !== senderIndex);
    for (const r of got) {
      samples.push(r.at - sentAt);
      (i === 0 ? first : steady).push(r.at - sentAt);
    }
    spreadMissed += terminals - 1 - got.length;
  });
  // BENCH_LIVE_DUMP=<file>: every spread receipt (edit, receiver, latency), to look for what the tail collides with.
  if (process.env.BENCH_LIVE_DUMP) {
    const rows = [...spreadSent.entries()].flatMap(([marker, sentAt], i) => [...(spreadFirst.get(marker)?.values() ?? [])].map((r) => ({ edit: i, sentAt, receiver: r.receiver, ms: r.at - sentAt })));
    writeFileSync(`${process.env.BENCH_LIVE_DUMP}${priority === 'equal' ? '' : `.${priority}`}`, JSON.stringify(rows));
  }
  return {
    priority,
    processes: plan.coreProcesses,
    terminals,
    mutations: ids.length,
    latency: distribution(samples),
    firstEdit: distribution(first),
    steady: distribution(steady),
    missed: spreadMissed,
    setupMs,
    serverCpuMsPerEdit: spreadCpuMs.server,
    cpu: spreadCpuMs,
  };
}

/** One step of patient edits from the first core to every live terminal: the server's fan-out. */
async function measureLive(clinic: BenchClinic, groups: CoreGroup[], crowds: SocketCrowd[], plan: LiveClinicPlan, ids: string[], tag: string, priority: CorePriority): Promise<LiveTerminalsResult> {
  const terminals = plan.coreProcesses * plan.coresPerProcess;
  const lightSockets = plan.socketProcesses * plan.socketsPerProcess;
  const liveCpu = groupsCpu(clinic, groups, crowds);
  const liveSent = await driveEdits(groups, ids, () => ({ group: 0, core: 0 }), tag, plan.spacingMs);
  const liveCpuMs = liveCpu(ids.length);
  const coreFirst = firstReceipts(await coreReceipts(groups, plan.coresPerProcess));
  const counts: SocketCounts = { pokesWithChanges: 0, plainPokes: 0, pulls: 0, closed: 0 };
  const socketReceipts: Receipt[] = [];
  for (const crowd of crowds) {
    crowd.tell({ type: 'report' });
    const answer = await crowd.next('receipts');
    socketReceipts.push(...answer.receipts);
    for (const k of Object.keys(counts) as (keyof SocketCounts)[]) counts[k] += answer.counts[k];
  }
  const socketFirst = firstReceipts(socketReceipts);
  const last: number[] = [];
  const lastSocket: number[] = [];
  const lastCore: number[] = [];
  const lastFromRequest: number[] = [];
  const everySocket: number[] = [];
  let firstEditLast: number | null = null;
  const steadyLast: number[] = [];
  let missed = 0;
  [...liveSent.entries()].forEach(([marker, sentAt], i) => {
    const cores = [...(coreFirst.get(marker)?.values() ?? [])].filter((r) => r.receiver !== 0);
    const sockets = [...(socketFirst.get(marker)?.values() ?? [])];
    missed += terminals - 1 - cores.length + lightSockets - sockets.length;
    const all = [...cores, ...sockets];
    if (all.length === 0) return;
    const committedAt = all[0]!.updatedAt;
    const latest = (rs: Receipt[]) => Math.max(...rs.map((r) => r.at));
    if (sockets.length > 0) lastSocket.push(latest(sockets) - committedAt);
    if (cores.length > 0) lastCore.push(latest(cores) - committedAt);
    last.push(latest(all) - committedAt);
    if (i === 0) firstEditLast = latest(all) - committedAt;
    else steadyLast.push(latest(all) - committedAt);
    lastFromRequest.push(latest(all) - sentAt);
    for (const r of sockets) everySocket.push(r.at - committedAt);
  });
  return {
    priority,
    terminals: terminals + lightSockets,
    fullCores: terminals,
    lightSockets,
    edits: ids.length,
    lastReceipt: distribution(last),
    firstEditLast,
    steadyLast: distribution(steadyLast),
    lastSocket: distribution(lastSocket),
    lastCore: distribution(lastCore),
    lastFromRequest: distribution(lastFromRequest),
    everySocket: distribution(everySocket),
    missed,
    counts,
    serverCpuMsPerEdit: liveCpuMs.server,
    cpu: liveCpuMs,
  };
}

export async function measureLiveClinic(clinic: BenchClinic, workDir: string, plan: LiveClinicPlan, progress: (line: string) => void): Promise<LiveClinicResult> {
  progress('live clinic: the loopback floor (HTTP round trip + SQLite commit)');
  const floor = await measureLoopbackFloor(clinic, workDir);

  const terminals = plan.coreProcesses * plan.coresPerProcess;
  let inProcess: PropagationResult | null = null;
  if (plan.inProcess) {
    progress(`live clinic: ${terminals} cores in this process`);
    inProcess = await measurePropagation(clinic, workDir, terminals, plan.coreEdits, true, 'live-inproc');
  }

  progress(`live clinic: the same ${terminals} cores spread over ${plan.coreProcesses} processes`);
  const setupStarted = performance.now();
  const staff = clinic.staff.map((s) => ({ username: s.username, password: s.password }));
  const groups: CoreGroup[] = [];
  const crowds: SocketCrowd[] = [];
  try {
    for (let g = 0; g < plan.coreProcesses; g++) {
      const config: CoreGroupConfig = { serverUrl: clinic.server.url, workDir, prefix: `live-group${g}`, count: plan.coresPerProcess, staff, first: g * plan.coresPerProcess, markerPrefix };
      groups.push(await startBenchChild<CoreGroupParentMessage, CoreGroupChildMessage>('core-group.ts', 'BENCH_CORE_GROUP', config));
    }
    for (const group of groups) {
      group.tell({ type: 'open' });
      await group.next('opened');
    }
    const setupMs = performance.now() - setupStarted;
    // The last group to open has just read its 5,000 patients (core-group.ts keeps their versions)
    // on its main thread, and a major GC of that (226 ms in a profile) landed on the first edit: the
    // harness's own garbage, not a terminal's cold path. The same 2 s pause as after every step.
    await sleep(2000);
    // Patients the in-process run did not touch (it edits ids[(m * 7919) % n]), taken from the end
    // of the list, a fresh set for each step.
    const ids = clinic.seed.patientIds;
    let taken = 0;
    const take = (n: number) => Array.from({ length: n }, () => ids[ids.length - 1 - taken++]!);
    const spread: SpreadCoresResult[] = [await measureSpread(clinic, groups, crowds, plan, take(plan.coreEdits), 'spread', 'equal', setupMs)];
    const corePids = groups.map((g) => g.pid);
    if (plan.lowPriorityCores) {
      progress(`live clinic: the same ${terminals} spread cores at nice 19 (the server first: a model of cores on machines of their own)`);
      renice(corePids, 19);
      spread.push(await measureSpread(clinic, groups, crowds, plan, take(plan.coreEdits), 'spread-low', 'cores low', setupMs));
      renice(corePids, 0);
    }

    const lightSockets = plan.socketProcesses * plan.socketsPerProcess;
    progress(`live clinic: ${lightSockets} light live sockets in ${plan.socketProcesses} processes join the ${terminals} cores`);
    // One sign-in per member of staff, the tokens shared by the light clients (the server lets one
    // username sign in from one address only a few times at once).
    const tokens: string[] = [];
    for (const s of clinic.staff) tokens.push((await ClinicHttp.login(clinic.server.url, s.username, s.password)).accessToken!);
    for (let p = 0; p < plan.socketProcesses; p++) {
      const config: LiveSocketsConfig = { serverUrl: clinic.server.url, count: plan.socketsPerProcess, tokens, first: p, firstReceiver: terminals + p * plan.socketsPerProcess, markerPrefix };
      crowds.push(await startBenchChild<LiveSocketsParentMessage, LiveSocketsChildMessage>('live-sockets.ts', 'BENCH_LIVE_SOCKETS', config));
    }
    for (const crowd of crowds) {
      crowd.tell({ type: 'open' });
      await crowd.next('opened');
    }
    progress(`live clinic: ${plan.liveEdits} patient edits from one core to ${terminals + lightSockets} live terminals`);
    const live: LiveTerminalsResult[] = [await measureLive(clinic, groups, crowds, plan, take(plan.liveEdits), 'live', 'equal')];
    if (plan.lowPriorityCores) {
      progress(`live clinic: ${plan.liveEdits} more edits with the ${terminals} cores at nice 19`);
      renice(corePids, 19);
      live.push(await measureLive(clinic, groups, crowds, plan, take(plan.liveEdits), 'live-low', 'cores low'));
      renice(corePids, 0);
    }
    return { plan, floor, inProcess, spread, live };
  } finally {
    await Promise.all([...crowds.map((c) => c.close({ type: 'exit' })), ...groups.map((g) => g.close({ type: 'exit' }))]);
  }
}

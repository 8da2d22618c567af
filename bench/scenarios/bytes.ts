/**
 * Bytes over the wire per terminal, our live engine against the seed's baseline (the same core
 * with the seed's refetch-everything as its change source, ../support/refetchEverything.ts), in the same run on the same server. Every terminal talks to the
 * server through its own counting TCP proxy, so the figures are what the network carries:
 * HTTP headers, bodies and WebSocket frames, both directions.
 *
 * - idle: terminals signed in and synced, nobody changes anything, for `idleSeconds`; scaled to a
 *   minute. The baseline's 30/60 s timers run `timerSpeedup` times faster here and its bytes are
 *   divided by the same factor (its traffic is timer-driven, so this is exact up to jitter).
 * - per change: a writer terminal makes `changes` edits while a reader terminal watches; bytes
 *   per change on each. The baseline's terminals here keep their real 30/60 s timers and the
 *   phase ends before the first timer fires, so only the change-driven traffic is counted.
 */
import { join } from 'node:path';
import type { BenchClinic } from './clinic';
import { startCountingProxy, type CountingProxy } from '../support/proxy';
import { openTerminal, signIn, waitQuiet, type BenchTerminal, type Strategy } from '../support/terminal';
import { sleep, waitFor } from '../support/stats';

export interface StrategyBytes {
  strategy: Strategy;
  idleBytesPerMinute: number;
  idleWindowSeconds: number;
  idleScale: string;
  writerBytesPerChange: number;
  readerBytesPerChange: number;
  changes: number;
  /** Reader saw every change before the phase ended (baseline: not expected, it waits for its timer). */
  readerSawChanges: number;
}

export interface BytesResult {
  patients: number;
  live: StrategyBytes;
  baseline: StrategyBytes;
  /** Per terminal per working hour, with the assumption written out. */
  hour: { assumption: string; liveBytes: number; baselineBytes: number; ratio: number };
}

interface Metered {
  terminal: BenchTerminal;
  proxy: CountingProxy;
}

async function metered(clinic: BenchClinic, workDir: string, name: string, strategy: Strategy, speedup: number, staffIndex: number): Promise<Metered> {
  const proxy = await startCountingProxy({ host: '127.0.0.1', port: clinic.server.port });
  const terminal = await openTerminal({
    dataDir: join(workDir, name),
    serverUrl: proxy.url,
    terminalName: name,
    strategy,
    ...(speedup !== 1 ? { baselineSchedule: { fastMs: 30_000 / speedup, slowMs: 60_000 / speedup } } : {}),
  });
  const staff = clinic.staff[staffIndex % clinic.staff.length]!;
  debug(`${name}: signing in`);
  await signIn(terminal, staff.username, staff.password);
  debug(`${name}: synced`);
  return { terminal, proxy };
}

const debug = (line: string) => {
  if (process.env.BENCH_DEBUG) console.error(`[bytes] ${line}`);
};
const total = (p: CountingProxy) => p.bytes().up + p.bytes().down;

/** Until no byte moved through these proxies for `quietMs` (a refetch in flight has finished). */
async function proxiesSettle(proxies: CountingProxy[], quietMs: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = proxies.reduce((s, p) => s + total(p), 0);
  let quietSince = Date.now();
  while (Date.now() < until) {
    await sleep(25);
    const now = proxies.reduce((s, p) => s + total(p), 0);
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

export async function measureBytes(
  clinic: BenchClinic,
  workDir: string,
  options: {
    idleSeconds: number;
    timerSpeedup: number;
    changes: number;
    changesPerTerminalHour: number;
    terminalsInClinic: number;
    /** Work on ANOTHER server that may run during the idle window (it sends nothing to these terminals). */
    duringIdle?: () => Promise<void>;
  },
): Promise<BytesResult> {
  const { idleSeconds, timerSpeedup, changes } = options;
  const all: Metered[] = [];
  try {
    // Idle: one live and one baseline terminal side by side.
    const idleLive = await metered(clinic, workDir, 'bytes-idle-live', 'live', 1, 0);
    const idleBase = await metered(clinic, workDir, 'bytes-idle-baseline', 'baseline', timerSpeedup, 1);
    all.push(idleLive, idleBase);
    await waitQuiet(idleLive.terminal, 10_000);
    await waitQuiet(idleBase.terminal, 10_000, false);

    debug('idle window');
    // ---- idle window: nobody changes anything anywhere
    idleLive.proxy.resetBytes();
    idleBase.proxy.resetBytes();
    const idleStarted = performance.now();
    await Promise.all([sleep(idleSeconds * 1000), options.duringIdle?.()]);
    const idleSecondsMeasured = (performance.now() - idleStarted) / 1000;
    const liveIdle = (total(idleLive.proxy) * 60) / idleSecondsMeasured;
    const baseIdle = (total(idleBase.proxy) * 60) / idleSecondsMeasured / timerSpeedup;
    for (const m of all.splice(0)) {
      await m.terminal.close();
      await m.proxy.close();
    }

    // ---- live change phase
    const wLive = await metered(clinic, workDir, 'bytes-writer-live', 'live', 1, 0);
    const rLive = await metered(clinic, workDir, 'bytes-reader-live', 'live', 1, 1);
    all.push(wLive, rLive);
    const liveChanges = await changePhase(clinic, wLive, rLive, changes);

    // ---- baseline change phase: fresh terminals with the seed's real 30/60 s timers; the phase
    // ends before the first of them fires, so only change-driven traffic is counted
    const wBase = await metered(clinic, workDir, 'bytes-writer-baseline', 'baseline', 1, 0);
    const rBase = await metered(clinic, workDir, 'bytes-reader-baseline', 'baseline', 1, 1);
    all.push(wBase, rBase);
    const baseChanges = await changePhase(clinic, wBase, rBase, changes);

    const live: StrategyBytes = {
      strategy: 'live',
      idleBytesPerMinute: liveIdle,
      idleWindowSeconds: idleSecondsMeasured,
      idleScale: `x${(60 / idleSecondsMeasured).toFixed(2)} to a minute`,
      ...liveChanges,
      changes,
    };
    const baseline: StrategyBytes = {
      strategy: 'baseline',
      idleBytesPerMinute: baseIdle,
      idleWindowSeconds: idleSecondsMeasured,
      idleScale: `timers ${timerSpeedup}x faster (${30 / timerSpeedup}/${60 / timerSpeedup} s), bytes /${timerSpeedup}, x${(60 / idleSecondsMeasured).toFixed(2)} to a minute`,
      ...baseChanges,
      changes,
    };
    // A working hour of one terminal: idle traffic, its own edits, and everyone else's edits.
    const own = options.changesPerTerminalHour;
    const others = own * (options.terminalsInClinic - 1);
    const hourOf = (s: StrategyBytes) => s.idleBytesPerMinute * 60 + own * s.writerBytesPerChange + others * s.readerBytesPerChange;
    const liveBytes = hourOf(live);
    const baselineBytes = hourOf(baseline);
    return {
      patients: clinic.seed.patientIds.length,
      live,
      baseline,
      hour: {
        assumption: `${options.terminalsInClinic} terminals, each making ${own} changes an hour: idle x60 + ${own} own changes + ${others} others' changes`,
        liveBytes,
        baselineBytes,
        ratio: baselineBytes / liveBytes,
      },
    };
  } finally {
    for (const m of all) {
      await m.terminal.close();
      await m.proxy.close();
    }
  }
}

async function changePhase(
  clinic: BenchClinic,
  writer: Metered,
  reader: Metered,
  changes: number,
): Promise<{ writerBytesPerChange: number; readerBytesPerChange: number; readerSawChanges: number }> {
  const live = (await writer.terminal.status()).connection === 'live';
  await waitQuiet(writer.terminal, 10_000, live);
  await waitQuiet(reader.terminal, 10_000, live);
  await sleep(200);
  writer.proxy.resetBytes();
  reader.proxy.resetBytes();
  const seen = new Set<string>();
  const off = reader.terminal.on('data.changed', (p) => {
    for (const c of p.changes) if (c.row && 'notes' in c.row && c.row.notes.startsWith('bytes change')) seen.add(c.row.notes);
  });
  for (let i = 0; i < changes; i++) {
    debug(`${writer.terminal.name}: change ${i}`);
    const id = clinic.seed.patientIds[(i * 104729 + 17) % clinic.seed.patientIds.length]!;
    const row = (await writer.terminal.invoke('data.list', { collection: 'patients' })).find((r) => r.id === id)!;
    await writer.terminal.invoke('data.mutate', {
      op: 'update',
      collection: 'patients',
      id,
      baseVersion: row.version as number,
      data: { notes: `bytes change ${i} ${Date.now()}` },
    });
    await waitQuiet(writer.terminal, 10_000, live);
    if (live) await waitFor(() => seen.size > i, 5000, 5);
    await proxiesSettle([writer.proxy, reader.proxy], 250);
  }
  off();
  return {
    writerBytesPerChange: (writer.proxy.bytes().up + writer.proxy.bytes().down) / changes,
    readerBytesPerChange: (reader.proxy.bytes().up + reader.proxy.bytes().down) / changes,
    readerSawChanges: seen.size,
  };
}

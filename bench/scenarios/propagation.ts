/**
 * Propagation latency: a mutation on one terminal until the IPC 'data.changed' event that carries
 * it on every other terminal. All terminal cores run in THIS process (one SQLite file each), so
 * one clock times both ends; the server is a separate process.
 */
import { join } from 'node:path';
import type { BenchClinic } from './clinic';
import { openTerminal, signIn, signInsAtOnce, type BenchTerminal } from '../support/terminal';
import { distribution, sleep, waitFor, type Distribution } from '../support/stats';

export interface PropagationResult {
  terminals: number;
  /** Whether pokes carried the changes (the default) or terminals pulled after each one. */
  pokedChanges: boolean;
  mutations: number;
  /** One sample per (mutation, receiving terminal). */
  latency: Distribution;
  /** Receivers that never saw a mutation within the timeout. */
  missed: number;
  setupMs: number;
}

export async function openTerminals(
  clinic: BenchClinic,
  workDir: string,
  prefix: string,
  count: number,
  serverUrl: (i: number) => string = () => clinic.server.url,
  pokedChanges = true,
): Promise<BenchTerminal[]> {
  const terminals: BenchTerminal[] = [];
  for (let i = 0; i < count; i++) {
    const terminal = await openTerminal({ dataDir: join(workDir, `${prefix}-${i}`), serverUrl: serverUrl(i), terminalName: `${prefix}-${i}`, pokedChanges });
    terminals.push(terminal);
  }
  for (let from = 0; from < count; from += signInsAtOnce) {
    await Promise.all(
      terminals.slice(from, from + signInsAtOnce).map((t, j) => {
        const staff = clinic.staff[(from + j) % clinic.staff.length]!;
        return signIn(t, staff.username, staff.password);
      }),
    );
  }
  const live = await waitFor(async () => (await Promise.all(terminals.map((t) => t.status()))).every((s) => s.connection === 'live'), 30_000, 100);
  if (!live) throw new Error(`${prefix}: not every terminal got its live channel within 30 s`);
  return terminals;
}

export async function measurePropagation(
  clinic: BenchClinic,
  workDir: string,
  count: number,
  mutations: number,
  pokedChanges = true,
  /** Names the terminals' data directories; another scenario in the same run passes its own. */
  prefix = `prop${count}${pokedChanges ? '' : '-plain'}`,
): Promise<PropagationResult> {
  const setupStarted = performance.now();
  const terminals = await openTerminals(clinic, workDir, prefix, count, undefined, pokedChanges);
  const setupMs = performance.now() - setupStarted;
  const patientIds = clinic.seed.patientIds;
  const samples: number[] = [];
  let missed = 0;

  try {
    // Row versions as every terminal sees them once a change has landed; kept from the events so
    // the harness does not list 5,000 patients before each mutation (it shares the CPU with the cores).
    const versions = new Map(
      (await terminals[0]!.invoke('data.list', { collection: 'patients' })).map((r) => [r.id as string, r.version as number]),
    );
    const trackVersions = terminals[0]!.on('data.changed', (payload) => {
      for (const c of payload.changes) if (c.collection === 'patients' && c.row) versions.set(c.id, c.row.version as number);
    });
    // Arrivals of the current marker per terminal.
    let marker = '';
    let sentAt = 0;
    let arrived = new Map<number, number>();
    const unsubscribe = terminals.map((t, i) =>
      t.on('data.changed', (payload) => {
        if (payload.source !== 'remote' || arrived.has(i) || marker === '') return;
        if (payload.changes.some((c) => c.row !== undefined && 'notes' in c.row && c.row.notes === marker)) arrived.set(i, performance.now() - sentAt);
      }),
    );
    for (let m = 0; m < mutations; m++) {
      const senderIndex = m % count;
      const sender = terminals[senderIndex]!;
      const id = patientIds[(m * 7919) % patientIds.length]!;
      const baseVersion = versions.get(id);
      if (baseVersion === undefined) throw new Error(`patient ${id} is not in the caches`);
      arrived = new Map();
      marker = `propagation ${count}/${m} ${Date.now()}`;
      sentAt = performance.now();
      await sender.invoke('data.mutate', { op: 'update', collection: 'patients', id, baseVersion, data: { notes: marker } });
      await waitFor(() => arrived.size >= count - 1 + (arrived.has(senderIndex) ? 1 : 0), 5000, 2);
      for (const [i, latency] of arrived) if (i !== senderIndex) samples.push(latency);
      missed += count - 1 - [...arrived.keys()].filter((i) => i !== senderIndex).length;
      await sleep(30);
    }
    for (const u of unsubscribe) u();
    trackVersions();
  } finally {
    await Promise.all(terminals.map((t) => t.close()));
  }
  return { terminals: count, pokedChanges, mutations, latency: distribution(samples), missed, setupMs };
}

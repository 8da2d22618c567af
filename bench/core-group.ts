/**
 * A group of full terminal cores in one process of their own, so that a clinic's 50 cores can be
 * spread over several processes (the figure then measures the cores and the server, not one
 * shared event loop). Driven by bench/scenarios/live-clinic.ts; each arrival of a marked patient
 * edit (data.changed) is stamped with the machine-wide clock (epochNow) and reported at the end.
 */
import { join } from 'node:path';
import { configFromEnv, epochNow, serveParent } from './support/bench-child';
import { openTerminal, signIn, signInsAtOnce, waitQuiet, type BenchTerminal } from './support/terminal';
import { waitFor } from './support/stats';
import type { CoreGroupChildMessage, CoreGroupConfig, CoreGroupParentMessage, Receipt } from './support/live-clinic-messages';

const cfg = configFromEnv<CoreGroupConfig>('BENCH_CORE_GROUP', 'bench/scenarios/live-clinic.ts');
const send = (m: CoreGroupChildMessage) => process.send?.(m);

const terminals: BenchTerminal[] = [];
const receipts: Receipt[] = [];
/** Patient row versions as the group's first core sees them: the base of the next edit. */
const versions = new Map<string, number>();

async function open(): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < cfg.count; i++) {
    terminals.push(await openTerminal({ dataDir: join(cfg.workDir, `${cfg.prefix}-${i}`), serverUrl: cfg.serverUrl, terminalName: `${cfg.prefix}-${i}` }));
  }
  for (let from = 0; from < cfg.count; from += signInsAtOnce) {
    await Promise.all(
      terminals.slice(from, from + signInsAtOnce).map((t, j) => {
        const staff = cfg.staff[(cfg.first + from + j) % cfg.staff.length]!;
        return signIn(t, staff.username, staff.password);
      }),
    );
  }
  const live = await waitFor(async () => (await Promise.all(terminals.map((t) => t.status()))).every((s) => s.connection === 'live'), 30_000, 100);
  if (!live) throw new Error(`${cfg.prefix}: not every core got its live channel within 30 s`);
  for (const row of await terminals[0]!.invoke('data.list', { collection: 'patients' })) versions.set(row.id as string, row.version as number);
  terminals[0]!.on('data.changed', (payload) => {
    for (const c of payload.changes) if (c.collection === 'patients' && c.row) versions.set(c.id, c.row.version as number);
  });
  terminals.forEach((t, i) =>
    t.on('data.changed', (payload) => {
      if (payload.source !== 'remote') return;
      const at = epochNow();
      for (const c of payload.changes) {
        const notes = c.row && 'notes' in c.row ? c.row.notes : undefined;
        if (typeof notes === 'string' && notes.startsWith(cfg.markerPrefix)) {
          receipts.push({ marker: notes, receiver: i, at, updatedAt: Date.parse(String(c.row!.updatedAt)) });
        }
      }
    }),
  );
  send({ type: 'opened', ms: performance.now() - started });
}

serveParent<CoreGroupParentMessage>(async (message) => {
  if (message.type === 'open') return open();
  if (message.type === 'mutate') {
    const baseVersion = versions.get(message.patientId);
    if (baseVersion === undefined) throw new Error(`patient ${message.patientId} is not in the cache`);
    const sentAt = epochNow();
    await terminals[message.core]!.invoke('data.mutate', { op: 'update', collection: 'patients', id: message.patientId, baseVersion, data: { notes: message.marker } });
    return void send({ type: 'mutated', sentAt });
  }
  if (message.type === 'settle') {
    // Edits are pushed after data.mutate answers: wait until every core's outbox is empty.
    const statuses = await Promise.all(terminals.map((t) => waitQuiet(t, 60_000)));
    return void send({ type: 'settled', pending: statuses.reduce((n, s) => n + s.pending, 0) });
  }
  if (message.type === 'report') return void send({ type: 'receipts', receipts: receipts.splice(0) });
  await Promise.all(terminals.map((t) => t.close()));
  process.exit(0);
});

/**
 * One chaos terminal: a headless terminal core in its own process that a clinic worker would be
 * driving, making random mutations of every kind, until the chaos run tells it to stop. The run
 * SIGKILLs it at random; its cache and outbox live on in its data directory and it resumes.
 *
 * Everything the checker needs is appended synchronously to a journal file (JSON lines), so that
 * a SIGKILL loses at most the line being written:
 * - `intent` before a mutation is handed to the core (with the adjust delta),
 * - `accepted` once the core acknowledged it (it is then the core's duty not to lose it),
 * - `outcome` / `conflict` for every answer the core showed the user.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { randomInt, randomUUID } from 'node:crypto';
import type { CollectionName, Role } from '../shared/domain/collections';
import { canDelete, canWrite, syncedCollections } from '../shared/domain/access';
import type { MutateRequest } from '../shared/ipc/contract';
import { IpcFailure, openTerminal, signIn, waitQuiet, type BenchTerminal } from './support/terminal';
import { sleep } from './support/stats';

export interface ChaosTerminalConfig {
  name: string;
  dataDir: string;
  serverUrl: string;
  username: string;
  password: string;
  role: Role;
  journal: string;
  /** Mean pause between two mutations. */
  mutateEveryMs: number;
  /** Rows everyone fights over (same-field edits). */
  hotPatientIds: string[];
  providerIds: string[];
}

export type ParentMessage =
  | { type: 'stop-mutating' }
  | { type: 'quiesce'; timeoutMs: number }
  | { type: 'snapshot'; file: string }
  | { type: 'exit' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'stopped'; made: number }
  | { type: 'quiet'; pending: number; connection: string }
  | { type: 'snapshot-done'; rows: number }
  | { type: 'failed'; error: string };

export type JournalLine =
  | { t: 'intent'; seq: number; op: string; collection: CollectionName; id: string | null; delta?: number }
  | { t: 'accepted'; seq: number; mutationId: string; op: string; collection: CollectionName; id: string; delta?: number }
  | { t: 'refused'; seq: number; code: string; message: string }
  | { t: 'outcome'; mutationId: string; status: string; op: string; collection: string; id: string; error?: string }
  | { t: 'conflict'; mutationId: string; conflictId: string }
  | { t: 'start'; pid: number };

const config = JSON.parse(process.env.CHAOS_TERMINAL ?? 'null') as ChaosTerminalConfig | null;
if (config === null) {
  console.error('chaos-terminal is started by bench/chaos.ts (CHAOS_TERMINAL is unset)');
  process.exit(2);
}
const cfg: ChaosTerminalConfig = config;

function journal(line: JournalLine): void {
  appendFileSync(cfg.journal, JSON.stringify(line) + '\n');
}
function send(message: ChildMessage): void {
  process.send?.(message);
}

const pickOne = <T>(list: readonly T[]): T | undefined => (list.length === 0 ? undefined : list[randomInt(list.length)]);
let seq = Date.now() * 1000;

type Row = Record<string, unknown> & { id: string; version: number };

async function list(terminal: BenchTerminal, collection: CollectionName): Promise<Row[]> {
  return (await terminal.invoke('data.list', { collection })) as Row[];
}

const statusNext: Record<string, string[]> = {
  scheduled: ['arrived', 'cancelled', 'no_show'],
  arrived: ['in_progress', 'cancelled'],
  in_progress: ['completed'],
  cancelled: ['scheduled'],
  no_show: ['scheduled'],
  completed: [],
};

function isoInMinutes(baseHour: number, minutes: number): string {
  return new Date(Date.parse('2026-12-01T08:00:00Z') + baseHour * 3600_000 + minutes * 60_000).toISOString();
}

/** One random mutation this role may make, built from what the terminal's cache holds. */
async function randomMutation(terminal: BenchTerminal): Promise<MutateRequest | null> {
  const role = cfg.role;
  const kinds: (() => Promise<MutateRequest | null>)[] = [];
  const weight = (n: number, make: () => Promise<MutateRequest | null>) => {
    for (let i = 0; i < n; i++) kinds.push(make);
  };
  /** Once in the mix: a create of `collection` that refers to a random row of `from` (none while `from` has none). */
  const createFor = (from: CollectionName, collection: CollectionName, data: (row: Row) => Record<string, unknown>, keep: (row: Row) => boolean = () => true) =>
    weight(1, async () => {
      const row = pickOne((await list(terminal, from)).filter(keep));
      return row ? { op: 'create', collection, data: data(row) } : null;
    });

  // Same-field edits of the hot patients: the conflict path.
  weight(4, async () => {
    const patients = await list(terminal, 'patients');
    const hot = patients.filter((p) => cfg.hotPatientIds.includes(p.id));
    const p = pickOne(hot);
    if (!p) return null;
    return { op: 'update', collection: 'patients', id: p.id, baseVersion: p.version, data: { phone: `+49 30 ${randomInt(1e6, 9e6)}` } };
  });
  // Edits of different fields of any patient: the merge path.
  weight(2, async () => {
    const p = pickOne(await list(terminal, 'patients'));
    if (!p) return null;
    const field = pickOne(['notes', 'address', 'allergies', 'insuranceNumber'])!;
    return { op: 'update', collection: 'patients', id: p.id, baseVersion: p.version, data: { [field]: `${cfg.name} ${randomUUID().slice(0, 8)}` } };
  });
  weight(1, async () => ({
    op: 'create',
    collection: 'patients',
    data: { firstName: 'Chaos', lastName: `${cfg.name}-${randomInt(1e6)}`, dateOfBirth: '1980-01-01', sex: 'unknown' },
  }));
  // Stock: commuting deltas, and takes that may drive a low item below zero (a rejection).
  weight(5, async () => {
    const item = pickOne(await list(terminal, 'inventory'));
    if (!item) return null;
    let delta = randomInt(-6, 5);
    if (delta === 0) delta = -1;
    return { op: 'adjust', collection: 'inventory', id: item.id, data: { delta, reason: `chaos ${cfg.name}` } };
  });
  // Appointments in a narrow window: clashes are likely (rejections).
  weight(2, async () => {
    const patient = pickOne(await list(terminal, 'patients'));
    const provider = pickOne(cfg.providerIds);
    if (!patient || !provider) return null;
    const startMinutes = randomInt(0, 40) * 15;
    return {
      op: 'create',
      collection: 'appointments',
      data: {
        patientId: patient.id,
        providerId: provider,
        room: pickOne(['Room 1', 'Room 2', ''])!,
        start: isoInMinutes(0, startMinutes),
        end: isoInMinutes(0, startMinutes + 15),
        reason: 'chaos visit',
      },
    };
  });
  weight(2, async () => {
    const a = pickOne((await list(terminal, 'appointments')).filter((x) => (statusNext[String(x.status)] ?? []).length > 0));
    if (!a) return null;
    const next = pickOne(statusNext[String(a.status)]!)!;
    return { op: 'update', collection: 'appointments', id: a.id, baseVersion: a.version, data: { status: next } };
  });
  createFor('patients', 'invoices', (patient) => ({ patientId: patient.id, status: 'issued', lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: 100 * randomInt(20, 90) }] }));
  createFor('invoices', 'payments', (invoice) => ({ invoiceId: invoice.id, amountCents: 100 * randomInt(5, 40), method: 'card', receivedAt: new Date().toISOString() }), (i) => i.status === 'issued');
  createFor('patients', 'referrals', (patient) => ({ patientId: patient.id, direction: 'outgoing', provider: 'Dr. Chaos', reason: 'second opinion', date: '2026-12-01' }));
  weight(1, async () => {
    const r = pickOne(await list(terminal, 'referrals'));
    if (!r) return null;
    return { op: 'update', collection: 'referrals', id: r.id, baseVersion: r.version, data: { reason: `${cfg.name} ${randomInt(1e6)}` } };
  });
  weight(1, async () => {
    const patient = pickOne(await list(terminal, 'patients'));
    const provider = pickOne(cfg.providerIds);
    if (!patient || !provider) return null;
    return {
      op: 'create',
      collection: 'treatment-records',
      data: { patientId: patient.id, providerId: provider, date: '2026-12-01', diagnosis: 'chaos', notes: cfg.name },
    };
  });
  weight(1, async () => {
    const candidates: CollectionName[] = (['referrals', 'appointments', 'treatment-records'] as const).filter((c) => canDelete(role, c));
    const collection = pickOne(candidates);
    if (!collection) return null;
    const row = pickOne(await list(terminal, collection));
    if (!row) return null;
    return { op: 'delete', collection, id: row.id };
  });

  const make = pickOne(kinds)!;
  const request = await make();
  if (request === null) return null;
  const visible = syncedCollections(role);
  if (!visible.includes(request.collection) || !canWrite(role, request.collection)) return null;
  return request;
}

async function mutateOnce(terminal: BenchTerminal): Promise<boolean> {
  const request = await randomMutation(terminal);
  if (request === null) return false;
  const mySeq = seq++;
  const delta = request.op === 'adjust' ? request.data.delta : undefined;
  const id = 'id' in request ? request.id : null;
  journal({ t: 'intent', seq: mySeq, op: request.op, collection: request.collection, id, ...(delta === undefined ? {} : { delta }) });
  try {
    const answer = await terminal.invoke('data.mutate', request);
    const rowId = id ?? answer.id;
    journal({ t: 'accepted', seq: mySeq, mutationId: answer.mutationId, op: request.op, collection: request.collection, id: rowId, ...(delta === undefined ? {} : { delta }) });
    return true;
  } catch (error) {
    // Refused before the outbox (validation, a clash the cache already shows): the user saw it at once.
    const code = error instanceof IpcFailure ? error.code : 'error';
    journal({ t: 'refused', seq: mySeq, code, message: error instanceof Error ? error.message : String(error) });
    return false;
  }
}

async function main(): Promise<void> {
  journal({ t: 'start', pid: process.pid });
  const terminal = await openTerminal({ dataDir: cfg.dataDir, serverUrl: cfg.serverUrl, terminalName: cfg.name, strategy: 'live' });
  terminal.on('mutation.outcome', (o) =>
    journal({ t: 'outcome', mutationId: o.mutationId, status: o.status, op: o.op, collection: o.collection, id: o.id, ...(o.error ? { error: o.error } : {}) }),
  );
  terminal.on('conflict.recorded', (c) => journal({ t: 'conflict', mutationId: c.mutationId, conflictId: c.id }));

  // The server may be down or frozen right now: keep trying, as a receptionist would.
  for (;;) {
    try {
      await signIn(terminal, cfg.username, cfg.password, 30_000);
      break;
    } catch {
      await sleep(300);
    }
  }
  send({ type: 'ready' });

  let mutating = true;
  let made = 0;
  const loop = (async () => {
    while (mutating) {
      if (await mutateOnce(terminal).catch(() => false)) made++;
      await sleep(randomInt(Math.max(1, cfg.mutateEveryMs / 2), cfg.mutateEveryMs * 1.5 + 1));
    }
  })();

  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    void (async () => {
      try {
        if (message.type === 'stop-mutating') {
          mutating = false;
          await loop;
          send({ type: 'stopped', made });
        } else if (message.type === 'quiesce') {
          await terminal.invoke('sync.now', {}).catch(() => undefined);
          const status = await waitQuiet(terminal, message.timeoutMs);
          send({ type: 'quiet', pending: status.pending, connection: status.connection });
        } else if (message.type === 'snapshot') {
          const session = await terminal.invoke('session.current', {});
          const role = session.user?.role ?? cfg.role;
          const rows: Record<string, unknown[]> = {};
          let total = 0;
          for (const collection of syncedCollections(role)) {
            rows[collection] = await terminal.invoke('data.list', { collection });
            total += rows[collection]!.length;
          }
          const conflicts = await terminal.invoke('conflicts.list', {});
          writeFileSync(message.file, JSON.stringify({ rows, conflicts, status: await terminal.status() }));
          send({ type: 'snapshot-done', rows: total });
        } else if (message.type === 'exit') {
          mutating = false;
          await loop;
          await terminal.close();
          process.exit(0);
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exit(1);
});

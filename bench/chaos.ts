/**
 * `npm run chaos -- --seconds S --terminals K`: K terminal processes make random mutations of
 * every kind while this run SIGKILLs and restarts the server and random terminals, freezes the
 * server (SIGSTOP/SIGCONT) and cuts the network (a proxy drops every connection). Then it heals
 * everything, waits for quiescence and checks that nothing was lost:
 * - every mutation a terminal accepted has exactly one result on the server: applied exactly once
 *   (one audit entry carrying its mutation id), or a conflict/rejection the terminal showed;
 * - every stock quantity equals its starting quantity plus the sum of the applied adjustments;
 * - every terminal's cache equals the server's rows for its user.
 * Prints ONE summary line; exit 0 when all holds, 1 on any loss, 2 when the run itself broke.
 * Loopback only, bounded in time, cleans up after itself (--keep keeps the data directories).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Role } from '../shared/domain/collections';
import { redactRow, syncedCollections } from '../shared/domain/access';
import type { ChaosTerminalConfig, ChildMessage, JournalLine, ParentMessage } from './chaos-terminal';
import { ClinicHttp } from './support/clinic-http';
import { startCountingProxy, type CountingProxy } from './support/proxy';
import { startServerProcess, type ServerProcess } from './support/server-process';
import { sleep } from './support/stats';
import { rowsEqual } from './support/compare';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    terminals: { type: 'string', default: '3' },
    'mutate-every': { type: 'string', default: '120' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const terminalCount = Number(args.terminals);
const mutateEveryMs = Number(args['mutate-every']);
if (!(seconds > 0 && seconds <= 3600) || !(terminalCount >= 1 && terminalCount <= 20) || !(mutateEveryMs >= 5)) {
  console.error('usage: npm run chaos -- --seconds <1..3600> --terminals <1..20> [--mutate-every <ms>] [--keep] [--verbose]');
  process.exit(2);
}
const verbose = args.verbose;
const say = (line: string) => {
  if (verbose) console.error(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
};
const started = Date.now();
const root = join(import.meta.dirname, '..');
const workDir = mkdtempSync(join(tmpdir(), 'clinic-chaos-'));
const serverDir = join(workDir, 'server');
const adminPassword = `chaos-${randomUUID()}`;
const roles: Role[] = ['doctor', 'receptionist', 'assistant'];

let server: ServerProcess;
/** Every terminal child, so a broken run still kills them all. */
const running: ChaosTerminal[] = [];
let proxy: CountingProxy;

async function startServer(): Promise<void> {
  server = await startServerProcess({ dataDir: serverDir, adminPassword });
  proxy?.retarget({ host: '127.0.0.1', port: server.port });
  say(`server up on ${server.url} (pid ${server.pid})`);
}

/** A terminal child with its own data directory, restartable after a SIGKILL. */
class ChaosTerminal {
  child: ChildProcess | null = null;
  private waiters: { type: ChildMessage['type']; resolve: (m: ChildMessage) => void }[] = [];
  failures: string[] = [];
  kills = 0;
  made = 0;

  constructor(readonly config: ChaosTerminalConfig) {
    running.push(this);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'chaos-terminal.ts')], {
      cwd: root,
      env: { ...process.env, CHAOS_TERMINAL: JSON.stringify(this.config) },
      stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    this.child = child;
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      if (message.type === 'failed') this.failures.push(message.error);
      const i = this.waiters.findIndex((w) => w.type === message.type || message.type === 'failed');
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (signal !== 'SIGKILL' && code !== 0) this.failures.push(`${this.config.name} exited ${code ?? signal}: ${stderr.slice(-1500)}`);
      for (const w of this.waiters.splice(0)) w.resolve({ type: 'failed', error: `${this.config.name} exited (${code ?? signal})` });
    });
    await this.ask(null, 'ready', 120_000);
  }

  ask(message: ParentMessage | null, answer: ChildMessage['type'], timeoutMs: number): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.config.name}: no '${answer}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type: answer,
        resolve: (m) => {
          clearTimeout(timer);
          if (m.type === 'failed') reject(new Error(`${this.config.name}: ${m.error}`));
          else resolve(m);
        },
      });
      if (message) this.child?.send(message);
    });
  }

  kill(): void {
    this.kills++;
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

function readJournal(file: string): JournalLine[] {
  if (!existsSync(file)) return [];
  const lines: JournalLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    try {
      lines.push(JSON.parse(text) as JournalLine);
    } catch {
      // The line a SIGKILL cut short: it was never acknowledged to anyone.
    }
  }
  return lines;
}

interface Tally {
  serverKills: number;
  serverFreezes: number;
  networkCuts: number;
  terminalKills: number;
}

/** One fault: begun and said, counted, held for a random while (ms, from [min, max)), then ended. */
async function holdFault(
  tally: Tally,
  fault: { counts: keyof Tally; ms: [number, number]; begun: string; begin(): unknown; end(): unknown; ended?: string },
): Promise<void> {
  say(fault.begun);
  await fault.begin();
  tally[fault.counts]++;
  await sleep(randomInt(fault.ms[0], fault.ms[1]));
  await fault.end();
  if (fault.ended) say(fault.ended);
}

async function runChaos(terminals: ChaosTerminal[], until: number, tally: Tally): Promise<void> {
  const actions = ['server-kill', 'terminal-kill', 'network-cut', 'server-freeze'] as const;
  // The first round does each kind once, so even a short run covers them all; later rounds shuffle.
  let cycle: (typeof actions)[number][] = [...actions];
  await sleep(Math.min(2000, (until - Date.now()) / 4));
  while (Date.now() < until - 1500) {
    if (cycle.length === 0) cycle = [...actions].sort(() => Math.random() - 0.5);
    const action = cycle.shift()!;
    if (action === 'server-kill') {
      await holdFault(tally, { counts: 'serverKills', ms: [200, 1200], begun: 'SIGKILL server', begin: () => server.kill('SIGKILL'), end: startServer });
    } else if (action === 'server-freeze') {
      await holdFault(tally, { counts: 'serverFreezes', ms: [800, 2500], begun: 'SIGSTOP server', begin: () => server.pause(), end: () => server.resume(), ended: 'SIGCONT server' });
    } else if (action === 'network-cut') {
      await holdFault(tally, { counts: 'networkCuts', ms: [800, 3000], begun: 'network cut', begin: () => proxy.cut(), end: () => proxy.heal(), ended: 'network healed' });
    } else {
      const victim = terminals[randomInt(terminals.length)]!;
      const name = victim.config.name;
      await holdFault(tally, { counts: 'terminalKills', ms: [100, 1500], begun: `SIGKILL ${name}`, begin: () => victim.kill(), end: () => victim.start(), ended: `${name} restarted` });
    }
    await sleep(randomInt(700, 2000));
  }
  const rest = until - Date.now();
  if (rest > 0) await sleep(rest);
}

interface Verdict {
  ok: boolean;
  summary: string;
  problems: string[];
}

async function main(): Promise<Verdict> {
  await startServer();
  proxy = await startCountingProxy({ host: '127.0.0.1', port: server.port });
  const admin = await ClinicHttp.login(server.url, 'admin', adminPassword);

  // Staff: one user per terminal, roles rotating so redaction and role rules are exercised.
  const staff: { username: string; password: string; role: Role; id: string }[] = [];
  for (let i = 0; i < terminalCount; i++) {
    const role = roles[i % roles.length]!;
    const username = `chaos${i}.${role}`;
    const password = `pw-${randomUUID()}`;
    const user = await admin.createUser(username, role, password);
    staff.push({ username, password, role, id: user.id });
  }
  const extraDoctor = await admin.createUser('chaos.doctor', 'doctor', `pw-${randomUUID()}`);
  const providerIds = [extraDoctor.id, ...staff.filter((s) => s.role === 'doctor').map((s) => s.id)];

  // A small clinic where everyone works on the same rows.
  const patients: Awaited<ReturnType<ClinicHttp["create"]>>[] = [];
  for (let i = 0; i < 12; i++) {
    patients.push(await admin.create('patients', { firstName: `Pat${i}`, lastName: 'Chaos', dateOfBirth: '1970-05-05', sex: 'female' }));
  }
  for (let i = 0; i < 6; i++) {
    // Two items nearly empty: takes there will be refused (quantity never below 0).
    await admin.create('inventory', { name: `Item ${i}`, sku: `CH-${i}`, quantity: i < 2 ? 3 : 500, reorderLevel: 10 });
  }
  await admin.create('referrals', { patientId: patients[0]!.id, direction: 'outgoing', provider: 'Dr. Seed', date: '2026-11-01' });
  const initialStock = new Map((await admin.list('inventory')).map((r) => [r.id, r.quantity as number]));

  const terminals = staff.map(
    (s, i) =>
      new ChaosTerminal({
        name: `terminal-${i}`,
        dataDir: join(workDir, `terminal-${i}`),
        serverUrl: proxy.url,
        username: s.username,
        password: s.password,
        role: s.role,
        journal: join(workDir, `terminal-${i}.journal`),
        mutateEveryMs,
        hotPatientIds: patients.slice(0, 3).map((p) => p.id),
        providerIds,
      }),
  );
  await Promise.all(terminals.map((t) => t.start()));
  say(`${terminals.length} terminals ready; chaos for ${seconds} s`);

  const tally: Tally = { serverKills: 0, serverFreezes: 0, networkCuts: 0, terminalKills: 0 };
  await runChaos(terminals, Date.now() + seconds * 1000, tally);

  // Heal everything, stop the work, let every outbox drain.
  proxy.heal();
  server.resume();
  for (const t of terminals) if (!t.child) await t.start();
  for (const t of terminals) {
    const stopped = await t.ask({ type: 'stop-mutating' }, 'stopped', 30_000);
    if (stopped.type === 'stopped') t.made = stopped.made;
  }
  say('mutations stopped; waiting for quiescence');
  const problems: string[] = [];
  for (const t of terminals) {
    const quiet = await t.ask({ type: 'quiesce', timeoutMs: 60_000 }, 'quiet', 70_000);
    if (quiet.type === 'quiet' && quiet.pending > 0) problems.push(`${t.config.name}: ${quiet.pending} mutations still in its outbox after 60 s (${quiet.connection})`);
  }

  // Caches converge once the last pokes are pulled: compare until equal or 30 s pass.
  // The server may have moved to another port while it was restarted: sign in afresh.
  const truthClients = await Promise.all(staff.map((s) => ClinicHttp.login(server.url, s.username, s.password)));
  const adminNow = await ClinicHttp.login(server.url, 'admin', adminPassword);
  let cacheProblems: string[] = [];
  let snapshots: { rows: Record<string, Record<string, unknown>[]>; conflicts: { mutationId: string }[] }[] = [];
  let comparedRows = 0;
  for (let attempt = 0; attempt < 30; attempt++) {
    cacheProblems = [];
    snapshots = [];
    comparedRows = 0;
    for (const [i, t] of terminals.entries()) {
      const file = join(workDir, `terminal-${i}.snapshot.json`);
      await t.ask({ type: 'snapshot', file }, 'snapshot-done', 60_000);
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as (typeof snapshots)[number];
      snapshots.push(snapshot);
      for (const collection of syncedCollections(staff[i]!.role)) {
        // Users travel to every terminal as a staff directory, but only an admin may list them.
        const truth =
          collection === 'users'
            ? (await adminNow.list('users')).map((u) => redactRow(staff[i]!.role, 'users', u))
            : await truthClients[i]!.list(collection);
        comparedRows += truth.length;
        const diff = rowsEqual(snapshot.rows[collection] ?? [], truth);
        if (diff) cacheProblems.push(`${t.config.name} ${collection}: ${diff}`);
      }
    }
    if (cacheProblems.length === 0) break;
    await sleep(1000);
  }
  problems.push(...cacheProblems);

  for (const t of terminals) await t.ask({ type: 'exit' }, 'ready', 10_000).catch(() => undefined);
  for (const t of terminals) t.child?.kill('SIGKILL');
  for (const t of terminals) for (const f of t.failures) problems.push(`${t.config.name} broke: ${f.split('\n')[0]}`);
  const finalStock = new Map((await adminNow.list('inventory')).map((r) => [r.id, r.quantity as number]));
  await server.kill('SIGTERM');
  await proxy.close();

  // The server's own record: one result per mutation id, one audit entry per applied push.
  const db = new Database(join(serverDir, 'clinic.db'), { readonly: true });
  const results = new Map(
    (db.prepare('SELECT mutation_id, result FROM mutations').all() as { mutation_id: string; result: string }[]).map((r) => [
      r.mutation_id,
      JSON.parse(r.result) as { status: string },
    ]),
  );
  const audits = db.prepare("SELECT action, row_id, detail FROM audit WHERE detail LIKE '%(sync %'").all() as {
    action: string;
    row_id: string;
    detail: string;
  }[];
  db.close();
  const auditCount = new Map<string, number>();
  const auditDelta = new Map<string, number>();
  const appliedDeltas = new Map<string, number>();
  for (const a of audits) {
    const id = /\(sync ([0-9a-f-]{36})\)$/.exec(a.detail)?.[1];
    if (!id) continue;
    auditCount.set(id, (auditCount.get(id) ?? 0) + 1);
    if (a.action === 'adjust') {
      const delta = Number(/delta ([+-]?\d+)/.exec(a.detail)?.[1]);
      auditDelta.set(id, delta);
      appliedDeltas.set(a.row_id, (appliedDeltas.get(a.row_id) ?? 0) + delta);
    }
  }

  let accepted = 0;
  let applied = 0;
  let conflicts = 0;
  let rejected = 0;
  let refusedLocally = 0;
  let lost = 0;
  for (const [i, t] of terminals.entries()) {
    const lines = readJournal(t.config.journal);
    const told = new Map<string, string>();
    for (const l of lines) if (l.t === 'outcome') told.set(l.mutationId, l.status);
    for (const l of lines) if (l.t === 'conflict') told.set(l.mutationId, told.get(l.mutationId) ?? 'conflict');
    for (const c of snapshots[i]?.conflicts ?? []) told.set(c.mutationId, told.get(c.mutationId) ?? 'conflict');
    for (const l of lines) {
      if (l.t === 'refused') refusedLocally++;
      if (l.t !== 'accepted') continue;
      accepted++;
      const result = results.get(l.mutationId);
      const where = `${t.config.name} ${l.op} ${l.collection}/${l.id} (${l.mutationId})`;
      if (!result) {
        lost++;
        problems.push(`LOST: ${where} accepted but the server never saw it`);
        continue;
      }
      const audited = auditCount.get(l.mutationId) ?? 0;
      if (result.status === 'applied') {
        applied++;
        if (audited !== 1) problems.push(`${audited === 0 ? 'LOST' : 'DUPLICATED'}: ${where} applied with ${audited} audit entries`);
        if (l.op === 'adjust' && auditDelta.get(l.mutationId) !== l.delta)
          problems.push(`WRONG: ${where} delta ${l.delta} audited as ${auditDelta.get(l.mutationId)}`);
      } else {
        if (result.status === 'conflict') conflicts++;
        else rejected++;
        if (audited !== 0) problems.push(`WRONG: ${where} ${result.status} but audited as applied`);
        if (!told.has(l.mutationId)) problems.push(`UNTOLD: ${where} was a ${result.status} the terminal never showed`);
      }
      const shown = told.get(l.mutationId);
      if (shown !== undefined && shown !== result.status && !(shown === 'conflict' && result.status === 'conflict'))
        problems.push(`WRONG: ${where} shown as ${shown}, server says ${result.status}`);
    }
  }

  let stockOk = 0;
  for (const [id, start] of initialStock) {
    const expected = start + (appliedDeltas.get(id) ?? 0);
    const actual = finalStock.get(id);
    if (actual === expected) stockOk++;
    else problems.push(`STOCK: inventory ${id} is ${actual}, expected ${start} + applied adjustments = ${expected}`);
  }
  lost = problems.filter((p) => /^(LOST|DUPLICATED|UNTOLD|WRONG|STOCK)/.test(p)).length;
  const cachesOk = terminals.length - new Set(cacheProblems.map((p) => p.split(' ')[0])).size;
  const pass = problems.length === 0;
  const summary =
    `chaos: ${pass ? 'PASS' : 'FAIL'} ${seconds}s ${terminals.length} terminals: ` +
    `${accepted} accepted (${applied} applied, ${conflicts} conflicts, ${rejected} rejected, ${refusedLocally} refused at once), ` +
    `${lost} lost; chaos ${tally.serverKills} server kills, ${tally.serverFreezes} freezes, ${tally.networkCuts} network cuts, ${tally.terminalKills} terminal kills; ` +
    `stock ${stockOk}/${initialStock.size} match; caches ${cachesOk}/${terminals.length} equal server (${comparedRows} rows)`;
  return { ok: pass, summary, problems };
}

const hardStop = setTimeout(
  () => {
    console.log(`chaos: FAIL run did not finish within its bound (${seconds + 240} s); data in ${workDir}`);
    for (const t of running) t.child?.kill('SIGKILL');
    void server?.kill('SIGKILL').finally(() => process.exit(2));
  },
  (seconds + 240) * 1000,
);
hardStop.unref();

main()
  .then((verdict) => {
    for (const p of verdict.problems.slice(0, 30)) console.error(p);
    if (verdict.problems.length > 30) console.error(`... and ${verdict.problems.length - 30} more`);
    console.log(verdict.summary);
    if (args.keep || !verdict.ok) console.error(`data kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
    process.exit(verdict.ok ? 0 : 1);
  })
  .catch(async (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    console.log(`chaos: FAIL the run broke (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); data in ${workDir}`);
    for (const t of running) t.child?.kill('SIGKILL');
    try {
      await server?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    process.exit(2);
  });

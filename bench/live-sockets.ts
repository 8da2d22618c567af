/**
 * A crowd of light live clients in one process: each holds a real live-channel socket
 * (`/api/sync/live?changes=1`, signed in by its first message), keeps the cursor it was told,
 * takes a poke's changes when they follow that cursor and pulls (`GET /api/sync/pull`) when the
 * poke says only "pull" or does not follow it, as a terminal core does (main/sync/live.ts,
 * engine.ts). Each arrival of a marked patient edit is stamped with the machine-wide clock.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { configFromEnv, epochNow, serveParent } from './support/bench-child';
import type { LiveSocketsChildMessage, LiveSocketsConfig, LiveSocketsParentMessage, Receipt, SocketCounts } from './support/live-clinic-messages';

const cfg = configFromEnv<LiveSocketsConfig>('BENCH_LIVE_SOCKETS', 'bench/scenarios/live-clinic.ts');
const send = (m: LiveSocketsChildMessage) => process.send?.(m);

interface ChangeText {
  collection: string;
  row?: { notes?: unknown; updatedAt?: unknown };
}

const receipts: Receipt[] = [];
const counts: SocketCounts = { pokesWithChanges: 0, plainPokes: 0, pulls: 0, closed: 0 };
const sockets: WebSocket[] = [];

function note(receiver: number, changes: ChangeText[], at: number): void {
  for (const c of changes) {
    const notes = c.row?.notes;
    if (c.collection === 'patients' && typeof notes === 'string' && notes.startsWith(cfg.markerPrefix)) {
      receipts.push({ marker: notes, receiver, at, updatedAt: Date.parse(String(c.row!.updatedAt)) });
    }
  }
}

/**
 * Messages are stamped as they arrive and read (parsed, the cursor kept, a pull started) once
 * every socket that is readable in this turn of the event loop has had its stamp. A real
 * terminal has its own CPU; 150 of them share this process, and reading each one's poke before
 * the next socket's arrival is stamped would add up to 149 other terminals' parsing to the last
 * receipt. Still one queue, so every socket's messages are read in the order they came.
 */
const inbox: { take: (data: Buffer, at: number) => void; data: Buffer; at: number }[] = [];

function arrived(take: (data: Buffer, at: number) => void, data: Buffer): void {
  if (inbox.length === 0) setImmediate(readInbox);
  inbox.push({ take, data, at: epochNow() });
}

function readInbox(): void {
  const batch = inbox.splice(0);
  for (const m of batch) m.take(m.data, m.at);
}

/** One light client; resolves once the server said `ready`. */
function connect(i: number): Promise<void> {
  const receiver = cfg.firstReceiver + i;
  const token = cfg.tokens[(cfg.first + i) % cfg.tokens.length]!;
  const url = `${cfg.serverUrl.replace(/^http/, 'ws')}/api/sync/live?changes=1`;
  const socket = new WebSocket(url);
  sockets.push(socket);
  let cursor: string | null = null;
  // Pulls run one at a time; a poke during a pull asks for one more round.
  let pulling = false;
  let pullAgain = false;
  const pull = async (): Promise<void> => {
    if (pulling) return void (pullAgain = true);
    pulling = true;
    try {
      do {
        pullAgain = false;
        for (let more = true; more; ) {
          counts.pulls++;
          const response = await fetch(`${cfg.serverUrl}/api/sync/pull?since=${encodeURIComponent(cursor ?? '')}`, { headers: { authorization: `Bearer ${token}` } });
          if (!response.ok) throw new Error(`pull: HTTP ${response.status}`);
          const page = JSON.parse(await response.text()) as { changes: ChangeText[]; cursor: string; hasMore: boolean };
          note(receiver, page.changes, epochNow());
          cursor = page.cursor;
          more = page.hasMore;
        }
      } while (pullAgain);
    } finally {
      pulling = false;
    }
  };
  return new Promise<void>((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
    const take = (data: Buffer, at: number): void => {
      const msg = JSON.parse(data.toString()) as { type: string; cursor?: string; from?: string; changes?: ChangeText[] };
      if (msg.type === 'ready') {
        cursor = msg.cursor!;
        return resolve();
      }
      if (msg.type !== 'poke') return;
      if (msg.changes !== undefined && msg.from === cursor && !pulling) {
        counts.pokesWithChanges++;
        note(receiver, msg.changes, at);
        cursor = msg.cursor!;
        return;
      }
      counts.plainPokes++;
      if (msg.cursor !== cursor) pull().catch((error: unknown) => console.error(`live socket ${receiver}: ${(error as Error).message}`));
    };
    socket.on('message', (data: Buffer) => arrived(take, data));
    socket.on('error', reject);
    socket.on('close', () => counts.closed++);
  });
}

// BENCH_LIGHT_PROF=<dir>: a V8 CPU profile of each light-socket process from its last socket's
// `ready` to the report (the edits), written there as light-sockets-<first>-<pid>.cpuprofile.
const profile = process.env.BENCH_LIGHT_PROF ? new Session() : null;
profile?.connect();

serveParent<LiveSocketsParentMessage>(async (message) => {
  if (message.type === 'open') {
    const started = performance.now();
    // Fifty at a time: a clinic's terminals do not all sign in within the same millisecond.
    for (let from = 0; from < cfg.count; from += 50) {
      await Promise.all(Array.from({ length: Math.min(50, cfg.count - from) }, (_, j) => connect(from + j)));
    }
    await profile?.post('Profiler.enable');
    await profile?.post('Profiler.start');
    return void send({ type: 'opened', ms: performance.now() - started });
  }
  if (message.type === 'report') {
    if (profile) {
      const { profile: taken } = await profile.post('Profiler.stop');
      writeFileSync(join(process.env.BENCH_LIGHT_PROF!, `light-sockets-${cfg.first}-${process.pid}.cpuprofile`), JSON.stringify(taken));
    }
    // Counted per report, as the receipts: each step of the parent reads its own.
    const since = { ...counts };
    for (const k of Object.keys(counts) as (keyof SocketCounts)[]) counts[k] = 0;
    return void send({ type: 'receipts', receipts: receipts.splice(0), counts: since });
  }
  for (const s of sockets) s.terminate();
  process.exit(0);
});

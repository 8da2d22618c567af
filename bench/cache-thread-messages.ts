/**
 * What the main thread spends receiving one pulled page's changes from the cache thread: as
 * objects (structured clone of 500 RowChange, main before this branch) or as the data.changed
 * JSON text in pieces (jsonListText, this branch); and a 1 MB text whole or in pieces (the
 * data.downloaded announcements). Kinds interleaved, message by message, in one process: the
 * main thread's active time (event-loop utilisation) per message; 'nothing' is the floor.
 * `npx tsx bench/cache-thread-messages.ts [rounds=200]` (docs/performance.md, issue 18).
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { startWorkerThread } from '../main/workerThreads';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { jsonListText } from '../main/ipc/jsonText';

type Mode = 'nothing' | 'objects' | 'pieces' | 'whole1MB' | 'pieces1MB';
const modes: Mode[] = ['nothing', 'objects', 'pieces', 'whole1MB', 'pieces1MB'];

function page(n: number) {
  const at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => {
    const id = randomUUID();
    return {
      collection: 'patients',
      id,
      op: 'upsert',
      row: {
        id, dateOfBirth: '1980-04-12', sex: 'female', phone: '+49 30 1025638', email: `ana.grey${i}@example.org`, address: 'Hauptstraße 12, 10115 Berlin',
        insuranceProvider: 'AOK', insuranceNumber: `A${100000000 + i}`, allergies: 'penicillin', notes: `burst 9b2c7a8e-1f0e-4c55-9d3e-2f5a0c1d7e44 ${i}`,
        medicalHistory: '', firstName: 'Ana', lastName: 'Grey', version: 2, updatedAt: at, updatedBy: randomUUID(),
      },
    };
  });
}

if (!isMainThread) {
  // The worker's module body.
  const changes = page(500);
  const texts = changes.map((c) => JSON.stringify(c));
  const big = '[' + page(2600).map((c) => JSON.stringify(c.row)).join(',') + ']';
  parentPort!.on('message', (mode: Mode) => {
    if (mode === 'nothing') parentPort!.postMessage(null);
    else if (mode === 'objects') parentPort!.postMessage(structuredClone(changes));
    else if (mode === 'pieces') parentPort!.postMessage(jsonListText('{"source":"remote","changes":[', texts, ']}'));
    else if (mode === 'whole1MB') parentPort!.postMessage((' ' + big).slice(1));
    else { const p: string[] = []; for (let i = 0; i < big.length; i += 96 * 1024) p.push(big.slice(i, i + 96 * 1024)); parentPort!.postMessage({ jsonPieces: p }); }
  });
} else {
  const worker = startWorkerThread(new URL(import.meta.url), null);
  const rounds = Number(process.argv[2] ?? 200);
  const active: Record<Mode, number[]> = { nothing: [], objects: [], pieces: [], whole1MB: [], pieces1MB: [] };
  const ask = (mode: Mode) => new Promise<void>((resolve) => {
    worker.once('message', () => setTimeout(() => resolve(), 5));
    worker.postMessage(mode);
  });
  for (let i = 0; i < 20; i++) for (const m of modes) await ask(m); // warm up
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      const before = performance.eventLoopUtilization();
      await ask(m);
      active[m].push(performance.eventLoopUtilization(before).active);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const m of modes) {
    console.log(`${m.padEnd(10)} main thread active per message: median ${med(active[m]).toFixed(2)} ms, mean ${mean(active[m]).toFixed(2)} ms`);
  }
  await worker.terminate();
}

/**
 * Server throughput with many terminals pushing at once.
 * - terminals: N terminal cores in this process, each in a loop: a mutation (a stock adjustment
 *   or a new patient), then wait for its 'mutation.outcome'. Every core also pulls everyone
 *   else's changes, as in a clinic. Push latency = data.mutate until the outcome event.
 * - raw: N plain HTTP clients each pushing one mutation per request back to back, no terminal
 *   work at all: what the server alone acknowledges. Latency = the HTTP round trip.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Mutation } from '../../shared/sync/protocol';
import type { BenchClinic } from './clinic';
import { openTerminals } from './propagation';
import { ClinicHttp } from '../support/clinic-http';
import { distribution, type Distribution } from '../support/stats';

export interface ThroughputResult {
  mode: 'terminals' | 'raw';
  store: string;
  instances: number;
  clients: number;
  seconds: number;
  acknowledged: number;
  refused: number;
  perSecond: number;
  latency: Distribution;
}

/** A run's figures from its start time, the latencies of its acknowledged writes and its refusals. */
function throughputRow(
  run: Pick<ThroughputResult, 'mode' | 'store' | 'instances' | 'clients'>,
  started: number,
  latencies: number[],
  refused: number,
): ThroughputResult {
  const seconds = (performance.now() - started) / 1000;
  return { ...run, seconds, acknowledged: latencies.length, refused, perSecond: latencies.length / seconds, latency: distribution(latencies) };
}

function randomMutation(clinic: BenchClinic, who: string): Mutation {
  if (Math.random() < 0.5) {
    const id = clinic.seed.inventoryIds[randomInt(clinic.seed.inventoryIds.length)]!;
    return { mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id, data: { delta: 1, reason: 'bench' } };
  }
  return {
    mutationId: randomUUID(),
    collection: 'patients',
    op: 'create',
    id: randomUUID(),
    data: { firstName: 'Bench', lastName: `${who}-${randomInt(1e9)}`, dateOfBirth: '1990-01-01', sex: 'unknown' },
  };
}

export async function measureTerminalThroughput(
  clinic: BenchClinic,
  workDir: string,
  clients: number,
  seconds: number,
  storeName: string,
): Promise<ThroughputResult> {
  const terminals = await openTerminals(clinic, workDir, `push${clients}`, clients);
  const latencies: number[] = [];
  let refused = 0;
  try {
    const until = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      terminals.map(async (t) => {
        const waiting = new Map<string, (status: string) => void>();
        const early = new Map<string, string>();
        const off = t.on('mutation.outcome', (o) => {
          const done = waiting.get(o.mutationId);
          if (done) done(o.status);
          else early.set(o.mutationId, o.status);
        });
        while (performance.now() < until) {
          const m = randomMutation(clinic, t.name);
          const sent = performance.now();
          const request =
            m.op === 'adjust'
              ? ({ op: 'adjust', collection: 'inventory', id: m.id, data: { delta: 1, reason: 'bench' } } as const)
              : ({ op: 'create', collection: 'patients', data: { ...m.data, id: m.id } } as const);
          const { mutationId } = await t.invoke('data.mutate', request);
          const status = early.get(mutationId) ?? (await new Promise<string>((resolve) => waiting.set(mutationId, resolve)));
          waiting.delete(mutationId);
          latencies.push(performance.now() - sent);
          if (status !== 'applied') refused++;
        }
        off();
      }),
    );
    return throughputRow({ mode: 'terminals', store: storeName, instances: 1, clients }, started, latencies, refused);
  } finally {
    await Promise.all(terminals.map((t) => t.close()));
  }
}

export async function measureRawThroughput(
  clinic: BenchClinic,
  urls: string[],
  clients: number,
  seconds: number,
  storeName: string,
): Promise<ThroughputResult> {
  const staff = clinic.staff[0]!;
  // One sign-in per server, its token shared by the clients: the server lets one username sign in
  // from one address only a few times at once (server/auth/throttle.ts), and a token serves many requests.
  const tokens = new Map<string, string>();
  for (const url of new Set(urls)) tokens.set(url, (await ClinicHttp.login(url, staff.username, staff.password)).accessToken!);
  const https = Array.from({ length: clients }, (_, i) => new ClinicHttp(urls[i % urls.length]!, tokens.get(urls[i % urls.length]!)!));
  const latencies: number[] = [];
  let refused = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    https.map(async (http, i) => {
      while (performance.now() < until) {
        const sent = performance.now();
        const answer = await http.push(`bench-raw-${i}`, [randomMutation(clinic, `raw${i}`)]);
        latencies.push(performance.now() - sent);
        if (answer.results[0]?.status !== 'applied') refused++;
      }
    }),
  );
  return throughputRow({ mode: 'raw', store: storeName, instances: urls.length, clients }, started, latencies, refused);
}

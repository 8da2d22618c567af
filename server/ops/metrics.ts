/**
 * Prometheus metrics (prom-client) at GET /metrics: what a clinic's IT watches on a dashboard.
 * Each server has its own registry (tests run several servers in one process).
 *
 * - clinic_live_terminals: terminals connected to the live channel now
 * - clinic_sync_pushes_total / clinic_sync_pulls_total: push and pull requests (rate() = per second)
 * - clinic_commit_duration_seconds: how long a write transaction takes, commit included
 * - clinic_change_log_head: the newest change-log number
 * - clinic_live_backlog_pokes / clinic_live_backlog_bytes: pokes waiting to go out, and bytes
 *   queued on live sockets that the network has not taken yet
 * plus Node's process metrics (event-loop lag, memory, CPU) with the `clinic_` prefix.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HttpError } from '../http/errors';
import type { ClinicStore, WriteTx } from '../store/types';

export interface MetricSources {
  terminals: () => number;
  backlog: () => { pokes: number; bytes: number };
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly pushes: Counter;
  private readonly pulls: Counter;
  private readonly commits: Histogram;
  private readonly head: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'clinic_' });
    new Gauge({ name: 'clinic_live_terminals', help: 'Terminals connected to the live channel', registers, collect() { this.set(sources.terminals()); } });
    this.pushes = new Counter({ name: 'clinic_sync_pushes_total', help: 'Push requests answered (POST /api/sync/push)', labelNames: ['outcome'], registers });
    this.pulls = new Counter({ name: 'clinic_sync_pulls_total', help: 'Pull requests answered (GET /api/sync/pull)', labelNames: ['outcome'], registers });
    this.commits = new Histogram({
      name: 'clinic_commit_duration_seconds',
      help: 'Duration of write transactions, commit included',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    // Zero from the start, so a dashboard's rate() has a series before the first request.
    for (const outcome of ['ok', 'refused', 'error']) {
      this.pushes.inc({ outcome }, 0);
      this.pulls.inc({ outcome }, 0);
    }
    this.head = new Gauge({ name: 'clinic_change_log_head', help: 'The newest change-log sequence number', registers });
    new Gauge({ name: 'clinic_live_backlog_pokes', help: 'Live sockets with a poke waiting to go out', registers, collect() { this.set(sources.backlog().pokes); } });
    new Gauge({ name: 'clinic_live_backlog_bytes', help: 'Bytes queued on live sockets, not yet taken by the network', registers, collect() { this.set(sources.backlog().bytes); } });
  }

  /** Times every write transaction of the store and follows its change-log head. */
  async watchStore(store: ClinicStore): Promise<() => void> {
    const write = store.write.bind(store);
    const commits = this.commits;
    store.write = async <T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> => {
      const end = commits.startTimer();
      try {
        return await write(fn);
      } finally {
        end();
      }
    };
    this.head.set(Number(await store.headCursor()));
    return store.onCommitted((cursor) => this.head.set(Number(cursor)));
  }

  routes(app: FastifyInstance, token: string | undefined): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route !== '/api/sync/push' && route !== '/api/sync/pull') return;
      const outcome = reply.statusCode < 400 ? 'ok' : reply.statusCode < 500 ? 'refused' : 'error';
      (route === '/api/sync/push' ? this.pushes : this.pulls).inc({ outcome });
    });
    const expected = token ? Buffer.from(`Bearer ${token}`) : null;
    app.get('/metrics', async (request, reply) => {
      if (expected) {
        const given = Buffer.from(String(request.headers.authorization ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new HttpError(401, 'the metrics need "Authorization: Bearer <CLINIC_METRICS_TOKEN>"');
        }
      }
      return reply.type(this.registry.contentType).send(await this.registry.metrics());
    });
  }
}

/** An event-loop delay histogram's figures, as the main thread and the cache thread report them. */
import type { IntervalHistogram } from 'node:perf_hooks';

/** Milliseconds. */
export interface LoopDelay {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** The figures in ms; zeros while the histogram has measured nothing (it runs only once asked to). */
export function loopDelayOf(h: IntervalHistogram): LoopDelay {
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
  return h.count === 0 ? { mean: 0, p50: 0, p99: 0, max: 0 } : { mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

/**
 * Failed sign-ins go to the audit log as one row per username, address and minute ("7 failed
 * sign-ins from 10.0.0.7"), not one row each: a guessing machine cannot grow the log without
 * bound, and the log still says who was tried, from where and how often.
 */
import type { ClinicStore } from '../store/types';

interface Bucket {
  username: string;
  address: string;
  userId: string | null;
  minute: number;
  count: number;
}

const MINUTE = 60_000;

export class FailedLoginSummary {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ClinicStore,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(false), 5_000);
    this.timer.unref();
  }

  record(username: string, address: string, userId: string | null): void {
    const minute = Math.floor(this.now() / MINUTE) * MINUTE;
    const key = `${minute}|${username.toLowerCase()}|${address}`;
    const bucket = this.buckets.get(key);
    if (bucket) bucket.count += 1;
    else this.buckets.set(key, { username, address, userId, minute, count: 1 });
  }

  /** Write the minutes that have ended (all of them when `everything`, at shutdown). */
  flush(everything: boolean): Promise<void> {
    const current = Math.floor(this.now() / MINUTE) * MINUTE;
    const done = [...this.buckets.entries()].filter(([, b]) => everything || b.minute < current);
    if (done.length === 0) return this.flushing;
    for (const [key] of done) this.buckets.delete(key);
    this.flushing = this.flushing.then(() =>
      this.store
        .write(async (tx) => {
          for (const [, b] of done) {
            const detail = `${b.count} failed sign-in${b.count === 1 ? '' : 's'} from ${b.address} in the minute from ${new Date(b.minute).toISOString()}`;
            await tx.appendAudit({ userId: b.userId, username: b.username, action: 'login-failed', collection: null, rowId: null, detail });
          }
        })
        .catch(this.onError),
    );
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }
}

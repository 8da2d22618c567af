/**
 * Login throttling per username: after 5 failed attempts within 15 minutes the username is
 * refused with 429 until the window passes (a success clears the count).
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export const MAX_FAILED_LOGINS = 5;
const WINDOW_SECONDS = 15 * 60;

/** Makes the limiter; several server instances on PostgreSQL pass one that counts in the database. */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;

  constructor(makeLimiter: LimiterFactory = (options) => new RateLimiterMemory(options)) {
    this.failures = makeLimiter({ keyPrefix: 'login-failures', points: MAX_FAILED_LOGINS, duration: WINDOW_SECONDS });
  }

  private key(username: string): string {
    return username.trim().toLowerCase();
  }

  /** Seconds to wait when the username is locked out, else 0. */
  async retryAfter(username: string): Promise<number> {
    const res = await this.failures.get(this.key(username));
    if (res && res.consumedPoints >= MAX_FAILED_LOGINS) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return 0;
  }

  async failed(username: string): Promise<void> {
    try {
      await this.failures.consume(this.key(username));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
    }
  }

  async succeeded(username: string): Promise<void> {
    await this.failures.delete(this.key(username));
  }
}

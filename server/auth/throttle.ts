/**
 * Login throttling, counted BEFORE the password is checked so that parallel guesses cannot slip
 * past it (the login-endpoint pattern of rate-limiter-flexible):
 * - per username and address: LOGIN_ALLOWANCE attempts; a failure that uses up the allowance
 *   blocks that pair for FIRST_DELAY_SECONDS, and every later failure (until a success) for twice
 *   as long as the one before, up to MAX_DELAY_SECONDS. Another address is not affected, so no one
 *   can lock a colleague out from their own desk;
 * - per address: ADDRESS_ALLOWANCE attempts per ADDRESS_WINDOW_SECONDS over all usernames (a
 *   success gives its attempt back), which stops one machine from trying many accounts.
 * On PostgreSQL the counts live in the database, so every instance sees them.
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export const LOGIN_ALLOWANCE = 5;
export const FIRST_DELAY_SECONDS = 30;
export const MAX_DELAY_SECONDS = 60 * 60;
export const ADDRESS_ALLOWANCE = 30;
export const ADDRESS_WINDOW_SECONDS = 15 * 60;
/** How long the count of attempts and the block level of a username+address are remembered. */
const MEMORY_SECONDS = 24 * 60 * 60;

/** Makes a limiter; several server instances on PostgreSQL pass one that counts in the database. */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export type Admission =
  | { admitted: true; ticket: LoginTicket }
  | { admitted: false; retryAfterSeconds: number; scope: 'account' | 'address' };

export interface LoginTicket {
  username: string;
  address: string;
  /** Attempts left for this username+address after this one. */
  remaining: number;
  addressRemaining: number;
}

export interface BlockImposed {
  scope: 'account' | 'address';
  seconds: number;
}

function waitSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  /** How many blocks a username+address has had since its last success (the delay doubles with each). */
  private readonly strikes: RateLimiterAbstract;

  constructor(makeLimiter: LimiterFactory = (options) => new RateLimiterMemory(options)) {
    this.perAccount = makeLimiter({ keyPrefix: 'login-account', points: LOGIN_ALLOWANCE, duration: MEMORY_SECONDS });
    this.perAddress = makeLimiter({ keyPrefix: 'login-address', points: ADDRESS_ALLOWANCE, duration: ADDRESS_WINDOW_SECONDS });
    this.strikes = makeLimiter({ keyPrefix: 'login-strikes', points: 10_000, duration: MEMORY_SECONDS });
  }

  static accountKey(username: string, address: string): string {
    return `${username.trim().toLowerCase()}|${address}`;
  }

  /** Take this attempt from both allowances; refused (429) when either is spent or blocked. */
  async admit(username: string, address: string): Promise<Admission> {
    const key = LoginThrottle.accountKey(username, address);
    let account: RateLimiterRes;
    try {
      account = await this.perAccount.consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return { admitted: false, retryAfterSeconds: waitSeconds(e), scope: 'account' };
    }
    let perAddress: RateLimiterRes;
    try {
      perAddress = await this.perAddress.consume(address);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      // Not this account's fault: give its attempt back.
      await this.perAccount.reward(key, 1);
      return { admitted: false, retryAfterSeconds: waitSeconds(e), scope: 'address' };
    }
    return { admitted: true, ticket: { username, address, remaining: account.remainingPoints, addressRemaining: perAddress.remainingPoints } };
  }

  /** A wrong password: block the pair when its allowance is spent or it was blocked before; say what was imposed. */
  async failed(ticket: LoginTicket): Promise<BlockImposed[]> {
    const imposed: BlockImposed[] = [];
    const key = LoginThrottle.accountKey(ticket.username, ticket.address);
    const level = (await this.strikes.get(key))?.consumedPoints ?? 0;
    if (ticket.remaining === 0 || level > 0) {
      try {
        await this.strikes.consume(key);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
      }
      const seconds = Math.min(FIRST_DELAY_SECONDS * 2 ** level, MAX_DELAY_SECONDS);
      await this.perAccount.block(key, seconds);
      imposed.push({ scope: 'account', seconds });
    }
    if (ticket.addressRemaining === 0) imposed.push({ scope: 'address', seconds: ADDRESS_WINDOW_SECONDS });
    return imposed;
  }

  async succeeded(ticket: LoginTicket): Promise<void> {
    const key = LoginThrottle.accountKey(ticket.username, ticket.address);
    await this.perAccount.delete(key);
    await this.strikes.delete(key);
    await this.perAddress.reward(ticket.address, 1);
  }

  /** An admin lifts a block: of a username at an address, or of an address as a whole. */
  async lift(target: { username?: string; address: string }): Promise<void> {
    if (target.username === undefined) {
      await this.perAddress.delete(target.address);
      return;
    }
    const key = LoginThrottle.accountKey(target.username, target.address);
    await this.perAccount.delete(key);
    await this.strikes.delete(key);
  }
}

/**
 * Offline sign-in: after each online sign-in on this terminal, an scrypt verifier of the password
 * (a fresh random salt per user and sign-in) is kept inside the encrypted cache. While the server
 * is unreachable, that user may sign in against it for `offlineSignInDays` after the online
 * sign-in (admin setting, default 7). The verifier is never sent anywhere and the password is
 * never stored; a wrong password and an unknown user get the same answer.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { publicUser, type PublicUser } from '../../shared/domain/collections';
import type { CacheDb } from '../cache/database';
import { prepared } from '../cache/prepared';

/** About 50-100 ms on a front-desk PC, 32 MiB of memory: slow enough to make guessing expensive. */
const params = { N: 2 ** 15, r: 8, p: 1, keylen: 32 } as const;

function derive(password: string, salt: Buffer, p: typeof params): Promise<Buffer> {
  const options: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 128 * p.N * p.r * 2 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, p.keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export type OfflineCheck =
  | { ok: true; user: PublicUser; verifiedAt: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'wrong-password' };

export class OfflineVerifiers {
  constructor(private readonly db: CacheDb) {}

  /** After an online sign-in: remember who this is and how to check the password offline. */
  async remember(username: string, password: string, user: PublicUser, now = new Date()): Promise<void> {
    const salt = randomBytes(16);
    const hash = await derive(password, salt, params);
    prepared(
      this.db,
      `INSERT INTO offline_verifiers (username, user, salt, hash, params, verified_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET user = excluded.user, salt = excluded.salt, hash = excluded.hash,
         params = excluded.params, verified_at = excluded.verified_at`,
    ).run(username, JSON.stringify(user), salt, hash, JSON.stringify(params), now.toISOString());
  }

  /** Check a sign-in while the server is unreachable. */
  async check(username: string, password: string, maxAgeDays: number, now = new Date()): Promise<OfflineCheck> {
    const row = prepared(this.db, 'SELECT user, salt, hash, params, verified_at FROM offline_verifiers WHERE username = ?').get(username) as
      | { user: string; salt: Buffer; hash: Buffer; params: string; verified_at: string }
      | undefined;
    if (!row) {
      // As long as a real check: the answer's timing does not tell who has signed in here.
      await derive(password, randomBytes(16), params);
      return { ok: false, reason: 'unknown' };
    }
    const stored = JSON.parse(row.params) as typeof params;
    const candidate = await derive(password, row.salt, stored);
    if (candidate.length !== row.hash.length || !timingSafeEqual(candidate, row.hash)) return { ok: false, reason: 'wrong-password' };
    const ageMs = now.getTime() - Date.parse(row.verified_at);
    if (!(ageMs <= maxAgeDays * 24 * 3600 * 1000)) return { ok: false, reason: 'expired' };
    const user = publicUser.safeParse(JSON.parse(row.user));
    if (!user.success) return { ok: false, reason: 'unknown' };
    return { ok: true, user: user.data, verifiedAt: row.verified_at };
  }

  /** The server no longer accepts this user (deactivated, password changed): no offline sign-in either. */
  forget(username: string): void {
    prepared(this.db, 'DELETE FROM offline_verifiers WHERE username = ?').run(username);
  }

  forgetUserId(userId: string): void {
    prepared(this.db, "DELETE FROM offline_verifiers WHERE user ->> 'id' = ?").run(userId);
  }

  /** Another clinic server: its users are not this one's. */
  forgetAll(): void {
    this.db.exec('DELETE FROM offline_verifiers');
  }
}

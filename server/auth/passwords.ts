/**
 * Password hashes with scrypt from node:crypto: `scrypt$N$r$p$salt$hash` (base64url parts).
 * New hashes use OWASP's current recommendation (N=2^17, r=8, p=1: 128 MiB and about 0.3 s a
 * hash); a sign-in with a hash made at weaker parameters stores a new one (rehash on sign-in).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** log2 of scrypt's N for new hashes (OWASP Password Storage Cheat Sheet). */
export const OWASP_SCRYPT_LOG2_N = 17;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;
/** scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) is below that at N=2^17. */
const MAX_MEMORY = 512 * 1024 * 1024;
/** Hashes claiming more than this cost are refused rather than computed (a stored hash is trusted, but bounded). */
const MAX_LOG2_N = 20;

function derive(password: string, salt: Buffer, N: number, rr: number, pp: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r: rr, p: pp, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export interface PasswordCheck {
  ok: boolean;
  /** The hash was made at weaker parameters than this hasher's: store a new one. */
  needsRehash: boolean;
}

export class PasswordHasher {
  private decoy: Promise<string> | null = null;

  /**
   * @param log2N scrypt's cost for new hashes. The product always uses OWASP's; the test servers
   * pass a smaller one so that hundreds of test sign-ins stay fast (tests/support/server.ts).
   */
  constructor(readonly log2N = OWASP_SCRYPT_LOG2_N) {}

  async hash(password: string): Promise<string> {
    const N = 2 ** this.log2N;
    const salt = randomBytes(16);
    const key = await derive(password, salt, N, r, p);
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async check(password: string, stored: string): Promise<PasswordCheck> {
    const [kind, n, rr, pp, salt, hash] = stored.split('$');
    const N = Number(n);
    if (kind !== 'scrypt' || !salt || !hash || !Number.isInteger(N) || N < 2 || N > 2 ** MAX_LOG2_N) return { ok: false, needsRehash: false };
    const expected = Buffer.from(hash, 'base64url');
    const key = await derive(password, Buffer.from(salt, 'base64url'), N, Number(rr), Number(pp));
    const ok = key.length === expected.length && timingSafeEqual(key, expected);
    return { ok, needsRehash: ok && (N < 2 ** this.log2N || Number(rr) < r || Number(pp) < p) };
  }

  /** A hash of a random password, so that an unknown username costs as much time as a known one. */
  decoyHash(): Promise<string> {
    this.decoy ??= this.hash(randomBytes(12).toString('base64url'));
    return this.decoy;
  }
}

/** The product's hasher (OWASP parameters). */
export const owaspHasher = new PasswordHasher();

export function hashPassword(password: string): Promise<string> {
  return owaspHasher.hash(password);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  return (await owaspHasher.check(password, stored)).ok;
}

/** A readable generated password for the first admin. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

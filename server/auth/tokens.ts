/**
 * Access tokens are short-lived JWTs (HS256, 15 min) signed with a key kept outside the database
 * (server/auth/signingKey.ts). Refresh tokens are random, stored only as a SHA-256 hash, and
 * work once: using one deletes it and issues a new pair (rotation).
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { WriteTx } from '../store/types';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_DAYS = 30;
const ISSUER = 'clinic-desk';

export interface AccessClaims {
  userId: string;
  role: string;
}

export interface VerifiedClaims extends AccessClaims {
  /** When the token stops being valid (ms since the epoch). */
  expiresAt: number;
}

function importKey(secret: Buffer): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export class TokenIssuer {
  /** Imported once: given raw bytes, jose imports the key again for every token (a third of a pull's server CPU). */
  private constructor(private secret: webcrypto.CryptoKey) {}

  static async open(secret: Buffer): Promise<TokenIssuer> {
    return new TokenIssuer(await importKey(secret));
  }

  /** A rotated key: tokens signed with the old one are refused from now on. */
  async replaceKey(secret: Buffer): Promise<void> {
    this.secret = await importKey(secret);
  }

  async accessToken(claims: AccessClaims, lifetimeSeconds = ACCESS_TOKEN_SECONDS): Promise<string> {
    return new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
      .sign(this.secret);
  }

  /** The claims of a valid token, or null for a missing, forged or expired one. */
  async verify(token: string): Promise<VerifiedClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], issuer: ISSUER });
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string' || typeof payload.exp !== 'number') return null;
      return { userId: payload.sub, role: payload.role, expiresAt: payload.exp * 1000 };
    } catch {
      return null;
    }
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function issueRefreshToken(tx: WriteTx, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await tx.saveRefreshToken({
    tokenHash: hashRefreshToken(token),
    userId,
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_DAYS * 86_400_000).toISOString(),
  });
  return token;
}

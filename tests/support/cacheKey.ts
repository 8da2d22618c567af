/** A cache key for tests that open a cache without a terminal core (which takes its key from the keystore). */
import { randomBytes } from 'node:crypto';
import type { CacheKey } from '../../main/cache/encryption';

export const testCacheKey = randomBytes(32).toString('hex') as CacheKey;

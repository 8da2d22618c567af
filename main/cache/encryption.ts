/**
 * The cache is encrypted at rest, whole file (pages, WAL and all), by SQLite3 Multiple Ciphers
 * (better-sqlite3-multiple-ciphers: better-sqlite3's API) in SQLCipher 4's format, so the file can
 * be read with SQLCipher's own tools given the key. The key is 256 random bits kept by the
 * keystore (main/keystore); it is passed as a raw key, so no key derivation runs at each open.
 * Every connection to the cache (main thread, checkpoint thread, first-download thread) opens it
 * through here, with the same key.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { newConnection } from './connections';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readSync } from 'node:fs';
import type { Keystore } from '../keystore/keystore';

export type CacheDb = Database.Database;

/**
 * 64 hex digits. Where a key is `CacheKey | null`, null means an unencrypted cache: only
 * benchmarks ask for one, to measure what the encryption costs (TerminalCoreOptions.encryptCache).
 */
export type CacheKey = string & { readonly __cacheKey: unique symbol };

/** 16 KiB pages (see database.ts); SQLCipher's format has to be told the page size. */
export const cachePageSize = 16384;

export function isCacheKey(value: unknown): value is CacheKey {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * The cache key from the keystore, made (and kept there) the first time. A key the keystore can no
 * longer unseal (another OS user, a reset keyring) is replaced: the old cache is then unreadable
 * and openCache moves it aside.
 */
export function cacheKeyFrom(keystore: Keystore, log: (line: string) => void = () => {}): { key: CacheKey; created: boolean } {
  let kept: string | null = null;
  try {
    kept = keystore.read('cache-key');
  } catch (err) {
    log(`the keystore (${keystore.description}) cannot unseal the cache key (${(err as Error).message}); a new key and an empty cache are made`);
  }
  if (isCacheKey(kept)) return { key: kept, created: false };
  const key = randomBytes(32).toString('hex') as CacheKey;
  keystore.write('cache-key', key);
  return { key, created: true };
}

/** Configure a connection for the cache's cipher; `key` pragmas first, before any read. */
export function applyCipher(db: CacheDb, key: CacheKey): void {
  cipherDefaults(db);
  db.pragma(`key = "x'${key}'"`);
}

/**
 * The cipher settings a connection uses for files it opens or attaches with a key: SQLCipher 4
 * (AES-256-CBC, a fresh random IV per page write) with its per-page HMAC off. The HMAC-SHA512 of
 * every page read and written doubled the CPU a first download of 600k rows took (every page goes
 * through the cipher when written to the WAL, again when checkpointed, again when indexed), and
 * what at rest asks for is confidentiality: without the key, a page is noise either way. Without
 * the HMAC a tampered page is not detected as such (it decrypts to garbage). SQLCipher opens the
 * file with `PRAGMA cipher_use_hmac = OFF` (docs/admin.md).
 */
export function cipherDefaults(db: CacheDb): void {
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('legacy = 4');
  db.pragma(`legacy_page_size = ${cachePageSize}`);
  db.pragma('hmac_use = 0');
}

/** Attach the (encrypted) cache file to another connection as `schema`. */
export function attachCache(db: CacheDb, file: string, key: CacheKey | null, schema: string): void {
  if (key === null) {
    db.prepare(`ATTACH ? AS ${schema} KEY ''`).run(file);
    return;
  }
  if (!isCacheKey(key)) throw new Error('not a cache key');
  cipherDefaults(db);
  db.prepare(`ATTACH ? AS ${schema} KEY ?`).run(file, `x'${key}'`);
}

export interface OpenOptions {
  fileMustExist?: boolean;
  /** better-sqlite3-multiple-ciphers' native build for Electron's ABI (CLINIC_SQLITE_NATIVE_BINDING). */
  nativeBinding?: string;
}

/** One connection to the encrypted cache file; throws SQLITE_NOTADB on a wrong key. */
export function openEncrypted(file: string, key: CacheKey | null, options: OpenOptions = {}): CacheDb {
  if (key !== null && !isCacheKey(key)) throw new Error('not a cache key');
  // SQLite gives the WAL and shared-memory files the main file's mode: make it 0600 first.
  if (!options.fileMustExist && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const db = newConnection(file, {
    ...(options.fileMustExist ? { fileMustExist: true } : {}),
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  try {
    if (key !== null) applyCipher(db, key);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    // Sorts and temporary tables stay in memory: SQLite's temporary files are not encrypted.
    db.pragma('temp_store = MEMORY');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** An unencrypted SQLite file (a cache from before encryption) starts with this header. */
export function isPlainSqliteFile(file: string): boolean {
  if (!existsSync(file)) return false;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}

/**
 * Encrypt a cache written before encryption, in place (its outbox may hold unsent work). The
 * cipher rewrites every page; WAL mode is left for the rewrite and taken again at the next open.
 */
export function encryptPlainCache(file: string, key: CacheKey, options: OpenOptions = {}): void {
  const db = newConnection(file, { fileMustExist: true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    // Every connection opens the cache with one page size: an older cache of 4 KiB pages is
    // rewritten with the cache's page size first.
    if ((db.pragma('page_size', { simple: true }) as number) !== cachePageSize) {
      db.pragma(`page_size = ${cachePageSize}`);
      db.exec('VACUUM');
    }
    cipherDefaults(db);
    db.pragma(`rekey = "x'${key}'"`);
  } finally {
    db.close();
  }
  chmodSync(file, 0o600);
}

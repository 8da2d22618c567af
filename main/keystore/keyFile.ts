/**
 * The keystore of a terminal without Electron (`npm run terminal`, the tests): a random 256-bit
 * key in `terminal.key` (mode 0600) beside the cache seals the secrets with AES-256-GCM. It keeps
 * the cache unreadable to anyone who copies the cache file alone, and to other users of the
 * machine; whoever can read the data folder as the terminal's user can read the key too (that is
 * what the OS keystore adds under Electron: docs/admin.md).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Keystore } from './keystore';
import { SealedFileKeystore, type Sealer } from './sealedFile';

export const keyFileName = 'terminal.key';
export const keystoreFileName = 'keystore.json';

function loadOrCreateKey(file: string): Buffer {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key; move it away to start with a new (empty) cache`);
    chmodSync(file, 0o600);
    return key;
  }
  const key = randomBytes(32);
  // 'wx': two processes starting at once must not both write a key.
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

export function aesGcmSealer(key: Buffer): Sealer {
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    unseal(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

export function keyFileKeystore(dataDir: string): Keystore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = loadOrCreateKey(join(dataDir, keyFileName));
  return new SealedFileKeystore(join(dataDir, keystoreFileName), aesGcmSealer(key), `key file ${keyFileName} (mode 0600)`, true);
}

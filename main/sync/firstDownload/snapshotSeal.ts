/**
 * A snapshot part holds patients' rows as a plain SQLite file (the server's format). On its way to
 * disk it is sealed (AES-256-CTR, a key per part held in this process's memory only), and the
 * download thread reads it back into memory: no readable copy ever lies beside the cache. Kept
 * apart from the import (snapshotImport.ts) so the thread that receives a part loads no SQLite.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Transform } from 'node:stream';

export interface SnapshotSeal {
  key: string;
  iv: string;
}

export function newSnapshotSeal(): SnapshotSeal {
  return { key: randomBytes(32).toString('hex'), iv: randomBytes(16).toString('hex') };
}

export function sealingStream(seal: SnapshotSeal): Transform {
  return createCipheriv('aes-256-ctr', Buffer.from(seal.key, 'hex'), Buffer.from(seal.iv, 'hex'));
}

export function unsealSnapshot(file: string, seal: SnapshotSeal): Buffer {
  const decipher = createDecipheriv('aes-256-ctr', Buffer.from(seal.key, 'hex'), Buffer.from(seal.iv, 'hex'));
  return Buffer.concat([decipher.update(readFileSync(file)), decipher.final()]);
}

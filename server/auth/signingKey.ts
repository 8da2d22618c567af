/**
 * The key that signs access tokens. It never lives in the database (a copy of a backup could
 * otherwise mint tokens): it comes from CLINIC_JWT_KEY, or from `<data-dir>/jwt-signing.key`, a
 * file only the server's user may read (0600), created at first start. Several instances on one
 * PostgreSQL database share it through the variable or one copy of the file.
 * A key left in the database by an older version is moved out at start (into the file, so that
 * tokens already issued stay valid) and deleted there.
 * `npm run rotate-key` writes a new key; a running server reads it within seconds.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { watchFile, unwatchFile } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClinicStore } from '../store/types';

export const SIGNING_KEY_ENV = 'CLINIC_JWT_KEY';
export const SIGNING_KEY_FILE = 'jwt-signing.key';
/** Where older versions kept the key (the settings table). */
const LEGACY_SETTING = 'jwt_secret';
const MIN_KEY_BYTES = 32;

export class SigningKeyError extends Error {}

export interface SigningKey {
  secret: Buffer;
  /** Where it came from, for the start line: the variable or the file's path. */
  source: string;
  /** The key file, when the key comes from one (watched for rotation). */
  file: string | null;
}

export function signingKeyFile(dataDir: string): string {
  return join(resolve(dataDir), SIGNING_KEY_FILE);
}

function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64url');
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(trimmed) || bytes.length < MIN_KEY_BYTES) {
    throw new SigningKeyError(`${where} must hold a base64url key of at least ${MIN_KEY_BYTES} bytes (npm run rotate-key makes one)`);
  }
  return bytes;
}

export function newKeyText(): string {
  return randomBytes(MIN_KEY_BYTES).toString('base64url');
}

/** Read the key file, narrowing its mode to 0600 if someone widened it. */
async function readKeyFile(file: string): Promise<Buffer> {
  const info = await stat(file);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) await chmod(file, 0o600);
  return decodeKey(await readFile(file, 'utf8'), file);
}

/** Create the key file with `text` unless it exists; of several instances racing, one wins and all read it. */
async function createKeyFile(file: string, text: string): Promise<void> {
  await mkdir(resolve(file, '..'), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${text}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

export async function loadSigningKey(options: { dataDir: string; store: ClinicStore; envKey?: string }): Promise<SigningKey> {
  const legacy = await options.store.getSetting(LEGACY_SETTING);
  let key: SigningKey;
  if (options.envKey) {
    key = { secret: decodeKey(options.envKey, SIGNING_KEY_ENV), source: SIGNING_KEY_ENV, file: null };
  } else {
    const file = signingKeyFile(options.dataDir);
    try {
      key = { secret: await readKeyFile(file), source: file, file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await createKeyFile(file, legacy ?? newKeyText());
      key = { secret: await readKeyFile(file), source: file, file };
    }
  }
  if (legacy !== null) await options.store.write((tx) => tx.deleteSetting(LEGACY_SETTING));
  return key;
}

/** `npm run rotate-key`: replace the key file's key at once (write a copy, then rename over it). */
export async function rotateSigningKey(dataDir: string): Promise<string> {
  const file = signingKeyFile(dataDir);
  await mkdir(resolve(file, '..'), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${newKeyText()}\n`, { mode: 0o600 });
  await rename(temp, file);
  return file;
}

/** Call `onChange` with the new key whenever the key file is replaced; returns a stop function. */
export function watchSigningKey(file: string, onChange: (secret: Buffer) => void, onError: (error: Error) => void, intervalMs = 1000): () => void {
  const listener = (now: { mtimeMs: number; ino: number }, before: { mtimeMs: number; ino: number }) => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino) return;
    readKeyFile(file).then(onChange, (error: Error) => onError(error));
  };
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(file, listener);
}

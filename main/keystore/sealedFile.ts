/**
 * A keystore file: each secret sealed by the platform's sealer and stored base64 in one JSON file
 * (mode 0600, written whole to a temp file and renamed, so a crash never leaves half a file).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Keystore, SecretName } from './keystore';

export interface Sealer {
  seal(plain: string): Buffer;
  unseal(sealed: Buffer): string;
}

export class SealedFileKeystore implements Keystore {
  constructor(
    private readonly file: string,
    private readonly sealer: Sealer,
    readonly description: string,
    readonly protectsAtRest: boolean,
  ) {}

  private load(): Partial<Record<SecretName, string>> {
    if (!existsSync(this.file)) return {};
    return JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Record<SecretName, string>>;
  }

  private save(entries: Partial<Record<SecretName, string>>): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(entries)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }

  read(name: SecretName): string | null {
    const sealed = this.load()[name];
    return sealed === undefined ? null : this.sealer.unseal(Buffer.from(sealed, 'base64'));
  }

  write(name: SecretName, value: string): void {
    this.save({ ...this.load(), [name]: this.sealer.seal(value).toString('base64') });
  }

  remove(name: SecretName): void {
    const entries = this.load();
    if (!(name in entries)) return;
    delete entries[name];
    this.save(entries);
  }
}

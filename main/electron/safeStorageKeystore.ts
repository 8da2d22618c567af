/**
 * The terminal's keystore under Electron: safeStorage seals each secret with the OS keystore
 * (DPAPI on Windows, the Keychain on macOS, libsecret or kwallet on Linux); the sealed bytes go to
 * `keystore.json` (0600) in the app's data folder (main/keystore/sealedFile.ts). On Linux without
 * a keyring safeStorage falls back to a hard-coded key ('basic_text'): that protects nothing, so
 * the keystore says so (protectsAtRest false) and the core keeps no refresh token on disk.
 */
import { join } from 'node:path';
import { safeStorage } from 'electron';
import type { Keystore } from '../keystore/keystore';
import { keystoreFileName } from '../keystore/keyFile';
import { SealedFileKeystore } from '../keystore/sealedFile';

export function osKeystore(dataDir: string): Keystore {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new Error('the OS keystore is not available (safeStorage); Clinic Desk does not keep patient data without it');
  }
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null;
  const plainText = backend === 'basic_text';
  const where =
    process.platform === 'win32' ? 'Windows DPAPI' : process.platform === 'darwin' ? 'macOS Keychain' : `Linux ${backend ?? 'keyring'}`;
  return new SealedFileKeystore(
    join(dataDir, keystoreFileName),
    { seal: (plain) => safeStorage.encryptString(plain), unseal: (sealed) => safeStorage.decryptString(sealed) },
    plainText ? 'safeStorage plain-text fallback (no keyring)' : `OS keystore (${where})`,
    !plainText,
  );
}

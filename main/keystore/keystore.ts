/**
 * Where a terminal keeps its two secrets: the key of its encrypted cache and the refresh token of
 * the person signed in. Electron keeps them with the OS keystore (safeStorage: DPAPI on Windows,
 * the Keychain on macOS, libsecret/kwallet on Linux; main/electron/safeStorageKeystore.ts); a
 * headless terminal and the tests with a key file of its own (./keyFile.ts). Both seal each
 * secret and keep the sealed bytes in one file of the data folder (./sealedFile.ts).
 */
export type SecretName = 'cache-key' | 'refresh-token';

export interface Keystore {
  /** What protects the secrets, in words for the support log ("OS keystore (DPAPI)"). */
  readonly description: string;
  /**
   * False where nothing protects a secret at rest (Electron on Linux without a keyring reports
   * safeStorage's plain-text fallback): the terminal then keeps no refresh token on disk.
   */
  readonly protectsAtRest: boolean;
  read(name: SecretName): string | null;
  write(name: SecretName, value: string): void;
  remove(name: SecretName): void;
}

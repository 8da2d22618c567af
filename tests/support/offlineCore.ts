/**
 * A terminal core with no reachable server, in a folder of its own: everything the test does is
 * local. `withOfflineCore` also closes the core and removes the folder however the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTerminal, type Terminal } from '../../main/terminal';
import type { PublicUser } from '../../shared/domain/collections';

export interface OfflineCoreOptions {
  /** Signed in as this user, unless the folder already holds a signed-in session (a restart). */
  user?: PublicUser;
  /** An existing data folder (a restart); default: a new temporary one. */
  dataDir?: string;
  /** The temporary folder's name prefix, so a leftover folder tells which test made it. */
  prefix?: string;
}

/** Nothing listens on port 9 of the loopback: a sync attempt fails at once instead of hanging. */
export const unreachableServerUrl = 'http://127.0.0.1:9';

export function signInOffline(core: Terminal, user: PublicUser): void {
  core['state'].setSession({ user, signedIn: true, accessToken: null, refreshToken: null });
}

export function offlineCore(options: OfflineCoreOptions = {}): { core: Terminal; dir: string } {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), `${options.prefix ?? 'offline-core'}-`));
  const core = createTerminal({ dataDir: dir, serverUrl: unreachableServerUrl, log: () => {} });
  if (options.user && !core['state'].getSession()?.signedIn) signInOffline(core, options.user);
  return { core, dir };
}

export async function withOfflineCore(options: OfflineCoreOptions, run: (core: Terminal, dir: string) => Promise<void>): Promise<void> {
  const { core, dir } = offlineCore(options);
  try {
    await run(core, dir);
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

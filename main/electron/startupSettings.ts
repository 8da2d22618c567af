/**
 * At start: apply an install-time clinic-desk.json once (preconfig.ts) through the core's machine
 * settings path: the same validation and persistence as the admin settings screen, without a
 * signed-in admin (settings.set over IPC is an admin's; the machine's preconfiguration is the other
 * party allowed to redirect the terminal).
 */
import { hostname } from 'node:os';
import type { TerminalSettings } from '../../shared/ipc/contract';
import type { Terminal } from '../terminal';
import type { ShellLog } from './logging';
import { applyPreconfigurationOnce, preconfigCandidates } from './preconfig';

export async function applyInstallPreconfiguration(core: Terminal, stateDir: string, logger: ShellLog): Promise<void> {
  const startLog = logger.scope('preconfig');
  const current = await core.invoke('settings.get', {});
  const outcome = await applyPreconfigurationOnce({
    stateDir,
    candidates: preconfigCandidates({ execPath: process.execPath, platform: process.platform, env: process.env }),
    current: current.ok ? (current.value as TerminalSettings) : null,
    defaultTerminalName: hostname(),
    save: async (settings) => {
      // A server address the machine policy sets wins over the file's.
      const pinned = core.machinePolicy().serverUrl;
      try {
        return await core.applyMachineSettings(pinned ? { ...settings, serverUrl: pinned } : settings);
      } catch (error) {
        throw new Error(`the terminal refused the preconfigured settings: ${(error as Error).message}`);
      }
    },
  });
  if (outcome.applied) {
    startLog.info(`applied ${outcome.path}: server ${outcome.settings.serverUrl}, terminal "${outcome.settings.terminalName}"`);
  } else if (outcome.reason === 'invalid') {
    startLog.error(`ignored ${outcome.path}, fix it and restart: ${outcome.problems.join('; ')}`);
  }
}

/**
 * One handler per invoke channel of shared/ipc/contract.ts; each only calls into the core. The
 * dependency runs one way: terminal.ts builds the dispatcher from these, and the core knows
 * nothing of IPC channels.
 */
import type { TerminalCore } from '../core';
import type { Handlers } from './dispatch';
import { IpcFailure } from './failure';

export function createHandlers(core: TerminalCore): Handlers {
  return {
    'session.login': async ({ username, password }) => ({ user: await core.login(username, password) }),
    'session.logout': async () => {
      await core.logout();
      return { ok: true };
    },
    'session.current': async () => ({ user: core.currentUser(), settings: core.settings() }),
    'data.list': async ({ collection }) => core.listText(collection),
    'data.mutate': async (request) => core.mutate(request),
    'sync.status': async () => core.syncStatus(),
    'sync.now': async () => core.syncNow(),
    'conflicts.list': async () => core.conflicts(),
    'conflicts.resolve': async ({ conflictId, choice }) => {
      await core.resolveConflict(conflictId, choice);
      return { ok: true };
    },
    'settings.get': async () => core.settings(),
    'settings.set': async (next) => core.setSettings(next),
    'admin.audit': async ({ limit }) => core.admin((c) => c.audit(limit)),
    'admin.createUser': async (input) => core.admin((c) => c.createUser(input)),
    'admin.serverInfo': async () => core.admin((c) => c.serverInfo()),
    'app.updateStatus': async () => core.updateStatus(),
    'attention.list': async () => core.attentionList(),
    'attention.dismiss': async ({ id }) => {
      await core.dismissAttention(id);
      return { ok: true };
    },
    'admin.updateUser': async ({ id, baseVersion, ...changes }) => core.admin((c) => c.updateUser(id, baseVersion, changes)),
    // Only the Electron shell can save a window as a PDF (main/electron/printing.ts answers there).
    'print.savePdf': async () => {
      throw new IpcFailure('unsupported', 'Saving as a PDF needs the desktop app; use Print and choose "Save as PDF"');
    },
  };
}

import type { SyncStatus } from '../../../shared/ipc/contract';

/**
 * Offline only once main has tried and failed: right after sign-in nothing has been tried yet,
 * and a desk must not flash a false alarm.
 */
export function connectionState(sync: SyncStatus | null): 'online' | 'offline' | 'connecting' {
  if (!sync) return 'connecting';
  if (sync.online) return 'online';
  return sync.lastError === null && sync.lastSyncedAt === null ? 'connecting' : 'offline';
}

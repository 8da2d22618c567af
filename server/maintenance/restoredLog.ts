/**
 * After a restore, the change log goes on from a number past every cursor the old log handed out
 * (see backup.ts), and the store remembers the gap it left: a terminal whose cursor lies in it
 * synced changes the restore took away, so its cache no longer matches the server and it must
 * download everything again. A cursor at or below the restored head is still good: everything it
 * saw is in the backup.
 */
import { z } from 'zod';

export const restoredRangesSetting = 'sync.restoredRanges';

export const restoredRange = z.object({
  /** The backup's change-log head: cursors up to here are still valid. */
  after: z.number().int().min(0),
  /** The log went on after this number: cursors in (after, through] point into the lost log. */
  through: z.number().int().min(0),
  restoredAt: z.string(),
  from: z.string(),
});
export type RestoredRange = z.infer<typeof restoredRange>;

export function parseRestoredRanges(text: string | null): RestoredRange[] {
  if (text === null) return [];
  const parsed = z.array(restoredRange).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : [];
}

/** True when a terminal at `cursor` holds changes that a restore removed. */
export function cursorRestoredAway(ranges: readonly RestoredRange[], cursor: string | undefined): boolean {
  if (cursor === undefined || cursor === '' || !/^\d{1,18}$/.test(cursor)) return false;
  const at = Number(cursor);
  return ranges.some((r) => at > r.after && at <= r.through);
}

/**
 * Where the log goes on after restoring a backup whose head is `backupHead`. When the old store
 * could be read, just past its head; otherwise (the old store is lost) a billion further on,
 * more than any clinic's log grows between two backups.
 */
export function resumeAfter(backupHead: number, oldHead: number | null): number {
  return oldHead === null ? backupHead + 1_000_000_000 : Math.max(oldHead, backupHead);
}

/** The message a terminal gets (410) when its cursor points into a restored-away log. */
export const restoredAwayMessage =
  'the clinic server was restored from a backup after this terminal last synced: download everything again (pull from the start)';

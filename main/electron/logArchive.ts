/**
 * Log rotation for electron-log: when main.log reaches its maxSize it becomes main.1.log, the
 * previous main.1.log becomes main.2.log, and so on; the oldest beyond `keep` is deleted. Support
 * staff then find the last few days in a handful of files of bounded size. Plain Node.
 */
import { renameSync, rmSync } from 'node:fs';
import { join, parse } from 'node:path';

export const logMaxBytes = 5 * 1024 * 1024;
export const logArchivesKept = 5;

export function archiveLogFile(path: string, keep: number = logArchivesKept): void {
  const { dir, name, ext } = parse(path);
  const archive = (n: number) => join(dir, `${name}.${n}${ext}`);
  rmSync(archive(keep), { force: true });
  for (let n = keep - 1; n >= 1; n -= 1) {
    try {
      renameSync(archive(n), archive(n + 1));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  renameSync(path, archive(1));
}

/**
 * What `npm run dist` checks before building: electron-builder needs Electron's binary, which the
 * `electron` package downloads from GitHub at install time. Where that download is blocked the
 * package is there but its dist/ folder is not, and packaging cannot work. Plain Node, tested.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One sentence saying why installers cannot be built here, or null when Electron's binary is present. */
export function electronBinaryProblem(electronPackageDir: string): string | null {
  const pathFile = join(electronPackageDir, 'path.txt');
  const binary = existsSync(pathFile) ? join(electronPackageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (binary !== null && existsSync(binary)) return null;
  return (
    `npm run dist cannot build installers on this machine because Electron's binary is not installed ` +
    `(${binary ?? join(electronPackageDir, 'dist')} is missing: its download from github.com failed or was blocked), ` +
    `so run it where the Electron download works, e.g. after \`node node_modules/electron/install.js\` succeeds.`
  );
}

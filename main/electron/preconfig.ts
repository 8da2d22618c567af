/**
 * Install-time preconfiguration: an admin puts a `clinic-desk.json` beside the installer or the
 * executable (or passes /SERVER= /TERMINAL= to the Windows installer, which writes that file into
 * the install folder). At the first start its values become the terminal's settings; after that the
 * admin settings screen owns them, so a file left behind never overwrites a later change.
 * Fields: "serverUrl", "terminalName", and "serverFingerprint", which pins an https server's
 * certificate from the first start (docs/admin.md).
 * Plain Node (no Electron import): tested under Node.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { terminalSettings, type TerminalSettings } from '../../shared/ipc/contract';

export const preconfigFileName = 'clinic-desk.json';
/** Written into the app's data folder once a preconfiguration has been applied. */
export const preconfigMarkerName = 'preconfiguration-applied.json';

/** What a preconfiguration sets: where the terminal's server is, the certificate it pins, and its name. */
const machineSettings = terminalSettings.pick({ serverUrl: true, terminalName: true, serverFingerprint: true });
type MachineSettings = Pick<TerminalSettings, 'serverUrl' | 'terminalName' | 'serverFingerprint'>;

/** Either field may be left out: the terminal name then defaults to the computer's name. */
const preconfigFile = machineSettings
  .partial()
  .refine((v) => v.serverUrl !== undefined || v.terminalName !== undefined, 'give "serverUrl", "terminalName" or both');
export type Preconfiguration = Partial<MachineSettings>;

export type PreconfigReading =
  | { status: 'missing'; searched: string[] }
  | { status: 'invalid'; path: string; problems: string[] }
  | { status: 'valid'; path: string; values: Preconfiguration };

/** Where an admin may put the file, most specific first. */
export function preconfigCandidates(where: {
  execPath: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
}): string[] {
  const dirs: string[] = [];
  // Linux AppImage and Windows portable builds run from a temp mount: look beside the file the admin copied.
  if (where.env.APPIMAGE) dirs.push(dirname(where.env.APPIMAGE));
  if (where.env.PORTABLE_EXECUTABLE_DIR) dirs.push(where.env.PORTABLE_EXECUTABLE_DIR);
  // Windows: the installer writes the file to %ProgramData%\Clinic Desk, which updates leave alone.
  if (where.platform === 'win32') dirs.push(join(where.env.ProgramData ?? where.env.PROGRAMDATA ?? 'C:\\ProgramData', 'Clinic Desk'));
  if (where.platform === 'darwin') {
    // .../Clinic Desk.app/Contents/MacOS/Clinic Desk -> the folder holding the .app
    dirs.push(join(dirname(where.execPath), '..', '..', '..'));
  } else {
    // Windows: the install folder (the NSIS include writes the file there); Linux deb: /opt/Clinic Desk
    dirs.push(dirname(where.execPath));
  }
  if (where.platform === 'linux') dirs.push('/etc/clinic-desk');
  return [...new Set(dirs)].map((dir) => join(dir, preconfigFileName));
}

/** Reads the first candidate that exists. A broken file is reported, never half-applied. */
export async function readPreconfiguration(candidates: string[]): Promise<PreconfigReading> {
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { status: 'invalid', path, problems: [`cannot be read: ${(error as Error).message}`] };
    }
    let json: unknown;
    try {
      // Windows Notepad saves UTF-8 with a byte order mark.
      json = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      return { status: 'invalid', path, problems: [`is not valid JSON: ${(error as Error).message}`] };
    }
    const checked = preconfigFile.safeParse(json);
    if (!checked.success) {
      const problems = checked.error.issues.map((issue) =>
        issue.path.length > 0 ? `"${issue.path.join('.')}": ${issue.message}` : issue.message,
      );
      return { status: 'invalid', path, problems };
    }
    return { status: 'valid', path, values: checked.data };
  }
  return { status: 'missing', searched: candidates };
}

export type PreconfigOutcome =
  | { applied: true; path: string; settings: TerminalSettings }
  | { applied: false; reason: 'already-applied' | 'missing' }
  | { applied: false; reason: 'invalid'; path: string; problems: string[] };

/**
 * At first start: read, validate, merge over the current settings and save. Writes a marker in
 * `stateDir` only after a successful save; a missing or invalid file is looked for again next start.
 */
export async function applyPreconfigurationOnce(options: {
  stateDir: string;
  candidates: string[];
  current: MachineSettings | null;
  defaultTerminalName: string;
  save: (settings: MachineSettings) => Promise<TerminalSettings>;
  now?: () => Date;
}): Promise<PreconfigOutcome> {
  const marker = join(options.stateDir, preconfigMarkerName);
  try {
    await readFile(marker);
    return { applied: false, reason: 'already-applied' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const reading = await readPreconfiguration(options.candidates);
  if (reading.status === 'missing') return { applied: false, reason: 'missing' };
  if (reading.status === 'invalid') return { applied: false, reason: 'invalid', path: reading.path, problems: reading.problems };

  const merged = machineSettings.safeParse({
    serverUrl: reading.values.serverUrl ?? options.current?.serverUrl,
    terminalName: reading.values.terminalName ?? options.current?.terminalName ?? options.defaultTerminalName,
    // The https server's certificate fingerprint: pinned from the first start, no trust on first use needed.
    ...(reading.values.serverFingerprint !== undefined ? { serverFingerprint: reading.values.serverFingerprint } : {}),
  });
  if (!merged.success) {
    const problems = merged.error.issues.map((issue) => `"${issue.path.join('.')}": ${issue.message}`);
    return { applied: false, reason: 'invalid', path: reading.path, problems };
  }
  const saved = await options.save(merged.data);
  await mkdir(options.stateDir, { recursive: true });
  const appliedAt = (options.now ?? (() => new Date()))().toISOString();
  await writeFile(marker, `${JSON.stringify({ from: reading.path, appliedAt, settings: saved }, null, 2)}\n`);
  return { applied: true, path: reading.path, settings: saved };
}

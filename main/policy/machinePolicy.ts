/**
 * Machine-wide settings an IT department enforces, read from each OS's own place for policies,
 * which no app update touches:
 *
 * - Windows: the registry key HKLM\SOFTWARE\Policies\Clinic Desk (Group Policy, Intune, `reg add`),
 *   then %ProgramData%\Clinic Desk\policy.json; a value in the registry wins over the file.
 * - macOS: managed preferences (MDM configuration profile for the app's bundle id):
 *   /Library/Managed Preferences/<user>/<appId>.plist, then /Library/Managed Preferences/<appId>.plist.
 * - Linux: /etc/clinic-desk/policy.json.
 *
 * A value set here wins over the user's own settings (the settings screen shows it locked).
 * Settings: the server address, the server certificate's SHA-256 fingerprint, the update channel
 * and whether the app updates itself. Plain Node, no Electron import; the registry is read
 * through an interface so tests fake it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parsePlist, parseBinary as parseBinaryPlist } from 'plist';
import { z } from 'zod';
import { terminalSettings } from '../../shared/ipc/contract';

export const updateChannels = ['latest', 'beta'] as const;
export type UpdateChannel = (typeof updateChannels)[number];

/** `AB:CD:...` (64 hex digits, any case, colons optional) as upper case with colons. */
const fingerprint = z
  .string()
  .transform((text) => text.trim().replace(/^sha-?256[:=\s]*/i, '').replace(/[:\s]/g, '').toUpperCase())
  .refine((hex) => /^[0-9A-F]{64}$/.test(hex), 'is not a SHA-256 fingerprint (64 hex digits, e.g. AB:CD:...)')
  .transform((hex) => hex.match(/../g)!.join(':'));

export const machinePolicy = z.strictObject({
  serverUrl: terminalSettings.shape.serverUrl.optional(),
  certificateFingerprint: fingerprint.optional(),
  updateChannel: z.enum(updateChannels).optional(),
  autoUpdate: z.boolean().optional(),
});
export type MachinePolicy = z.infer<typeof machinePolicy>;
export type PolicyKey = keyof MachinePolicy;
const policyKeys: PolicyKey[] = ['serverUrl', 'certificateFingerprint', 'updateChannel', 'autoUpdate'];

/** Value names in the registry and in managed preferences (PascalCase, as Windows and macOS admins expect). */
export const managedNames: Record<PolicyKey, string> = {
  serverUrl: 'ServerUrl',
  certificateFingerprint: 'CertificateFingerprint',
  updateChannel: 'UpdateChannel',
  autoUpdate: 'AutoUpdate',
};

export interface RegistryReader {
  /** The values directly under an HKLM key (REG_SZ as text, REG_DWORD as a number), or null when the key does not exist. */
  values(key: string): Promise<Record<string, string | number> | null>;
}

export const windowsPolicyKey = 'SOFTWARE\\Policies\\Clinic Desk';

export interface PolicyReading {
  /** The merged policy: each key from the first source that sets it. */
  policy: MachinePolicy;
  /** Where each set key came from, for the log and the settings screen. */
  sources: Partial<Record<PolicyKey, string>>;
  /** Sources that exist but could not be used, each with the reason; their valid keys still apply. */
  problems: string[];
}

export interface PolicyPlaces {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** Prefix for every file path (tests point it at a temporary folder); '' on a real machine. */
  root?: string;
  registry?: RegistryReader;
  /** macOS bundle id (electron-builder's appId). */
  appId?: string;
  /** macOS: the signed-in user, for per-user managed preferences. */
  userName?: string;
}

type Layer = { source: string; values: Record<string, unknown> } | { source: string; problem: string } | null;

/** Reads every source for this OS, most binding first, and merges them key by key. */
export async function readMachinePolicy(places: PolicyPlaces): Promise<PolicyReading> {
  const layers = await policyLayers(places);
  const policy: MachinePolicy = {};
  const sources: Partial<Record<PolicyKey, string>> = {};
  const problems: string[] = [];
  for (const layer of layers) {
    if (layer === null) continue;
    if ('problem' in layer) {
      problems.push(`${layer.source}: ${layer.problem}`);
      continue;
    }
    for (const key of Object.keys(layer.values)) {
      if (!(policyKeys as string[]).includes(key)) problems.push(`${layer.source}: unknown setting "${key}" ignored`);
    }
    for (const key of policyKeys) {
      if (policy[key] !== undefined || layer.values[key] === undefined) continue;
      const checked = machinePolicy.shape[key].safeParse(layer.values[key]);
      if (!checked.success) {
        problems.push(`${layer.source}: "${key}" ${checked.error.issues.map((i) => i.message).join('; ')}; ignored`);
        continue;
      }
      (policy as Record<PolicyKey, unknown>)[key] = checked.data;
      sources[key] = layer.source;
    }
  }
  return { policy, sources, problems };
}

async function policyLayers(places: PolicyPlaces): Promise<Layer[]> {
  const root = places.root ?? '';
  if (places.platform === 'win32') {
    const programData = places.env.ProgramData ?? places.env.PROGRAMDATA ?? 'C:\\ProgramData';
    return [await registryLayer(places.registry ?? regExeReader), await jsonLayer(join(root, programData, 'Clinic Desk', 'policy.json'))];
  }
  if (places.platform === 'darwin') {
    const appId = places.appId ?? 'org.clinicdesk.terminal';
    const dir = join(root, '/Library/Managed Preferences');
    return [places.userName ? await plistLayer(join(dir, places.userName, `${appId}.plist`)) : null, await plistLayer(join(dir, `${appId}.plist`))];
  }
  return [await jsonLayer(join(root, '/etc/clinic-desk/policy.json'))];
}

/** Managed names (ServerUrl) or the JSON names (serverUrl) to the policy's keys. */
function fromManagedNames(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const key = policyKeys.find((k) => managedNames[k].toLowerCase() === name.toLowerCase()) ?? name;
    out[key] = value;
  }
  return out;
}

async function jsonLayer(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { source: path, problem: `cannot be read: ${(error as Error).message}` };
  }
  try {
    const json: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return { source: path, problem: 'is not a JSON object' };
    return { source: path, values: json as Record<string, unknown> };
  } catch (error) {
    return { source: path, problem: `is not valid JSON: ${(error as Error).message}` };
  }
}

async function registryLayer(registry: RegistryReader): Promise<Layer> {
  const source = `HKLM\\${windowsPolicyKey}`;
  let values: Record<string, string | number> | null;
  try {
    values = await registry.values(windowsPolicyKey);
  } catch (error) {
    return { source, problem: `cannot be read: ${(error as Error).message}` };
  }
  if (values === null) return null;
  const mapped = fromManagedNames(values);
  // REG_DWORD 0/1 for on/off, as Group Policy writes it.
  if (typeof mapped.autoUpdate === 'number') mapped.autoUpdate = mapped.autoUpdate !== 0;
  return { source, values: mapped };
}

async function plistLayer(path: string): Promise<Layer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { source: path, problem: `cannot be read: ${(error as Error).message}` };
  }
  try {
    // Profiles installed by an MDM are usually binary plists; hand-made ones XML.
    const parsed: unknown = bytes.subarray(0, 6).toString('latin1') === 'bplist' ? parseBinaryPlist(bytes) : parsePlist(bytes.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { source: path, problem: 'is not a dictionary' };
    return { source: path, values: fromManagedNames(parsed as Record<string, unknown>) };
  } catch (error) {
    return { source: path, problem: `is not a readable property list: ${(error as Error).message}` };
  }
}

const run = promisify(execFile);

/** `reg query` output: `    Name    REG_TYPE    value` lines under the key. */
export function parseRegQuery(output: string): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const line of output.split(/\r?\n/)) {
    const m = /^ {4}(.+?) {4}(REG_[A-Z_]+) {4}(.*)$/.exec(line) ?? /^ {4}(.+?) {4}(REG_[A-Z_]+)$/.exec(line);
    if (!m) continue;
    const [, name, type, raw = ''] = m;
    values[name!] = type === 'REG_DWORD' || type === 'REG_QWORD' ? Number.parseInt(raw, 16) : raw;
  }
  return values;
}

/** The real registry, through reg.exe (64-bit view), so no native module is needed. */
export const regExeReader: RegistryReader = {
  async values(key) {
    try {
      const { stdout } = await run('reg', ['query', `HKLM\\${key}`, '/reg:64'], { encoding: 'utf8', windowsHide: true });
      return parseRegQuery(stdout);
    } catch (error) {
      // reg.exe exits with 1 when the key does not exist.
      if ((error as { code?: number }).code === 1) return null;
      throw error;
    }
  },
};

/** The user's settings with the policy's values on top: policy wins. */
export function withPolicy<T extends { serverUrl: string; serverFingerprint?: string | null }>(settings: T, policy: MachinePolicy): T {
  return {
    ...settings,
    ...(policy.serverUrl !== undefined ? { serverUrl: policy.serverUrl } : {}),
    ...(policy.certificateFingerprint !== undefined ? { serverFingerprint: policy.certificateFingerprint } : {}),
  };
}

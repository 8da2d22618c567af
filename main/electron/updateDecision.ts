/**
 * Decides what to do with the update metadata (latest.yml) the clinic server offers.
 * Plain Node: no Electron import, so the decision is tested under Node. electron-updater does the
 * download and the signature/sha512 check; this module decides whether to start it at all, and
 * explains broken metadata in words an admin can act on.
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import semver from 'semver';
import { z } from 'zod';

/** electron-builder writes base64 sha512 digests: 64 bytes -> 88 characters ending in '=='. */
const sha512Base64 = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'is not a base64 sha512 digest');

const fileName = z
  .string()
  .min(1)
  .refine((url) => !url.split(/[\\/]/).includes('..'), 'must not climb out of the updates folder');

const updateFile = z.object({
  url: fileName,
  sha512: sha512Base64,
  size: z.int().positive().optional(),
});

const updateMetadata = z.object({
  version: z.string().refine((v) => semver.valid(v) !== null, 'is not a semantic version (like 1.4.0)'),
  files: z.array(updateFile).min(1, 'lists no installer'),
  path: fileName.optional(),
  sha512: sha512Base64.optional(),
  releaseDate: z.string().optional(),
});
export type UpdateMetadata = z.infer<typeof updateMetadata>;

export type UpdateDecision =
  | { kind: 'newer'; version: string; metadata: UpdateMetadata }
  | { kind: 'same'; version: string }
  /** The server offers an older build: never downgrade a terminal silently. */
  | { kind: 'older'; version: string }
  | { kind: 'broken'; reason: string };

/** Parses latest.yml text; a broken file becomes a reason, never an exception. */
export function parseUpdateMetadata(text: string): { ok: true; metadata: UpdateMetadata } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: false, reason: 'the file is empty' };
  let parsed: unknown;
  try {
    // CORE_SCHEMA: no YAML timestamps or custom tags, just the scalars electron-builder writes.
    parsed = load(text, { schema: CORE_SCHEMA });
  } catch (error) {
    const first = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, reason: `not valid YAML: ${first}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'not a YAML mapping (expected version, files, sha512...)' };
  }
  const checked = updateMetadata.safeParse(parsed);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.join('.') || 'file'} ${issue.message}`);
    return { ok: false, reason: problems.join('; ') };
  }
  return { ok: true, metadata: checked.data };
}

export function decideUpdate(currentVersion: string, metadataText: string): UpdateDecision {
  const current = semver.valid(currentVersion);
  if (current === null) throw new Error(`this app's own version "${currentVersion}" is not a semantic version`);
  const parsed = parseUpdateMetadata(metadataText);
  if (!parsed.ok) return { kind: 'broken', reason: parsed.reason };
  const { version } = parsed.metadata;
  const order = semver.compare(version, current);
  if (order > 0) return { kind: 'newer', version, metadata: parsed.metadata };
  if (order === 0) return { kind: 'same', version };
  return { kind: 'older', version };
}

/** The metadata file electron-updater reads for this platform (electron-builder's channel naming). */
export function metadataFileName(platform: NodeJS.Platform, arch: string): string {
  if (platform === 'darwin') return 'latest-mac.yml';
  if (platform === 'linux') return arch === 'x64' ? 'latest-linux.yml' : `latest-linux-${arch}.yml`;
  return 'latest.yml';
}

/** `<serverUrl>/updates/` whatever trailing slashes the admin typed. */
export function updatesFeedUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/updates/`;
}

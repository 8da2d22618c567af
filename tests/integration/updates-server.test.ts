/**
 * The clinic server itself serves the update feed from <data-dir>/updates, without sign-in,
 * while its API still demands a token.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startClinicServer } from '../../server/app';
import { load } from 'js-yaml';

/** What electron-updater reads first: the published version (tests/integration/electron-updates.test.ts drives the updater itself). */
const publishedVersion = (yml: string) => (load(yml) as { version: string }).version;

test('a release dropped into <data-dir>/updates reaches a terminal with no sign-in', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'clinic-server-updates-'));
  const server = await startClinicServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminPassword: 'admin-password-1' });
  try {
    const sha = `${'b'.repeat(86)}==`;
    const yml = `version: 9.0.0\nfiles:\n  - url: clinic-desk_9.0.0_amd64.deb\n    sha512: ${sha}\n    size: 5\npath: clinic-desk_9.0.0_amd64.deb\nsha512: ${sha}\n`;
    // The folder exists from the first start, so an admin finds where to put releases.
    await writeFile(join(dataDir, 'updates', 'latest-linux.yml'), yml);
    await writeFile(join(dataDir, 'updates', 'clinic-desk_9.0.0_amd64.deb'), 'debfile');

    const meta = await fetch(`${server.url}/updates/latest-linux.yml`);
    assert.equal(meta.status, 200);
    assert.match(meta.headers.get('content-type') ?? '', /^text\/yaml/);
    assert.equal(publishedVersion(await meta.text()), '9.0.0');

    const file = await fetch(`${server.url}/updates/clinic-desk_9.0.0_amd64.deb`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'application/octet-stream');
    assert.equal(file.headers.get('content-length'), '7');
    assert.equal(await file.text(), 'debfile');

    assert.equal((await fetch(`${server.url}/updates/`)).status, 404);
    const api = await fetch(`${server.url}/api/audit`);
    assert.equal(api.status, 401, 'the API still needs a token');
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

/**
 * The /updates/ feed as a terminal's electron-updater sees it: a real Fastify server on a free
 * port with the serveUpdates plugin over a temp updates folder.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { serveUpdates } from '../../server/updates/serveUpdates';
import { load } from 'js-yaml';
import semver from 'semver';

/** What electron-updater reads first: the published version (tests/integration/electron-updates.test.ts drives the updater itself). */
const publishedVersion = (yml: string) => (load(yml) as { version: string }).version;

const installer = Buffer.alloc(300_000);
for (let i = 0; i < installer.length; i += 1) installer[i] = (i * 31 + 7) % 251;
const installerName = 'Clinic-Desk-Setup-0.2.0-x64.exe';
const sha512 = createHash('sha512').update(installer).digest('base64');
const latestYml = [
  'version: 0.2.0',
  'files:',
  `  - url: ${installerName}`,
  `    sha512: ${sha512}`,
  `    size: ${installer.length}`,
  `path: ${installerName}`,
  `sha512: ${sha512}`,
  "releaseDate: '2026-11-20T10:00:00.000Z'",
  '',
].join('\n');

let root: string;
let app: FastifyInstance;
let base: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'clinic-updates-'));
  const updatesDir = join(root, 'updates');
  await mkdir(updatesDir);
  await writeFile(join(updatesDir, 'latest.yml'), latestYml);
  await writeFile(join(updatesDir, installerName), installer);
  await writeFile(join(updatesDir, `${installerName}.blockmap`), Buffer.from('blockmap'));
  await writeFile(join(updatesDir, '.env'), 'SECRET=1');
  await writeFile(join(updatesDir, 'notes.txt'), 'admin notes');
  await mkdir(join(updatesDir, 'old'));
  await writeFile(join(updatesDir, 'old', 'latest.yml'), 'version: 0.1.0');
  await writeFile(join(root, 'secret.yml'), 'password: hunter2');
  app = Fastify({ logger: false });
  await app.register(serveUpdates, { updatesDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  base = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

/** Raw HTTP so paths like /updates/../x reach the server unnormalised (fetch would resolve them). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('update feed', () => {
  test('latest.yml is served as text/yaml with validators, naming a version newer than 0.1.0', async () => {
    const res = await raw('/updates/latest.yml');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/yaml/);
    assert.ok(res.headers.etag, 'ETag');
    assert.ok(res.headers['last-modified'], 'Last-Modified');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.body.toString('utf8'), latestYml);
    assert.ok(semver.gt(publishedVersion(res.body.toString('utf8')), '0.1.0'), 'a newer version than 0.1.0 is published');
  });

  test('the installer is served whole as octet-stream with its length and unchanged bytes', async () => {
    const res = await raw(`/updates/${installerName}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['content-length'], String(installer.length));
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(createHash('sha512').update(res.body).digest('base64'), sha512);
  });

  test('HEAD answers the headers without a body', async () => {
    const res = await raw(`/updates/${installerName}`, {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(installer.length));
    assert.equal(res.body.length, 0);
  });

  test('a Range request (resumed or differential download) gets 206 with exactly those bytes', async () => {
    const res = await raw(`/updates/${installerName}`, { range: 'bytes=1000-1999' });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 1000-1999/${installer.length}`);
    assert.equal(res.headers['content-length'], '1000');
    assert.deepEqual(res.body, installer.subarray(1000, 2000));
    const outside = await raw(`/updates/${installerName}`, { range: `bytes=${installer.length + 10}-` });
    assert.equal(outside.status, 416);
  });

  test('a conditional GET with the ETag is answered 304', async () => {
    const first = await raw('/updates/latest.yml');
    const again = await raw('/updates/latest.yml', { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  test('blockmaps (differential updates) are served', async () => {
    const res = await raw(`/updates/${installerName}.blockmap`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'blockmap');
  });

  test('no listing, no hidden files, no other file types, no subfolders, no missing files', async () => {
    for (const path of ['/updates/', '/updates', '/updates/.env', '/updates/notes.txt', '/updates/old/latest.yml', '/updates/latest-mac.yml']) {
      const res = await raw(path);
      assert.equal(res.status, 404, `${path} -> ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /SECRET=1|admin notes|version: 0\.1\.0|sha512/, path);
    }
  });

  test('path traversal never leaves the updates folder', async () => {
    for (const path of [
      '/updates/../secret.yml',
      '/updates/%2e%2e/secret.yml',
      '/updates/%2e%2e%2fsecret.yml',
      '/updates/..%5csecret.yml',
      '/updates/....//secret.yml',
      '/updates//etc/passwd',
    ]) {
      const res = await raw(path);
      assert.ok(res.status === 404 || res.status === 403 || res.status === 400, `${path} -> ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /hunter2|root:/, path);
    }
  });
});

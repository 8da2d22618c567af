import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TerminalSettings } from '../../shared/ipc/contract';
import {
  applyPreconfigurationOnce,
  preconfigCandidates,
  preconfigMarkerName,
  readPreconfiguration,
} from '../../main/electron/preconfig';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'clinic-preconfig-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
async function fixture(content: string | null): Promise<{ file: string; stateDir: string }> {
  n += 1;
  const dir = join(root, `case-${n}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'install', 'clinic-desk.json');
  await mkdir(join(dir, 'install'));
  if (content !== null) await writeFile(file, content);
  return { file, stateDir: join(dir, 'userData') };
}

function saver() {
  const saved: Pick<TerminalSettings, 'serverUrl' | 'terminalName'>[] = [];
  return { saved, save: async (s: Pick<TerminalSettings, 'serverUrl' | 'terminalName'>) => (saved.push(s), { ...s, offlineSignInDays: 7 }) };
}

describe('preconfiguration file', () => {
  test('valid: read, merged and saved once; a later start leaves the admin screen\'s settings alone', async () => {
    const { file, stateDir } = await fixture('\uFEFF{ "serverUrl": "http://clinic-server:4000", "terminalName": "Front desk 2" }');
    const { saved, save } = saver();
    const first = await applyPreconfigurationOnce({ stateDir, candidates: [file], current: null, defaultTerminalName: 'PC-17', save });
    assert.deepEqual(first, { applied: true, path: file, settings: { serverUrl: 'http://clinic-server:4000', terminalName: 'Front desk 2', offlineSignInDays: 7 } });
    assert.deepEqual(saved, [{ serverUrl: 'http://clinic-server:4000', terminalName: 'Front desk 2' }]);
    const marker = JSON.parse(await readFile(join(stateDir, preconfigMarkerName), 'utf8')) as { from: string };
    assert.equal(marker.from, file);

    const second = await applyPreconfigurationOnce({ stateDir, candidates: [file], current: saved[0] ?? null, defaultTerminalName: 'PC-17', save });
    assert.deepEqual(second, { applied: false, reason: 'already-applied' });
    assert.equal(saved.length, 1);
  });

  test('only a server URL: the terminal keeps its name, or takes the computer name', async () => {
    const { file, stateDir } = await fixture('{"serverUrl":"https://clinic.example.org"}');
    const { saved, save } = saver();
    await applyPreconfigurationOnce({ stateDir, candidates: [file], current: null, defaultTerminalName: 'PC-17', save });
    assert.deepEqual(saved, [{ serverUrl: 'https://clinic.example.org', terminalName: 'PC-17' }]);

    const other = await fixture('{"serverUrl":"https://clinic.example.org"}');
    const again = saver();
    await applyPreconfigurationOnce({
      stateDir: other.stateDir,
      candidates: [other.file],
      current: { serverUrl: 'http://old:4000', terminalName: 'Room 3' },
      defaultTerminalName: 'PC-17',
      save: again.save,
    });
    assert.deepEqual(again.saved, [{ serverUrl: 'https://clinic.example.org', terminalName: 'Room 3' }]);
  });

  test('invalid: each problem named, nothing saved, no marker so the fixed file is read next start', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{ "serverUrl": "http://x", ', /not valid JSON/],
      ['{ "serverUrl": "ftp://clinic-server" }', /"serverUrl"/],
      ['{ "serverUrl": "http://clinic-server:4000", "terminalName": "   " }', /"terminalName"/],
      ['{ "serverUrl": "http://clinic-server:4000", "password": "x" }', /password/],
      ['{}', /serverUrl.*terminalName|terminalName.*serverUrl/],
      ['["http://clinic-server:4000"]', /object/i],
      ['{ "terminalName": "Front desk" }', /"serverUrl"/], // nothing to merge a server URL from
    ];
    for (const [content, problem] of cases) {
      const { file, stateDir } = await fixture(content);
      const { saved, save } = saver();
      const outcome = await applyPreconfigurationOnce({ stateDir, candidates: [file], current: null, defaultTerminalName: 'PC', save });
      assert.equal(outcome.applied, false, content);
      assert.ok(!outcome.applied && outcome.reason === 'invalid', content);
      assert.match(!outcome.applied && outcome.reason === 'invalid' ? outcome.problems.join(' | ') : '', problem, content);
      assert.equal(saved.length, 0);
      await assert.rejects(readFile(join(stateDir, preconfigMarkerName)), /ENOENT/);
    }
  });

  test('missing: nothing saved; the first existing candidate wins', async () => {
    const { file, stateDir } = await fixture(null);
    const { saved, save } = saver();
    const outcome = await applyPreconfigurationOnce({ stateDir, candidates: [file], current: null, defaultTerminalName: 'PC', save });
    assert.deepEqual(outcome, { applied: false, reason: 'missing' });
    assert.equal(saved.length, 0);

    const present = await fixture('{"terminalName":"Lab"}');
    const reading = await readPreconfiguration([file, present.file]);
    assert.deepEqual(reading, { status: 'valid', path: present.file, values: { terminalName: 'Lab' } });
  });

  test('where the file is looked for on each platform', () => {
    // Windows: %ProgramData% first (the installer writes there; an update's uninstaller never touches it).
    assert.deepEqual(preconfigCandidates({ execPath: 'C:\\Program Files\\Clinic Desk\\Clinic Desk.exe'.replaceAll('\\', '/'), platform: 'win32', env: { ProgramData: 'C:/ProgramData' } }), [
      'C:/ProgramData/Clinic Desk/clinic-desk.json',
      'C:/Program Files/Clinic Desk/clinic-desk.json',
    ]);
    assert.deepEqual(
      preconfigCandidates({ execPath: '/tmp/.mount_x/clinic-desk', platform: 'linux', env: { APPIMAGE: '/home/desk/Apps/Clinic-Desk.AppImage' } }),
      ['/home/desk/Apps/clinic-desk.json', '/tmp/.mount_x/clinic-desk.json', '/etc/clinic-desk/clinic-desk.json'],
    );
    assert.deepEqual(
      preconfigCandidates({ execPath: '/Applications/Clinic Desk.app/Contents/MacOS/Clinic Desk', platform: 'darwin', env: {} }),
      ['/Applications/clinic-desk.json'],
    );
  });
});

/**
 * Machine-wide policy from each OS's own place (main/policy/machinePolicy.ts): files written
 * into a temporary root laid out like the real machine, the Windows registry faked behind its
 * interface, and the precedence: policy over the user's own settings.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { build as buildPlist, buildBinary as buildBinaryPlist } from 'plist';
import { createTerminal } from '../../main/terminal';
import { IpcFailure } from '../../main/ipc/failure';
import { parseRegQuery, readMachinePolicy, windowsPolicyKey, type RegistryReader } from '../../main/policy/machinePolicy';

const fp = 'ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89';
const FP = fp.toUpperCase();

function machine(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'clinic-policy-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function fakeRegistry(values: Record<string, string | number> | null): RegistryReader & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async values(key) {
      asked.push(key);
      return values;
    },
  };
}

describe('Linux: /etc/clinic-desk/policy.json', () => {
  test('every setting, normalised', async () => {
    const root = machine({
      '/etc/clinic-desk/policy.json': JSON.stringify({ serverUrl: 'https://clinic-server:4780', certificateFingerprint: fp.replaceAll(':', ''), updateChannel: 'beta', autoUpdate: false }),
    });
    try {
      const reading = await readMachinePolicy({ platform: 'linux', env: {}, root });
      assert.deepEqual(reading.policy, { serverUrl: 'https://clinic-server:4780', certificateFingerprint: FP, updateChannel: 'beta', autoUpdate: false });
      assert.equal(reading.sources.serverUrl, join(root, '/etc/clinic-desk/policy.json'));
      assert.deepEqual(reading.problems, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a wrong value is reported and left out; the others still apply; no file means no policy', async () => {
    const root = machine({ '/etc/clinic-desk/policy.json': JSON.stringify({ serverUrl: 'ftp://x', updateChannel: 'nightly', autoUpdate: true, colour: 'red' }) });
    try {
      const reading = await readMachinePolicy({ platform: 'linux', env: {}, root });
      assert.deepEqual(reading.policy, { autoUpdate: true });
      assert.equal(reading.problems.length, 3, reading.problems.join('\n'));
      assert.ok(reading.problems.some((p) => /"serverUrl" .*ignored/.test(p)));
      assert.ok(reading.problems.some((p) => /"updateChannel" .*ignored/.test(p)));
      assert.ok(reading.problems.some((p) => /unknown setting "colour"/.test(p)));
      assert.deepEqual(await readMachinePolicy({ platform: 'linux', env: {}, root: join(root, 'empty') }), { policy: {}, sources: {}, problems: [] });
      writeFileSync(join(root, '/etc/clinic-desk/policy.json'), '{ "serverUrl": ');
      assert.match((await readMachinePolicy({ platform: 'linux', env: {}, root })).problems[0]!, /is not valid JSON/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('Windows: HKLM\\SOFTWARE\\Policies\\Clinic Desk, then %ProgramData%\\Clinic Desk\\policy.json', () => {
  test('the registry wins key by key; the file fills in the rest; DWORD 0/1 is off/on', async () => {
    const root = machine({
      'C:\\ProgramData/Clinic Desk/policy.json': JSON.stringify({ serverUrl: 'http://old-server:4780', certificateFingerprint: fp, autoUpdate: true }),
    });
    try {
      const registry = fakeRegistry({ ServerUrl: 'https://clinic-server.clinic.local:4780', AutoUpdate: 0, UpdateChannel: 'latest' });
      const reading = await readMachinePolicy({ platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, root, registry });
      assert.deepEqual(registry.asked, [windowsPolicyKey]);
      assert.deepEqual(reading.policy, { serverUrl: 'https://clinic-server.clinic.local:4780', certificateFingerprint: FP, updateChannel: 'latest', autoUpdate: false });
      assert.equal(reading.sources.serverUrl, 'HKLM\\SOFTWARE\\Policies\\Clinic Desk');
      assert.equal(reading.sources.certificateFingerprint, join(root, 'C:\\ProgramData', 'Clinic Desk', 'policy.json'));

      const fileOnly = await readMachinePolicy({ platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, root, registry: fakeRegistry(null) });
      assert.deepEqual(fileOnly.policy, { serverUrl: 'http://old-server:4780', certificateFingerprint: FP, autoUpdate: true });

      const broken = await readMachinePolicy({ platform: 'win32', env: {}, root: join(root, 'none'), registry: { values: async () => Promise.reject(new Error('Access is denied')) } });
      assert.deepEqual(broken.policy, {});
      assert.match(broken.problems[0]!, /HKLM\\SOFTWARE\\Policies\\Clinic Desk: cannot be read: Access is denied/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('reg.exe query output is read as the registry holds it', () => {
    const output = [
      '',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Clinic Desk',
      '    ServerUrl    REG_SZ    https://clinic-server:4780',
      '    AutoUpdate    REG_DWORD    0x1',
      '    UpdateChannel    REG_SZ    beta',
      '    CertificateFingerprint    REG_SZ    AB:CD',
      '',
    ].join('\r\n');
    assert.deepEqual(parseRegQuery(output), { ServerUrl: 'https://clinic-server:4780', AutoUpdate: 1, UpdateChannel: 'beta', CertificateFingerprint: 'AB:CD' });
  });
});

describe('macOS: managed preferences', () => {
  const appId = 'org.clinicdesk.terminal';
  test('XML and binary profiles; the per-user profile wins over the machine one', async () => {
    const root = machine({
      [`/Library/Managed Preferences/${appId}.plist`]: buildPlist({ ServerUrl: 'https://clinic-server:4780', UpdateChannel: 'beta', AutoUpdate: true }),
      [`/Library/Managed Preferences/desk1/${appId}.plist`]: Buffer.from(buildBinaryPlist({ AutoUpdate: false, CertificateFingerprint: fp })),
    });
    try {
      const machineOnly = await readMachinePolicy({ platform: 'darwin', env: {}, root, appId });
      assert.deepEqual(machineOnly.policy, { serverUrl: 'https://clinic-server:4780', updateChannel: 'beta', autoUpdate: true });
      const forDesk1 = await readMachinePolicy({ platform: 'darwin', env: {}, root, appId, userName: 'desk1' });
      assert.deepEqual(forDesk1.policy, { serverUrl: 'https://clinic-server:4780', certificateFingerprint: FP, updateChannel: 'beta', autoUpdate: false });
      assert.equal(forDesk1.sources.autoUpdate, join(root, `/Library/Managed Preferences/desk1/${appId}.plist`));
      assert.deepEqual(forDesk1.problems, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

test('precedence: the policy wins over the user\'s settings, and the settings screen cannot change it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clinic-policy-core-'));
  try {
    // The user had chosen another server before IT set the policy.
    const before = createTerminal({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', terminalName: 'Desk 2', log: () => {} });
    await before.close();
    const core = createTerminal({ dataDir: dir, log: () => {}, policy: { serverUrl: 'https://clinic-server:4780', autoUpdate: false } });
    try {
      const settings = await core.invoke('settings.get', {});
      assert.deepEqual(settings, { ok: true, value: { serverUrl: 'https://clinic-server:4780', terminalName: 'Desk 2', offlineSignInDays: 7 } });
      // settings.set is a signed-in admin's (checked before any handler, tests/unit/ipc-access.test.ts);
      // what it runs refuses a policed server address even to an admin.
      await assert.rejects(
        () => core.setSettings({ serverUrl: 'http://elsewhere:4780', terminalName: 'Desk 2' }),
        (error: unknown) => error instanceof IpcFailure && error.code === 'forbidden' && /set by this computer's policy/.test(error.message),
      );
      const renamed = await core.setSettings({ serverUrl: 'https://clinic-server:4780', terminalName: 'Front desk 2' });
      assert.deepEqual(renamed, { serverUrl: 'https://clinic-server:4780', terminalName: 'Front desk 2', offlineSignInDays: 7 });
      assert.deepEqual(core.machinePolicy(), { serverUrl: 'https://clinic-server:4780', autoUpdate: false });
    } finally {
      await core.close();
    }
    // Without the policy the user's own choice is back: the policy never overwrote it.
    const after = createTerminal({ dataDir: dir, log: () => {} });
    try {
      assert.equal(after.settings().serverUrl, 'http://127.0.0.1:9');
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

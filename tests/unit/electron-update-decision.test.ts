import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUpdateChecker, updateIntervalMs, type UpdateStatus } from '../../main/electron/updateCheck';
import { decideUpdate, metadataFileName, updatesFeedUrl } from '../../main/electron/updateDecision';

const sha = `${'A'.repeat(86)}==`;
function latest(version: string, extra = ''): string {
  return `version: ${version}\nfiles:\n  - url: Clinic-Desk-Setup-${version}-x64.exe\n    sha512: ${sha}\n    size: 1234\npath: Clinic-Desk-Setup-${version}-x64.exe\nsha512: ${sha}\nreleaseDate: '2026-11-20T10:00:00.000Z'\n${extra}`;
}

describe('update decision', () => {
  test('newer, same and older versions', () => {
    const newer = decideUpdate('0.1.0', latest('0.2.0'));
    assert.equal(newer.kind, 'newer');
    assert.equal(newer.kind === 'newer' && newer.metadata.files[0]?.url, 'Clinic-Desk-Setup-0.2.0-x64.exe');
    assert.deepEqual(decideUpdate('0.2.0', latest('0.2.0')), { kind: 'same', version: '0.2.0' });
    assert.deepEqual(decideUpdate('0.3.0', latest('0.2.0')), { kind: 'older', version: '0.2.0' });
    // semver, not string order: 0.10.0 is newer than 0.9.1; a release is newer than its prerelease
    assert.equal(decideUpdate('0.9.1', latest('0.10.0')).kind, 'newer');
    assert.equal(decideUpdate('1.0.0-beta.2', latest('1.0.0')).kind, 'newer');
    assert.equal(decideUpdate('1.0.0', latest('1.0.0-beta.2')).kind, 'older');
  });

  test('broken metadata is a reason an admin can act on, never a download', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['version: [0.2.0\nfiles: {', /not valid YAML/],
      ['- just\n- a list\n', /mapping/],
      [latest('0.2.0').replace('version: 0.2.0', 'version: 2'), /version/],
      [latest('banana'), /semantic version/],
      [latest('0.2.0').replace(/^version: .*\n/, ''), /version/],
      ['version: 0.2.0\nfiles: []\n', /lists no installer/],
      [latest('0.2.0').replace(/sha512: A+==/g, 'sha512: deadbeef'), /sha512/],
      [latest('0.2.0').replace('url: Clinic', 'url: ../../Clinic'), /climb out/],
    ];
    for (const [text, reason] of cases) {
      const decision = decideUpdate('0.1.0', text);
      assert.equal(decision.kind, 'broken', text);
      assert.match(decision.kind === 'broken' ? decision.reason : '', reason, text);
    }
  });

  test('metadata file per platform, feed URL whatever the trailing slash', () => {
    assert.equal(metadataFileName('win32', 'x64'), 'latest.yml');
    assert.equal(metadataFileName('linux', 'x64'), 'latest-linux.yml');
    assert.equal(metadataFileName('linux', 'arm64'), 'latest-linux-arm64.yml');
    assert.equal(metadataFileName('darwin', 'arm64'), 'latest-mac.yml');
    assert.equal(updatesFeedUrl('http://clinic-server:4000'), 'http://clinic-server:4000/updates/');
    assert.equal(updatesFeedUrl('http://clinic-server:4000//'), 'http://clinic-server:4000/updates/');
  });

  test('interval from the environment: default 4 h, 0 turns checks off, nonsense keeps the default', () => {
    assert.equal(updateIntervalMs({}), 4 * 3600_000);
    assert.equal(updateIntervalMs({ CLINIC_UPDATE_INTERVAL_HOURS: '1' }), 3600_000);
    assert.equal(updateIntervalMs({ CLINIC_UPDATE_INTERVAL_HOURS: '0' }), null);
    assert.equal(updateIntervalMs({ CLINIC_UPDATE_INTERVAL_HOURS: 'often' }), 4 * 3600_000);
    assert.equal(updateIntervalMs({ CLINIC_UPDATE_INTERVAL_HOURS: '0.01' }), 0.25 * 3600_000);
  });
});

describe('update checker', () => {
  function harness(metadata: () => Promise<string | null>) {
    const lines: string[] = [];
    const downloads: number[] = [];
    const feeds: string[] = [];
    const fetched: string[] = [];
    const checker = createUpdateChecker({
      currentVersion: '0.2.0',
      serverUrl: async () => 'http://server:4000',
      metadataFile: 'latest.yml',
      fetchMetadata: (url) => (fetched.push(url), metadata()),
      startDownload: async (feedUrl) => {
        feeds.push(feedUrl);
        downloads.push(Date.now());
      },
      log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
      intervalMs: 3600_000,
      now: () => new Date('2026-11-25T12:00:00.000Z'),
    });
    return { checker, lines, downloads, feeds, fetched };
  }

  test('a newer version starts one background download; progress and readiness are reported', async () => {
    const { checker, lines, downloads, feeds, fetched } = harness(async () => latest('0.3.0'));
    const seen: UpdateStatus['phase'][] = [];
    checker.onStatus((s) => seen.push(s.phase));
    const [a, b] = await Promise.all([checker.checkNow(), checker.checkNow()]);
    assert.equal(a, b, 'concurrent checks share one run');
    assert.equal(downloads.length, 1);
    assert.deepEqual(fetched, ['http://server:4000/updates/latest.yml']);
    assert.deepEqual(feeds, ['http://server:4000/updates/']);
    assert.equal(checker.status().phase, 'downloading');
    assert.equal(checker.status().availableVersion, '0.3.0');
    checker.downloadProgress(42.4);
    assert.equal(checker.status().percent, 42);
    checker.downloaded('0.3.0');
    assert.equal(checker.status().phase, 'ready');
    assert.match(checker.status().message ?? '', /next closed/);
    await checker.checkNow();
    assert.equal(downloads.length, 1, 'no second download once one is ready');
    assert.deepEqual(seen.slice(0, 2), ['checking', 'downloading']);
    assert.ok(lines.some((l) => l.startsWith('info update check: 0.3.0 available')));
  });

  test('same, older and broken metadata never download', async () => {
    for (const [text, phase, pattern] of [
      [latest('0.2.0'), 'up-to-date', /newest/],
      [latest('0.1.0'), 'up-to-date', /not downgrading/],
      ['version: nope', 'error', /broken/],
    ] as const) {
      const { checker, lines, downloads } = harness(async () => text);
      const status = await checker.checkNow();
      assert.equal(status.phase, phase);
      assert.equal(status.checkedAt, '2026-11-25T12:00:00.000Z');
      assert.equal(downloads.length, 0);
      assert.ok(lines.some((l) => pattern.test(l)), lines.join('\n'));
    }
  });

  test('nothing published yet (404) is up to date, not an error', async () => {
    const { checker, downloads } = harness(async () => null);
    const status = await checker.checkNow();
    assert.equal(status.phase, 'up-to-date');
    assert.match(status.message ?? '', /No update is published/);
    assert.equal(downloads.length, 0);
  });

  test('an unreachable server is an error status, and the next check tries again', async () => {
    let reachable = false;
    const { checker } = harness(async () => {
      if (!reachable) throw new Error('connect ECONNREFUSED');
      return latest('0.2.0');
    });
    const failed = await checker.checkNow();
    assert.equal(failed.phase, 'error');
    assert.match(failed.message ?? '', /ECONNREFUSED/);
    reachable = true;
    assert.equal((await checker.checkNow()).phase, 'up-to-date');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedPulls } from '../../server/sync/sharedPulls';
import type { ClinicStore, PullPage } from '../../server/store/types';

/** Just enough of a store: SharedPulls only listens for commits. */
function storeWithCommits() {
  let listener: ((cursor: string) => void) | null = null;
  const store = {
    onCommitted(l: (cursor: string) => void) {
      listener = l;
      return () => (listener = null);
    },
  } as unknown as ClinicStore;
  return { store, commit: (cursor: string) => listener?.(cursor) };
}

const page = (cursor: string): PullPage => ({ changes: [], cursor, hasMore: false });

test('identical pulls share one read until the next commit', async () => {
  const { store, commit } = storeWithCommits();
  const pulls = new SharedPulls<PullPage>(store);
  let reads = 0;
  const read = async () => page(String(++reads));

  const burst = await Promise.all(Array.from({ length: 49 }, () => pulls.get('doctor|10|500|patients', read)));
  assert.equal(reads, 1, '49 terminals pulling the same cursor cost one read');
  assert.ok(burst.every((p) => p.cursor === '1'));

  await pulls.get('receptionist|10|500|patients', read);
  assert.equal(reads, 2, 'another role reads its own page');

  commit('11');
  assert.equal((await pulls.get('doctor|10|500|patients', read)).cursor, '3', 'a commit makes the next pull fresh');
  pulls.close();
});

test('a failed read is not shared', async () => {
  const { store } = storeWithCommits();
  const pulls = new SharedPulls<PullPage>(store);
  await assert.rejects(pulls.get('k', async () => Promise.reject(new Error('database gone'))));
  assert.equal((await pulls.get('k', async () => page('5'))).cursor, '5');
  pulls.close();
});

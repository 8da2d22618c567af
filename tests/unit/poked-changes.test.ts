import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PokedChanges } from '../../main/sync/puller';

const page = (from: string, cursor: string) => ({ from, cursor, changes: [{ from, cursor }] });

test('pages apply only in order from the cache cursor; pages it is already past are dropped', () => {
  const poked = new PokedChanges();
  poked.heard('10', null); // ready
  poked.heard('11', page('10', '11'));
  poked.heard('12', page('11', '12'));
  poked.heard('13', page('12', '13'));
  // The cache's own pull already reached 12: the first two pages are behind it.
  assert.deepEqual(poked.next('12'), page('12', '13'));
  assert.equal(poked.next('13'), null);
  assert.ok(poked.isNewest('13'));
  assert.ok(!poked.isNewest('12'));
});

test('a gap (a plain poke in between) leaves nothing to apply: the loop pulls', () => {
  const poked = new PokedChanges();
  poked.heard('11', page('10', '11'));
  poked.heard('15', null);
  poked.heard('16', page('15', '16'));
  assert.deepEqual(poked.next('10'), page('10', '11'));
  assert.equal(poked.next('11'), null, 'the page from 15 does not continue 11');
  assert.ok(!poked.isNewest('11'));
});

test('clear forgets pages and the newest cursor; the queue stays bounded', () => {
  const flooded = () => {
    const poked = new PokedChanges();
    for (let i = 0; i < 200; i++) poked.heard(String(i + 1), page(String(i), String(i + 1)));
    return poked;
  };
  assert.equal(flooded().next('0'), null, 'the oldest pages were let go');
  const poked = flooded();
  assert.deepEqual(poked.next('136'), page('136', '137'), 'the newest 64 are kept');
  poked.heard('201', page('200', '201'));
  poked.clear();
  assert.equal(poked.next('137'), null);
  assert.ok(!poked.isNewest('201'));
});

/**
 * The patient register's rows in view: arithmetic on the scroll offset, the same for 30 rows as
 * for 100,000, with a margin either side and never a row the list does not have.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spanInView, windowOf } from '../../renderer/src/screens/patients/useRowWindow';

test('at the top, the rows of the box and a margin below', () => {
  assert.deepEqual(windowOf(spanInView(0, 400, 40, 12), 100_000, 40), { first: 0, last: 22, totalHeight: 4_000_000 });
});

test('scrolled into the middle, a margin above and below the rows the box shows', () => {
  // 4,020 px: row 100 half out of view at the top, row 110 half in at the bottom.
  assert.deepEqual(windowOf(spanInView(4_020, 400, 40, 12), 100_000, 40), { first: 88, last: 123, totalHeight: 4_000_000 });
});

test('a list shorter than the box, and a box scrolled past a list that shrank (a search), hold no row the list lacks', () => {
  assert.deepEqual(windowOf(spanInView(0, 400, 40, 12), 3, 40), { first: 0, last: 3, totalHeight: 120 });
  assert.deepEqual(windowOf(spanInView(40_000, 400, 40, 12), 5, 40), { first: 5, last: 5, totalHeight: 200 });
  assert.deepEqual(windowOf(spanInView(0, 400, 40, 12), 0, 40), { first: 0, last: 0, totalHeight: 0 });
});

test('an overscrolled box (a negative offset while bouncing) counts from the top', () => {
  assert.deepEqual(spanInView(-80, 400, 40, 12), spanInView(0, 400, 40, 12));
});

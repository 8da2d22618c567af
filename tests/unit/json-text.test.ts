import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventChannels } from '../../shared/ipc/contract';
import { isJsonText, jsonListText, jsonText, maxPieceBytes, parseJsonText } from '../../main/ipc/jsonText';

/** The bytes of V8's string for `text`: one per character, two when any is above U+00FF. */
const v8Bytes = (text: string) => text.length * (/[\u0100-\uffff]/.test(text) ? 2 : 1);

const change = (i: number, lastName: string) => ({
  collection: 'patients',
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  op: 'upsert',
  row: { id: `p${i}`, version: 2, firstName: 'Ana', lastName, notes: 'x'.repeat(300) },
});

test('a long list of changes becomes pieces under the large-object limit, which join into the payload', () => {
  const changes = Array.from({ length: 1000 }, (_, i) => change(i, 'Grey'));
  const text = jsonListText<{ source: string; changes: unknown[] }>('{"source":"remote","changes":[', changes.map((c) => JSON.stringify(c)), ']}');
  assert.ok(text.jsonPieces.length > 3, `${text.jsonPieces.length} pieces for ${text.jsonPieces.join('').length} characters`);
  for (const piece of text.jsonPieces) assert.ok(v8Bytes(piece) <= maxPieceBytes, `a piece of ${v8Bytes(piece)} bytes`);
  const payload = parseJsonText(text);
  assert.deepEqual(payload, { source: 'remote', changes });
  assert.equal(eventChannels['data.changed'].safeParse(payload).success, true, 'the text holds what the contract says');
});

test('characters above U+00FF count twice (V8 stores such a string two bytes a character)', () => {
  const changes = Array.from({ length: 1000 }, (_, i) => change(i, 'Łukasiewicz'));
  const text = jsonListText('[', changes.map((c) => JSON.stringify(c)), ']');
  for (const piece of text.jsonPieces) assert.ok(v8Bytes(piece) <= maxPieceBytes, `a piece of ${v8Bytes(piece)} bytes`);
  assert.deepEqual(parseJsonText(text), changes);
});

test('no items, and an item bigger than a piece (a piece of its own)', () => {
  assert.deepEqual(jsonListText('[', [], ']').jsonPieces, ['[]']);
  const big = JSON.stringify('y'.repeat(maxPieceBytes + 10));
  const text = jsonListText('[', ['1', big, '2'], ']');
  assert.deepEqual(parseJsonText(text), [1, 'y'.repeat(maxPieceBytes + 10), 2]);
  assert.ok(text.jsonPieces.includes(`,${big}`), 'the big item alone');
});

test('text and values tell apart, and whole texts parse', () => {
  assert.equal(isJsonText(jsonText('[1]')), true);
  assert.equal(isJsonText({ source: 'remote', changes: [] }), false);
  assert.equal(isJsonText([{ jsonPieces: [] }]), false, 'an array payload (attention.changed) is a value');
  assert.deepEqual(parseJsonText(jsonText<number[]>('[1,2]')), [1, 2]);
});

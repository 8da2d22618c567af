/** Log lines cannot be forged through request text: control characters are escaped. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { escapeControl, readableLogStream } from '../../server/http/log-format';

test('a username with a newline stays on its own line, escaped', async () => {
  let written = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.toString();
      done();
    },
  });
  const stream = readableLogStream(out);
  const record = { level: 30, time: Date.now(), reqId: 'req-1', msg: 'refused: too many failed sign-ins for desk\nINFO login ok user=admin', username: 'x\r\ny\u001b[2J', status: 429 };
  await new Promise<void>((resolve) => stream.write(`${JSON.stringify(record)}\n`, () => resolve()));
  const lines = written.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, written);
  assert.match(lines[0]!, /desk\\nINFO login ok user=admin/);
  assert.match(lines[0]!, /username=x\\r\\ny\\u001b\[2J/);
  assert.equal(escapeControl('a\u0000b\u2028c\u007f'), 'a\\u0000b\\u2028c\\u007f');
});

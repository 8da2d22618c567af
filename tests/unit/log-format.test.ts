/** Log lines cannot be forged through request text: control characters are escaped in both formats. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { loggerOptions } from '../../server/http/logger';
import { escapeControl } from '../../server/http/logEscape';

function collector(): { out: Writable; text: () => string } {
  let written = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.toString();
      done();
    },
  });
  return { out, text: () => written };
}

const forged = 'refused: too many failed sign-ins for desk\nINFO login ok user=admin';

for (const format of ['json', 'pretty'] as const) {
  test(`${format}: a message and a field with a newline stay on one line, escaped`, async () => {
    const { out, text } = collector();
    const app = Fastify({ logger: loggerOptions('info', format, out) });
    app.log.info({ username: 'x\r\ny\u001b[2J' }, forged);
    await app.close();
    await new Promise((r) => setTimeout(r, 50));
    const lines = text().split('\n').filter(Boolean);
    assert.equal(lines.length, 1, text());
    assert.match(lines[0]!, /desk\\nINFO login ok user=admin/);
    assert.match(lines[0]!, /x\\r\\ny\\u001b\[2J/);
  });
}

test('escapeControl makes every control character visible', () => {
  assert.equal(escapeControl('a\u0000b\u2028c\u007f'), 'a\\u0000b\\u2028c\\u007f');
});

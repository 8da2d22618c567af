/**
 * A short chaos run (bench/chaos.ts) as part of `npm test`: three terminal processes mutate while
 * the server and terminals are SIGKILLed, the server frozen and the network cut; the run must
 * report zero loss, every stock quantity and every cache right, and exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

function runChaos(seconds: number, terminals: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'chaos.ts'), '--seconds', String(seconds), '--terminals', String(terminals)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a 20 s chaos run with 3 terminals loses nothing', { timeout: 290_000 }, async (t) => {
  const { code, stdout, stderr } = await runChaos(20, 3);
  const lines = stdout.trim().split('\n').filter((l) => l !== '');
  t.diagnostic(lines.at(-1) ?? '(no summary)');
  assert.equal(lines.length, 1, `one summary line expected, got:\n${stdout}\n${stderr.slice(-3000)}`);
  const summary = lines[0]!;
  assert.equal(code, 0, `chaos exited ${code}:\n${summary}\n${stderr.slice(-3000)}`);
  assert.match(summary, /^chaos: PASS 20s 3 terminals: /);
  assert.match(summary, / 0 lost;/);

  const number = (pattern: RegExp) => Number(pattern.exec(summary)?.[1] ?? NaN);
  assert.ok(number(/: (\d+) accepted/) > 20, 'the terminals made mutations');
  assert.ok(number(/chaos (\d+) server kills/) >= 1, 'the server was killed at least once');
  assert.ok(number(/(\d+) terminal kills/) >= 1, 'a terminal was killed at least once');
  const [stockOk, stockAll] = /stock (\d+)\/(\d+) match/.exec(summary)!.slice(1).map(Number);
  assert.equal(stockOk, stockAll);
  assert.match(summary, /caches 3\/3 equal server/);
});

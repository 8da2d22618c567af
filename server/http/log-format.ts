/**
 * Pino writes JSON lines; support staff read plain lines. This stream turns each record into
 * `time LEVEL [reqId] message key=value ...` without a separate pretty-printer dependency.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'err', 'responseTime']);

export function readableLogStream(out: NodeJS.WritableStream = process.stdout): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          out.write(`${formatRecord(JSON.parse(line) as Record<string, unknown>)}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

function formatRecord(r: Record<string, unknown>): string {
  const parts = [new Date(Number(r.time)).toISOString(), (LEVELS[Number(r.level)] ?? String(r.level)).padEnd(5)];
  if (r.reqId) parts.push(`[${String(r.reqId)}]`);
  const req = r.req as { method?: string; url?: string } | undefined;
  const res = r.res as { statusCode?: number } | undefined;
  if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`);
  if (res?.statusCode) parts.push(`-> ${res.statusCode}${typeof r.responseTime === 'number' ? ` ${r.responseTime.toFixed(1)}ms` : ''}`);
  if (r.msg) parts.push(String(r.msg));
  for (const [k, v] of Object.entries(r)) if (!SKIP.has(k)) parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const err = r.err as { message?: string; stack?: string } | undefined;
  if (err) parts.push(`\n${err.stack ?? err.message ?? JSON.stringify(err)}`);
  return parts.join(' ');
}

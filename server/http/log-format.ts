/**
 * Pino writes JSON lines; support staff read plain lines. This stream turns each record into
 * `time LEVEL [reqId] message key=value ...` without a separate pretty-printer dependency.
 * Every value is written with its control characters escaped (`\n`, `\u001b`, ...): text from a
 * request (a username, a URL) can never start a forged line of its own (log injection).
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
          out.write(`${escapeControl(line)}\n`);
        }
      }
      done();
    },
  });
}

/** Control characters (C0, DEL, C1, line and paragraph separators) as visible escapes. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function formatRecord(r: Record<string, unknown>): string {
  const parts = [new Date(Number(r.time)).toISOString(), (LEVELS[Number(r.level)] ?? String(r.level)).padEnd(5)];
  if (r.reqId) parts.push(`[${escapeControl(String(r.reqId))}]`);
  const req = r.req as { method?: string; url?: string } | undefined;
  const res = r.res as { statusCode?: number } | undefined;
  if (req?.method) parts.push(escapeControl(`${req.method} ${req.url ?? ''}`));
  if (res?.statusCode) parts.push(`-> ${res.statusCode}${typeof r.responseTime === 'number' ? ` ${r.responseTime.toFixed(1)}ms` : ''}`);
  if (r.msg) parts.push(escapeControl(String(r.msg)));
  for (const [k, v] of Object.entries(r)) if (!SKIP.has(k)) parts.push(`${escapeControl(k)}=${escapeControl(typeof v === 'string' ? v : JSON.stringify(v))}`);
  const err = r.err as { message?: string; stack?: string } | undefined;
  // A stack keeps its lines, each indented: no line of it can pass for a record of its own.
  if (err) parts.push(`\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).split('\n').map(escapeControl).join('\n    ')}`);
  return parts.join(' ');
}

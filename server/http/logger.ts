/**
 * The server's log: pino's own JSON lines by default (what journald, Docker and log collectors
 * parse), or pino-pretty's readable lines with `--log-format pretty` for a person at a console.
 * JSON escapes control characters by itself; the pretty lines escape the message too, and
 * `singleLine` writes every other field as JSON, so request text cannot forge a line (log
 * injection). Tokens and request bodies (passwords) are never logged, whatever the level.
 */
import type { FastifyServerOptions } from 'fastify';
import pinoPretty from 'pino-pretty';
import type { LogFormat } from '../config/flags';
import { escapeControl } from './logEscape';

const redact = ['req.headers.authorization', 'req.body'];

export function loggerOptions(level: string, format: LogFormat, destination?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  if (level === 'silent') return false;
  if (format === 'pretty') {
    return {
      level,
      redact,
      stream: pinoPretty({
        colorize: false,
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
        messageFormat: (log, messageKey) => escapeControl(String(log[messageKey] ?? '')),
        ...(destination ? { destination } : {}),
      }),
    };
  }
  return destination ? { level, redact, stream: destination } : { level, redact };
}

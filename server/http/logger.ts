/**
 * The server's log: pino's own JSON lines by default (what journald, Docker and log collectors
 * parse), or pino-pretty's readable lines with `--log-format pretty` for a person at a console.
 */
import type { FastifyServerOptions } from 'fastify';
import pinoPretty from 'pino-pretty';
import type { LogFormat } from '../config/flags';

export function loggerOptions(level: string, format: LogFormat, destination?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  if (level === 'silent') return false;
  if (format === 'pretty') {
    return {
      level,
      stream: pinoPretty({
        colorize: false,
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
        ...(destination ? { destination } : {}),
      }),
    };
  }
  return destination ? { level, stream: destination } : { level };
}

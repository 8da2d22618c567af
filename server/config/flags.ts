/**
 * The server's command line: one table maps every flag to its environment variable, so a service
 * manager (systemd, Docker, NSSM) can configure the server without a command line. A flag given on
 * the command line wins over its variable, the variable over the default. Add a flag here and
 * `npm run server -- --help`, docs/admin.md's table and the parser all follow it.
 */
import { parseArgs } from 'node:util';

type FlagSpec = {
  env: string;
  type: 'string' | 'boolean';
  default?: string;
  /** One line for --help. */
  help: string;
};

export const serverFlags = {
  port: { env: 'CLINIC_PORT', type: 'string', default: '4780', help: 'TCP port (0 picks a free one)' },
  host: { env: 'CLINIC_HOST', type: 'string', default: '127.0.0.1', help: 'address to bind (0.0.0.0: every interface)' },
  'data-dir': { env: 'CLINIC_DATA_DIR', type: 'string', default: './data', help: 'the SQLite store and default updates folder' },
  'database-url': { env: 'DATABASE_URL', type: 'string', help: 'postgres://... selects the PostgreSQL store' },
  demo: { env: 'CLINIC_DEMO', type: 'boolean', help: 'fill an empty store with the demo clinic' },
  'log-level': { env: 'CLINIC_LOG_LEVEL', type: 'string', default: 'info', help: 'trace, debug, info, warn, error or silent' },
  'log-format': { env: 'CLINIC_LOG_FORMAT', type: 'string', default: 'json', help: 'json (pino, for log collectors) or pretty (for people)' },
  'updates-dir': { env: 'CLINIC_UPDATES_DIR', type: 'string', help: 'folder served at /updates/ (default <data-dir>/updates)' },
  'metrics-token': { env: 'CLINIC_METRICS_TOKEN', type: 'string', help: 'if set, /metrics asks for "Authorization: Bearer <token>"' },
  'tls-cert': { env: 'CLINIC_TLS_CERT', type: 'string', help: 'PEM certificate to speak TLS with (with --tls-key)' },
  'tls-key': { env: 'CLINIC_TLS_KEY', type: 'string', help: 'PEM private key of --tls-cert' },
  tls: { env: 'CLINIC_TLS', type: 'boolean', help: 'speak TLS on loopback too (off loopback it always does)' },
  'insecure-http': { env: 'CLINIC_INSECURE_HTTP', type: 'boolean', help: 'plain http off loopback (says so at start)' },
} as const satisfies Record<string, FlagSpec>;

export type ServerFlag = keyof typeof serverFlags;

export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export type ServerCommand =
  | { command: 'serve' }
  | { command: 'backup'; file: string }
  | { command: 'restore'; file: string }
  | { command: 'rotate-key' }
  | { command: 'help' };

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  demo: boolean;
  logLevel: string;
  logFormat: LogFormat;
  updatesDir: string | undefined;
  metricsToken: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tls: boolean;
  insecureHttp: boolean;
}

export class UsageError extends Error {}

const truthy = new Set(['1', 'true', 'yes', 'on']);
const falsy = new Set(['0', 'false', 'no', 'off', '']);

export function usage(): string {
  const lines = Object.entries(serverFlags).map(([name, spec]) => {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} <value>`;
    const dflt = 'default' in spec ? ` (default ${spec.default})` : '';
    return `  ${flag.padEnd(26)} ${spec.env.padEnd(22)} ${spec.help}${dflt}`;
  });
  return [
    'usage: npm run server -- [flags]            run the clinic server',
    '       npm run server -- backup <file>      copy the store to <file> while it runs',
    '       npm run server -- restore <file>     put a backup in place (server stopped)',
    '       npm run server -- rotate-key         a new access-token signing key in <data-dir>',
    '',
    '  flag                       environment variable',
    ...lines,
  ].join('\n');
}

/** Reads argv (without node and the script) and the environment; throws UsageError on a mistake. */
export function readServerConfig(argv: string[], env: Record<string, string | undefined>): { command: ServerCommand; config: ServerConfig } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(serverFlags)) options[name] = { type: spec.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const given = parsed.values as Record<string, string | boolean | undefined>;

  const value = (name: ServerFlag): string | boolean | undefined => {
    const spec: FlagSpec = serverFlags[name];
    if (given[name] !== undefined) return given[name];
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined) {
      if (spec.type === 'string') return fromEnv === '' ? spec.default : fromEnv;
      const lower = fromEnv.trim().toLowerCase();
      if (truthy.has(lower)) return true;
      if (falsy.has(lower)) return false;
      throw new UsageError(`${spec.env} must be true or false, not "${fromEnv}"`);
    }
    return spec.type === 'boolean' ? false : spec.default;
  };
  const text = (name: ServerFlag) => value(name) as string | undefined;

  const portText = text('port')!;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port (${serverFlags.port.env}) must be 0..65535, not "${portText}"`);
  const logFormat = text('log-format')!;
  if (!(logFormats as readonly string[]).includes(logFormat)) {
    throw new UsageError(`--log-format (${serverFlags['log-format'].env}) must be json or pretty, not "${logFormat}"`);
  }
  const config: ServerConfig = {
    port,
    host: text('host')!,
    dataDir: text('data-dir')!,
    databaseUrl: text('database-url'),
    demo: value('demo') === true,
    logLevel: text('log-level')!,
    logFormat: logFormat as LogFormat,
    updatesDir: text('updates-dir'),
    metricsToken: text('metrics-token'),
    tlsCert: text('tls-cert'),
    tlsKey: text('tls-key'),
    tls: value('tls') === true,
    insecureHttp: value('insecure-http') === true,
  };

  const [verb, file, ...rest] = parsed.positionals;
  let command: ServerCommand;
  if (given.help) command = { command: 'help' };
  else if (verb === undefined) command = { command: 'serve' };
  else if (verb === 'backup' || verb === 'restore') {
    if (file === undefined || rest.length > 0) throw new UsageError(`${verb} takes one file: npm run server -- ${verb} <file>`);
    command = { command: verb, file };
  } else if (verb === 'rotate-key') {
    if (file !== undefined) throw new UsageError('rotate-key takes no argument: npm run server -- rotate-key [--data-dir <dir>]');
    command = { command: 'rotate-key' };
  } else throw new UsageError(`unknown command "${verb}" (backup, restore or rotate-key)`);
  return { command, config };
}

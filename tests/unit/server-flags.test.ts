import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readServerConfig, serverFlags, usage, UsageError } from '../../server/config/flags';

test('every flag has an environment variable; the flag wins over it, it over the default', () => {
  const env = {
    CLINIC_PORT: '5000',
    CLINIC_HOST: '0.0.0.0',
    CLINIC_DATA_DIR: '/srv/clinic',
    DATABASE_URL: 'postgres://clinic@db/clinic',
    CLINIC_DEMO: 'true',
    CLINIC_LOG_LEVEL: 'debug',
    CLINIC_LOG_FORMAT: 'pretty',
    CLINIC_UPDATES_DIR: '/srv/updates',
    CLINIC_METRICS_TOKEN: 'secret',
    CLINIC_TLS_CERT: '/etc/clinic/cert.pem',
    CLINIC_TLS_KEY: '/etc/clinic/key.pem',
    CLINIC_TLS: 'yes',
    CLINIC_INSECURE_HTTP: 'false',
  };
  const fromEnv = readServerConfig([], env).config;
  assert.deepEqual(fromEnv, {
    port: 5000,
    host: '0.0.0.0',
    dataDir: '/srv/clinic',
    databaseUrl: 'postgres://clinic@db/clinic',
    demo: true,
    logLevel: 'debug',
    logFormat: 'pretty',
    updatesDir: '/srv/updates',
    metricsToken: 'secret',
    tlsCert: '/etc/clinic/cert.pem',
    tlsKey: '/etc/clinic/key.pem',
    tls: true,
    insecureHttp: false,
  });
  assert.equal(Object.keys(serverFlags).length, Object.keys(fromEnv).length, 'each setting has its flag');
  const fromFlags = readServerConfig(['--port', '4781', '--log-format', 'json', '--data-dir', './here'], env).config;
  assert.equal(fromFlags.port, 4781);
  assert.equal(fromFlags.logFormat, 'json');
  assert.equal(fromFlags.dataDir, './here');
  assert.equal(fromFlags.host, '0.0.0.0', 'unset flags still come from the environment');

  const defaults = readServerConfig([], {}).config;
  assert.deepEqual(defaults, {
    port: 4780,
    host: '127.0.0.1',
    dataDir: './data',
    databaseUrl: undefined,
    demo: false,
    logLevel: 'info',
    logFormat: 'json',
    updatesDir: undefined,
    metricsToken: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    tls: false,
    insecureHttp: false,
  });
  assert.equal(readServerConfig([], { CLINIC_DEMO: '0' }).config.demo, false);
});

test('commands and mistakes', () => {
  assert.deepEqual(readServerConfig(['backup', '/b/clinic.db'], {}).command, { command: 'backup', file: '/b/clinic.db' });
  assert.deepEqual(readServerConfig(['restore', 'x.dump', '--data-dir', 'd'], {}).command, { command: 'restore', file: 'x.dump' });
  assert.deepEqual(readServerConfig(['--help'], {}).command, { command: 'help' });
  assert.deepEqual(readServerConfig(['rotate-key', '--data-dir', 'd'], {}).command, { command: 'rotate-key' });
  assert.deepEqual(readServerConfig([], {}).command, { command: 'serve' });
  for (const [argv, env, message] of [
    [['backup'], {}, /backup takes one file/],
    [['erase'], {}, /unknown command "erase"/],
    [['--port', '70000'], {}, /--port \(CLINIC_PORT\) must be 0\.\.65535/],
    [[], { CLINIC_PORT: 'http' }, /must be 0\.\.65535, not "http"/],
    [['--log-format', 'xml'], {}, /must be json or pretty/],
    [[], { CLINIC_DEMO: 'maybe' }, /CLINIC_DEMO must be true or false/],
    [['--no-such-flag'], {}, /Unknown option '--no-such-flag'/],
  ] as const) {
    assert.throws(() => readServerConfig([...argv], env), (e: unknown) => e instanceof UsageError && message.test(e.message));
  }
});

test('--help and docs/admin.md name every flag with its environment variable', () => {
  const admin = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'admin.md'), 'utf8');
  for (const [flag, spec] of Object.entries(serverFlags)) {
    assert.ok(usage().includes(`--${flag}`) && usage().includes(spec.env), `--help names --${flag} and ${spec.env}`);
    assert.match(admin, new RegExp(`\\| \`--${flag}\`[^\\n]*\\| \`${spec.env}\``), `docs/admin.md has a row for --${flag} / ${spec.env}`);
  }
});

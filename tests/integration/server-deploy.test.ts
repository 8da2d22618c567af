/**
 * deploy/: the container image's own start command and the systemd unit's, run as the compiled
 * server. No container runtime runs on our build machines, so the image's CMD and ENV are run here
 * outside a container (the test says so); the Dockerfile's build steps are not exercised here.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { request } from '../support/server';
import { compiledServerCli } from '../support/serverBuild';

const root = join(import.meta.dirname, '..', '..');

/** ENV and CMD of the Dockerfile's last stage. */
function imageStart(dockerfile: string): { env: Record<string, string>; cmd: string[]; healthcheck: string[] } {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const joined = lastStage.replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  }
  const cmdLine = joined.split('\n').find((l) => l.startsWith('CMD '));
  assert.ok(cmdLine, 'the image has a CMD');
  const health = /^HEALTHCHECK .*? CMD (\[.*\])$/m.exec(joined);
  assert.ok(health, 'the image has a HEALTHCHECK');
  const healthcheck = JSON.parse(health[1]!) as string[];
  assert.equal(healthcheck[0], 'node');
  return { env, cmd: JSON.parse(cmdLine.slice(4)) as string[], healthcheck: healthcheck.slice(1) };
}

function containerRuntimeWorks(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

async function runUntilListening(command: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; lines: string[]; stop(): Promise<number | null> }> {
  const child = spawn(command[0]!, command.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line:\n${lines.join('\n')}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const m = /listening on (http:\/\/[\d.:]+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${lines.join('\n')}`)));
  });
  return {
    url,
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * The compiled server started as a deployment starts it, with the deployment's environment but the
 * address and the data folder moved to what this machine offers; after `run`, SIGTERM must stop it
 * cleanly, and the folder is removed.
 */
async function runAsDeployed(
  folderPrefix: string,
  command: string[],
  env: Record<string, string>,
  adminPassword: string,
  run: (server: Awaited<ReturnType<typeof runUntilListening>>, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), folderPrefix));
  const server = await runUntilListening(command, {
    PATH: process.env.PATH,
    ...env,
    CLINIC_HOST: '127.0.0.1',
    CLINIC_PORT: '0',
    CLINIC_DATA_DIR: dataDir,
    CLINIC_ADMIN_PASSWORD: adminPassword,
  });
  try {
    await run(server, dataDir);
  } finally {
    assert.equal(await server.stop(), 0, 'SIGTERM stops it cleanly');
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('the container image start command runs the compiled server, JSON logs, healthy (outside a container)', { timeout: 90_000 }, async (t) => {
  if (!containerRuntimeWorks()) {
    t.diagnostic('no container runtime runs on this machine: running the image\'s own CMD and ENV outside a container');
  }
  const { env, cmd, healthcheck } = imageStart(await readFile(join(root, 'deploy', 'Dockerfile'), 'utf8'));
  assert.deepEqual(cmd.slice(-1), ['dist-server/cli.js'], 'the image runs the compiled server');
  assert.equal(cmd[0], 'node');
  assert.equal(env.CLINIC_LOG_FORMAT, 'json');
  const cli = await compiledServerCli();
  await runAsDeployed('clinic-image-test-', [process.execPath, ...cmd.slice(1, -1), cli], env, 'image-admin-pass', async (server) => {
    assert.equal((await request(server.url, 'GET', '/health/ready')).status, 200);
    // The log is pino's own JSON: every log line parses, with level, time and msg.
    const logged = server.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; time: number; msg: string });
    assert.ok(logged.length > 0, 'JSON log lines');
    for (const record of logged) assert.ok(typeof record.level === 'number' && typeof record.time === 'number' && typeof record.msg === 'string');
    const port = new URL(server.url).port;
    // The image's health check, with the image's working directory being the repository here.
    const health = spawnSync(process.execPath, healthcheck, { cwd: root, env: { ...process.env, CLINIC_PORT: port }, timeout: 10_000 });
    assert.equal(health.status, 0, `the image HEALTHCHECK passes: ${health.stderr}`);
    const wrongPort = spawnSync(process.execPath, healthcheck, { cwd: root, env: { ...process.env, CLINIC_PORT: '9' }, timeout: 10_000 });
    assert.equal(wrongPort.status, 1, 'and fails where no ready server answers');
  });
});

test('the systemd unit runs the compiled server with its Environment= settings, hardened', { timeout: 90_000 }, async () => {
  const unit = await readFile(join(root, 'deploy', 'clinic-server.service'), 'utf8');
  const setting = (key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
  const [execStart] = setting('ExecStart');
  assert.ok(execStart);
  const argv = execStart.split(/\s+/);
  assert.match(argv.at(-1)!, /\/dist-server\/cli\.js$/);
  for (const hardening of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=']) {
    assert.ok(unit.includes(`\n${hardening}\n`), hardening);
  }
  if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0) {
    const exposure = execFileSync('systemd-analyze', ['security', '--offline=true', join(root, 'deploy', 'clinic-server.service')], { encoding: 'utf8' });
    const level = Number(/Overall exposure level for .*?: ([\d.]+)/.exec(exposure)?.[1]);
    assert.ok(level <= 2, `systemd rates the unit's exposure ${level} (at most 2 expected)`);
  }
  const env: Record<string, string> = {};
  for (const pair of setting('Environment')) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  await runAsDeployed('clinic-unit-test-', [process.execPath, ...argv.slice(1, -1), await compiledServerCli()], env, 'unit-admin-pass', async (server, dataDir) => {
    assert.equal((await request(server.url, 'GET', '/health/live')).status, 200);
    assert.ok(server.lines.some((l) => l.includes(`sqlite:${dataDir}`)), 'CLINIC_DATA_DIR chose the data folder');
  });
});

test('the compiled server loads faker only for --demo', async () => {
  const cli = await compiledServerCli();
  const dir = dirname(cli);
  // Every module cli.js loads at start: itself and the chunks it imports statically.
  const staticallyLoaded = new Set<string>(['cli.js']);
  const queue = ['cli.js'];
  while (queue.length > 0) {
    const text = await readFile(join(dir, queue.pop()!), 'utf8');
    for (const [, file] of text.matchAll(/^import .*?from "\.\/([\w-]+\.js)";?$/gm)) {
      if (!staticallyLoaded.has(file!)) {
        staticallyLoaded.add(file!);
        queue.push(file!);
      }
    }
  }
  for (const file of staticallyLoaded) assert.doesNotMatch(await readFile(join(dir, file), 'utf8'), /@faker-js\/faker/, `${file} does not load faker`);
  const withFaker = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.js'))) if (/@faker-js\/faker/.test(await readFile(join(dir, file), 'utf8'))) withFaker.push(file);
  assert.equal(withFaker.length, 1, 'faker is in the demo chunk alone');
  assert.match(await readFile(cli, 'utf8'), new RegExp(`import\\("\\./${withFaker[0]!.replace('.', '\\.')}"\\)`), 'which cli.js loads only on demand');
});

/**
 * What can be checked of packaging without Electron's binary: electron-builder.yml against
 * electron-builder's own schema, the icon, the dist preflight's one sentence, and the bundles
 * `npm run build:electron` produces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { load } from 'js-yaml';
import { electronBinaryProblem } from '../../scripts/distPreflight';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
type Validate = (config: unknown, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }) => Promise<void>;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: Validate };
const quiet = { isEnabled: false, add: () => undefined };

type BuilderConfig = {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  nsis: { oneClick: boolean; perMachine: boolean; allowToChangeInstallationDirectory: boolean; include: string; artifactName: string };
  linux: { target: Array<{ target: string }> };
  mac: { target: Array<{ target: string }> };
  publish: Array<{ provider: string; url: string }>;
};

async function builderConfig(): Promise<BuilderConfig> {
  return load(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

describe('electron-builder.yml', () => {
  test("passes electron-builder's own schema (app-builder-lib scheme.json), and the check is real", async () => {
    const config = await builderConfig();
    await validateConfiguration(structuredClone(config), quiet);
    const typo = structuredClone(config) as unknown as { nsis: Record<string, unknown> };
    typo.nsis.perMachien = true;
    await assert.rejects(validateConfiguration(typo, quiet), /Invalid configuration object[\s\S]*configuration\.nsis/);
  });

  test('Electron fuses: no run-as-node, no NODE_OPTIONS or --inspect, cookies encrypted, only the integrity-checked app asar', async () => {
    const config = (await builderConfig()) as unknown as { electronFuses?: Record<string, unknown>; asar?: unknown };
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // The asar checks mean something only with an asar.
    assert.equal(config.asar, true);
    // electron-builder knows every one of them (a misspelt fuse would be refused by its schema).
    const typo = structuredClone(config) as { electronFuses: Record<string, unknown> };
    typo.electronFuses.runAsNodee = false;
    await assert.rejects(validateConfiguration(typo, quiet), /electronFuses/);
  });

  test('per-machine assisted NSIS, AppImage + deb, dmg, generic update feed, native module unpacked', async () => {
    const config = await builderConfig();
    assert.equal(config.productName, 'Clinic Desk');
    assert.match(config.appId, /^[a-z]+(\.[a-z]+)+$/);
    assert.equal(config.nsis.oneClick, false);
    assert.equal(config.nsis.perMachine, true);
    assert.equal(config.nsis.allowToChangeInstallationDirectory, true);
    assert.match(config.nsis.artifactName, /\$\{version\}.*\$\{arch\}/);
    assert.deepEqual(config.linux.target.map((t) => t.target).sort(), ['AppImage', 'deb']);
    assert.deepEqual(config.mac.target.map((t) => t.target), ['dmg', 'zip']);
    assert.equal(config.publish[0]?.provider, 'generic');
    assert.ok(config.asarUnpack.some((p) => p.startsWith('node_modules/better-sqlite3-multiple-ciphers/')), 'the encrypted cache’s native module is unpacked');
    assert.ok(!config.files.some((f) => f.startsWith('!node_modules/') && !f.startsWith('!node_modules/better-sqlite3-multiple-ciphers/')), 'no package is excluded by hand: the production tree is only the app’s (npm run deps:app)');
    assert.equal(config.npmRebuild, true);
    const includes = config.files.filter((f) => !f.startsWith('!'));
    assert.deepEqual(includes.sort(), ['dist-electron/**/*', 'package.json', 'renderer/dist/**/*']);
    const include = await readFile(join(root, config.nsis.include), 'utf8');
    assert.match(include, /!macro customInstall/);
    assert.match(include, /\/SERVER=/);
    assert.match(include, /clinic-desk\.json/);
  });

  test('build/icon.png is a 512x512 RGBA PNG', async () => {
    const png = await readFile(join(root, 'build', 'icon.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.subarray(12, 16).toString('ascii'), 'IHDR');
    assert.equal(png.readUInt32BE(16), 512);
    assert.equal(png.readUInt32BE(20), 512);
    assert.equal(png[25], 6, 'colour type RGBA');
  });
});

describe('build/installer.nsh', () => {
  // makensis is Debian's `nsis` package; electron-builder brings its own when it builds on Windows.
  const makensis = spawnSync('makensis', ['-VERSION'], { encoding: 'utf8' });
  const skip = makensis.status === 0 ? false : 'makensis is not installed (apt-get install nsis), so the NSIS include is not compiled';
  test('compiles into an installer with the customInstall/customUnInstall macros', { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinic-nsis-'));
    try {
      // The two things electron-builder's templates provide: LogicLib and ${isUpdated}.
      const harness = [
        'Unicode true',
        '!include LogicLib.nsh',
        '!macro _isUpdated _a _b _t _f',
        '  StrCmp "" "x" `${_t}` `${_f}`',
        '!macroend',
        '!define isUpdated `"" isUpdated ""`',
        'OutFile "harness.exe"',
        'InstallDir "$TEMP\\ClinicDeskHarness"',
        'RequestExecutionLevel user',
        `!include "${join(root, 'build', 'installer.nsh')}"`,
        'Section',
        '  SetOutPath $INSTDIR',
        '  !insertmacro customInstall',
        '  WriteUninstaller "$INSTDIR\\uninstall.exe"',
        'SectionEnd',
        'Section "Uninstall"',
        '  !insertmacro customUnInstall',
        'SectionEnd',
      ].join('\n');
      await writeFile(join(dir, 'harness.nsi'), harness);
      const compiled = spawnSync('makensis', ['-V2', 'harness.nsi'], { cwd: dir, encoding: 'utf8' });
      assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
      assert.ok((await readFile(join(dir, 'harness.exe'))).subarray(0, 2).toString('latin1') === 'MZ');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run dist preflight', () => {
  test('no Electron binary: one sentence saying why; binary present: no objection', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinic-electron-'));
    try {
      const sentence = electronBinaryProblem(dir);
      assert.ok(sentence !== null);
      assert.match(sentence, /Electron's binary is not installed/);
      assert.equal(sentence.split(/(?<=\.)\s+(?=[A-Z])/).length, 1, 'one sentence');

      await writeFile(join(dir, 'path.txt'), 'electron');
      assert.match(electronBinaryProblem(dir) ?? '', /dist\/electron is missing/);
      await mkdir(join(dir, 'dist'));
      await writeFile(join(dir, 'dist', 'electron'), '#!/bin/sh\n');
      assert.equal(electronBinaryProblem(dir), null);

      const emptyDir = join(dir, 'empty');
      await mkdir(emptyDir);
      const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dist.ts'], {
        cwd: root,
        env: { ...process.env, CLINIC_ELECTRON_DIR: emptyDir },
        encoding: 'utf8',
      });
      assert.equal(cli.status, 1);
      assert.equal(cli.stdout, '', 'nothing built');
      assert.equal(cli.stderr.trim().split('\n').length, 1);
      assert.match(cli.stderr, /^npm run dist cannot build installers on this machine because Electron's binary is not installed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run build:electron', () => {
  test('bundles main and preload; the preload needs only electron, main only its externals and Node', async () => {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-electron.ts'], { cwd: root, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    console.log(`build:electron took ${Math.round(performance.now() - started)} ms`);
    const requires = (code: string) => new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? ''));
    const preload = await readFile(join(root, 'dist-electron', 'preload.cjs'), 'utf8');
    assert.deepEqual([...requires(preload)], ['electron']);
    assert.match(preload, /exposeInMainWorld\)?\(?"clinic"/);
    const main = await readFile(join(root, 'dist-electron', 'main.cjs'), 'utf8');
    const node = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    // Packages main.cjs requires are the app's production dependencies, and no others: what
    // electron-builder packs (bufferutil and utf-8-validate are ws's optional speed-ups, tried and absent).
    const packageOf = (m: string) => m.split('/').slice(0, m.startsWith('@') ? 2 : 1).join('/');
    const required = new Set([...requires(main)].filter((m) => !node.has(m)).map(packageOf));
    const { dependencies } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.deepEqual([...required].filter((m) => !['electron', 'bufferutil', 'utf-8-validate'].includes(m)).sort(), Object.keys(dependencies).sort());
    for (const channel of ['session.login', 'data.mutate']) assert.ok(preload.includes(channel), channel);
  });
});

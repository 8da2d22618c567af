/**
 * A clinic of 12,000 patients on a fresh terminal: the first download shows a progress bar, the
 * register lists everyone, and a search by name or phone answers while typing. Timings are printed
 * (not asserted under a second: the machine is shared).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { patientFields } from '../../bench/support/fixtures';
import { seedStore } from '../../bench/support/seed';
import { startClinicServer, type ClinicServer } from '../../server/app';
import { freePort, launchBrowser, openWindow, screenshot } from '../support/browser';
import { login, request } from '../support/server';
import { startTerminal, type TestTerminal } from '../support/terminal';
import { statusText, until } from './frontDesk';

const patients = 12_000;
let dataDir: string;
let server: ClinicServer;
let terminal: TestTerminal;
let browser: Browser;
let page: Page;
const doctor = { username: 'drlarge', password: 'large-clinic-password' };

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'clinic-e2e-large-'));
  const options = { host: '127.0.0.1', dataDir, adminPassword: 'admin-large-password', logLevel: 'silent' };
  let first = await startClinicServer({ ...options, port: 0 });
  const admin = await login(first.url, 'admin', options.adminPassword);
  const created = await request(first.url, 'POST', '/api/users', {
    token: admin.accessToken,
    body: { ...doctor, displayName: 'Dr Large Clinic', role: 'doctor' },
  });
  assert.equal(created.status, 201);
  await first.close();
  const seeded = await seedStore({ dataDir }, { patients, appointments: 3000, inventory: 300, referrals: 500, providerIds: [created.body.id], seededBy: admin.user.id });
  console.log(`# seeded ${seeded.rows} rows in ${seeded.ms.toFixed(0)} ms`);
  server = await startClinicServer({ ...options, port: 0 });
  const port = await freePort();
  terminal = await startTerminal({ serverUrl: server.url, mode: 'child', port });
  browser = await launchBrowser();
  page = (await openWindow(browser, terminal.url!)).page;
});

after(async () => {
  await browser?.close().catch(() => {});
  await terminal?.close().catch(() => {});
  await server?.close().catch(() => {});
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the first download of 12,000 patients shows progress, then the whole register', { timeout: 180_000 }, async () => {
  await page.getByLabel('Username').fill(doctor.username);
  await page.getByLabel('Password').fill(doctor.password);
  const signedIn = performance.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  const progress = page.getByRole('progressbar');
  await progress.waitFor({ timeout: 30_000 });
  await screenshot(page, '20-initial-sync-progress');
  await progress.waitFor({ state: 'detached', timeout: 120_000 });
  const downloadedMs = performance.now() - signedIn;
  await until(async () => (await page.getByText(`${patients.toLocaleString('en-GB')} patients`).count()) === 1, 'the register to count every patient', 60_000);
  const listedMs = performance.now() - signedIn;
  assert.match(await statusText(page), /online/i);
  await screenshot(page, '21-register-12000');
  console.log(`# 12,000 patients: download done ${downloadedMs.toFixed(0)} ms, register complete ${listedMs.toFixed(0)} ms after Sign in`);
});

test('searching 12,000 patients by name and by phone answers while typing', { timeout: 60_000 }, async () => {
  const wanted = patientFields(7321) as { firstName: string; lastName: string; phone: string };
  const name = `${wanted.lastName}, ${wanted.firstName}`;
  const search = page.getByLabel('Search patients');
  let started = performance.now();
  await search.fill(name);
  await page.getByText(name, { exact: true }).first().waitFor();
  const byName = performance.now() - started;
  const shown = await page.getByText(name, { exact: true }).count();
  assert.ok(shown >= 1);

  started = performance.now();
  await search.fill(wanted.phone.slice(-7));
  await page.getByText(wanted.phone, { exact: true }).first().waitFor();
  const byPhone = performance.now() - started;
  assert.ok((await page.getByText(name, { exact: true }).count()) >= 1, 'the phone finds the same patient');
  await screenshot(page, '22-search-by-phone');
  console.log(`# search over 12,000: by name ${byName.toFixed(0)} ms, by phone ${byPhone.toFixed(0)} ms (fill to visible)`);
});

test('the day book of a busy day, reached by date', { timeout: 60_000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Appointments', exact: true }).click();
  await page.getByLabel('Go to date').fill('2026-01-05');
  await page.getByText('Monday, 5 January 2026').waitFor();
  await until(async () => (await page.getByRole('button', { name: /^\d\d:\d\d / }).count()) > 10, 'a full day of appointments');
  await screenshot(page, '23-day-book-busy');
});

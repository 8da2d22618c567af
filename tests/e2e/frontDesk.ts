/**
 * What the end-to-end tests share: a clinic (real server, two headless terminals as child
 * processes, each with its own data dir) and windows driven only by the roles and accessible
 * names of the UI contract.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startClinicServer, type ClinicServer } from '../../server/app';
import { freePort, launchBrowser, openWindow } from '../support/browser';
import { login, request, type Json } from '../support/server';
import { startTerminal, type TestTerminal } from '../support/terminal';

export type Staff = { username: string; password: string; displayName: string; id: string };

export type Clinic = {
  serverUrl: string;
  adminPassword: string;
  browser: Browser;
  terminals: TestTerminal[];
  /** Stops the server (the terminals keep running and go offline). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port with the same data dir. */
  startServer(): Promise<void>;
  addStaff(role: 'receptionist' | 'doctor' | 'assistant' | 'admin', displayName: string): Promise<Staff>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** A new browser window on a new terminal (own data dir and port). */
  openTerminalWindow(): Promise<Page>;
  /** A second window on the same terminal as `page` (shares its session and cache). */
  openSecondWindow(page: Page): Promise<Page>;
  close(): Promise<void>;
};

export async function startClinic(): Promise<Clinic> {
  const dataDir = await mkdtemp(join(tmpdir(), 'clinic-e2e-server-'));
  const adminPassword = 'admin-e2e-password';
  const options = { host: '127.0.0.1', dataDir, adminPassword, logLevel: 'silent' };
  let server: ClinicServer | null = await startClinicServer({ ...options, port: 0 });
  const port = server.port;
  const serverUrl = server.url;
  const admin = await login(serverUrl, 'admin', adminPassword);
  const browser = await launchBrowser();
  const terminals: TestTerminal[] = [];
  let counter = 0;

  const clinic: Clinic = {
    serverUrl,
    adminPassword,
    browser,
    terminals,
    async stopServer() {
      await server?.close();
      server = null;
    },
    async startServer() {
      server = await startClinicServer({ ...options, port });
    },
    async addStaff(role, displayName) {
      counter += 1;
      const username = `${role}${counter}`;
      const password = `pw-${role}-${counter}-secret`;
      const res = await request(serverUrl, 'POST', '/api/users', { token: admin.accessToken, body: { username, displayName, role, password } });
      if (res.status !== 201) throw new Error(`creating ${username}: ${res.status} ${res.text}`);
      return { username, password, displayName, id: res.body.id };
    },
    async api(method, path, body) {
      const res = await request(serverUrl, method, path, { token: admin.accessToken, body });
      return { status: res.status, body: res.body };
    },
    async openTerminalWindow() {
      const terminalPort = await freePort();
      const terminal = await startTerminal({ serverUrl, mode: 'child', port: terminalPort, name: `Desk ${terminals.length + 1}` });
      terminals.push(terminal);
      const { page } = await openWindow(browser, terminal.url!);
      return page;
    },
    async openSecondWindow(page) {
      // The same terminal's address, launch token and all (a new window has no sessionStorage of its own).
      const origin = new URL(page.url()).origin + '/';
      const terminal = terminals.find((t) => t.url!.startsWith(origin));
      const { page: second } = await openWindow(browser, terminal!.url!);
      return second;
    },
    async close() {
      await browser.close().catch(() => {});
      for (const t of terminals) await t.close().catch(() => {});
      await server?.close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return clinic;
}

/** Polls until `check` holds; the error names what never happened. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const syncStatus = (page: Page) => page.getByRole('status', { name: 'Sync status' });

export async function statusText(page: Page): Promise<string> {
  return (await syncStatus(page).textContent()) ?? '';
}

export function pendingCount(text: string): number {
  const m = /(\d+) pending/i.exec(text);
  return m ? Number(m[1]) : 0;
}

export async function signIn(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation').waitFor();
  await until(async () => /online/i.test(await statusText(page)), 'the window to go online');
}

/**
 * Opens the New appointment form (on the Appointments screen) and fills in what is given, in the
 * form's order; saving, or not, is the test's.
 */
export async function fillNewAppointment(
  page: Page,
  booking: { patient: string; provider: string; start?: string; end?: string; room?: string; reason?: string },
): Promise<void> {
  await page.getByRole('button', { name: 'New appointment' }).click();
  await page.getByLabel('Patient').fill(booking.patient);
  await page.getByLabel('Provider').selectOption({ label: booking.provider });
  if (booking.start !== undefined) await page.getByLabel('Start').fill(booking.start);
  if (booking.end !== undefined) await page.getByLabel('End').fill(booking.end);
  if (booking.room !== undefined) await page.getByLabel('Room').fill(booking.room);
  if (booking.reason !== undefined) await page.getByLabel('Reason').fill(booking.reason);
}

export async function go(page: Page, screen: 'Patients' | 'Appointments' | 'Billing' | 'Inventory' | 'Referrals' | 'Treatment records' | 'Admin') {
  await page.getByRole('navigation').getByRole('link', { name: screen, exact: true }).click();
}

/** The visible text of the page, for "never shows" checks. */
export async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => document.body.innerText);
}

/** A local wall-clock time today as a datetime-local value. */
export function todayAt(hours: number, minutes = 0): string {
  const d = new Date();
  d.setHours(hours, minutes, 0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hours)}:${pad(minutes)}`;
}

export async function itemRowText(page: Page, name: string): Promise<string> {
  return (await page.getByRole('row', { name: new RegExp(`^${name}`) }).textContent()) ?? '';
}

export async function editPatientPhone(page: Page, patientName: string, phone: string): Promise<void> {
  await go(page, 'Patients');
  await page.getByLabel('Search patients').fill(patientName);
  await page.getByText(patientName).click();
  await page.getByLabel('Phone').fill(phone);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Up to date').waitFor();
}

/** The phone shown in the patient page's details form. */
export async function shownPhone(page: Page): Promise<string> {
  return page.getByLabel('Phone').inputValue({ timeout: 1000 });
}

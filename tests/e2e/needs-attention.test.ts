/**
 * A front desk can trust it on day one: two desks (headless terminals, own data dirs) book the
 * same doctor at once, and the loser's booking does not vanish but waits under "Needs attention",
 * in words, until it is rebooked at the next free slot; a booking made offline that clashes meanwhile
 * does the same; an overpayment is stopped in the form; with the clinic locale de-DE every date
 * and amount follows it and the register sorts accents as the language does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { clinicSettingsId } from '../../shared/domain/clinicSettings';
import { screenshot } from '../support/browser';
import { fillNewAppointment, go, pageText, signIn, startClinic, statusText, until, type Clinic, type Staff } from './frontDesk';

const pad = (n: number) => String(n).padStart(2, '0');
/** A local wall-clock time `days` from today, as "YYYY-MM-DDTHH:MM" (the Start field takes ISO too). */
function dayAt(days: number, hours: number, minutes = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hours)}:${pad(minutes)}`;
}
const instant = (local: string) => new Date(local).toISOString();
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

type Json = Record<string, unknown>;

describe('needs attention, forms and the clinic locale, two desks', { timeout: 300_000 }, () => {
  let clinic: Clinic;
  let deskA: Staff;
  let deskB: Staff;
  let baker: Staff;
  let A: Page;
  let B: Page;
  const leanne = { firstName: 'Leanne', lastName: 'Deckow' };
  const tom = { firstName: 'Tom', lastName: 'Other' };
  let leanneId = '';
  let tomId = '';

  async function newBooking(page: Page, patient: string, start: string, end: string) {
    await go(page, 'Appointments');
    await fillNewAppointment(page, { patient, provider: baker.displayName, start, end, reason: 'Check-up' });
  }

  async function appointmentsOf(patientId: string): Promise<Json[]> {
    const all = (await clinic.api('GET', '/api/appointments')).body as unknown as Json[];
    return all.filter((a) => a.patientId === patientId);
  }

  /** Clicks the open dialog's Save button at the wall-clock time `at`. */
  async function pressSaveAt(page: Page, at: number) {
    const save = page.getByRole('dialog').getByRole('button', { name: 'Save' });
    await save.waitFor();
    await save.evaluate((button, when) => {
      setTimeout(() => (button as HTMLButtonElement).click(), Math.max(0, when - Date.now()));
    }, at);
  }

  const attentionList = (page: Page) => page.getByRole('region', { name: 'Needs attention' });

  before(async () => {
    clinic = await startClinic();
    deskA = await clinic.addStaff('receptionist', 'Anna Desk');
    deskB = await clinic.addStaff('receptionist', 'Ben Desk');
    baker = await clinic.addStaff('doctor', 'Dr. Baker');
    leanneId = String((await clinic.api('POST', '/api/patients', { ...leanne, dateOfBirth: '1969-04-11', phone: '+49 30 5550101' })).body.id);
    tomId = String((await clinic.api('POST', '/api/patients', { ...tom, dateOfBirth: '1980-01-02' })).body.id);
    A = await clinic.openTerminalWindow();
    B = await clinic.openTerminalWindow();
    await signIn(A, deskA);
    await signIn(B, deskB);
    for (const page of [A, B]) {
      const started = performance.now();
      await until(async () => (await pageText(page)).includes('2 patients'), 'the first download to bring both patients', 60_000);
      console.log(`# first download on a desk: ${(performance.now() - started).toFixed(0)} ms after sign-in`);
    }
  });

  after(async () => {
    await clinic?.close();
  });

  test('a double booking made on two desks at once: the loser keeps it under Needs attention, in words, and rebooks the next free slot', async () => {
    await newBooking(A, 'Deckow, Leanne', dayAt(1, 7, 0), dayAt(1, 7, 20));
    await newBooking(B, 'Other, Tom', dayAt(1, 7, 0), dayAt(1, 7, 20));
    // "At once": both windows press Save at the same instant (one clock, one browser), before
    // either desk could hear of the other's booking.
    const at = Date.now() + 300;
    await Promise.all([A, B].map((page) => pressSaveAt(page, at)));

    let loser: Page | null = null;
    await until(async () => {
      for (const page of [A, B]) if ((await attentionList(page).count()) > 0) loser = page;
      return loser !== null;
    }, 'one desk to list the refused booking under Needs attention');
    const lost = loser as unknown as Page;
    const winner = lost === A ? B : A;
    const lostPatient = lost === A ? leanne : tom;
    const lostId = lost === A ? leanneId : tomId;
    const heldBy = lost === A ? tom : leanne;
    const entry = attentionList(lost).getByRole('listitem');
    const text = (await entry.textContent()) ?? '';
    assert.match(text, new RegExp(`${lostPatient.firstName} ${lostPatient.lastName}`), 'names the patient of the refused booking');
    assert.match(text, /Dr\. Baker already has/, 'names the provider');
    assert.match(text, new RegExp(`${heldBy.firstName} ${heldBy.lastName} 07:00.07:20`), 'names who holds the slot, and when');
    assert.doesNotMatch(text, uuid, 'no raw id');
    assert.match(await statusText(lost), /Needs attention: 1/, 'the count shows in the status bar');
    assert.equal(await attentionList(winner).count(), 0, 'the winner has nothing to do');
    const alert = lost.getByRole('alert').filter({ hasText: 'Not saved' });
    assert.match((await alert.first().textContent()) ?? '', /Dr\. Baker already has/, 'the error toast says it in words');
    assert.doesNotMatch(await pageText(lost), uuid, 'no id anywhere on the page');
    await screenshot(lost, '30-needs-attention');

    // It survives a reload of the window (main keeps it in the cache).
    await lost.reload();
    await attentionList(lost).waitFor();

    await attentionList(lost).getByRole('button', { name: 'Rebook at the next free slot' }).click();
    await until(async () => (await attentionList(lost).count()) === 0, 'the entry to go once rebooked');
    assert.doesNotMatch(await statusText(lost), /Needs attention/);
    await until(async () => (await appointmentsOf(lostId)).length === 1, 'the rebooked visit to reach the server');
    const [rebooked] = await appointmentsOf(lostId);
    assert.equal(rebooked!.start, instant(dayAt(1, 7, 20)), 'the next free slot: right after the one that was taken');
    assert.equal(rebooked!.end, instant(dayAt(1, 7, 40)), 'the same length');
    assert.equal(rebooked!.reason, 'Check-up', 'the same details');
    assert.equal(rebooked!.providerId, baker.id);
  });

  test('a booking made offline that clashes with one made online meanwhile waits under Needs attention too', async () => {
    await clinic.stopServer();
    await until(async () => /offline/i.test(await statusText(A)), 'A to show Offline');
    await newBooking(A, 'Deckow, Leanne', dayAt(2, 9, 0), dayAt(2, 9, 30));
    await A.getByRole('button', { name: 'Save' }).click();
    await until(async () => /1 pending/.test(await statusText(A)), 'the offline booking to wait in the outbox');
    // Let A's reconnect attempts back off, so the online booking reaches the restarted server first.
    await new Promise((r) => setTimeout(r, 4000));
    await clinic.startServer();
    const online = await clinic.api('POST', '/api/appointments', { patientId: tomId, providerId: baker.id, start: instant(dayAt(2, 9, 15)), end: instant(dayAt(2, 9, 45)) });
    assert.equal(online.status, 201, 'the online booking is made first');
    await attentionList(A).waitFor({ timeout: 60_000 });
    const text = (await attentionList(A).getByRole('listitem').textContent()) ?? '';
    assert.match(text, /Leanne Deckow/);
    assert.match(text, /Dr\. Baker already has Tom Other 09:15.09:45/);
    assert.doesNotMatch(text, uuid);
    await attentionList(A).getByRole('button', { name: 'Rebook at the next free slot' }).click();
    await until(async () => (await attentionList(A).count()) === 0, 'the entry to go once rebooked');
    await until(
      async () => (await appointmentsOf(leanneId)).some((a) => a.start === instant(dayAt(2, 9, 45))),
      'the offline booking rebooked right after the clashing one',
    );
  });

  test('an overpayment is stopped in the form, which shows the open balance', async () => {
    const invoice = await clinic.api('POST', '/api/invoices', { patientId: leanneId, status: 'issued', lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: 8000 }] });
    assert.equal(invoice.status, 201, 'an issued invoice of 80.00');
    await go(A, 'Billing');
    await A.getByRole('link', { name: 'Deckow, Leanne' }).first().click();
    await A.getByRole('button', { name: 'Take payment' }).click();
    const dialog = A.getByRole('dialog');
    assert.match((await dialog.textContent()) ?? '', /Open balance: €80\.00/);
    await A.getByLabel('Amount').fill('500.00');
    await A.getByRole('button', { name: 'Save' }).click();
    const message = dialog.getByRole('alert');
    await message.waitFor();
    assert.match((await message.textContent()) ?? '', /^Amount is more than the open balance \(€80\.00\)/);
    assert.equal(await A.getByLabel('Amount').inputValue(), '500.00', 'what was typed is kept');
    await screenshot(A, '31-overpayment-refused');
    await A.getByLabel('Amount').fill('80.00');
    await A.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => {
      const payments = (await clinic.api('GET', '/api/payments')).body as unknown as Json[];
      return payments.length === 1 && payments[0]!.amountCents === 8000;
    }, 'only the 80.00 payment to be recorded');
  });

  test('with the clinic locale de-DE the UI shows 11.04.1969 and 1.234,50 €; the register sorts Étienne, Evans, Müller, Özdemir, Zimmer', async () => {
    for (const lastName of ['Zimmer', 'Özdemir', 'Müller', 'Evans', 'Étienne']) {
      assert.equal((await clinic.api('POST', '/api/patients', { firstName: 'Ida', lastName, dateOfBirth: '1969-04-11' })).status, 201);
    }
    const invoice = await clinic.api('POST', '/api/invoices', { patientId: tomId, status: 'issued', lines: [{ description: 'Surgery', quantity: 1, unitPriceCents: 123450 }] });
    assert.equal(invoice.status, 201);

    // The admin sets the locale on their own terminal; it syncs to the desks.
    const adminWindow = await clinic.openTerminalWindow();
    await signIn(adminWindow, { username: 'admin', password: clinic.adminPassword });
    await go(adminWindow, 'Admin');
    await adminWindow.getByLabel('Language').fill('de-DE');
    await adminWindow.getByLabel('Date format').selectOption('DD.MM.YYYY');
    await adminWindow.getByLabel('Currency').fill('EUR');
    await adminWindow.getByRole('button', { name: 'Apply clinic settings' }).click();
    await until(async () => (await clinic.api('GET', `/api/clinic-settings/${clinicSettingsId}`)).status === 200, 'the settings to reach the server');

    await go(A, 'Patients');
    await until(async () => (await pageText(A)).includes('11.04.1969'), 'the register to show 11.04.1969', 30_000);
    await A.getByLabel('Order of the register').selectOption('name');
    const names = await A.getByRole('link', { name: /^(Étienne|Evans|Müller|Özdemir|Zimmer), Ida/ }).allTextContents();
    assert.deepEqual(
      names.map((n) => n.split(',')[0]),
      ['Étienne', 'Evans', 'Müller', 'Özdemir', 'Zimmer'],
    );
    await A.getByLabel('Search patients').fill('ozdemir');
    await A.getByText('Özdemir, Ida').waitFor();
    await A.getByLabel('Search patients').fill('11.04.1969 deckow');
    await A.getByText('Deckow, Leanne').click();
    assert.equal(await A.getByLabel('Date of birth').inputValue(), '11.04.1969', 'the input shows the clinic format');
    assert.equal(await A.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moved to the opened patient\'s heading');
    assert.match(await pageText(A), /Born 11\.04\.1969/);
    await screenshot(A, '32-patient-de-DE');

    await go(A, 'Billing');
    await until(async () => (await pageText(A)).includes('1.234,50 €'), 'the invoice total as 1.234,50 €');
    assert.doesNotMatch(await pageText(A), /1,234\.50|1969-04-11/, 'no amount or date in another format');
    await screenshot(A, '33-billing-de-DE');
  });
});

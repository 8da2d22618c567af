/**
 * Forms refuse nonsense: each value of tests/support/nonsense.ts (the same table the server test
 * sends) is typed into its form, which must stay open, keep what was typed and show a message
 * naming the field by its label; nothing reaches the server. A stale message goes once the field
 * is fixed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { clinicSettingsId } from '../../shared/domain/clinicSettings';
import { screenshot } from '../support/browser';
import { nonsense, openingHours, type Nonsense } from '../support/nonsense';
import { fillNewAppointment, go, signIn, startClinic, until, type Clinic, type Staff } from './frontDesk';

describe('forms refuse nonsense', { timeout: 300_000 }, () => {
  let clinic: Clinic;
  let desk: Staff;
  let doctor: Staff;
  let page: Page;
  let invoiceId = '';

  before(async () => {
    clinic = await startClinic();
    desk = await clinic.addStaff('receptionist', 'Rosa Desk');
    doctor = await clinic.addStaff('doctor', 'Dr. Hours');
    const settings = await clinic.api('POST', '/api/clinic-settings', {
      id: clinicSettingsId,
      locale: 'en-GB',
      dateFormat: 'YYYY-MM-DD',
      currency: 'EUR',
      timeZone: 'UTC',
      openingHours,
      providerHours: {},
    });
    assert.equal(settings.status, 201);
    const patient = await clinic.api('POST', '/api/patients', { firstName: 'Fiona', lastName: 'Form', dateOfBirth: '1970-01-01' });
    invoiceId = String((await clinic.api('POST', '/api/invoices', { patientId: patient.body.id, status: 'issued', lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: 8000 }] })).body.id);
    await clinic.api('POST', '/api/inventory', { name: 'Syringes', quantity: 10, reorderLevel: 2, unit: 'box' });
    page = await clinic.openTerminalWindow();
    await signIn(page, desk);
    await go(page, 'Patients');
    await until(async () => (await page.getByText('Form, Fiona').count()) === 1, 'the first download');
  });

  after(async () => {
    await clinic?.close();
  });

  /** Opens the form for one case, with every other field valid. */
  async function openForm(c: Nonsense): Promise<void> {
    switch (c.form) {
      case 'patient':
        await go(page, 'Patients');
        await page.getByRole('button', { name: 'New patient' }).click();
        await page.getByLabel('First name').fill('Nora');
        await page.getByLabel('Last name').fill('Nonsense');
        return;
      case 'payment':
        await page.goto(new URL(`#/billing/${invoiceId}`, page.url()).toString());
        await page.getByRole('button', { name: 'Take payment' }).click();
        return;
      case 'stock':
        await go(page, 'Inventory');
        await page.getByRole('button', { name: 'Stock movement: Syringes' }).click();
        return;
      case 'appointment':
        await go(page, 'Appointments');
        await fillNewAppointment(page, { patient: 'Form, Fiona', provider: doctor.displayName });
        return;
    }
  }

  async function typeValue(c: Nonsense): Promise<void> {
    await page.getByLabel(c.label, { exact: true }).fill(c.typed);
    if (c.form === 'appointment' && !Number.isNaN(Date.parse(c.typed))) {
      await page.getByLabel('End', { exact: true }).fill(new Date(Date.parse(c.typed) + 30 * 60_000).toISOString().slice(0, 16).replace('T', ' '));
    }
  }

  test('each bad value is refused in its form, naming the field; the form keeps what was typed; nothing is sent', async () => {
    const before = JSON.stringify(await Promise.all(['patients', 'payments', 'inventory', 'appointments'].map(async (c) => (await clinic.api('GET', `/api/${c}`)).body)));
    for (const c of nonsense) {
      await openForm(c);
      // ISO instants are typed as the field shows them ("YYYY-MM-DD HH:MM", this clinic's format, UTC here).
      const typed = c.form === 'appointment' && !Number.isNaN(Date.parse(c.typed)) ? { ...c, typed: c.typed.slice(0, 16).replace('T', ' ') } : c;
      await typeValue(typed);
      await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
      const alert = page.getByRole('dialog').getByRole('alert');
      await alert.waitFor({ timeout: 5000 }).catch(() => {
        throw new Error(`${c.label} "${c.typed}" (${c.why}) was not refused`);
      });
      const message = (await alert.textContent()) ?? '';
      assert.ok(message.includes(c.label), `${c.why}: the message names "${c.label}": ${message}`);
      assert.equal(await page.getByLabel(c.label, { exact: true }).inputValue(), typed.typed, `${c.why}: what was typed is kept`);
      assert.equal(await page.getByRole('dialog').count(), 1, 'the form stays open');
      if (c === nonsense[0]) await screenshot(page, '34-date-of-birth-refused');
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
    }
    const after = JSON.stringify(await Promise.all(['patients', 'payments', 'inventory', 'appointments'].map(async (c) => (await clinic.api('GET', `/api/${c}`)).body)));
    assert.equal(after, before, 'nothing reached the server');
  });

  test('a stale "required" message clears when the field is filled; a fixed value saves', async () => {
    await go(page, 'Patients');
    await page.getByRole('button', { name: 'New patient' }).click();
    // Spaces get past the browser's own "required" check; the form's rule still refuses them.
    await page.getByLabel('First name').fill('   ');
    await page.getByLabel('Last name').fill('Later');
    await page.getByLabel('Date of birth').fill('2099-01-01');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('dialog').getByRole('alert');
    assert.match((await alert.textContent()) ?? '', /First name is required.*Date of birth cannot be in the future/);
    await page.getByLabel('First name').fill('Nina');
    assert.equal(await alert.count(), 0, 'the message goes once the person changes what it was about');
    await page.getByLabel('Date of birth').fill('1999-12-31');
    await page.getByLabel('Phone').fill('+44 20 7946 0958');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByText('Later, Nina').waitFor();
  });

  test('a booking outside the opening hours saves once an override is stated', async () => {
    const sunday = nonsense.find((c) => c.form === 'appointment' && c.why.includes('Sunday'))!;
    await openForm(sunday);
    await typeValue({ ...sunday, typed: sunday.typed.slice(0, 16).replace('T', ' ') });
    await page.getByLabel('Hours override').fill('Emergency call-out');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await until(async () => {
      const list = (await clinic.api('GET', '/api/appointments')).body as { hoursOverride: string }[];
      return list.length === 1 && list[0]!.hoursOverride === 'Emergency call-out';
    }, 'the overridden booking, with its reason, on the server');
  });
});

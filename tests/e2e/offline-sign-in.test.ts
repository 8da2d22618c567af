/**
 * Offline sign-in in the browser: the server is down, a receptionist who signed in on this
 * terminal before signs in anyway, books an appointment, and the booking lands on the server once
 * it is back; someone who never signed in here is told plainly why they cannot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openWindow, screenshot } from '../support/browser';
import { fillNewAppointment, go, pendingCount, signIn, startClinic, statusText, todayAt, until, type Clinic, type Staff } from './frontDesk';

describe('offline sign-in', { timeout: 180_000 }, () => {
  let clinic: Clinic;
  let reception: Staff;
  let newcomer: Staff;
  let doctor: Staff;
  let A: Page;
  const patient = 'Offlinewood, Ophelia';

  before(async () => {
    clinic = await startClinic();
    reception = await clinic.addStaff('receptionist', 'Rosa Reception');
    newcomer = await clinic.addStaff('receptionist', 'Nina Newcomer');
    doctor = await clinic.addStaff('doctor', 'Dr Otto Field');
    const seeded = await clinic.api('POST', '/api/patients', { firstName: 'Ophelia', lastName: 'Offlinewood', dateOfBirth: '1980-01-01', phone: '+1 212 555 0100' });
    assert.equal(seeded.status, 201);
    A = await clinic.openTerminalWindow();
  });

  after(async () => {
    await clinic?.close();
  });

  test('server down: a known user signs in and books; the booking lands once the server is back; an unknown user is told why not', async () => {
    // Online once on this terminal, then signed out.
    await signIn(A, reception);
    await go(A, 'Patients');
    await A.getByText(patient).waitFor();
    await A.getByRole('button', { name: 'Sign out' }).click();
    await A.getByLabel('Username').waitFor();

    await clinic.stopServer();

    // Never signed in here: a clear message, the form stays.
    await A.getByLabel('Username').fill(newcomer.username);
    await A.getByLabel('Password').fill(newcomer.password);
    await A.getByRole('button', { name: 'Sign in' }).click();
    const alert = A.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /server cannot be reached.*signed in on this terminal while it was online in the last 7 day/i);
    await screenshot(A, 'offline-01-unknown-user');

    // Signed in here before: in, offline.
    await A.getByLabel('Username').fill(reception.username);
    await A.getByLabel('Password').fill(reception.password);
    await A.getByRole('button', { name: 'Sign in' }).click();
    await A.getByRole('navigation').waitFor();
    await until(async () => /offline/i.test(await statusText(A)), 'the window to say Offline');

    await go(A, 'Appointments');
    await fillNewAppointment(A, { patient, provider: doctor.displayName, start: todayAt(14, 0), end: todayAt(14, 30), room: 'Room 4', reason: 'Booked while the server was down' });
    await A.getByRole('button', { name: 'Save' }).click();
    // The form closes once the booking is kept; then the book shows it.
    await A.getByRole('dialog', { name: 'New appointment' }).waitFor({ state: 'detached' });
    await A.getByText(patient).waitFor();
    await until(async () => pendingCount(await statusText(A)) === 1, 'A to show 1 pending');
    await screenshot(A, 'offline-02-booked');

    // Signing out now would leave the booking behind: the terminal says so, with the count.
    await A.getByRole('button', { name: 'Sign out' }).click();
    const warning = A.getByRole('dialog', { name: 'Sign out with changes not sent?' });
    await warning.waitFor();
    assert.match((await warning.textContent()) ?? '', /1 change has not reached the clinic server/);
    await warning.getByRole('button', { name: 'Stay signed in' }).first().click();
    await warning.waitFor({ state: 'detached' });

    await clinic.startServer();
    await until(async () => {
      const text = await statusText(A);
      return /online/i.test(text) && pendingCount(text) === 0;
    }, 'the booking to be sent once the server is back', 60_000);
    const appointments = await clinic.api('GET', '/api/appointments');
    const booked = (appointments.body as { reason: string; updatedBy: string; room: string }[]).find((a) => a.reason === 'Booked while the server was down');
    assert.ok(booked, 'the booking is on the server');
    assert.equal(booked.updatedBy, reception.id);
    assert.equal(booked.room, 'Room 4');
    await screenshot(A, 'offline-03-landed');
  });

  test('a window without the launch token, or with a wrong one, gets no terminal and says why', async () => {
    const origin = new URL(clinic.terminals[0]!.url!).origin;
    for (const [url, said] of [
      [`${origin}/`, /no key to the terminal.*#token=/],
      [`${origin}/#token=${'x'.repeat(43)}`, /does not accept this window's key/],
    ] as const) {
      const { page, context } = await openWindow(clinic.browser, url);
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 15_000 });
      assert.match((await alert.textContent()) ?? '', said);
      assert.equal(await page.getByLabel('Username').count(), 0, 'no sign-in form');
      await context.close();
    }
  });
});

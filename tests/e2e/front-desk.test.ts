/**
 * The front desk end to end: a real clinic server, two headless terminals (child processes with
 * their own data dirs) and two Chromium windows, a receptionist's (A) and a doctor's (B), driven
 * only by the roles and accessible names of shared/ui-contract.md. Screenshots of every screen
 * go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import {
  editPatientPhone,
  fillNewAppointment,
  go,
  itemRowText,
  pageText,
  pendingCount,
  shownPhone,
  signIn,
  startClinic,
  statusText,
  todayAt,
  until,
  type Clinic,
  type Staff,
} from './frontDesk';

describe('front desk, two terminals', { timeout: 300_000 }, () => {
  let clinic: Clinic;
  let reception: Staff;
  let doctor: Staff;
  let A: Page;
  let B: Page;
  const first = 'Jane';
  const last = `Doe${Date.now().toString(36).slice(-4)}`;
  const patient = `${last}, ${first}`;
  const conflictPatient = 'Conflict, Carla';
  const gauze = 'Sterile gauze';

  before(async () => {
    clinic = await startClinic();
    reception = await clinic.addStaff('receptionist', 'Rita Reception');
    doctor = await clinic.addStaff('doctor', 'Dr Olivia Adams');
    const item = await clinic.api('POST', '/api/inventory', { name: gauze, quantity: 4, reorderLevel: 2, unit: 'pack', location: 'Store room A' });
    assert.equal(item.status, 201, 'seeding an inventory item');
    await clinic.api('POST', '/api/inventory', { name: 'Nitrile gloves', quantity: 240, reorderLevel: 50, unit: 'box', location: 'Store room B' });
    const carla = await clinic.api('POST', '/api/patients', { firstName: 'Carla', lastName: 'Conflict', dateOfBirth: '1975-05-05', phone: '+49 30 3563688' });
    assert.equal(carla.status, 201, 'seeding a patient');
    A = await clinic.openTerminalWindow();
    B = await clinic.openTerminalWindow();
  });

  after(async () => {
    await clinic?.close();
  });

  test('a wrong password shows an alert and keeps the form; the right one signs in', async () => {
    await A.getByLabel('Username').waitFor();
    await screenshot(A, '01-sign-in');
    await A.getByLabel('Username').fill(reception.username);
    await A.getByLabel('Password').fill('not-the-password');
    await A.getByRole('button', { name: 'Sign in' }).click();
    await A.getByRole('alert').waitFor();
    assert.equal(await A.getByLabel('Username').inputValue(), reception.username, 'the form is kept');
    await A.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot(A, '02-sign-in-wrong-password');

    await signIn(A, reception);
    await signIn(B, doctor);
    assert.match(await statusText(A), /online/i);
    for (const name of ['Patients', 'Appointments', 'Billing', 'Inventory', 'Referrals']) {
      assert.equal(await A.getByRole('navigation').getByRole('link', { name, exact: true }).count(), 1, `${name} in A's navigation`);
    }
    assert.equal(await A.getByRole('link', { name: 'Treatment records' }).count(), 0, 'a receptionist has no treatment records');
    assert.equal(await B.getByRole('navigation').getByRole('link', { name: 'Treatment records' }).count(), 1, 'a doctor has treatment records');
    assert.equal(await A.getByRole('button', { name: 'Sign out' }).count(), 1);
  });

  test('a patient registered and booked in A appears in the doctor\'s window B without a reload', async () => {
    await go(B, 'Patients');
    await go(A, 'Patients');
    await A.getByRole('button', { name: 'New patient' }).click();
    await A.getByLabel('First name').fill(first);
    await A.getByLabel('Last name').fill(last);
    await A.getByLabel('Date of birth').fill('1984-03-12');
    await A.getByLabel('Phone').fill('+49 30 1234567');
    await screenshot(A, '03-new-patient-form');
    const registered = performance.now();
    await A.getByLabel('Phone').press('Enter'); // Enter saves the form
    await B.getByText(patient).waitFor({ timeout: 15_000 });
    const patientMs = performance.now() - registered;
    await A.getByText(patient).waitFor();
    await screenshot(A, '04-patients');

    await go(B, 'Appointments');
    await go(A, 'Appointments');
    await fillNewAppointment(A, { patient, provider: doctor.displayName, start: todayAt(10, 0), end: todayAt(10, 30), room: 'Room 1', reason: 'Persistent cough' });
    await screenshot(A, '05-new-appointment-form');
    const booked = performance.now();
    await A.getByRole('button', { name: 'Save' }).click();
    await B.getByText(patient).waitFor({ timeout: 15_000 });
    const appointmentMs = performance.now() - booked;
    console.log(`# propagation A -> B: patient ${patientMs.toFixed(0)} ms, appointment ${appointmentMs.toFixed(0)} ms (click to visible, through the server)`);
    await A.getByText(patient).waitFor();

    // B's toast names the receptionist.
    await B.getByRole('status').filter({ hasText: reception.displayName }).first().waitFor({ timeout: 10_000 });
    await B.getByText(patient).click();
    await screenshot(B, '06-day-book-doctor');

    // A double booking of the same doctor is refused, with the clash shown.
    await fillNewAppointment(A, { patient: conflictPatient, provider: doctor.displayName, start: todayAt(10, 15), end: todayAt(10, 45) });
    await A.getByRole('button', { name: 'Save' }).click();
    const clash = A.getByRole('dialog').getByRole('alert');
    await clash.waitFor();
    assert.match((await clash.textContent()) ?? '', /double booking/i);
    await screenshot(A, '07-double-booking-refused');
    await A.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
    assert.equal(await A.getByText(/Conflict, Carla/).count(), 0, 'nothing was booked');
  });

  test('the doctor moves the visit through its statuses', async () => {
    await B.getByRole('button', { name: 'Mark arrived' }).click();
    await B.getByRole('button', { name: 'Start visit' }).click();
    await until(async () => (await B.getByRole('button', { name: 'Complete visit' }).count()) === 1, 'the in-progress actions');
    assert.equal(await B.getByRole('button', { name: 'Cancel appointment' }).count(), 0, 'a visit in progress cannot be cancelled');
    await until(async () => (await A.getByText('In treatment').count()) > 0, 'A to see the visit in progress');
  });

  test('the doctor writes a treatment record; the receptionist never sees clinical fields', async () => {
    await go(B, 'Treatment records');
    await B.getByRole('button', { name: 'New treatment record' }).click();
    await B.getByLabel('Patient').fill(patient);
    await B.getByLabel('Diagnosis').fill('Acute bronchitis');
    await B.getByLabel('Procedures').fill('Auscultation; chest X-ray ordered');
    await B.getByLabel('Prescriptions').fill('Ambroxol 30 mg three times daily');
    await B.getByRole('button', { name: 'Save' }).click();
    await B.getByRole('dialog').waitFor({ state: 'detached' });
    await B.getByRole('link', { name: patient }).click();
    await B.getByRole('heading', { name: 'Diagnosis' }).waitFor();
    await screenshot(B, '08-treatment-record');

    // A non-clinical edit by the doctor reaches A, so A has synced past the treatment record.
    await editPatientPhone(B, patient, '+49 30 7654321');
    await screenshot(B, '09-patient-page-doctor');
    // The shortcut finds the patient search from any screen.
    await go(A, 'Inventory');
    await A.keyboard.press('/');
    await until(async () => (await A.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === 'Search patients', 'the search box to take the focus');
    await A.keyboard.type(last);
    await A.getByText(patient).click();
    await until(async () => (await shownPhone(A)) === '+49 30 7654321', 'the doctor\'s phone edit in A');
    await A.getByRole('status').filter({ hasText: doctor.displayName }).first().waitFor({ timeout: 10_000 });
    const text = await pageText(A);
    for (const clinical of ['Acute bronchitis', 'Ambroxol', 'Diagnosis', 'Prescriptions', 'Medical history', 'Treatment history']) {
      assert.ok(!text.includes(clinical), `the receptionist's window shows "${clinical}"`);
    }
    assert.equal(await A.getByRole('link', { name: 'Treatment records' }).count(), 0);
    await screenshot(A, '10-patient-page-reception');
  });

  test('stock taken in B shows in A; reaching the reorder level shows Low stock in both', async () => {
    await go(A, 'Inventory');
    await go(B, 'Inventory');
    assert.match(await itemRowText(A, gauze), /4\s*pack/);
    assert.equal(await A.getByText('Low stock', { exact: true }).count(), 0);
    await B.getByRole('button', { name: `Decrease ${gauze}` }).click();
    await until(async () => /3\s*pack/.test(await itemRowText(A, gauze)), 'A to show 3 packs');
    await B.getByRole('button', { name: `Decrease ${gauze}` }).click();
    await until(async () => /2\s*pack/.test(await itemRowText(A, gauze)), 'A to show 2 packs');
    await A.getByText('Low stock', { exact: true }).waitFor();
    await B.getByText('Low stock', { exact: true }).waitFor();
    assert.match(await itemRowText(A, gauze), /Low stock/);
    assert.doesNotMatch(await itemRowText(A, 'Nitrile gloves'), /Low stock/);
    await A.getByRole('button', { name: `Increase ${gauze}` }).click();
    await until(async () => /3\s*pack/.test(await itemRowText(B, gauze)), 'B to show 3 packs again');
    await until(async () => (await B.getByText('Low stock', { exact: true }).count()) === 0, 'Low stock to clear in B');
    await B.getByRole('button', { name: `Decrease ${gauze}` }).click();
    await A.getByText('Low stock', { exact: true }).waitFor();
    await screenshot(A, '11-inventory-low-stock');
  });

  test('with the server stopped both windows say Offline, A keeps working; back online the queue drains and B sees it', async () => {
    await clinic.stopServer();
    await until(async () => /offline/i.test(await statusText(A)), 'A to show Offline');
    await until(async () => /offline/i.test(await statusText(B)), 'B to show Offline');
    // A second window of A's terminal: same session, and A's edits reach it with no server at all.
    const A2 = await clinic.openSecondWindow(A);
    await A2.getByRole('navigation').waitFor();
    await go(A2, 'Inventory');
    assert.match(await itemRowText(A2, gauze), /2\s*pack/);
    await A.getByRole('button', { name: `Increase ${gauze}` }).click();
    await A.getByRole('button', { name: `Increase ${gauze}` }).click();
    await until(async () => /4\s*pack/.test(await itemRowText(A, gauze)), 'A\'s own edit to show at once while offline');
    await until(async () => /4\s*pack/.test(await itemRowText(A2, gauze)), 'the second window of A\'s terminal to follow while offline');
    await A2.context().close();
    await go(A, 'Patients');
    await A.getByRole('button', { name: 'New patient' }).click();
    await A.getByLabel('First name').fill('Omar');
    await A.getByLabel('Last name').fill('Offline');
    await A.getByLabel('Date of birth').fill('1990-09-09');
    await A.getByRole('button', { name: 'Save' }).click();
    await A.getByText('Offline, Omar').waitFor();
    await until(async () => pendingCount(await statusText(A)) === 3, 'A to show 3 pending');
    assert.match(await statusText(A), /3 pending/);
    await screenshot(A, '12-offline-pending');

    const restarted = performance.now();
    await clinic.startServer();
    const drainMs = await until(async () => {
      const text = await statusText(A);
      return /online/i.test(text) && pendingCount(text) === 0;
    }, 'A\'s pending count to drain to 0', 60_000);
    assert.doesNotMatch(await statusText(A), /pending/, 'nothing waits, so no pending count is shown');
    await go(B, 'Patients');
    await B.getByText('Offline, Omar').waitFor({ timeout: 30_000 });
    await go(B, 'Inventory');
    await until(async () => /4\s*pack/.test(await itemRowText(B, gauze)), 'B to show A\'s offline stock count');
    console.log(`# after the restart: A's queue drained in ${drainMs.toFixed(0)} ms, B showed A's edits ${(performance.now() - restarted).toFixed(0)} ms after the restart`);
    assert.match(await statusText(B), /online/i);
    await screenshot(A, '13-back-online');
  });

  /** Both windows change Carla's phone while the server is down; the second to reach it gets the dialog. */
  async function conflictingEdits(choice: 'Keep mine' | 'Keep theirs', phones: { A: string; B: string }) {
    await clinic.stopServer();
    await until(async () => /offline/i.test(await statusText(A)) && /offline/i.test(await statusText(B)), 'both windows offline');
    await editPatientPhone(A, conflictPatient, phones.A);
    await editPatientPhone(B, conflictPatient, phones.B);
    await clinic.startServer();
    let loser: Page | null = null;
    await until(async () => {
      for (const page of [A, B]) if ((await page.getByRole('dialog', { name: 'Conflict' }).count()) === 1) loser = page;
      return loser !== null;
    }, 'a Conflict dialog in one of the windows', 60_000);
    const page = loser as unknown as Page;
    const mine = page === A ? phones.A : phones.B;
    const theirs = page === A ? phones.B : phones.A;
    const dialog = page.getByRole('dialog', { name: 'Conflict' });
    const text = (await dialog.textContent()) ?? '';
    assert.ok(text.includes(mine) && text.includes(theirs), `the dialog shows both values: ${text}`);
    if (choice === 'Keep mine') await screenshot(page, '14-conflict-dialog');
    await dialog.getByRole('button', { name: choice }).click();
    await dialog.waitFor({ state: 'detached' });
    const kept = choice === 'Keep mine' ? mine : theirs;
    for (const p of [A, B]) await until(async () => (await shownPhone(p)) === kept, `both windows to show ${kept}`, 30_000);
    for (const p of [A, B]) await until(async () => pendingCount(await statusText(p)) === 0, 'queues to drain', 30_000);
  }

  test('conflicting edits of one field open the Conflict dialog; Keep mine wins', async () => {
    await conflictingEdits('Keep mine', { A: '+49 111 0001', B: '+49 222 0002' });
  });

  test('conflicting edits of one field open the Conflict dialog; Keep theirs wins', async () => {
    await conflictingEdits('Keep theirs', { A: '+49 333 0003', B: '+49 444 0004' });
  });

  test('an edit begun before a colleague saved the same field becomes a conflict, online too', async () => {
    for (const page of [A, B]) {
      await go(page, 'Patients');
      await page.getByLabel('Search patients').fill('Conflict');
      await page.getByText(conflictPatient).click();
    }
    await A.getByLabel('Phone').fill('+49 555 0005'); // A is typing, not saved yet
    await B.getByLabel('Phone').fill('+49 666 0006');
    await B.getByRole('button', { name: 'Save' }).click();
    await A.getByText('This patient was just changed on another terminal', { exact: false }).waitFor();
    assert.equal(await shownPhone(A), '+49 555 0005', 'a colleague\'s save does not wipe what A is typing');
    await A.getByRole('button', { name: 'Save' }).click();
    const dialog = A.getByRole('dialog', { name: 'Conflict' });
    await dialog.waitFor({ timeout: 15_000 });
    assert.equal(await B.getByRole('dialog', { name: 'Conflict' }).count(), 0, 'the desk that saved first has nothing to resolve');
    await dialog.getByRole('button', { name: 'Keep mine' }).click();
    for (const p of [A, B]) await until(async () => (await shownPhone(p)) === '+49 555 0005', 'both windows to show A\'s phone', 30_000);
  });

  test('billing, referrals and admin screens work for their roles', async () => {
    await go(A, 'Billing');
    await A.getByRole('button', { name: 'New invoice' }).click();
    await A.getByLabel('Patient').fill(patient);
    await A.getByLabel('Line 1 description').fill('Consultation');
    await A.getByLabel('Line 1 unit price').fill('65.00');
    await A.getByRole('button', { name: 'Save' }).click();
    await A.getByRole('button', { name: 'Issue invoice' }).click();
    await A.getByRole('button', { name: 'Take payment' }).click();
    await A.getByLabel('Amount').fill('40.00');
    await A.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await pageText(A)).includes('25.00'), 'a balance due of 25.00');
    await screenshot(A, '15-billing');

    await go(A, 'Referrals');
    await A.getByRole('button', { name: 'New referral' }).click();
    await A.getByLabel('Patient').fill(patient);
    await A.getByLabel('Specialist or clinic').fill('City Pulmonology');
    await A.getByLabel('Specialty').fill('Pulmonology');
    await A.getByRole('button', { name: 'Save' }).click();
    await A.getByRole('button', { name: 'Mark sent' }).click();
    await go(B, 'Referrals');
    await B.getByText('City Pulmonology').waitFor();
    await until(async () => (await B.getByRole('button', { name: 'Mark accepted' }).count()) === 1, 'B to see the referral as sent');
    await screenshot(A, '16-referrals');

    await A.getByRole('button', { name: 'Sign out' }).click();
    await A.getByLabel('Username').waitFor();
    await signIn(A, { username: 'admin', password: clinic.adminPassword });
    assert.equal(await A.getByRole('navigation').getByRole('link', { name: 'Admin' }).count(), 1);
    await go(A, 'Admin');
    await A.getByRole('button', { name: 'New user' }).click();
    await A.getByLabel('Username').fill('assistant9');
    await A.getByLabel('Display name').fill('Sam Assistant');
    await A.getByLabel('Role').selectOption('assistant');
    await A.getByLabel('Initial password').fill('assistant-password');
    await A.getByRole('button', { name: 'Save' }).click();
    await A.getByRole('dialog').waitFor({ state: 'detached' });
    await A.getByRole('cell', { name: 'Sam Assistant', exact: true }).waitFor({ timeout: 15_000 });
    // The audit log lists the writes of this run, newest first.
    await until(async () => (await A.getByRole('cell', { name: reception.username, exact: true }).count()) > 0, 'the receptionist\'s writes in the audit log');
    // A terminal without the desktop shell says plainly that it does not update itself.
    await A.getByLabel('Software updates').getByText('Not available').waitFor();
    await screenshot(A, '17-admin');
  });

  test('a booking for a later day shows in the other desk\'s Coming up list, which opens that day', async () => {
    await go(B, 'Patients');
    await go(B, 'Appointments');
    await go(A, 'Appointments');
    await fillNewAppointment(A, { patient, provider: doctor.displayName });
    const tomorrow = (hours: number) => {
      const d = new Date();
      d.setDate(d.getDate() + 1);
      d.setHours(hours, 0, 0, 0);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hours)}:00`;
    };
    await A.getByLabel('Start').fill(tomorrow(11));
    await A.getByLabel('End').fill(tomorrow(12));
    await A.getByRole('button', { name: 'Save' }).click();
    const comingUp = B.getByRole('list', { name: 'Coming up' });
    await comingUp.getByText(patient).waitFor({ timeout: 15_000 });
    // Each appointment shows once: today's visit in the day book, tomorrow's in Coming up.
    assert.equal(await comingUp.getByText(patient).count(), 1);
    assert.equal(await B.getByText(patient).count(), 2);
    await screenshot(B, '18-coming-up');
    await comingUp.getByText(patient).click();
    await B.getByRole('button', { name: 'Mark arrived' }).waitFor();
    // The day comes from the address (a hash change, a moment after the click), the selection at once.
    const tomorrowsWeekday = new Date(Date.now() + 86_400_000).toLocaleDateString('en-GB', { weekday: 'long' });
    await B.locator('h1 ~ .toolbar', { hasText: new RegExp(tomorrowsWeekday) }).waitFor({ timeout: 5_000 });
  });
});

/**
 * The server refuses what the forms refuse (tests/support/nonsense.ts): 400 {"error","details"}
 * naming the field, and nothing written; by REST and by sync push alike. Hours need a stated
 * override; a provider's own working hours count too.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { clinicSettingsId } from '../../shared/domain/clinicSettings';
import { createIssuedInvoice, createItem, createPatient, mustCreate, writtenState } from '../support/clinic-fixtures';
import { nonsense, openingHours, sundayAt } from '../support/nonsense';
import { serverPerSuite } from '../support/server';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const { api, staff } = serverPerSuite({ store });
  let patientId: string;
  let invoiceId: string;
  let itemId: string;
  let doctorId: string;

  before(async () => {
    doctorId = (await staff('doctor', 'dr.hours')).id;
    patientId = String((await createPatient(api)).id);
    invoiceId = String((await createIssuedInvoice(api, patientId, [{ description: 'Consultation', quantity: 1, unitPriceCents: 8000 }])).id);
    itemId = String((await createItem(api, { quantity: 10 })).id);
    await mustCreate(api, 'clinic-settings', { id: clinicSettingsId, locale: 'de-DE', dateFormat: 'DD.MM.YYYY', currency: 'EUR', timeZone: 'UTC', openingHours, providerHours: {} });
  });

  function request(c: (typeof nonsense)[number]): { path: string; body: Record<string, unknown> } {
    switch (c.form) {
      case 'patient':
        return { path: '/api/patients', body: { firstName: 'Nora', lastName: 'Nonsense', [c.field]: c.value } };
      case 'payment':
        return { path: '/api/payments', body: { invoiceId, method: 'cash', receivedAt: new Date().toISOString(), amountCents: c.value } };
      case 'stock':
        return { path: `/api/inventory/${itemId}/adjust`, body: { delta: c.value, reason: 'Received' } };
      case 'appointment': {
        const start = String(c.value);
        const end = Number.isNaN(Date.parse(start)) ? start : new Date(Date.parse(start) + 30 * 60_000).toISOString();
        return { path: '/api/appointments', body: { patientId, providerId: doctorId, start, end } };
      }
    }
  }

  test('every value the forms refuse is a 400 naming its field, and nothing is written', async () => {
    const before = await writtenState(api);
    for (const c of nonsense) {
      const { path, body } = request(c);
      const res = await api.post(path, body);
      assert.equal(res.status, 400, `${c.label}: ${c.why} -> ${res.status} ${res.text}`);
      assert.equal(typeof res.body.error, 'string');
      const paths = (res.body.details as { path: string }[]).map((d) => d.path);
      assert.ok(paths.some((p) => p === c.field || p.startsWith(`${c.field}`)), `${c.why}: details name ${c.field} (got ${paths.join(', ')})`);
    }
    assert.deepEqual(await writtenState(api), before, 'nothing of a refused request was written');
  });

  test('sync push refuses the same values, with the fields in the result', async () => {
    const res = await api.post('/api/sync/push', {
      clientId: 'plausibility-test',
      mutations: [
        { mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: { firstName: 'Nora', lastName: 'Later', dateOfBirth: '2099-01-01' } },
        { mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: { firstName: 'Nora', lastName: 'Later', phone: 'call me maybe!!! ☎☎☎' } },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.results.map((r: { status: string }) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(res.body.results.map((r: { details: { path: string }[] }) => r.details[0]!.path), ['dateOfBirth', 'phone']);
  });

  test('outside the hours a booking needs a stated override; a provider\'s own working hours count too', async () => {
    const start = sundayAt(3, 2);
    const end = new Date(Date.parse(start) + 30 * 60_000).toISOString();
    const outside = await api.post('/api/appointments', { patientId, providerId: doctorId, start, end });
    assert.equal(outside.status, 400);
    assert.match(outside.body.details[0].message, /^Start is outside the hours the clinic is open \(closed on Sundays\)/);
    const overridden = await api.post('/api/appointments', { patientId, providerId: doctorId, start, end, hoursOverride: 'Emergency call-out' });
    assert.equal(overridden.status, 201, 'a stated override books it');

    // Monday 10:00 is within the clinic's hours, but this doctor works Monday afternoons only.
    const monday = new Date(Date.parse(sundayAt(10, 3)) + 86_400_000).toISOString();
    const mondayEnd = new Date(Date.parse(monday) + 30 * 60_000).toISOString();
    const settings = (await api.get(`/api/clinic-settings/${clinicSettingsId}`)).body;
    const afternoons = [null, { open: '13:00', close: '18:00' }, null, null, null, null, null];
    assert.equal((await api.patch(`/api/clinic-settings/${clinicSettingsId}`, { providerHours: { [doctorId]: afternoons } }, settings.version)).status, 200);
    const morning = await api.post('/api/appointments', { patientId, providerId: doctorId, start: monday, end: mondayEnd });
    assert.equal(morning.status, 400);
    assert.match(morning.body.details[0].message, /dr\.hours|works/);
    const afternoon = new Date(Date.parse(monday) + 4 * 3_600_000).toISOString();
    const afternoonEnd = new Date(Date.parse(afternoon) + 30 * 60_000).toISOString();
    assert.equal((await api.post('/api/appointments', { patientId, providerId: doctorId, start: afternoon, end: afternoonEnd })).status, 201);
  });

  test('clinic settings: one row with a fixed id, written by admins only, values checked', async () => {
    assert.equal((await api.post('/api/clinic-settings', { id: randomUUID(), locale: 'de-DE', dateFormat: 'DD.MM.YYYY', currency: 'EUR', timeZone: 'UTC', openingHours: null, providerHours: {} })).status, 400);
    const settings = (await api.get(`/api/clinic-settings/${clinicSettingsId}`)).body;
    for (const [field, value] of [['locale', 'not a tag!'], ['currency', 'EURO'], ['timeZone', 'Mars/Olympus'], ['dateFormat', 'DD-MM-YY']] as const) {
      const res = await api.patch(`/api/clinic-settings/${clinicSettingsId}`, { [field]: value }, settings.version);
      assert.equal(res.status, 400, `${field}: ${value}`);
      assert.equal(res.body.details[0].path, field);
    }
    const desk = (await staff('receptionist', 'desk.settings')).api;
    assert.equal((await desk.get(`/api/clinic-settings/${clinicSettingsId}`)).status, 200, 'everyone reads them');
    assert.equal((await desk.patch(`/api/clinic-settings/${clinicSettingsId}`, { currency: 'CHF' }, settings.version)).status, 403, 'only admins write them');
  });
});

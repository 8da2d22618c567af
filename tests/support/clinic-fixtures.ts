/** Valid bodies for each collection, for tests that need rows to exist. */
import { setUpPerSuite, type ApiClient, type Json, type SuiteServer } from './server';

export function patientBody(over: Record<string, unknown> = {}) {
  return { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1985-12-10', sex: 'female', phone: '+49 30 1234', medicalHistory: 'asthma', ...over };
}

let hour = 0;
/** A fresh, non-overlapping hour slot each call (unless start/end are given). */
export function nextSlot(): { start: string; end: string } {
  hour += 1;
  const start = new Date(Date.UTC(2026, 11, 1, 0, 0) + hour * 3_600_000);
  return { start: start.toISOString(), end: new Date(start.getTime() + 30 * 60_000).toISOString() };
}

export async function mustCreate(api: ApiClient, collection: string, body: unknown): Promise<Json> {
  const res = await api.post(`/api/${collection}`, body);
  if (res.status !== 201) throw new Error(`create ${collection} failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createPatient(api: ApiClient, over: Record<string, unknown> = {}): Promise<Json> {
  return mustCreate(api, 'patients', patientBody(over));
}

export async function createAppointment(api: ApiClient, patientId: string, providerId: string, over: Record<string, unknown> = {}): Promise<Json> {
  return mustCreate(api, 'appointments', { patientId, providerId, room: '', reason: 'Check-up', ...nextSlot(), ...over });
}

export async function createIssuedInvoice(api: ApiClient, patientId: string, lines = [{ description: 'Consultation', quantity: 2, unitPriceCents: 5000 }]): Promise<Json> {
  return mustCreate(api, 'invoices', { patientId, status: 'issued', lines });
}

export async function createItem(api: ApiClient, over: Record<string, unknown> = {}): Promise<Json> {
  return mustCreate(api, 'inventory', { name: 'Gauze pads', sku: 'G-1', unit: 'pack', quantity: 10, reorderLevel: 3, location: 'A', ...over });
}

/**
 * Who the booking rules' suites book for, made once per suite: the front desk, two doctors (the
 * first also signed in, as `doctor`) and one patient.
 */
export function bookingCastPerSuite({ api, staff }: SuiteServer): { reception: ApiClient; doctor: ApiClient; drA: string; drB: string; patientId: string } {
  return setUpPerSuite(async () => {
    const reception = (await staff('receptionist')).api;
    const { api: doctor, id: drA } = await staff('doctor');
    const drB = (await staff('doctor')).id;
    const patientId = String((await createPatient(api)).id);
    return { reception, doctor, drA, drB, patientId };
  });
}

/** Everything that counts as "written": live rows per collection and the change-log head. */
export async function writtenState(api: ApiClient): Promise<{ counts: Record<string, number>; cursor: string }> {
  const counts: Record<string, number> = {};
  for (const c of ['patients', 'appointments', 'treatment-records', 'invoices', 'payments', 'inventory', 'referrals', 'users']) {
    const res = await api.get(`/api/${c}`);
    if (res.status !== 200) throw new Error(`list ${c}: ${res.status}`);
    counts[c] = (res.body as unknown[]).length;
  }
  let cursor = '';
  for (;;) {
    const page = await api.get(`/api/sync/pull?since=${cursor}&limit=5000`);
    cursor = page.body.cursor;
    if (!page.body.hasMore) break;
  }
  return { counts, cursor };
}

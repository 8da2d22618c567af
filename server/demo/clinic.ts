/**
 * `--demo`: a deterministic demo clinic (seeded faker) in an empty store: staff, 2,000 patients,
 * two weeks of appointments without double bookings, treatment records, invoices with payments,
 * 150 stock items (some low) and referrals. Rows go in through a few bulk transactions that also
 * write the change log, so terminals pull the demo like any other data.
 */
import { clinicSettingsDefaults, clinicSettingsId } from '../../shared/domain/clinicSettings';
import { faker } from '@faker-js/faker';
import { collections, type AnyRow, type CollectionName, type InvoiceLine } from '../../shared/domain/collections';
import { invoiceTotal, lowStock, settledStatus } from '../../shared/domain/rules';
import { owaspHasher, type PasswordHasher } from '../auth/passwords';
import type { ClinicStore, WriteTx } from '../store/types';

export { DEMO_ADMIN_ID, DEMO_PASSWORD, DEMO_SEED, demoStaff } from './constants';
import { DEMO_PASSWORD, DEMO_SEED, demoStaff } from './constants';

export interface DemoSummary {
  counts: Partial<Record<CollectionName, number>>;
  millis: number;
  password: string;
  usernames: string[];
}

const DAY = 86_400_000;
const SLOT_MINUTES = 20;
const REASONS = ['Check-up', 'Follow-up', 'Vaccination', 'Back pain', 'Blood test results', 'Flu symptoms', 'Skin rash', 'Headache', 'Prescription renewal', 'Sports injury'];
const DIAGNOSES = ['Hypertension, stable', 'Acute bronchitis', 'Lumbago', 'Seasonal allergy', 'Type 2 diabetes, controlled', 'Sprained ankle', 'Contact dermatitis', 'Migraine', 'Healthy, no findings'];
const PRICE_LIST: InvoiceLine[] = [
  { description: 'Consultation', quantity: 1, unitPriceCents: 6500 },
  { description: 'Follow-up visit', quantity: 1, unitPriceCents: 4000 },
  { description: 'Blood panel', quantity: 1, unitPriceCents: 3800 },
  { description: 'Vaccination', quantity: 1, unitPriceCents: 2500 },
  { description: 'ECG', quantity: 1, unitPriceCents: 5500 },
  { description: 'Dressing change', quantity: 2, unitPriceCents: 1200 },
];
const SUPPLIES = ['Nitrile gloves', 'Gauze pads', 'Syringes 5 ml', 'Alcohol swabs', 'Bandage roll', 'Face masks', 'Tongue depressors', 'Cotton balls', 'Saline 500 ml', 'Paracetamol 500 mg', 'Ibuprofen 400 mg', 'Amoxicillin 500 mg', 'Test strips', 'Lancets', 'Specimen cups'];
const SIZES = ['S', 'M', 'L', 'XL', 'pack of 10', 'pack of 50', 'pack of 100', 'box', 'bottle', 'single'];
const SPECIALTIES = ['Cardiology', 'Dermatology', 'Orthopedics', 'Neurology', 'Radiology', 'Physiotherapy', 'Endocrinology'];

/** Monday 00:00 UTC of the current week: the demo's "this week". */
function mondayOfThisWeek(now = new Date()): number {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return day - weekday * DAY;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

class BulkWriter {
  readonly counts: Partial<Record<CollectionName, number>> = {};
  constructor(
    private readonly tx: WriteTx,
    private readonly stamp: { updatedAt: string; updatedBy: string },
  ) {}

  async put(collection: CollectionName, fields: Record<string, unknown>, derived: Record<string, unknown> = {}, fixedId?: string): Promise<AnyRow> {
    const id = fixedId ?? faker.string.uuid();
    const full = { ...collections[collection].defaults, ...fields };
    const row: AnyRow = { id, ...full, ...derived, version: 1, ...this.stamp };
    const fieldVersions = Object.fromEntries(Object.keys(full).map((f) => [f, 1]));
    await this.tx.putRow({ collection, id, version: 1, deleted: false, row, fieldVersions });
    await this.tx.appendChange({ collection, id, version: 1, op: 'upsert' });
    this.counts[collection] = (this.counts[collection] ?? 0) + 1;
    return row;
  }
}

export async function seedDemoClinic(store: ClinicStore, adminId: string, now = new Date(), hasher: PasswordHasher = owaspHasher): Promise<DemoSummary> {
  const started = performance.now();
  faker.seed(DEMO_SEED);
  const monday = mondayOfThisWeek(now);
  const stamp = { updatedAt: new Date(monday - 8 * DAY).toISOString(), updatedBy: adminId };
  // One hash (one scrypt run) for every demo user: they share the published demo password anyway.
  const hash = await hasher.hash(DEMO_PASSWORD);

  const counts = await store.write(async (tx) => {
    const w = new BulkWriter(tx, stamp);
    const staff: AnyRow[] = [];
    for (const s of demoStaff) {
      const row = await w.put('users', { ...s, active: true });
      await tx.setPasswordHash(row.id, hash);
      staff.push(row);
    }
    const doctors = staff.filter((s) => s.role === 'doctor');
    // Opening hours (UTC, as the demo's bookings): weekdays 07:00-19:00, Saturday mornings, closed on Sundays.
    const weekday = { open: '07:00', close: '19:00' };
    await w.put(
      'clinic-settings',
      {
        ...clinicSettingsDefaults,
        timeZone: 'UTC',
        openingHours: [null, weekday, weekday, weekday, weekday, weekday, { open: '08:00', close: '13:00' }],
      },
      {},
      clinicSettingsId,
    );
    const clinicians = staff.filter((s) => s.role === 'doctor' || s.role === 'assistant');

    const types: AnyRow[] = [];
    for (const [name, durationMinutes, colour] of [['Check-up', 30, '#2f80ed'], ['Follow-up', 15, '#27ae60'], ['Vaccination', 15, '#f2994a'], ['Minor procedure', 60, '#9b51e0']] as const) {
      types.push(await w.put('appointment-types', { name, durationMinutes, colour, active: true }));
    }
    /** Issued invoices are numbered in order, as the server numbers them (shared/domain/mutations/invoices.ts). */
    let invoiceNumber = 0;

    const patients: AnyRow[] = [];
    for (let i = 0; i < 2000; i++) {
      const sex = faker.helpers.arrayElement(['female', 'male', 'female', 'male', 'other', 'unknown'] as const);
      const firstName = faker.person.firstName(sex === 'female' || sex === 'male' ? sex : undefined);
      const lastName = faker.person.lastName();
      patients.push(
        await w.put('patients', {
          firstName,
          lastName,
          dateOfBirth: isoDate(faker.date.birthdate({ min: 1, max: 95, mode: 'age', refDate: new Date(monday) }).getTime()),
          sex,
          phone: faker.phone.number({ style: 'international' }),
          email: faker.datatype.boolean(0.7) ? faker.internet.email({ firstName, lastName }).toLowerCase() : '',
          address: `${faker.location.streetAddress()}, ${faker.location.zipCode()} ${faker.location.city()}`,
          insuranceProvider: faker.helpers.arrayElement(['Allianz', 'AOK', 'TK', 'Barmer', 'DAK', 'Private']),
          insuranceNumber: faker.string.alphanumeric({ length: 10, casing: 'upper' }),
          allergies: faker.datatype.boolean(0.2) ? faker.helpers.arrayElement(['Penicillin', 'Latex', 'Peanuts', 'Pollen']) : '',
          medicalHistory: faker.datatype.boolean(0.4) ? faker.helpers.arrayElement(DIAGNOSES) : '',
        }),
      );
    }

    // Last week (done) and this week (booked): each doctor works in their own room, 08:00-17:00 UTC.
    for (let day = -7; day < 5; day++) {
      if (day === -2 || day === -1) continue; // the weekend
      const dayStart = monday + day * DAY;
      for (const [d, doctor] of doctors.entries()) {
        for (let slot = 0; slot < (9 * 60) / SLOT_MINUTES; slot++) {
          if (!faker.datatype.boolean(0.55)) continue;
          const start = dayStart + 8 * 3_600_000 + slot * SLOT_MINUTES * 60_000;
          const patient = faker.helpers.arrayElement(patients);
          const past = day < 0;
          const status = past ? faker.helpers.weightedArrayElement([{ weight: 8, value: 'completed' }, { weight: 1, value: 'no_show' }, { weight: 1, value: 'cancelled' }]) : 'scheduled';
          const appointment = await w.put('appointments', {
            patientId: patient.id,
            providerId: doctor.id,
            room: `Room ${d + 1}`,
            start: new Date(start).toISOString(),
            end: new Date(start + SLOT_MINUTES * 60_000).toISOString(),
            reason: faker.helpers.arrayElement(REASONS),
            status,
            typeId: faker.helpers.arrayElement(types).id,
            arrivedAt: status === 'completed' ? new Date(start - 10 * 60_000).toISOString() : null,
          });
          if (status !== 'completed') continue;
          if (faker.datatype.boolean(0.5)) {
            await w.put('treatment-records', {
              patientId: patient.id,
              providerId: faker.helpers.arrayElement([doctor, doctor, ...clinicians]).id,
              appointmentId: appointment.id,
              date: isoDate(start),
              diagnosis: faker.helpers.arrayElement(DIAGNOSES),
              procedures: faker.helpers.arrayElement(['Examination', 'Blood draw', 'Injection', 'Wound care', '']),
              prescriptions: faker.helpers.arrayElement(['', 'Ibuprofen 400 mg 3x daily', 'Amoxicillin 500 mg 3x daily for 7 days']),
            });
          }
          if (!faker.datatype.boolean(0.7)) continue;
          const lines = faker.helpers.arrayElements(PRICE_LIST, { min: 1, max: 3 });
          const totalCents = invoiceTotal(lines);
          const issued = faker.datatype.boolean(0.85);
          const payment = !issued ? 0 : faker.helpers.weightedArrayElement([{ weight: 5, value: totalCents }, { weight: 2, value: Math.floor(totalCents / 2) }, { weight: 3, value: 0 }]);
          const invoiceStatus = settledStatus(issued ? 'issued' : 'draft', totalCents, payment);
          const invoice = await w.put(
            'invoices',
            { patientId: patient.id, appointmentId: appointment.id, status: invoiceStatus, lines, serviceDate: isoDate(start) },
            { totalCents, paidCents: payment, number: issued ? ++invoiceNumber : null },
          );
          if (payment > 0) {
            await w.put('payments', {
              invoiceId: invoice.id,
              amountCents: payment,
              method: faker.helpers.arrayElement(['cash', 'card', 'card', 'insurance'] as const),
              receivedAt: new Date(start + 30 * 60_000).toISOString(),
            });
          }
        }
      }
    }

    await tx.setSetting('invoice-number', String(invoiceNumber));

    for (let i = 0; i < 40; i++) {
      await w.put('recalls', {
        patientId: faker.helpers.arrayElement(patients).id,
        providerId: faker.helpers.arrayElement(doctors).id,
        dueDate: isoDate(monday + faker.number.int({ min: -14, max: 60 }) * DAY),
        reason: faker.helpers.arrayElement(['Six-month check-up', 'Blood pressure review', 'Repeat blood panel', 'Vaccination booster']),
      });
    }

    for (let i = 0; i < 150; i++) {
      const reorderLevel = faker.number.int({ min: 5, max: 50 });
      const quantity = faker.datatype.boolean(0.15) ? faker.number.int({ min: 0, max: reorderLevel }) : faker.number.int({ min: reorderLevel + 1, max: 600 });
      await w.put(
        'inventory',
        {
          name: `${SUPPLIES[i % SUPPLIES.length]} (${SIZES[Math.floor(i / SUPPLIES.length) % SIZES.length]})`,
          sku: `SKU-${String(1000 + i)}`,
          unit: faker.helpers.arrayElement(['unit', 'box', 'pack', 'bottle']),
          quantity,
          reorderLevel,
          location: faker.helpers.arrayElement(['Store room A', 'Store room B', 'Treatment room 1', 'Pharmacy cabinet']),
        },
        { lowStock: lowStock({ quantity, reorderLevel }) },
      );
    }

    for (let i = 0; i < 120; i++) {
      const specialty = faker.helpers.arrayElement(SPECIALTIES);
      await w.put('referrals', {
        patientId: faker.helpers.arrayElement(patients).id,
        direction: faker.helpers.arrayElement(['outgoing', 'outgoing', 'incoming'] as const),
        provider: `${faker.person.lastName()} ${specialty} Practice`,
        specialty,
        reason: faker.helpers.arrayElement(REASONS),
        status: faker.helpers.arrayElement(['draft', 'sent', 'accepted', 'completed', 'cancelled'] as const),
        date: isoDate(monday + faker.number.int({ min: -30, max: 4 }) * DAY),
      });
    }
    await tx.appendAudit({ userId: adminId, username: 'admin', action: 'demo-seed', collection: null, rowId: null, detail: JSON.stringify(w.counts) });
    return w.counts;
  });

  return { counts, millis: Math.round(performance.now() - started), password: DEMO_PASSWORD, usernames: demoStaff.map((s) => s.username) };
}

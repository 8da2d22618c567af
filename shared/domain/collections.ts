/**
 * The clinic's domain, defined once. Every collection has:
 * - `fields`: what a client may write, with their validation;
 * - `defaults`: values for fields a create may leave out;
 * - `row`: what the server stores and sends (fields + meta + derived values).
 * Create/update input schemas are derived from these, so server, terminal and UI agree.
 */
import { z } from 'zod';
import { calendarDate, cents, instant, longText, maxCents, rowId, rowMeta, shortText } from './primitives';
import { clinicSettingsDefaults, clinicSettingsFields } from './clinicSettings';

const personName = z.string().trim().min(1).max(100);

// ---------- patients ----------
export const sexes = ['female', 'male', 'other', 'unknown'] as const;

const patientFields = {
  firstName: personName,
  lastName: personName,
  dateOfBirth: calendarDate.nullable(),
  sex: z.enum(sexes),
  phone: shortText(40),
  email: z.union([z.literal(''), z.email().max(200)]),
  address: shortText(400),
  insuranceProvider: shortText(200),
  insuranceNumber: shortText(100),
  allergies: longText(4000),
  notes: longText(),
  /** Clinical: never stored on or sent to a receptionist's terminal. */
  medicalHistory: longText(),
};
const patientDefaults = {
  dateOfBirth: null,
  sex: 'unknown',
  phone: '',
  email: '',
  address: '',
  insuranceProvider: '',
  insuranceNumber: '',
  allergies: '',
  notes: '',
  medicalHistory: '',
} as const;

// ---------- appointments ----------
/** `scheduled` is what the desk calls "booked"; `in_progress` is "in treatment". */
export const appointmentStatuses = [
  'scheduled',
  'confirmed',
  'arrived',
  'in_progress',
  'completed',
  'cancelled',
  'no_show',
] as const;
export type AppointmentStatus = (typeof appointmentStatuses)[number];

const appointmentFields = {
  patientId: rowId,
  providerId: rowId,
  room: shortText(60),
  start: instant,
  end: instant,
  reason: shortText(500),
  status: z.enum(appointmentStatuses),
  notes: longText(),
  /** Why a booking outside opening or working hours is made anyway; empty: it must be within them. */
  hoursOverride: shortText(300),
  /** An admin-defined appointment type (its colour and default duration), or none. */
  typeId: rowId.nullable(),
  /** Occurrences of one recurring booking share it; each is still its own appointment. */
  seriesId: rowId.nullable(),
  /** Why it was cancelled (or missed), as the desk wrote it. */
  cancelReason: shortText(300),
  /** When the patient checked in: set by the terminal that marked them arrived, even offline. */
  arrivedAt: instant.nullable(),
};
const appointmentDefaults = {
  room: '',
  reason: '',
  status: 'scheduled',
  notes: '',
  hoursOverride: '',
  typeId: null,
  seriesId: null,
  cancelReason: '',
  arrivedAt: null,
} as const;

// ---------- appointment types (admin-defined) ----------
const appointmentTypeFields = {
  name: z.string().trim().min(1).max(100),
  durationMinutes: z.int().min(5).max(600),
  /** `#rrggbb`, shown on the booking in the book. */
  colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour such as #3b82f6'),
  active: z.boolean(),
};
const appointmentTypeDefaults = { colour: '#3b82f6', active: true } as const;

// ---------- blocked time (lunch, meetings, holidays) ----------
const blockedTimeFields = {
  /** The doctor whose time is blocked; null blocks the whole clinic (a holiday). */
  providerId: rowId.nullable(),
  start: instant,
  end: instant,
  reason: z.string().trim().min(1).max(200),
};
const blockedTimeDefaults = { providerId: null } as const;

// ---------- recalls (patients due back) ----------
export const recallStatuses = ['due', 'contacted', 'booked', 'closed'] as const;
const recallFields = {
  patientId: rowId,
  providerId: rowId.nullable(),
  dueDate: calendarDate,
  reason: shortText(300),
  status: z.enum(recallStatuses),
  lastContactAt: instant.nullable(),
  lastContactNote: shortText(500),
};
const recallDefaults = { providerId: null, reason: '', status: 'due', lastContactAt: null, lastContactNote: '' } as const;

// ---------- treatment records (clinical) ----------
const treatmentRecordFields = {
  patientId: rowId,
  providerId: rowId,
  appointmentId: rowId.nullable(),
  date: calendarDate,
  diagnosis: longText(),
  procedures: longText(),
  prescriptions: longText(),
  notes: longText(),
  /** Months until the patient is due back; a recall is listed for the desk when set. */
  recallMonths: z.int().min(1).max(60).nullable(),
};
const treatmentRecordDefaults = {
  appointmentId: null,
  recallMonths: null,
  diagnosis: '',
  procedures: '',
  prescriptions: '',
  notes: '',
} as const;

// ---------- invoices ----------
export const invoiceStatuses = ['draft', 'issued', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof invoiceStatuses)[number];

export const invoiceLine = z.strictObject({
  description: z.string().trim().min(1).max(300),
  quantity: z.int().min(1).max(10_000),
  unitPriceCents: cents,
});
export type InvoiceLine = z.infer<typeof invoiceLine>;

/**
 * The lines of an invoice. Their total (totalCents, derived on the server) must itself be a valid
 * amount: 200 lines of 10,000 x the largest price would reach 2e17, past the safe integers.
 */
const invoiceLines = z
  .array(invoiceLine)
  .max(200)
  .refine((lines) => lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0) <= maxCents, {
    message: `the invoice total (quantity x unitPriceCents summed over the lines) must not exceed ${maxCents} cents`,
  });

const invoiceFields = {
  patientId: rowId,
  appointmentId: rowId.nullable(),
  status: z.enum(invoiceStatuses),
  lines: invoiceLines,
  /** The day the service was given (the visit), which may differ from the day it is billed. */
  serviceDate: calendarDate.nullable(),
};
const invoiceDefaults = { appointmentId: null, status: 'draft', lines: [] as InvoiceLine[], serviceDate: null } as const;

// ---------- payments ----------
export const paymentMethods = ['cash', 'card', 'insurance', 'other'] as const;
export const paymentKinds = ['payment', 'refund'] as const;
const paymentFields = {
  invoiceId: rowId,
  amountCents: cents.min(1),
  method: z.enum(paymentMethods),
  receivedAt: instant,
  /** A refund is its own entry: money handed back, taken off what the invoice has been paid. */
  kind: z.enum(paymentKinds),
  reason: shortText(300),
};
const paymentDefaults = { method: 'cash', kind: 'payment', reason: '' } as const;

// ---------- inventory ----------
const inventoryFields = {
  name: z.string().trim().min(1).max(200),
  sku: shortText(60),
  unit: shortText(30),
  quantity: z.int().min(0).max(10_000_000),
  reorderLevel: z.int().min(0).max(10_000_000),
  location: shortText(100),
};
const inventoryDefaults = { sku: '', unit: 'unit', quantity: 0, reorderLevel: 0, location: '' } as const;

// ---------- referrals ----------
export const referralDirections = ['outgoing', 'incoming'] as const;
export const referralStatuses = ['draft', 'sent', 'accepted', 'completed', 'cancelled'] as const;
const referralFields = {
  patientId: rowId,
  direction: z.enum(referralDirections),
  provider: z.string().trim().min(1).max(200),
  specialty: shortText(100),
  reason: longText(4000),
  status: z.enum(referralStatuses),
  date: calendarDate,
};
const referralDefaults = { specialty: '', reason: '', status: 'draft' } as const;

// ---------- users ----------
export const roles = ['admin', 'doctor', 'assistant', 'receptionist'] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

const userFields = {
  username: z
    .string()
    .trim()
    .min(2)
    .max(60)
    .regex(/^[a-z0-9._-]+$/i, 'letters, digits, dot, dash or underscore'),
  displayName: z.string().trim().min(1).max(100),
  role,
  active: z.boolean(),
};
const userDefaults = { active: true } as const;
export const password = z.string().min(8).max(200);

// ---------- the registry ----------
type Shape = Record<string, z.ZodType>;

function defineCollection<F extends Shape, D extends { [K in keyof F]?: z.output<F[K]> }, X extends Shape>(
  fields: F,
  defaults: D,
  derived: X,
) {
  type OptionalOnCreate = { [K in keyof D & keyof F]: true };
  // The cast only helps TypeScript past zod's mask check, which it cannot evaluate for generic keys.
  const optionalOnCreate = Object.fromEntries(Object.keys(defaults).map((k) => [k, true])) as never;
  const writable = z.strictObject(fields);
  return {
    fields,
    defaults,
    fieldNames: Object.keys(fields) as (keyof F & string)[],
    /** What a create may carry: required fields, optional defaulted ones, and an optional client id. */
    create: writable.partial<OptionalOnCreate>(optionalOnCreate).extend({ id: rowId.optional() }),
    /** What an update may carry: any non-empty subset of the writable fields. */
    update: writable.partial().refine((v) => Object.keys(v).length > 0, { message: 'no fields to change' }),
    row: z.object({ ...rowMeta, ...fields, ...derived }),
  };
}

export const collections = {
  patients: defineCollection(patientFields, patientDefaults, {}),
  appointments: defineCollection(appointmentFields, appointmentDefaults, {}),
  'treatment-records': defineCollection(treatmentRecordFields, treatmentRecordDefaults, {}),
  invoices: defineCollection(invoiceFields, invoiceDefaults, {
    totalCents: cents,
    paidCents: cents,
    /** Gap-free per clinic, given by the server when the invoice is first issued; absent until then. */
    number: z.int().min(1).nullable().optional(),
  }),
  payments: defineCollection(paymentFields, paymentDefaults, {}),
  inventory: defineCollection(inventoryFields, inventoryDefaults, { lowStock: z.boolean() }),
  referrals: defineCollection(referralFields, referralDefaults, {}),
  'appointment-types': defineCollection(appointmentTypeFields, appointmentTypeDefaults, {}),
  'blocked-times': defineCollection(blockedTimeFields, blockedTimeDefaults, {}),
  recalls: defineCollection(recallFields, recallDefaults, {}),
  users: defineCollection(userFields, userDefaults, {}),
  /** One row (clinicSettingsId): locale, hours; written by admins, synced to everyone. */
  'clinic-settings': defineCollection(clinicSettingsFields, clinicSettingsDefaults, {}),
};

export type CollectionName = keyof typeof collections;
export const collectionNames = Object.keys(collections) as CollectionName[];
export const collectionName = z.enum(collectionNames as [CollectionName, ...CollectionName[]]);

export type RowOf<C extends CollectionName> = z.infer<(typeof collections)[C]['row']>;
export type CreateOf<C extends CollectionName> = z.infer<(typeof collections)[C]['create']>;
export type UpdateOf<C extends CollectionName> = z.infer<(typeof collections)[C]['update']>;

export type Patient = RowOf<'patients'>;
export type Appointment = RowOf<'appointments'>;
export type TreatmentRecord = RowOf<'treatment-records'>;
export type Invoice = RowOf<'invoices'>;
export type Payment = RowOf<'payments'>;
export type InventoryItem = RowOf<'inventory'>;
export type Referral = RowOf<'referrals'>;
export type User = RowOf<'users'>;
export type AppointmentType = RowOf<'appointment-types'>;
export type BlockedTime = RowOf<'blocked-times'>;
export type Recall = RowOf<'recalls'>;

/**
 * Any stored row, when the collection is not known statically: its meta fields and whatever else
 * it holds (checked per collection by the mutations, not on every read).
 */
export const anyRow = z.object({ id: z.string(), version: z.number(), updatedAt: z.string(), updatedBy: z.string() }).catchall(z.unknown());
export type AnyRow = z.infer<typeof anyRow>;

/** The user as the API returns it: never a password or its hash. */
export const publicUser = z.object({
  id: rowId,
  username: z.string(),
  displayName: z.string(),
  role,
});
export type PublicUser = z.infer<typeof publicUser>;

/** `POST /api/users` body: the user fields plus an initial password. */
export const createUserInput = collections.users.create.extend({ password });

/** Inventory adjustments commute: a delta, never an absolute quantity. */
export const adjustInput = z.strictObject({
  delta: z.int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, 'delta must not be 0'),
  reason: shortText(300).optional(),
});
export type AdjustInput = z.infer<typeof adjustInput>;

export const loginInput = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
});
export const refreshInput = z.strictObject({ refreshToken: z.string().min(1).max(4000) });

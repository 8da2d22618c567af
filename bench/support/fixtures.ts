/**
 * Deterministic, realistic-looking clinic rows for large data sets. Built from small pools
 * instead of calling faker per row, so 600k rows take seconds; row sizes match what the demo
 * clinic produces (names, phones, addresses, insurance, short notes).
 */
import { randomUUID } from 'node:crypto';
import { faker } from '@faker-js/faker';
import type { CollectionName } from '../../shared/domain/collections';

faker.seed(4780);
const pool = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);
const firstNames = pool(400, () => faker.person.firstName());
const lastNames = pool(800, () => faker.person.lastName());
const streets = pool(500, () => faker.location.streetAddress());
const cities = pool(100, () => `${faker.location.zipCode('#####')} ${faker.location.city()}`);
const insurers = ['AOK', 'TK', 'Barmer', 'DAK', 'IKK', 'Allianz', 'HUK', 'Debeka', ''];
const allergies = ['', '', '', 'penicillin', 'latex', 'pollen', 'nuts', 'ibuprofen'];
const notes = pool(200, () => faker.lorem.sentence());
const reasons = ['check-up', 'follow-up', 'vaccination', 'blood test', 'back pain', 'consultation', 'x-ray review', 'prescription'];
const rooms = ['Room 1', 'Room 2', 'Room 3', 'Room 4', 'Room 5', 'Lab', 'X-ray'];

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

export function patientFields(i: number): Record<string, unknown> {
  const first = pick(firstNames, i * 7);
  const last = pick(lastNames, i * 13);
  return {
    firstName: first,
    lastName: last,
    dateOfBirth: `${1930 + (i % 90)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    sex: pick(['female', 'male', 'other', 'unknown'] as const, i),
    phone: `+49 30 ${String(1000000 + ((i * 7919) % 8999999))}`,
    email: `${first}.${last}.${i}@example.org`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
    address: `${pick(streets, i * 3)}, ${pick(cities, i)}`,
    insuranceProvider: pick(insurers, i),
    insuranceNumber: i % 9 === 8 ? '' : `X${String(100000000 + i)}`,
    allergies: pick(allergies, i),
    notes: i % 3 === 0 ? pick(notes, i) : '',
    medicalHistory: i % 4 === 0 ? pick(notes, i + 1) : '',
  };
}

const day = 24 * 3600 * 1000;
const slotStart = Date.parse('2026-01-05T08:00:00Z');

/**
 * Appointment i, never clashing: provider i % providers gets consecutive 20-minute slots, eight
 * working hours a day, room by provider.
 */
export function appointmentFields(i: number, patientIds: readonly string[], providerIds: readonly string[]): Record<string, unknown> {
  const provider = i % providerIds.length;
  const slot = Math.floor(i / providerIds.length);
  const dayIndex = Math.floor(slot / 24);
  const start = slotStart + dayIndex * day + (slot % 24) * 20 * 60 * 1000;
  return {
    patientId: pick(patientIds, i * 31),
    providerId: providerIds[provider]!,
    room: pick(rooms, provider),
    start: new Date(start).toISOString(),
    end: new Date(start + 20 * 60 * 1000).toISOString(),
    reason: pick(reasons, i),
    status: dayIndex < 300 ? pick(['completed', 'completed', 'completed', 'no_show', 'cancelled'] as const, i) : 'scheduled',
    notes: i % 5 === 0 ? pick(notes, i) : '',
  };
}

export function inventoryFields(i: number): Record<string, unknown> {
  return {
    name: `${pick(['Gloves', 'Syringes', 'Gauze', 'Bandage', 'Swabs', 'Masks', 'Needles', 'Saline'], i)} ${i}`,
    sku: `SKU-${10000 + i}`,
    unit: pick(['box', 'pack', 'unit', 'bottle'], i),
    quantity: 200 + (i % 50) * 10,
    reorderLevel: 20,
    location: pick(['Store A', 'Store B', 'Cabinet 1'], i),
  };
}

export function referralFields(i: number, patientIds: readonly string[]): Record<string, unknown> {
  return {
    patientId: pick(patientIds, i * 17),
    direction: i % 4 === 0 ? 'incoming' : 'outgoing',
    provider: `Dr. ${pick(lastNames, i * 5)}`,
    specialty: pick(['cardiology', 'dermatology', 'orthopaedics', 'radiology', 'neurology'], i),
    reason: pick(notes, i * 3),
    status: pick(['draft', 'sent', 'accepted', 'completed'] as const, i),
    date: `2026-${String(1 + (i % 11)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
  };
}

/** A complete stored row (version 1) from its fields, as the server would have written it. */
export function storedRow(
  collection: CollectionName,
  fields: Record<string, unknown>,
  updatedBy: string,
  at: string,
): { id: string; row: Record<string, unknown>; fieldVersions: Record<string, number> } {
  const id = randomUUID();
  const derived: Record<string, unknown> = {};
  if (collection === 'inventory') derived.lowStock = (fields.quantity as number) <= (fields.reorderLevel as number);
  const row = { id, version: 1, updatedAt: at, updatedBy, ...fields, ...derived };
  const fieldVersions = Object.fromEntries(Object.keys(fields).map((k) => [k, 1]));
  return { id, row, fieldVersions };
}

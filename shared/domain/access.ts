/**
 * Who may see and change what. The server enforces this; terminals and the UI use the same
 * table only to hide what would be refused anyway.
 */
import type { CollectionName, Role } from './collections';

type Ops = { read: readonly Role[]; write: readonly Role[]; delete: readonly Role[] };

const everyone = ['admin', 'doctor', 'assistant', 'receptionist'] as const;
const clinical = ['admin', 'doctor', 'assistant'] as const;

export const access: Record<CollectionName, Ops> = {
  patients: { read: everyone, write: everyone, delete: ['admin'] },
  appointments: { read: everyone, write: everyone, delete: ['admin', 'receptionist'] },
  'treatment-records': { read: clinical, write: ['doctor', 'assistant'], delete: ['admin', 'doctor'] },
  invoices: { read: everyone, write: everyone, delete: ['admin'] },
  payments: { read: everyone, write: everyone, delete: ['admin'] },
  inventory: { read: everyone, write: everyone, delete: ['admin'] },
  referrals: { read: everyone, write: everyone, delete: ['admin', 'doctor'] },
  'appointment-types': { read: everyone, write: ['admin'], delete: ['admin'] },
  'blocked-times': { read: everyone, write: ['admin', 'doctor', 'receptionist'], delete: ['admin', 'doctor', 'receptionist'] },
  recalls: { read: everyone, write: everyone, delete: ['admin', 'receptionist'] },
  users: { read: ['admin'], write: ['admin'], delete: ['admin'] },
  'clinic-settings': { read: everyone, write: ['admin'], delete: ['admin'] },
};

/** Fields that only clinical roles may read or write, per collection. */
export const clinicalFields = {
  patients: ['medicalHistory'],
} as const satisfies Partial<Record<CollectionName, readonly string[]>>;

/** The clinical fields of collection `C`, as a type (never: it has none). */
export type ClinicalFieldOf<C extends CollectionName> = C extends keyof typeof clinicalFields ? (typeof clinicalFields)[C][number] : never;

/** Collections a terminal caches for a role. Users sync to everyone as a staff directory. */
export function syncedCollections(role: Role): CollectionName[] {
  return (Object.keys(access) as CollectionName[]).filter((c) => c === 'users' || canRead(role, c));
}

export function canRead(role: Role, collection: CollectionName): boolean {
  return access[collection].read.includes(role);
}
export function canWrite(role: Role, collection: CollectionName): boolean {
  return access[collection].write.includes(role);
}
export function canDelete(role: Role, collection: CollectionName): boolean {
  return access[collection].delete.includes(role);
}
export function isClinicalRole(role: Role): boolean {
  return role === 'doctor' || role === 'assistant' || role === 'admin';
}

/** Fields of `collection` that `role` must never receive. */
export function hiddenFields(role: Role, collection: CollectionName): readonly string[] {
  return isClinicalRole(role) ? [] : clinicalFieldsOf(collection);
}

export function clinicalFieldsOf(collection: CollectionName): readonly string[] {
  const table: Partial<Record<CollectionName, readonly string[]>> = clinicalFields;
  return table[collection] ?? [];
}

/** Whether `role` receives rows of `collection` whole, exactly as stored (nothing to redact). */
export function seesEveryField(role: Role, collection: CollectionName): boolean {
  return collection !== 'users' && hiddenFields(role, collection).length === 0;
}

/** Only the public fields of a user row travel to terminals. */
export const publicUserFields = ['id', 'version', 'updatedAt', 'updatedBy', 'username', 'displayName', 'role', 'active'];

/** A copy of `row` with the fields `role` may not see removed. */
export function redactRow<T extends Record<string, unknown>>(role: Role, collection: CollectionName, row: T): T {
  if (collection === 'users') {
    return Object.fromEntries(Object.entries(row).filter(([k]) => publicUserFields.includes(k))) as T;
  }
  const hidden = hiddenFields(role, collection);
  if (hidden.length === 0) return row;
  const copy: Record<string, unknown> = { ...row };
  for (const f of hidden) delete copy[f];
  return copy as T;
}

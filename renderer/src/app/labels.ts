/** Human names for collections and fields, shared by the conflict dialog and the audit log. */
import type { CollectionName } from '../../../shared/domain/collections';

export const collectionLabels: Record<CollectionName, string> = {
  patients: 'Patient',
  appointments: 'Appointment',
  'treatment-records': 'Treatment record',
  invoices: 'Invoice',
  payments: 'Payment',
  inventory: 'Inventory item',
  referrals: 'Referral',
  'appointment-types': 'Appointment type',
  'blocked-times': 'Blocked time',
  recalls: 'Recall',
  users: 'Staff member',
  'clinic-settings': 'Clinic settings',
};

export function fieldLabel(field: string): string {
  const spaced = field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/Cents$/, '').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function displayValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

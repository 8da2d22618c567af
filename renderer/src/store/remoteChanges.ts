/**
 * Turns rows another user changed into short notices naming that user and what they changed
 * ("Anna Fischer updated patient Deckow, Leanne"), the patient only for readers whose role may see
 * patients. Never an id.
 */
import type { CollectionName } from '../../../shared/domain/collections';
import type { ClinicData, DataChange, RowsById } from './clinicState';
import { rowWords } from './words';

const nouns: Record<CollectionName, [one: string, many: string]> = {
  patients: ['a patient', 'patients'],
  appointments: ['an appointment', 'appointments'],
  'treatment-records': ['a treatment record', 'treatment records'],
  invoices: ['an invoice', 'invoices'],
  payments: ['a payment', 'payments'],
  inventory: ['an inventory item', 'inventory items'],
  referrals: ['a referral', 'referrals'],
  'appointment-types': ['an appointment type', 'appointment types'],
  'blocked-times': ['a blocked time', 'blocked times'],
  recalls: ['a recall', 'recalls'],
  users: ['a staff member', 'staff members'],
  'clinic-settings': ['the clinic settings', 'clinic settings'],
};

export function displayNameOf(userId: string, users: RowsById<'users'>): string {
  return users[userId]?.displayName ?? 'Another user';
}

/**
 * One notice per other user in a batch: "Dr Ada Grey added a patient", or a count when they
 * changed several rows. Deletes carry no author, so they are not announced.
 */
export function describeRemoteChanges(
  changes: readonly DataChange[],
  myUserId: string,
  data: ClinicData,
  namePatients = true,
): { userId: string; text: string }[] {
  const users = data.users;
  const byUser = new Map<string, DataChange[]>();
  for (const change of changes) {
    const author = change.op === 'upsert' ? change.row?.updatedBy : undefined;
    if (typeof author !== 'string' || author === '' || author === myUserId) continue;
    const list = byUser.get(author) ?? [];
    list.push(change);
    byUser.set(author, list);
  }
  const notices: { userId: string; text: string }[] = [];
  for (const [author, list] of byUser) {
    const name = displayNameOf(author, users);
    const first = list[0];
    if (list.length === 1 && first) {
      const added = first.row?.version === 1;
      const what = namePatients && first.row ? rowWords(data, first.collection, first.row) : nouns[first.collection][0];
      notices.push({ userId: author, text: `${name} ${added ? 'added' : 'updated'} ${what}` });
    } else {
      const kinds = [...new Set(list.map((c) => nouns[c.collection][1]))];
      notices.push({ userId: author, text: `${name} changed ${list.length} records (${kinds.join(', ')})` });
    }
  }
  return notices;
}

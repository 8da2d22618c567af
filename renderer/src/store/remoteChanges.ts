/**
 * Turns rows another user changed into short notices naming that user, so staff notice a
 * colleague's edit without a patient's name ever appearing in a toast over the waiting room.
 */
import type { CollectionName } from '../../../shared/domain/collections';
import type { DataChange, RowsById } from './rows';

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
  users: RowsById<'users'>,
): { userId: string; text: string }[] {
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
      notices.push({ userId: author, text: `${name} ${added ? 'added' : 'updated'} ${nouns[first.collection][0]}` });
    } else {
      const kinds = [...new Set(list.map((c) => nouns[c.collection][1]))];
      notices.push({ userId: author, text: `${name} changed ${list.length} records (${kinds.join(', ')})` });
    }
  }
  return notices;
}

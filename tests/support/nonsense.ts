/**
 * The values a clinic never means, one table for both sides: the browser test types `typed` into
 * the field labelled `label` and expects the form to refuse it naming that label; the server test
 * sends `value` for `field` and expects 400 naming the field, with nothing written.
 */
export type Nonsense = { form: 'patient' | 'payment' | 'stock' | 'appointment'; label: string; field: string; typed: string; value: unknown; why: string };

/** A Sunday at 03:00 UTC, `weeks` weeks ahead, with opening hours Mon-Fri 07:00-19:00 (UTC) set. */
export function sundayAt(hour: number, weeks = 1): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + ((7 - d.getUTCDay()) % 7) + 7 * weeks);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
}

export const openingHours = [null, ...Array.from({ length: 5 }, () => ({ open: '07:00', close: '19:00' })), null];

export const nonsense: Nonsense[] = [
  { form: 'patient', label: 'Date of birth', field: 'dateOfBirth', typed: '2099-01-01', value: '2099-01-01', why: 'a birth date in the future' },
  { form: 'patient', label: 'Date of birth', field: 'dateOfBirth', typed: '1850-04-11', value: '1850-04-11', why: 'over 130 years ago' },
  { form: 'patient', label: 'Date of birth', field: 'dateOfBirth', typed: '2001-02-30', value: '2001-02-30', why: 'a day that does not exist' },
  { form: 'patient', label: 'Phone', field: 'phone', typed: 'call me maybe!!! ☎☎☎', value: 'call me maybe!!! ☎☎☎', why: 'no phone number' },
  { form: 'patient', label: 'Phone', field: 'phone', typed: '12', value: '12', why: 'too few digits' },
  { form: 'patient', label: 'Phone', field: 'phone', typed: '+49 1', value: '+49 1', why: 'impossible for its country code' },
  { form: 'patient', label: 'Phone', field: 'phone', typed: '1234567890123456789', value: '1234567890123456789', why: 'more digits than any number has' },
  { form: 'payment', label: 'Amount', field: 'amountCents', typed: '500.00', value: 50_000, why: 'more than the open balance of 80.00' },
  { form: 'payment', label: 'Amount', field: 'amountCents', typed: '0', value: 0, why: 'nothing' },
  { form: 'payment', label: 'Amount', field: 'amountCents', typed: '-5', value: -500, why: 'negative' },
  { form: 'stock', label: 'Quantity', field: 'delta', typed: '0', value: 0, why: 'no movement' },
  { form: 'stock', label: 'Quantity', field: 'delta', typed: '2.5', value: 2.5, why: 'not a whole number' },
  { form: 'stock', label: 'Quantity', field: 'delta', typed: 'lots', value: 'lots', why: 'not a number' },
  { form: 'appointment', label: 'Start', field: 'start', typed: sundayAt(3), value: sundayAt(3), why: 'a Sunday 03:00 booking without a stated override' },
  { form: 'appointment', label: 'Start', field: 'start', typed: 'next tuesday', value: 'next tuesday', why: 'not a date and time' },
];

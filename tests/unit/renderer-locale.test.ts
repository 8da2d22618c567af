import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { formatDate, money, parseDate, parseDateTimeInput, parseMoney, setClinicLocale, shortDateTime, fold, amountText } from '../../renderer/src/app/format';
import { searchPatients, sortedPatients } from '../../renderer/src/store/patientSearch';
import { rowsById } from '../../renderer/src/store/clinicState';
import { formatWeek, parseWeek } from '../../shared/domain/weekText';
import { dateOfBirthProblem, hoursProblem, phoneProblem, paymentProblem } from '../../shared/domain/plausibility';
import { collections } from '../../shared/domain/collections';

afterEach(() => setClinicLocale(null));

const patient = (n: number, lastName: string, firstName = 'Ida', dateOfBirth = '1969-04-11') => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  version: 1,
  updatedAt: '2026-11-25T10:00:00Z',
  updatedBy: 'u1',
  ...collections.patients.defaults,
  firstName,
  lastName,
  dateOfBirth,
});

test('with de-DE, DD.MM.YYYY and EUR: 11.04.1969 and 1.234,50 €; input in the clinic format or ISO', () => {
  setClinicLocale({ locale: 'de-DE', dateFormat: 'DD.MM.YYYY', currency: 'EUR' });
  assert.equal(formatDate('1969-04-11'), '11.04.1969');
  assert.equal(money(123450), '1.234,50 €');
  assert.equal(amountText(123450), '1.234,50');
  assert.equal(parseDate('11.04.1969'), '1969-04-11');
  assert.equal(parseDate('1969-04-11'), '1969-04-11');
  assert.equal(parseDate('31.02.2001'), null, 'no such day');
  assert.equal(parseDate('11.04.69'), null, 'a four-digit year');
  assert.equal(parseMoney('1.234,50'), 123450);
  assert.equal(parseMoney('80'), 8000);
  assert.equal(parseMoney('12,5'), 1250);
  assert.equal(parseMoney('-5'), null);
  const at = parseDateTimeInput('03.12.2026 07:20');
  assert.ok(at);
  assert.match(shortDateTime(at), /^03\.12\.2026 07:20$/);
});

test('en-GB default: ISO dates, euro amounts in English', () => {
  assert.equal(formatDate('1969-04-11'), '1969-04-11');
  assert.equal(money(123450), '€1,234.50');
  assert.equal(parseMoney('1,234.50'), 123450);
  setClinicLocale({ locale: 'en-US', dateFormat: 'MM/DD/YYYY', currency: 'USD' });
  assert.equal(formatDate('1969-04-11'), '04/11/1969');
  assert.equal(parseDate('04/11/1969'), '1969-04-11');
  assert.equal(money(8000), '$80.00');
});

test('the register sorts accents as letters (Étienne, Evans, Müller, Özdemir, Zimmer); search folds accents and finds shown dates', () => {
  setClinicLocale({ locale: 'de-DE', dateFormat: 'DD.MM.YYYY', currency: 'EUR' });
  const rows = rowsById<'patients'>(['Zimmer', 'Özdemir', 'Müller', 'Evans', 'Étienne'].map((name, i) => patient(i + 1, name)));
  assert.deepEqual(sortedPatients(rows).map((e) => e.row.lastName), ['Étienne', 'Evans', 'Müller', 'Özdemir', 'Zimmer']);
  assert.deepEqual(searchPatients(rows, 'ozdemir').map((p) => p.lastName), ['Özdemir']);
  assert.deepEqual(searchPatients(rows, 'MULLER').map((p) => p.lastName), ['Müller']);
  assert.equal(searchPatients(rows, '11.04.1969').length, 5, 'the date as the screen shows it');
  assert.equal(searchPatients(rows, '1969-04-11').length, 5, 'and as ISO');
  assert.equal(fold('Étienne Özdemir'), 'etienne ozdemir');
});

function week(text: string) {
  const parsed = parseWeek(text);
  if (!('week' in parsed) || !parsed.week) throw new Error(`not a week: ${text}`);
  return parsed.week;
}

test('plausibility rules: birth dates, phones, payments, hours', () => {
  assert.match(dateOfBirthProblem('2099-01-01', '2026-12-02') ?? '', /^Date of birth cannot be in the future/);
  assert.match(dateOfBirthProblem('1890-01-01', '2026-12-02') ?? '', /130 years/);
  assert.equal(dateOfBirthProblem('1896-12-02', '2026-12-02'), null, 'exactly 130 is still plausible');
  assert.equal(dateOfBirthProblem('2026-12-02', '2026-12-02'), null, 'born today');
  assert.match(phoneProblem('call me maybe!!! ☎☎☎') ?? '', /^Phone/);
  assert.match(phoneProblem('12') ?? '', /^Phone/);
  assert.match(phoneProblem('+49 1') ?? '', /^Phone/);
  assert.equal(phoneProblem('+49 30 1234567'), null);
  assert.equal(phoneProblem('030 1234567', 'de-DE'), null);
  assert.equal(phoneProblem('(555) 123-4567', 'en-US'), null);
  assert.equal(phoneProblem(''), null);
  assert.match(paymentProblem(50_000, 8000) ?? '', /^Amount/);
  assert.equal(paymentProblem(8000, 8000), null);
  const settings = { timeZone: 'Europe/Berlin', openingHours: week('Mon-Fri 07:00-19:00, Sat 08:00-13:00'), providerHours: {} };
  // Sunday 2026-12-06 03:00 in Berlin (UTC+1).
  assert.match(hoursProblem({ providerId: 'p', start: '2026-12-06T02:00:00Z', end: '2026-12-06T02:30:00Z' }, settings) ?? '', /^Start is outside the hours the clinic is open \(closed on Sundays\)/);
  assert.equal(hoursProblem({ providerId: 'p', start: '2026-12-06T02:00:00Z', end: '2026-12-06T02:30:00Z', hoursOverride: 'Emergency' }, settings), null);
  assert.equal(hoursProblem({ providerId: 'p', start: '2026-12-07T06:00:00Z', end: '2026-12-07T06:20:00Z' }, settings), null, 'Monday 07:00 Berlin');
  assert.ok(hoursProblem({ providerId: 'p', start: '2026-12-07T17:45:00Z', end: '2026-12-07T18:15:00Z' }, settings), 'runs past 19:00 Berlin');
  assert.equal(formatWeek(week('Mon-Fri 07:00-19:00, Sat 08:00-13:00')), 'Mon-Fri 07:00-19:00, Sat 08:00-13:00');
  assert.ok('error' in parseWeek('Mon 19:00-07:00'));
});

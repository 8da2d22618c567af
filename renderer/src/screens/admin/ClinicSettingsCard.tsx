/**
 * The clinic's locale and hours (admin): language, date format and currency every terminal writes
 * dates and amounts in, the time zone hours are read in, opening hours and doctors' working hours.
 * Saved as the synced `clinic-settings` row, so every terminal has them offline too.
 */
import { useState } from 'react';
import { clinicSettingsFields, clinicSettingsId, dateFormats, effectiveClinicSettings, type WeeklyHours } from '../../../../shared/domain/clinicSettings';
import { formatWeek, parseWeek } from '../../../../shared/domain/weekText';
import { useActions, useClinic } from '../../app/clinicContext';
import { SelectField, TextField } from '../../forms/Field';
import { SubmitForm } from '../../forms/SubmitForm';
import { useDoctors } from '../appointments/useDoctors';

export function ClinicSettingsCard() {
  const row = useClinic((s) => s.data['clinic-settings'][clinicSettingsId]);
  const doctors = useDoctors();
  const { create, update, toast } = useActions();
  const current = effectiveClinicSettings(row);
  const [locale, setLocale] = useState(current.locale);
  const [dateFormat, setDateFormat] = useState(current.dateFormat);
  const [currency, setCurrency] = useState(current.currency);
  const [timeZone, setTimeZone] = useState(current.timeZone);
  const [opening, setOpening] = useState(formatWeek(current.openingHours));
  const [providers, setProviders] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(current.providerHours).map(([id, week]) => [id, formatWeek(week)])),
  );
  const [error, setError] = useState<string | null>(null);
  const edited = <T,>(setter: (v: T) => void) => (v: T) => {
    setter(v);
    setError(null);
  };

  async function apply() {
    const problems: string[] = [];
    const check = (label: string, result: { success: boolean; error?: { issues: { message: string }[] } }) => {
      if (!result.success) problems.push(`${label}: ${result.error?.issues[0]?.message ?? 'not valid'}`);
    };
    check('Language', clinicSettingsFields.locale.safeParse(locale));
    check('Currency', clinicSettingsFields.currency.safeParse(currency.trim().toUpperCase()));
    check('Time zone', clinicSettingsFields.timeZone.safeParse(timeZone.trim()));
    const openingWeek = parseWeek(opening);
    if ('error' in openingWeek) problems.push(`Opening hours: ${openingWeek.error}`);
    const providerHours: Record<string, WeeklyHours> = {};
    for (const d of doctors) {
      const parsed = parseWeek(providers[d.id] ?? '');
      if ('error' in parsed) problems.push(`Working hours of ${d.displayName}: ${parsed.error}`);
      else if (parsed.week) providerHours[d.id] = parsed.week;
    }
    if (problems.length > 0) return setError(`${problems.join('. ')}.`);
    const fields = {
      locale: locale.trim(),
      dateFormat,
      currency: currency.trim().toUpperCase(),
      timeZone: timeZone.trim(),
      openingHours: 'week' in openingWeek ? openingWeek.week : null,
      providerHours,
    };
    const answer = row ? await update('clinic-settings', clinicSettingsId, fields, row, { inForm: true }) : await create('clinic-settings', { ...fields, id: clinicSettingsId }, { inForm: true });
    if (!answer.ok) return setError(answer.error);
    toast('success', 'Clinic settings applied on every terminal', 'clinic-settings');
  }

  return (
    <section className="card" aria-labelledby="clinic-settings-title">
      <h2 id="clinic-settings-title">Clinic locale and hours</h2>
      <SubmitForm error={error} label="Apply clinic settings" onSubmit={apply}>
        <TextField label="Language" value={locale} onChange={edited(setLocale)} hint="A language tag, for example de-DE or en-GB" />
        <SelectField label="Date format" value={dateFormat} onChange={edited(setDateFormat)} options={dateFormats.map((f) => ({ value: f, label: f }))} />
        <TextField label="Currency" value={currency} onChange={edited(setCurrency)} maxLength={3} hint="For example EUR, CHF, GBP" />
        <TextField label="Time zone" value={timeZone} onChange={edited(setTimeZone)} hint="Opening hours are read in it, for example Europe/Berlin" />
        <TextField label="Opening hours" value={opening} onChange={edited(setOpening)} wide hint="For example: Mon-Fri 07:00-19:00, Sat 08:00-13:00 (empty: no opening hours)" />
        {doctors.map((d) => (
          <TextField
            key={d.id}
            label={`Working hours of ${d.displayName}`}
            value={providers[d.id] ?? ''}
            onChange={edited((v: string) => setProviders((p) => ({ ...p, [d.id]: v })))}
            wide
            hint="Empty: the opening hours"
          />
        ))}
      </SubmitForm>
    </section>
  );
}

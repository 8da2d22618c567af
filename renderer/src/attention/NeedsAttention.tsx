/**
 * "Needs attention": every change the server refused, in words, with what can be done about it.
 * It stays (main keeps it in the cache) until someone rebooks, saves it again or discards it.
 */
import { useState } from 'react';
import type { AttentionEntry } from '../../../shared/ipc/attention';
import { clinicSettingsId, effectiveClinicSettings } from '../../../shared/domain/clinicSettings';
import { useActions, useClinic } from '../app/clinicContext';
import { navigate } from '../app/route';
import { AppointmentForm } from '../screens/appointments/AppointmentForm';
import { rowWords } from '../store/words';
import { nextFreeSlot } from './rebook';

type Booking = { patientId: string; providerId: string; start: string; end: string; room?: string; reason?: string; notes?: string; hoursOverride?: string };

/** The booking a refused appointment change wanted: the row as it was with the change laid over it. */
function wantedBooking(entry: AttentionEntry): Booking | null {
  if (entry.collection !== 'appointments' || (entry.op !== 'create' && entry.op !== 'update')) return null;
  const b = { ...(entry.before ?? {}), ...(entry.data ?? {}) } as Record<string, unknown>;
  if (typeof b.patientId !== 'string' || typeof b.providerId !== 'string' || typeof b.start !== 'string' || typeof b.end !== 'string') return null;
  return b as Booking;
}

function EntryItem({ entry, onOpenBooking }: { entry: AttentionEntry; onOpenBooking: (entry: AttentionEntry, booking: Booking) => void }) {
  const { attentionText, dismissAttention, create, update, toast } = useActions();
  const data = useClinic((s) => s.data);
  const [busy, setBusy] = useState(false);
  const { what, why } = attentionText(entry);
  const booking = wantedBooking(entry);

  function open() {
    if (booking) return onOpenBooking(entry, booking);
    const row = { ...(entry.before ?? {}), ...(entry.data ?? {}) } as Record<string, unknown>;
    switch (entry.collection) {
      case 'patients':
        return navigate('patients', data.patients[entry.rowId] ? entry.rowId : null);
      case 'payments':
        return navigate('billing', typeof row.invoiceId === 'string' ? row.invoiceId : null);
      case 'invoices':
        return navigate('billing', data.invoices[entry.rowId] ? entry.rowId : null);
      case 'inventory':
        return navigate('inventory');
      case 'referrals':
        return navigate('referrals');
      case 'treatment-records':
        return navigate('treatment', data['treatment-records'][entry.rowId] ? entry.rowId : null);
      default:
        return navigate('patients', typeof row.patientId === 'string' ? row.patientId : null);
    }
  }

  async function rebook() {
    if (!booking) return;
    const settings = effectiveClinicSettings(data['clinic-settings'][clinicSettingsId]);
    const existing = entry.op === 'update' && data.appointments[entry.rowId] ? entry.rowId : undefined;
    const slot = nextFreeSlot({ ...booking, ...(existing ? { id: existing } : {}) }, Object.values(data.appointments), settings);
    if (!slot) {
      toast('error', `No free slot within 60 days for ${rowWords(data, 'appointments', booking)}; open it to choose another doctor or time`);
      return;
    }
    setBusy(true);
    const fields = { ...booking, ...slot };
    const answer = existing
      ? await update('appointments', existing, { start: slot.start, end: slot.end })
      : await create('appointments', {
          patientId: fields.patientId,
          providerId: fields.providerId,
          start: fields.start,
          end: fields.end,
          room: fields.room ?? '',
          reason: fields.reason ?? '',
          notes: fields.notes ?? '',
          hoursOverride: fields.hoursOverride ?? '',
        });
    setBusy(false);
    if (!answer.ok) return;
    await dismissAttention(entry.id);
    toast('success', `Rebooked: ${rowWords(data, 'appointments', fields)}`, 'rebooked');
  }

  return (
    <li>
      <p>
        <strong>{what}.</strong> {why}.
      </p>
      <div className="actions">
        <button type="button" className="small" onClick={open}>
          Open
        </button>
        {booking ? (
          <button type="button" className="small primary" disabled={busy} onClick={() => void rebook()}>
            Rebook at the next free slot
          </button>
        ) : null}
        <button type="button" className="small ghost" onClick={() => void dismissAttention(entry.id)}>
          Discard
        </button>
      </div>
    </li>
  );
}

export function NeedsAttention() {
  const entries = useClinic((s) => s.attention);
  const { dismissAttention } = useActions();
  const appointments = useClinic((s) => s.data.appointments);
  const [opened, setOpened] = useState<{ entry: AttentionEntry; booking: Booking } | null>(null);
  if (entries.length === 0 && !opened) return null;
  return (
    <>
      {entries.length > 0 ? (
        <section id="needs-attention" className="attention" aria-labelledby="needs-attention-title" tabIndex={-1}>
          <h2 id="needs-attention-title">Needs attention</h2>
          <ul>
            {entries.map((e) => (
              <EntryItem key={e.id} entry={e} onOpenBooking={(entry, booking) => setOpened({ entry, booking })} />
            ))}
          </ul>
        </section>
      ) : null}
      {opened ? (
        <AppointmentForm
          initial={opened.booking}
          // A refused move of an existing booking is made again on that booking.
          {...(opened.entry.op === 'update' && appointments[opened.entry.rowId] ? { appointment: appointments[opened.entry.rowId] } : {})}
          onClose={() => setOpened(null)}
          onSaved={() => void dismissAttention(opened.entry.id)}
        />
      ) : null}
    </>
  );
}

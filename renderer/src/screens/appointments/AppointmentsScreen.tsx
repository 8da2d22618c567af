/** The day book: one column per doctor, appointments placed on a time grid, the selected one in a side panel. */
import { useMemo, useState } from 'react';
import type { Appointment } from '../../../../shared/domain/collections';
import { blocksSlot } from '../../../../shared/domain/rules';
import { useClinic } from '../../app/clinicContext';
import { addDays, dayKey, dayStart, longDate, patientName, shortDay, statusLabels, timeOf } from '../../app/format';
import { href, navigate } from '../../app/route';
import { AppointmentActions } from './AppointmentActions';
import { AppointmentForm } from './AppointmentForm';
import { DateBox } from '../../forms/DateBox';
import { useDoctors } from './useDoctors';

const hourHeight = 84;
/** How far ahead, and how many, the side panel lists when no appointment is selected. */
const comingUpDays = 14;
const comingUpMax = 30;
const unknownColumn = 'other';

export function AppointmentsScreen({ day: dayParam }: { day: string | null }) {
  const day = dayParam && /^\d{4}-\d{2}-\d{2}$/.test(dayParam) ? dayParam : dayKey(new Date());
  const appointments = useClinic((s) => s.data.appointments);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const doctors = useDoctors();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [form, setForm] = useState<null | { appointment?: Appointment; providerId?: string; start?: string }>(null);

  const goTo = (next: string) => navigate('appointments', null, { day: next });

  const { columns, firstHour, lastHour } = useMemo(() => {
    const from = dayStart(day).getTime();
    const to = dayStart(addDays(day, 1)).getTime();
    const ofDay = Object.values(appointments).filter((a) => Date.parse(a.start) < to && Date.parse(a.end) > from);
    const byProvider = new Map<string, Appointment[]>(doctors.map((d) => [d.id, []]));
    for (const a of ofDay) {
      const key = byProvider.has(a.providerId) ? a.providerId : unknownColumn;
      byProvider.set(key, [...(byProvider.get(key) ?? []), a]);
    }
    let first = 7;
    let last = 19;
    for (const a of ofDay) {
      first = Math.min(first, Math.max(0, Math.floor((Date.parse(a.start) - from) / 3_600_000)));
      last = Math.max(last, Math.min(24, Math.ceil((Date.parse(a.end) - from) / 3_600_000)));
    }
    const cols = [...byProvider.entries()].map(([id, list]) => ({
      id,
      name: id === unknownColumn ? 'Other providers' : (users[id]?.displayName ?? 'Doctor'),
      list: list.sort((a, b) => a.start.localeCompare(b.start)),
    }));
    return { columns: cols, firstHour: first, lastHour: last };
  }, [appointments, day, doctors, users]);

  // Bookings after the shown day, so a desk sees what colleagues booked for later days at once.
  // The shown day is left out: each appointment appears once on the screen.
  const comingUp = useMemo(() => {
    const from = dayStart(addDays(day, 1)).getTime();
    const to = dayStart(addDays(day, 1 + comingUpDays)).getTime();
    return Object.values(appointments)
      .filter((a) => blocksSlot(a) && Date.parse(a.start) >= from && Date.parse(a.start) < to)
      .sort((a, b) => a.start.localeCompare(b.start))
      .slice(0, comingUpMax);
  }, [appointments, day]);

  const selected = selectedId ? appointments[selectedId] : undefined;
  const selectedPatient = selected ? patients[selected.patientId] : undefined;
  const hours = Array.from({ length: lastHour - firstHour }, (_, i) => firstHour + i);
  const top = (iso: string) => ((Date.parse(iso) - dayStart(day).getTime()) / 3_600_000 - firstHour) * hourHeight;
  const total = columns.reduce((n, c) => n + c.list.filter(blocksSlot).length, 0);

  return (
    <section className="screen appointments-screen">
      <div className="screen-header">
        <h1 id="appointments-title">Day book</h1>
        <div className="toolbar">
          <button type="button" onClick={() => goTo(addDays(day, -1))}>
            ‹ Previous day
          </button>
          <button type="button" onClick={() => goTo(dayKey(new Date()))}>
            Today
          </button>
          <button type="button" onClick={() => goTo(addDays(day, 1))}>
            Next day ›
          </button>
          <DateBox label="Go to date" value={day} onChange={goTo} />
          <strong className="day-title">{longDate(day)}</strong>
          <span className="muted">{total === 1 ? '1 appointment' : `${total} appointments`}</span>
          <button type="button" className="primary push-right" onClick={() => setForm({})}>
            New appointment
          </button>
        </div>
      </div>
      <div className="daybook-wrap">
        <div className="daybook">
          <div className="daybook-head">
            <div className="time-col-head" />
            {columns.length === 0 ? <div className="col-head">No doctors in the staff list</div> : null}
            {columns.map((c) => (
              <div key={c.id} className="col-head">
                {c.name}
                <span className="muted"> · {c.list.filter(blocksSlot).length}</span>
              </div>
            ))}
          </div>
          <div className="daybook-body" style={{ height: hours.length * hourHeight }}>
            <div className="time-col">
              {hours.map((h) => (
                <div key={h} className="hour-label" style={{ top: (h - firstHour) * hourHeight }}>
                  {String(h).padStart(2, '0')}:00
                </div>
              ))}
            </div>
            {columns.map((c) => (
              <div
                key={c.id}
                className="provider-col"
                onDoubleClick={(e) => {
                  if (e.target !== e.currentTarget || c.id === unknownColumn) return;
                  const y = e.nativeEvent.offsetY;
                  const hour = firstHour + Math.floor((y / hourHeight) * 2) / 2;
                  const start = new Date(dayStart(day).getTime() + hour * 3_600_000).toISOString();
                  setForm({ providerId: c.id, start });
                }}
              >
                {hours.map((h) => (
                  <div key={h} className="hour-line" style={{ top: (h - firstHour) * hourHeight }} />
                ))}
                {c.list.map((a) => {
                  const p = patients[a.patientId];
                  const y = Math.max(0, top(a.start));
                  const height = Math.max(24, top(a.end) - y - 2);
                  return (
                    <button
                      key={a.id}
                      type="button"
                      className={`appt appt-${a.status}${a.id === selectedId ? ' is-selected' : ''}${blocksSlot(a) ? '' : ' is-inactive'}`}
                      style={{ top: y, height }}
                      aria-pressed={a.id === selectedId}
                      onClick={() => setSelectedId(a.id)}
                    >
                      <span className="appt-line">
                        <span className="appt-time">{timeOf(a.start)}</span>
                        <span className="appt-name" title={p ? patientName(p) : undefined}>{p ? patientName(p) : 'Unknown patient'}</span>
                        <span className={`pill pill-${a.status}`}>{statusLabels[a.status]}</span>
                      </span>
                      {height >= 40 ? (
                        <span className="appt-meta">
                          {timeOf(a.start)}–{timeOf(a.end)}
                          {a.room ? ` · ${a.room}` : ''}
                          {a.reason ? ` · ${a.reason}` : ''}
                        </span>
                      ) : null}
                    </button>
                  );
                })}
              </div>
            ))}
          </div>
        </div>
        <aside className="side-panel" aria-label="Selected appointment">
          {selected ? (
            <>
              <h2>{selectedPatient ? `${selectedPatient.firstName} ${selectedPatient.lastName}` : 'Unknown patient'}</h2>
              <dl className="facts">
                <dt>When</dt>
                <dd>
                  {longDate(dayKey(new Date(selected.start)))}, {timeOf(selected.start)}–{timeOf(selected.end)}
                </dd>
                <dt>Doctor</dt>
                <dd>{users[selected.providerId]?.displayName ?? '—'}</dd>
                <dt>Room</dt>
                <dd>{selected.room || '—'}</dd>
                <dt>Reason</dt>
                <dd>{selected.reason || '—'}</dd>
                <dt>Status</dt>
                <dd>
                  <span className={`pill pill-${selected.status}`}>{statusLabels[selected.status]}</span>
                </dd>
                {selectedPatient?.phone ? (
                  <>
                    <dt>Phone</dt>
                    <dd>{selectedPatient.phone}</dd>
                  </>
                ) : null}
                {selected.notes ? (
                  <>
                    <dt>Notes</dt>
                    <dd>{selected.notes}</dd>
                  </>
                ) : null}
              </dl>
              <AppointmentActions appointment={selected} onChange={() => setForm({ appointment: selected })} />
              {selectedPatient ? (
                <p>
                  <a href={href('patients', selectedPatient.id)}>Open patient record</a>
                </p>
              ) : null}
            </>
          ) : (
            <>
              <p className="muted">Select an appointment to check the patient in, start or complete the visit, or change the time. Double-click an empty slot to book it.</p>
              <h2 id="coming-up-title">Coming up</h2>
              {comingUp.length === 0 ? <p className="muted">Nothing booked in the next {comingUpDays} days.</p> : null}
              <ul className="coming-up" aria-labelledby="coming-up-title">
                {comingUp.map((a) => {
                  const p = patients[a.patientId];
                  const when = dayKey(new Date(a.start));
                  return (
                    <li key={a.id}>
                      <button
                        type="button"
                        onClick={() => {
                          goTo(when);
                          setSelectedId(a.id);
                        }}
                      >
                        <span className="coming-up-when">
                          {shortDay(when)} {timeOf(a.start)}
                        </span>
                        <span className="coming-up-name">{p ? patientName(p) : 'Unknown patient'}</span>
                        <span className="coming-up-who">{users[a.providerId]?.displayName ?? ''}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </aside>
      </div>
      {form ? (
        <AppointmentForm
          appointment={form.appointment}
          providerId={form.providerId}
          start={form.start ?? (day !== dayKey(new Date()) ? new Date(dayStart(day).getTime() + 9 * 3_600_000).toISOString() : undefined)}
          onClose={() => setForm(null)}
          onSaved={(saved) => {
            setSelectedId(saved.id);
            const savedDay = dayKey(new Date(saved.start));
            if (savedDay !== day) goTo(savedDay);
          }}
        />
      ) : null}
    </section>
  );
}

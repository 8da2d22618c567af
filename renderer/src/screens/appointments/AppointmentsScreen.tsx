/**
 * The appointment book: the day view (a column per doctor) or the week view (a column per day, one
 * doctor), bookings dragged or moved with the keys (BookingGrid), blocked time shaded, the
 * selected booking in a side panel. Prints a doctor's day sheet and exports the listed bookings.
 */
import { useMemo, useState } from 'react';
import type { Appointment, BlockedTime } from '../../../../shared/domain/collections';
import { blocksSlot } from '../../../../shared/domain/rules';
import { useActions, useClinic } from '../../app/clinicContext';
import { addDays, dayKey, dayStart, longDate, patientNameOrUnknown, shortDay, statusLabels, timeOf } from '../../app/format';
import { href, navigate } from '../../app/route';
import { exportCsv } from '../../export/csv';
import { DaySheetPrint } from '../../print/documents';
import { printDocument } from '../../print/printing';
import { AppointmentActions } from './AppointmentActions';
import { AppointmentForm } from './AppointmentForm';
import { DateBox } from '../../forms/DateBox';
import { Options } from '../../forms/Options';
import { BlockTimeForm } from './BlockTimeForm';
import { BookingGrid, type BookingMove, type GridColumn } from './BookingGrid';
import { useDoctors } from './useDoctors';
import { StatusPill } from '../../components/StatusPill';
import { ToggleGroup } from '../../components/ToggleGroup';
import { NewButton } from '../../components/NewButton';

/** How far ahead, and how many, the side panel lists when no appointment is selected. */
const comingUpDays = 14;
const comingUpMax = 30;
const unknownColumn = 'other';
const allDoctors = 'all';

export type BookView = 'day' | 'week';

/** Monday of the week `day` falls in. */
export function weekStart(day: string): string {
  const weekday = (dayStart(day).getDay() + 6) % 7;
  return addDays(day, -weekday);
}

export function AppointmentsScreen({ day: dayParam, view: viewParam, doctor: doctorParam }: { day: string | null; view?: string | null; doctor?: string | null }) {
  const day = dayParam && /^\d{4}-\d{2}-\d{2}$/.test(dayParam) ? dayParam : dayKey(new Date());
  const view: BookView = viewParam === 'week' ? 'week' : 'day';
  const appointments = useClinic((s) => s.data.appointments);
  const blockedTimes = useClinic((s) => s.data['blocked-times']);
  const types = useClinic((s) => s.data['appointment-types']);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const user = useClinic((s) => s.user);
  const { update, remove } = useActions();
  const doctors = useDoctors();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [form, setForm] = useState<null | { appointment?: Appointment; providerId?: string; start?: string }>(null);
  const [blocking, setBlocking] = useState(false);
  const chosenDoctor = doctorParam && doctors.some((d) => d.id === doctorParam) ? doctorParam : null;
  // The week view always shows one doctor: the chosen one, the signed-in doctor, or the first.
  const weekDoctor = chosenDoctor ?? (user && doctors.some((d) => d.id === user.id) ? user.id : (doctors[0]?.id ?? ''));
  const doctorChoice = view === 'week' ? weekDoctor : (chosenDoctor ?? allDoctors);

  const goTo = (next: { day?: string; view?: BookView; doctor?: string }) => {
    const params: Record<string, string> = { day: next.day ?? day };
    if ((next.view ?? view) === 'week') params.view = 'week';
    const doctor = next.doctor ?? chosenDoctor;
    if (doctor && doctor !== allDoctors) params.doctor = doctor;
    navigate('appointments', null, params);
  };
  const step = view === 'week' ? 7 : 1;

  const { columns, firstHour, lastHour, listed } = useMemo(() => {
    const inRange = (from: number, to: number) => (x: { start: string; end: string }) => Date.parse(x.start) < to && Date.parse(x.end) > from;
    const all = Object.values(appointments);
    const blocks = Object.values(blockedTimes);
    let cols: GridColumn[];
    if (view === 'day') {
      const from = dayStart(day).getTime();
      const to = dayStart(addDays(day, 1)).getTime();
      const ofDay = all.filter(inRange(from, to));
      const byProvider = new Map<string, Appointment[]>(doctors.map((d) => [d.id, []]));
      for (const a of ofDay) {
        const key = byProvider.has(a.providerId) ? a.providerId : unknownColumn;
        byProvider.set(key, [...(byProvider.get(key) ?? []), a]);
      }
      const dayBlocks = blocks.filter(inRange(from, to));
      cols = [...byProvider.entries()].map(([id, list]) => ({
        key: id,
        title: id === unknownColumn ? 'Other providers' : (users[id]?.displayName ?? 'Doctor'),
        dayStart: from,
        providerId: id === unknownColumn ? null : id,
        appointments: list.sort((a, b) => a.start.localeCompare(b.start)),
        blocks: id === unknownColumn ? [] : dayBlocks.filter((b) => b.providerId === null || b.providerId === id),
      }));
    } else {
      const monday = weekStart(day);
      cols = Array.from({ length: 7 }, (_, i) => {
        const d = addDays(monday, i);
        const from = dayStart(d).getTime();
        const to = dayStart(addDays(d, 1)).getTime();
        return {
          key: d,
          title: shortDay(d),
          dayStart: from,
          providerId: weekDoctor || null,
          appointments: all.filter((a) => a.providerId === weekDoctor && inRange(from, to)(a)).sort((a, b) => a.start.localeCompare(b.start)),
          blocks: blocks.filter((b) => (b.providerId === null || b.providerId === weekDoctor) && inRange(from, to)(b)),
        };
      });
    }
    let first = 7;
    let last = 19;
    for (const c of cols) {
      for (const a of [...c.appointments, ...c.blocks]) {
        first = Math.min(first, Math.max(0, Math.floor((Date.parse(a.start) - c.dayStart) / 3_600_000)));
        last = Math.max(last, Math.min(24, Math.ceil((Date.parse(a.end) - c.dayStart) / 3_600_000)));
      }
    }
    const shown = cols.flatMap((c) => c.appointments).sort((a, b) => a.start.localeCompare(b.start) || a.providerId.localeCompare(b.providerId));
    return { columns: cols, firstHour: first, lastHour: Math.max(last, first + 1), listed: shown };
  }, [appointments, blockedTimes, day, doctors, users, view, weekDoctor]);

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

  const total = listed.filter(blocksSlot).length;
  const nameOf = (a: Appointment) => patientNameOrUnknown(patients[a.patientId]);
  const move = (a: Appointment, to: BookingMove) => update('appointments', a.id, { start: to.start, end: to.end, providerId: to.providerId });

  function printDaySheet() {
    const from = dayStart(day).getTime();
    const to = dayStart(addDays(day, 1)).getTime();
    const sheetDoctor = doctorChoice === allDoctors ? null : doctorChoice;
    const list = Object.values(appointments)
      .filter((a) => Date.parse(a.start) < to && Date.parse(a.end) > from && (sheetDoctor === null || a.providerId === sheetDoctor))
      .sort((a, b) => a.start.localeCompare(b.start));
    const provider = sheetDoctor ? users[sheetDoctor] : undefined;
    printDocument(`Day sheet ${day}`, <DaySheetPrint day={day} provider={provider} appointments={list} patients={patients} />);
  }

  function exportListed() {
    exportCsv(view === 'week' ? `appointments-week-${weekStart(day)}.csv` : `appointments-${day}.csv`, listed, [
      { header: 'Date', value: (a) => dayKey(new Date(a.start)) },
      { header: 'Start', value: (a) => timeOf(a.start) },
      { header: 'End', value: (a) => timeOf(a.end) },
      { header: 'Patient', value: nameOf },
      { header: 'Doctor', value: (a) => users[a.providerId]?.displayName ?? '' },
      { header: 'Type', value: (a) => (a.typeId ? (types[a.typeId]?.name ?? '') : '') },
      { header: 'Room', value: (a) => a.room },
      { header: 'Reason', value: (a) => a.reason },
      { header: 'Status', value: (a) => statusLabels[a.status] ?? a.status },
    ]);
  }

  const selected = selectedId ? appointments[selectedId] : undefined;
  const selectedPatient = selected ? patients[selected.patientId] : undefined;

  return (
    <section className="screen appointments-screen">
      <div className="screen-header">
        <h1 id="appointments-title">{view === 'week' ? 'Week book' : 'Day book'}</h1>
        <div className="toolbar">
          <ToggleGroup
            label="View"
            value={view}
            onChange={(v: BookView) => goTo({ view: v })}
            options={[
              { value: 'day', label: 'Day' },
              { value: 'week', label: 'Week' },
            ]}
          />
          {/* No "day" or "week" in these names: the contract's Day, Week and Print day sheet stay unique. */}
          <button type="button" title={view === 'week' ? 'The week before' : 'The day before'} onClick={() => goTo({ day: addDays(day, -step) })}>
            ‹ Previous
          </button>
          <button type="button" title="Back to the current date" onClick={() => goTo({ day: dayKey(new Date()) })}>
            Now
          </button>
          <button type="button" title={view === 'week' ? 'The week after' : 'The day after'} onClick={() => goTo({ day: addDays(day, step) })}>
            Next ›
          </button>
          <DateBox label="Go to date" value={day} onChange={(d) => goTo({ day: d })} />
          <label className="inline-select">
            <span>Doctor</span>
            <select value={doctorChoice} onChange={(e) => goTo({ doctor: e.target.value })}>
              {view === 'day' ? <option value={allDoctors}>All doctors</option> : null}
              <Options options={doctors.map((d) => ({ value: d.id, label: d.displayName }))} />
            </select>
          </label>
          <strong className="day-title">{view === 'week' ? `Week of ${longDate(weekStart(day))}` : longDate(day)}</strong>
          <span className="muted">{total === 1 ? '1 appointment' : `${total} appointments`}</span>
        </div>
        <div className="toolbar">
          <button type="button" onClick={printDaySheet}>
            Print day sheet
          </button>
          <button type="button" onClick={exportListed}>
            Export CSV
          </button>
          {user?.role !== 'assistant' ? (
            <button type="button" onClick={() => setBlocking(true)}>
              Block time
            </button>
          ) : null}
          <NewButton label="New appointment" onClick={() => setForm({})} pushRight />
        </div>
      </div>
      <div className="daybook-wrap">
        <BookingGrid
          columns={columns}
          firstHour={firstHour}
          lastHour={lastHour}
          selectedId={selectedId}
          patients={patients}
          types={types}
          columnNoun={view === 'week' ? 'day' : 'doctor'}
          onSelect={setSelectedId}
          onMove={move}
          onCreateAt={(c, start) => setForm({ providerId: c.providerId ?? undefined, start })}
          onRemoveBlock={
            user?.role === 'assistant'
              ? undefined
              : (b: BlockedTime) => {
                  if (window.confirm(`Remove the blocked time "${b.reason}"?`)) void remove('blocked-times', b.id);
                }
          }
        />
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
                  <StatusPill status={selected.status} />
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
                          goTo({ day: when });
                          setSelectedId(a.id);
                        }}
                      >
                        <span className="coming-up-when">
                          {shortDay(when)} {timeOf(a.start)}
                        </span>
                        <span className="coming-up-name">{patientNameOrUnknown(p)}</span>
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
            if (view === 'day' ? savedDay !== day : weekStart(savedDay) !== weekStart(day)) goTo({ day: savedDay });
          }}
        />
      ) : null}
      {blocking ? <BlockTimeForm day={day} providerId={doctorChoice === allDoctors ? null : doctorChoice} onClose={() => setBlocking(false)} /> : null}
    </section>
  );
}

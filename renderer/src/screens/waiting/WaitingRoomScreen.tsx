/**
 * The waiting room: who has arrived today, since when, for whom and how long they have waited, in
 * arrival order, live on every terminal (the rows change through the same deltas as the book).
 * A doctor calls the next patient waiting for them; the desk checks expected patients in.
 */
import { useMemo } from 'react';
import type { Appointment } from '../../../../shared/domain/collections';
import { useActions, useClinic } from '../../app/clinicContext';
import { addDays, dayKey, dayStart, patientNameOrUnknown, timeOf } from '../../app/format';
import { href } from '../../app/route';
import { statusChange } from '../appointments/statusChange';
import { useNow } from './useNow';
import { DataTable } from '../../components/DataTable';
import { RowList } from '../../components/RowList';
import { StatusPill } from '../../components/StatusPill';
import { ScreenHeader } from '../../components/ScreenHeader';

/** "12 min", "1 h 05 min". */
export function waitedFor(fromIso: string, now: number): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Arrival order; a booking marked arrived without a time (older rows) counts from its start. */
const arrivedAt = (a: Appointment) => a.arrivedAt ?? a.start;

export function WaitingRoomScreen() {
  const appointments = useClinic((s) => s.data.appointments);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const user = useClinic((s) => s.user);
  const { update } = useActions();
  const now = useNow();
  const today = dayKey(new Date(now));

  const { waiting, inTreatment, expected } = useMemo(() => {
    const from = dayStart(today).getTime();
    const to = dayStart(addDays(today, 1)).getTime();
    const ofToday = Object.values(appointments).filter((a) => Date.parse(a.start) >= from && Date.parse(a.start) < to);
    return {
      waiting: ofToday.filter((a) => a.status === 'arrived').sort((a, b) => arrivedAt(a).localeCompare(arrivedAt(b))),
      inTreatment: ofToday.filter((a) => a.status === 'in_progress').sort((a, b) => a.start.localeCompare(b.start)),
      expected: ofToday.filter((a) => a.status === 'scheduled' || a.status === 'confirmed').sort((a, b) => a.start.localeCompare(b.start)),
    };
  }, [appointments, today]);

  const name = (a: Appointment) => patientNameOrUnknown(patients[a.patientId]);
  const doctorName = (a: Appointment) => users[a.providerId]?.displayName ?? 'a doctor';
  const isDoctor = user?.role === 'doctor';
  const clinical = user?.role === 'doctor' || user?.role === 'assistant';
  const mine = isDoctor ? waiting.filter((a) => a.providerId === user.id) : [];
  const callIn = (a: Appointment) => void update('appointments', a.id, statusChange(a, 'in_progress'));

  return (
    <section className="screen waiting-screen">
      <ScreenHeader id="waiting-title" title="Waiting room">
        <span className="muted">
          {waiting.length === 1 ? '1 patient waiting' : `${waiting.length} patients waiting`}
        </span>
        {isDoctor ? (
          <button type="button" className="primary push-right" disabled={mine.length === 0} onClick={() => mine[0] && callIn(mine[0])}>
            Call next patient
          </button>
        ) : null}
      </ScreenHeader>
      <DataTable
        className="table"
        labelledBy="waiting-title"
        wrapClass="table-wrap"
        rows={waiting}
        rowKey={(a) => a.id}
        rowClass={(a) => (isDoctor && a.providerId === user.id ? 'is-mine' : undefined)}
        empty="Nobody is waiting."
        columns={[
          { header: 'Patient', cellClass: 'strong', cell: (a) => <a href={href('patients', a.patientId)}>{name(a)}</a> },
          { header: 'Arrived', cell: (a) => timeOf(arrivedAt(a)) },
          { header: 'Waiting for', cell: (a) => doctorName(a) },
          { header: 'Waited', cellClass: 'strong', cell: (a) => waitedFor(arrivedAt(a), now) },
          { header: 'Booked', cell: (a) => `${timeOf(a.start)}${a.reason ? ` · ${a.reason}` : ''}` },
          { header: 'Room', cell: (a) => a.room || '—' },
          {
            header: 'Actions',
            headerHidden: true,
            cell: (a) =>
              clinical ? (
                <button type="button" onClick={() => callIn(a)} aria-label={`Call in ${name(a)}`}>
                  Call in
                </button>
              ) : null,
          },
        ]}
      />
      <div className="waiting-lower">
        <section aria-labelledby="in-treatment-title">
          <h2 id="in-treatment-title">In treatment</h2>
          <RowList rows={inTreatment} rowKey={(a) => a.id} empty="Nobody is in treatment.">
            {(a) => (
              <>
                <strong>{name(a)}</strong> with {doctorName(a)} {a.room ? `· ${a.room}` : ''}
              </>
            )}
          </RowList>
        </section>
        <section aria-labelledby="expected-title">
          <h2 id="expected-title">Expected today</h2>
          <RowList rows={expected} rowKey={(a) => a.id} empty="Nobody else is expected today.">
            {(a) => (
              <>
                {timeOf(a.start)} <strong>{name(a)}</strong> for {doctorName(a)} <StatusPill status={a.status} />{' '}
                <button type="button" onClick={() => void update('appointments', a.id, statusChange(a, 'arrived'))} aria-label={`Check in ${name(a)}`}>
                  Check in
                </button>
              </>
            )}
          </RowList>
        </section>
      </div>
    </section>
  );
}

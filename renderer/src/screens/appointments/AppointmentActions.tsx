/** The status buttons the appointment flow allows from the current status, plus change and delete. */
import type { Appointment, AppointmentStatus } from '../../../../shared/domain/collections';
import { canDelete } from '../../../../shared/domain/access';
import { appointmentTransitions } from '../../../../shared/domain/rules';
import { useActions, useClinic } from '../../app/clinicContext';

export const statusActionLabels: Record<AppointmentStatus, string> = {
  scheduled: 'Back to booked',
  confirmed: 'Confirm',
  arrived: 'Mark arrived',
  in_progress: 'Start visit',
  completed: 'Complete visit',
  cancelled: 'Cancel appointment',
  no_show: 'No-show',
};

export function AppointmentActions({ appointment, onChange }: { appointment: Appointment; onChange: () => void }) {
  const { update, remove } = useActions();
  const role = useClinic((s) => s.user?.role ?? 'receptionist');
  const next = appointmentTransitions[appointment.status];
  const movable = appointment.status === 'scheduled' || appointment.status === 'arrived';
  return (
    <div className="button-row">
      {next.map((status) => (
        <button
          key={status}
          type="button"
          className={status === 'cancelled' || status === 'no_show' ? 'danger-outline' : status === 'arrived' || status === 'in_progress' || status === 'completed' ? 'primary' : undefined}
          onClick={() => void update('appointments', appointment.id, { status })}
        >
          {statusActionLabels[status]}
        </button>
      ))}
      {movable ? (
        <button type="button" onClick={onChange}>
          Change time
        </button>
      ) : null}
      {canDelete(role, 'appointments') && (appointment.status === 'cancelled' || appointment.status === 'no_show') ? (
        <button
          type="button"
          className="danger-outline"
          onClick={() => {
            if (window.confirm('Delete this appointment from the book?')) void remove('appointments', appointment.id);
          }}
        >
          Delete
        </button>
      ) : null}
    </div>
  );
}

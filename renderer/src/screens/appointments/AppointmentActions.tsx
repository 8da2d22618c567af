/**
 * The status buttons the appointment flow allows from the current status, plus change and delete.
 * Cancelling or a no-show asks for the reason; a completed visit offers its next step: the
 * treatment record for clinical staff, the invoice for the desk.
 */
import { useMemo, useState } from 'react';
import type { Appointment, AppointmentStatus } from '../../../../shared/domain/collections';
import { canDelete } from '../../../../shared/domain/access';
import { appointmentTransitions, canReschedule } from '../../../../shared/domain/rules';
import { useActions, useClinic } from '../../app/clinicContext';
import { dayKey } from '../../app/format';
import { navigate } from '../../app/route';
import { SaveDialog } from '../../forms/SubmitForm';
import { TextField } from '../../forms/Field';
import { InvoiceForm } from '../billing/InvoiceForm';
import { TreatmentForm } from '../treatment/TreatmentForm';
import { statusChange } from './statusChange';

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
  const [asking, setAsking] = useState<null | 'cancelled' | 'no_show'>(null);
  const next = appointmentTransitions[appointment.status];
  return (
    <>
      <div className="button-row">
        {next.map((status) => (
          <button
            key={status}
            type="button"
            className={status === 'cancelled' || status === 'no_show' ? 'danger-outline' : status === 'arrived' || status === 'in_progress' || status === 'completed' ? 'primary' : undefined}
            onClick={() => {
              if (status === 'cancelled' || status === 'no_show') setAsking(status);
              else void update('appointments', appointment.id, statusChange(appointment, status));
            }}
          >
            {statusActionLabels[status]}
          </button>
        ))}
        {canReschedule(appointment.status) ? (
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
      {appointment.cancelReason && (appointment.status === 'cancelled' || appointment.status === 'no_show') ? <p className="muted">Reason: {appointment.cancelReason}</p> : null}
      {appointment.status === 'completed' ? <NextStep appointment={appointment} /> : null}
      {asking ? <ReasonForm appointment={appointment} to={asking} onClose={() => setAsking(null)} /> : null}
    </>
  );
}

function ReasonForm({ appointment, to, onClose }: { appointment: Appointment; to: 'cancelled' | 'no_show'; onClose: () => void }) {
  const { update } = useActions();
  const [reason, setReason] = useState('');
  const title = to === 'cancelled' ? 'Cancel appointment' : 'No-show';
  return (
    <SaveDialog
      title={title}
      onClose={onClose}
      size="small"
      closeLabel="Back"
      onSave={async () => {
        if (to === 'cancelled' && reason.trim() === '') return 'Cancellation reason: say why, for the record.';
        return update('appointments', appointment.id, statusChange(appointment, to, reason.trim()));
      }}
    >
      <TextField label={to === 'cancelled' ? 'Cancellation reason' : 'Note'} value={reason} onChange={setReason} autoFocus wide maxLength={300} />
    </SaveDialog>
  );
}

/** After the visit: the doctor writes the record, the desk bills it (each only once). */
function NextStep({ appointment }: { appointment: Appointment }) {
  const role = useClinic((s) => s.user?.role ?? 'receptionist');
  const records = useClinic((s) => s.data['treatment-records']);
  const invoices = useClinic((s) => s.data.invoices);
  const [open, setOpen] = useState<null | 'record' | 'invoice'>(null);
  const record = useMemo(() => Object.values(records).find((r) => r.appointmentId === appointment.id), [records, appointment.id]);
  const invoice = useMemo(() => Object.values(invoices).find((i) => i.appointmentId === appointment.id), [invoices, appointment.id]);
  const clinical = role === 'doctor' || role === 'assistant';
  return (
    <section className="next-step" aria-label="Next step">
      <h3>Next step</h3>
      {clinical ? (
        record ? (
          <button type="button" onClick={() => navigate('treatment', record.id)}>
            Open treatment record
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => setOpen('record')}>
            Write treatment record
          </button>
        )
      ) : null}
      {role !== 'doctor' ? (
        invoice ? (
          <button type="button" onClick={() => navigate('billing', invoice.id)}>
            Open invoice
          </button>
        ) : (
          <button type="button" className={clinical ? undefined : 'primary'} onClick={() => setOpen('invoice')}>
            Create invoice
          </button>
        )
      ) : null}
      {open === 'record' ? (
        <TreatmentForm patientId={appointment.patientId} appointmentId={appointment.id} onClose={() => setOpen(null)} onSaved={(id) => navigate('treatment', id)} />
      ) : null}
      {open === 'invoice' ? (
        <InvoiceForm
          patientId={appointment.patientId}
          appointmentId={appointment.id}
          serviceDate={dayKey(new Date(appointment.start))}
          onClose={() => setOpen(null)}
          onSaved={(id) => navigate('billing', id)}
        />
      ) : null}
    </section>
  );
}

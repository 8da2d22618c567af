/** The fields a status step writes besides the status: the arrival time, the cancel reason. */
import type { Appointment, AppointmentStatus } from '../../../../shared/domain/collections';

export function statusChange(appointment: Appointment, to: AppointmentStatus, reason = ''): Record<string, unknown> {
  const fields: Record<string, unknown> = { status: to };
  // Checked in now, by this terminal's clock (offline too): the waiting room counts from here.
  if (to === 'arrived') fields.arrivedAt = new Date().toISOString();
  if ((to === 'scheduled' || to === 'confirmed') && appointment.arrivedAt) fields.arrivedAt = null;
  if (to === 'cancelled' || to === 'no_show') fields.cancelReason = reason;
  if (to === 'scheduled' && appointment.cancelReason) fields.cancelReason = '';
  return fields;
}

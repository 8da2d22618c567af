/**
 * Calls a channel of the bridge and turns the envelope (or a broken transport) into a result
 * with a message a receptionist can read.
 */
import { labelOf } from '../../../shared/domain/plausibility';
import type { ClinicBridge, InvokeChannel, InvokeRequest, InvokeResponse, IpcError } from '../../../shared/ipc/contract';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; code: IpcError['code'] | 'transport' };

/**
 * An error as a sentence: the message, and the fields it names by their form labels unless the
 * message already says them. Details that are not field problems (a clashing row's id) are left out.
 */
export function describeIpcError(error: IpcError): string {
  const details = (error.details ?? [])
    .map((d) => {
      if (typeof d !== 'object' || d === null) return '';
      const issue = d as { path?: unknown; message?: unknown };
      if (typeof issue.message !== 'string') return '';
      const path = Array.isArray(issue.path) ? issue.path.join('.') : typeof issue.path === 'string' ? issue.path : '';
      // A request's own path ("data.firstName") names the field after its envelope.
      const field = path.split('.').filter((segment) => segment !== 'data')[0] ?? '';
      const label = field ? labelOf(field) : '';
      return label && !issue.message.startsWith(label) ? `${label}: ${issue.message}` : issue.message;
    })
    .filter((s) => s !== '' && !error.message.includes(s));
  return details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
}

export async function call<C extends InvokeChannel, R extends InvokeRequest<C>>(
  bridge: ClinicBridge,
  channel: C,
  request: R,
): Promise<Outcome<InvokeResponse<C, R>>> {
  try {
    const envelope = await bridge.invoke(channel, request);
    if (envelope.ok) return { ok: true, value: envelope.value };
    return { ok: false, error: describeIpcError(envelope.error), code: envelope.error.code };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `The terminal did not answer: ${message}`, code: 'transport' };
  }
}

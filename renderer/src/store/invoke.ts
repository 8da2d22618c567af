/**
 * Calls a channel of the bridge and turns the envelope (or a broken transport) into a result
 * with a message a receptionist can read.
 */
import type { ClinicBridge, InvokeChannel, InvokeRequest, InvokeResponse, IpcError } from '../../../shared/ipc/contract';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; code: IpcError['code'] | 'transport' };

export function describeIpcError(error: IpcError): string {
  const details = (error.details ?? [])
    .map((d) => {
      if (typeof d !== 'object' || d === null) return String(d);
      const issue = d as { path?: unknown; message?: unknown };
      const path = Array.isArray(issue.path) ? issue.path.join('.') : '';
      const message = typeof issue.message === 'string' ? issue.message : JSON.stringify(d);
      return path ? `${path}: ${message}` : message;
    })
    .filter((s) => s !== '');
  return details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
}

export async function call<C extends InvokeChannel>(
  bridge: ClinicBridge,
  channel: C,
  request: InvokeRequest<C>,
): Promise<Outcome<InvokeResponse<C>>> {
  try {
    const envelope = await bridge.invoke(channel, request);
    if (envelope.ok) return { ok: true, value: envelope.value };
    return { ok: false, error: describeIpcError(envelope.error), code: envelope.error.code };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `The terminal did not answer: ${message}`, code: 'transport' };
  }
}

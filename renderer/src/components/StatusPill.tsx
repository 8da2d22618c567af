/** A record's status as a coloured pill, in the clinic's words. */
import { statusLabels } from '../app/format';

export function StatusPill({ status }: { status: string }) {
  return <span className={`pill pill-${status}`}>{statusLabels[status] ?? status}</span>;
}

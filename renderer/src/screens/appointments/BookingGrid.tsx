/**
 * The time grid both views of the book share: columns (a doctor each in the day view, a day each in
 * the week view), bookings placed by time, blocked time shaded. A booking moves by dragging (to
 * another time or column, in 5-minute steps) and resizes by its lower edge; with the keyboard, a
 * focused booking moves with the arrow keys (Up/Down: 5 minutes, Left/Right: the next column) and
 * Shift+Up/Down changes its end. Every move is an ordinary update of the appointment, so it syncs,
 * conflicts and is refused (double booking, blocked time) like any other edit.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { Appointment, AppointmentType, BlockedTime, Patient } from '../../../../shared/domain/collections';
import { blocksSlot, canReschedule } from '../../../../shared/domain/rules';
import { patientName, patientNameOrUnknown, timeOf } from '../../app/format';
import { StatusPill } from '../../components/StatusPill';

export const hourHeight = 84;
/** Drags and keys move bookings in steps of this many minutes. */
export const stepMinutes = 5;
const stepMs = stepMinutes * 60_000;
/** A pointer that moved less than this (px) clicked: it selects, it does not move. */
const dragThreshold = 4;
/**
 * Key presses in a row are one move: shown at once, saved this long after the last press. One
 * update per burst, each based on the row the terminal answered for the one before.
 */
export const keyMoveSettleMs = 250;

export type GridColumn = {
  key: string;
  title: string;
  /** Local midnight of the column's day (ms). */
  dayStart: number;
  /** The doctor the column books for; null: a column of bookings whose doctor is not listed. */
  providerId: string | null;
  appointments: Appointment[];
  blocks: BlockedTime[];
};

export type BookingMove = { start: string; end: string; providerId: string };

type Drag = {
  id: string;
  mode: 'move' | 'resize';
  x: number;
  y: number;
  column: number;
  /** Preview while dragging. */
  deltaMs: number;
  targetColumn: number;
  moved: boolean;
};

type Props = {
  columns: GridColumn[];
  firstHour: number;
  lastHour: number;
  selectedId: string | null;
  patients: Record<string, Patient>;
  types: Record<string, AppointmentType>;
  onSelect: (id: string) => void;
  /** Resolves once the terminal answered (saved or refused). */
  onMove: (appointment: Appointment, to: BookingMove) => Promise<unknown> | void;
  onCreateAt: (column: GridColumn, start: string) => void;
  onRemoveBlock?: (block: BlockedTime) => void;
  /** Label of the columns for keyboard help ("doctor" or "day"). */
  columnNoun: string;
};

const snap = (ms: number) => Math.round(ms / stepMs) * stepMs;

export function BookingGrid({ columns, firstHour, lastHour, selectedId, patients, types, onSelect, onMove, onCreateAt, onRemoveBlock, columnNoun }: Props) {
  const [drag, setDrag] = useState<Drag | null>(null);
  const columnRefs = useRef<(HTMLDivElement | null)[]>([]);
  const refocus = useRef<string | null>(null);
  /** Where keyboard moves put a booking, shown until the move is saved. */
  const [keyMoves, setKeyMoves] = useState<Record<string, BookingMove>>({});
  const keyTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const timers = keyTimers.current;
    return () => {
      for (const t of timers.values()) clearTimeout(t);
    };
  }, []);
  const hours = Array.from({ length: lastHour - firstHour }, (_, i) => firstHour + i);
  const top = (column: GridColumn, iso: string) => ((Date.parse(iso) - column.dayStart) / 3_600_000 - firstHour) * hourHeight;

  /** Where a booking of column `from` lands: its time of day kept (plus `deltaMs`), in column `to`. */
  function target(a: Appointment, from: number, to: number, deltaMs: number, mode: 'move' | 'resize'): BookingMove | null {
    const source = columns[from];
    const dest = columns[to];
    if (!source || !dest || dest.providerId === null) return null;
    if (mode === 'resize') {
      const end = Date.parse(a.end) + deltaMs;
      if (end - Date.parse(a.start) < stepMs) return null;
      return { start: a.start, end: new Date(end).toISOString(), providerId: a.providerId };
    }
    const start = Date.parse(a.start) - source.dayStart + dest.dayStart + deltaMs;
    const length = Date.parse(a.end) - Date.parse(a.start);
    return { start: new Date(start).toISOString(), end: new Date(start + length).toISOString(), providerId: dest.providerId };
  }

  function columnAt(clientX: number, fallback: number): number {
    const index = columnRefs.current.findIndex((el) => {
      const r = el?.getBoundingClientRect();
      return r !== undefined && clientX >= r.left && clientX < r.right;
    });
    return index === -1 ? fallback : index;
  }

  function pointerDown(e: PointerEvent, a: Appointment, column: number, mode: 'move' | 'resize') {
    if (e.button !== 0 || !canReschedule(a.status)) return;
    e.stopPropagation();
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    setDrag({ id: a.id, mode, x: e.clientX, y: e.clientY, column, deltaMs: 0, targetColumn: column, moved: false });
  }

  function pointerMove(e: PointerEvent) {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    const moved = drag.moved || Math.abs(dx) > dragThreshold || Math.abs(dy) > dragThreshold;
    const deltaMs = snap((dy / hourHeight) * 3_600_000);
    const targetColumn = drag.mode === 'move' ? columnAt(e.clientX, drag.column) : drag.column;
    if (moved !== drag.moved || deltaMs !== drag.deltaMs || targetColumn !== drag.targetColumn) setDrag({ ...drag, moved, deltaMs, targetColumn });
  }

  /** A drag ends with a click on the booking; that click must not count as selecting it. */
  const draggedJustNow = useRef(false);

  function pointerUp(a: Appointment) {
    if (!drag) return;
    const done = drag;
    setDrag(null);
    if (!done.moved) return; // the click that follows selects it
    draggedJustNow.current = true;
    setTimeout(() => (draggedJustNow.current = false), 0);
    const to = target(a, done.column, done.targetColumn, done.deltaMs, done.mode);
    if (to && (to.start !== a.start || to.end !== a.end || to.providerId !== a.providerId)) onMove(a, to);
  }

  /** The column a booking at `at` sits in: its doctor's and its day's. */
  function columnOf(at: BookingMove, fallback: number): number {
    const t = Date.parse(at.start);
    const index = columns.findIndex((c) => c.providerId === at.providerId && t >= c.dayStart && t < c.dayStart + 86_400_000);
    return index === -1 ? fallback : index;
  }

  function keyDown(e: KeyboardEvent, shown: Appointment, shownColumn: number) {
    if (!canReschedule(shown.status)) return;
    const pending = keyMoves[shown.id];
    const a: Appointment = pending ? { ...shown, ...pending } : shown;
    const column = pending ? columnOf(pending, shownColumn) : shownColumn;
    let to: BookingMove | null = null;
    if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      const delta = e.key === 'ArrowUp' ? -stepMs : stepMs;
      to = target(a, column, column, delta, e.shiftKey ? 'resize' : 'move');
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      let next = column + (e.key === 'ArrowLeft' ? -1 : 1);
      while (columns[next] && columns[next]!.providerId === null) next += e.key === 'ArrowLeft' ? -1 : 1;
      to = target(a, column, next, 0, 'move');
    } else {
      return;
    }
    e.preventDefault();
    if (!to) return;
    const move = to;
    setKeyMoves((m) => ({ ...m, [a.id]: move }));
    const timers = keyTimers.current;
    const previous = timers.get(a.id);
    if (previous) clearTimeout(previous);
    timers.set(
      a.id,
      setTimeout(() => {
        timers.delete(a.id);
        refocus.current = a.id;
        void Promise.resolve(onMove(shown, move)).finally(() =>
          setKeyMoves((m) => {
            if (m[a.id] !== move) return m;
            const rest = { ...m };
            delete rest[a.id];
            return rest;
          }),
        );
      }, keyMoveSettleMs),
    );
  }

  // A booking that moved to another column is a new element: give it the focus back.
  if (refocus.current) {
    const id = refocus.current;
    requestAnimationFrame(() => {
      const el = document.querySelector<HTMLElement>(`[data-booking="${id}"]`);
      if (el && document.activeElement !== el) el.focus();
      refocus.current = null;
    });
  }

  return (
    <div className={columnNoun === 'day' ? 'daybook is-week' : 'daybook'}>
      <p id="booking-keys" className="sr-only">
        Arrow up or down moves the booking by {stepMinutes} minutes; arrow left or right moves it to the previous or next {columnNoun}; with Shift, arrow up or down
        changes its end.
      </p>
      <div className="daybook-head">
        <div className="time-col-head" />
        {columns.length === 0 ? <div className="col-head">No doctors in the staff list</div> : null}
        {columns.map((c, i) => (
          <div key={c.key} className={`col-head${drag?.moved && drag.targetColumn === i ? ' is-drop-target' : ''}`}>
            {c.title}
            <span className="muted"> · {c.appointments.filter(blocksSlot).length}</span>
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
        {columns.map((c, ci) => (
          <div
            key={c.key}
            ref={(el) => {
              columnRefs.current[ci] = el;
            }}
            className="provider-col"
            data-column={c.title}
            onDoubleClick={(e) => {
              if (e.target !== e.currentTarget || c.providerId === null) return;
              const hour = firstHour + Math.floor((e.nativeEvent.offsetY / hourHeight) * 4) / 4;
              onCreateAt(c, new Date(c.dayStart + hour * 3_600_000).toISOString());
            }}
          >
            {hours.map((h) => (
              <div key={h} className="hour-line" style={{ top: (h - firstHour) * hourHeight }} />
            ))}
            {c.blocks.map((b) => {
              const y = Math.max(0, top(c, b.start));
              const height = Math.max(12, top(c, b.end) - y);
              return (
                <div key={b.id} className="blocked-time" style={{ top: y, height }} title={b.reason}>
                  <span>
                    {b.reason} · {timeOf(b.start)}–{timeOf(b.end)}
                  </span>
                  {onRemoveBlock ? (
                    <button type="button" className="link-button" aria-label={`Remove blocked time ${b.reason}`} onClick={() => onRemoveBlock(b)}>
                      ×
                    </button>
                  ) : null}
                </div>
              );
            })}
            {c.appointments.map((a) => {
              const p = patients[a.patientId];
              const dragging = drag?.id === a.id && drag.moved ? drag : null;
              const keyed = keyMoves[a.id];
              const preview = dragging ? target(a, dragging.column, dragging.targetColumn, dragging.deltaMs, dragging.mode) : (keyed ?? null);
              const shown = preview ?? a;
              const targetColumn = dragging ? dragging.targetColumn : keyed ? columnOf(keyed, ci) : ci;
              const placedIn = columns[targetColumn] ?? c;
              const y = Math.max(0, top(placedIn, shown.start));
              const height = Math.max(24, top(placedIn, shown.end) - y - 2);
              const type = a.typeId ? types[a.typeId] : undefined;
              const shift = targetColumn !== ci ? columnShift(columnRefs.current, ci, targetColumn) : 0;
              return (
                <button
                  key={a.id}
                  type="button"
                  data-booking={a.id}
                  className={`appt appt-${a.status}${a.id === selectedId ? ' is-selected' : ''}${blocksSlot(a) ? '' : ' is-inactive'}${dragging ? ' is-dragging' : ''}`}
                  style={{ top: y, height, transform: shift ? `translateX(${shift}px)` : undefined, ...(type ? { borderLeftColor: type.colour } : {}) }}
                  aria-pressed={a.id === selectedId}
                  aria-describedby={canReschedule(a.status) ? 'booking-keys' : undefined}
                  onClick={() => {
                    if (draggedJustNow.current) draggedJustNow.current = false;
                    else onSelect(a.id);
                  }}
                  onPointerDown={(e) => pointerDown(e, a, ci, 'move')}
                  onPointerMove={pointerMove}
                  onPointerUp={() => pointerUp(a)}
                  onPointerCancel={() => setDrag(null)}
                  onKeyDown={(e) => keyDown(e, a, ci)}
                >
                  <span className="appt-line">
                    <span className="appt-time">{timeOf(shown.start)}</span>
                    <span className="appt-name" title={p ? patientName(p) : undefined}>{patientNameOrUnknown(p)}</span>
                    <StatusPill status={a.status} />
                  </span>
                  {height >= 40 ? (
                    <span className="appt-meta">
                      {timeOf(shown.start)}–{timeOf(shown.end)}
                      {type ? ` · ${type.name}` : ''}
                      {a.room ? ` · ${a.room}` : ''}
                      {a.reason ? ` · ${a.reason}` : ''}
                    </span>
                  ) : null}
                  {canReschedule(a.status) ? (
                    <span
                      className="appt-resize"
                      aria-hidden="true"
                      onPointerDown={(e) => pointerDown(e, a, ci, 'resize')}
                      onPointerMove={pointerMove}
                      onPointerUp={(e) => {
                        e.stopPropagation();
                        pointerUp(a);
                      }}
                    />
                  ) : null}
                </button>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

/** How far (px) column `to` lies from column `from`, for the drag preview. */
function columnShift(els: (HTMLDivElement | null)[], from: number, to: number): number {
  const a = els[from]?.getBoundingClientRect();
  const b = els[to]?.getBoundingClientRect();
  return a && b ? b.left - a.left : 0;
}

/**
 * Weekly hours as a person writes them: "Mon-Fri 07:00-19:00, Sat 08:00-13:00" (days not named
 * are closed; an empty text is no hours at all). Used by the admin form; pure.
 */
import type { DayHours, WeeklyHours } from './clinicSettings';

const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const labels = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function dayIndex(word: string): number {
  return days.indexOf(word.trim().slice(0, 3).toLowerCase() as (typeof days)[number]);
}

const pad = (t: string) => (t.length === 4 ? `0${t}` : t);

/** null: the text is empty; a string: what is wrong with it. */
export function parseWeek(text: string): { week: WeeklyHours | null } | { error: string } {
  if (text.trim() === '') return { week: null };
  const week: (DayHours | null)[] = [null, null, null, null, null, null, null];
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([a-z]+)(?:\s*[-–]\s*([a-z]+))?\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/i.exec(part);
    if (!m) return { error: `"${part}" is not like "Mon-Fri 07:00-19:00"` };
    const from = dayIndex(m[1]!);
    const to = m[2] ? dayIndex(m[2]) : from;
    if (from < 0 || to < 0) return { error: `"${part}" names no weekday` };
    const open = pad(m[3]!);
    const close = pad(m[4]!);
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(open) || !/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/.test(close) || open >= close) {
      return { error: `"${part}": the hours must be HH:MM-HH:MM and close after they open` };
    }
    for (let d = from; ; d = (d + 1) % 7) {
      week[d] = { open, close };
      if (d === to) break;
    }
  }
  return { week };
}

/** The week as text, runs of equal days joined: "Mon-Fri 07:00-19:00, Sat 08:00-13:00". */
export function formatWeek(week: WeeklyHours | null | undefined): string {
  if (!week) return '';
  const order = [1, 2, 3, 4, 5, 6, 0];
  const parts: string[] = [];
  for (let i = 0; i < order.length; ) {
    const h = week[order[i]!];
    if (!h) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < order.length && week[order[j + 1]!]?.open === h.open && week[order[j + 1]!]?.close === h.close) j++;
    const span = i === j ? labels[order[i]!] : `${labels[order[i]!]}-${labels[order[j]!]}`;
    parts.push(`${span} ${h.open}-${h.close}`);
    i = j + 1;
  }
  return parts.join(', ');
}

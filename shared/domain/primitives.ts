import { z } from 'zod';

/** Row ids are UUIDs so that a terminal can create rows while offline. */
export const rowId = z.uuid();

/** An instant with an explicit offset or `Z`, as the API contract requires. */
export const instant = z.iso.datetime({ offset: true });

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30). */
export const calendarDate = z.iso.date();

/** The most any amount of money may be: 1,000,000,000.00 in cents (far inside the safe integers). */
export const maxCents = 1_000_000_000_00;

/** Money is always integer cents; never negative in stored rows. */
export const cents = z.int().min(0).max(maxCents);

/** Free text from a form: trimmed length limit keeps rows and sync payloads bounded. */
export const shortText = (max = 200) => z.string().max(max);
export const longText = (max = 20_000) => z.string().max(max);

export const version = z.int().min(1);

/** Fields every stored row carries, set by the server (or optimistically by a terminal). */
export const rowMeta = {
  id: rowId,
  version,
  updatedAt: instant,
  updatedBy: z.string(),
};

/** Whether a terminal's cached rows equal the server's: same ids, and each row field for field. */

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** null when equal, else a short description of the first differences. */
export function rowsEqual(cache: readonly Record<string, unknown>[], server: readonly Record<string, unknown>[]): string | null {
  const mine = new Map(cache.map((r) => [String(r.id), r]));
  const theirs = new Map(server.map((r) => [String(r.id), r]));
  const missing = [...theirs.keys()].filter((id) => !mine.has(id));
  const extra = [...mine.keys()].filter((id) => !theirs.has(id));
  const differing = [...theirs.keys()].filter((id) => mine.has(id) && canonical(mine.get(id)) !== canonical(theirs.get(id)));
  if (missing.length + extra.length + differing.length === 0) return null;
  const parts: string[] = [];
  if (missing.length) parts.push(`${missing.length} missing (${missing[0]})`);
  if (extra.length) parts.push(`${extra.length} extra (${extra[0]})`);
  if (differing.length) {
    const id = differing[0]!;
    const a = mine.get(id)!;
    const b = theirs.get(id)!;
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonical(a[k]) !== canonical(b[k]));
    parts.push(`${differing.length} differ (${id}: ${fields.map((f) => `${f} cache=${canonical(a[f])} server=${canonical(b[f])}`).join('; ').slice(0, 300)})`);
  }
  return parts.join(', ');
}

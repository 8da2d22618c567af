/**
 * The text of a pull answer. A first download is hundreds of pages of 2,000 rows; parsing each
 * stored row's JSON only to serialise it again was most of the server's work (docs/performance.md).
 * So a row travels as the text the store holds wherever the role sees it whole, and only rows
 * with fields to hide (user rows, clinical fields for the front desk) are parsed and redacted.
 */
import { clinicalFieldsOf, hiddenFields, redactRow, seesEveryField } from '../../shared/domain/access';
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import type { PullResponse } from '../../shared/sync/protocol';
import type { PullPage, StoredChange } from '../store/types';

export interface PullAnswer {
  /** The JSON of a PullResponse (plus `total` on a walk from the start). */
  body: string;
  /** Treatment-record changes in the page, for the read audit. */
  clinicalIds: string[];
  /** Patient changes whose clinical field (medicalHistory) went out with a value, for the read audit. */
  clinicalFieldIds: string[];
  cursor: string;
  hasMore: boolean;
}

/** The change as the API sends it to `role`, as JSON text. */
function changeJson(role: Role, change: StoredChange): string {
  const head = `{"collection":${JSON.stringify(change.collection)},"id":${JSON.stringify(change.id)},"op":"${change.op}","version":${change.version}`;
  if (change.rowJson === undefined) return `${head}}`;
  const row = seesEveryField(role, change.collection)
    ? change.rowJson
    : JSON.stringify(redactRow(role, change.collection, JSON.parse(change.rowJson) as AnyRow));
  return `${head},"row":${row}}`;
}

/**
 * Whether the row goes to `role` with a clinical field that has a value, read from the row's JSON
 * text without parsing it (SQLite keeps JSON.stringify's text, PostgreSQL's jsonb adds spaces).
 */
function holdsClinicalField(role: Role, collection: CollectionName, rowJson: string): boolean {
  const fields = clinicalFieldsOf(collection);
  if (fields.length === 0 || hiddenFields(role, collection).length > 0) return false;
  return fields.some((f) => new RegExp(`"${f}"\\s*:`).test(rowJson) && !new RegExp(`"${f}"\\s*:\\s*""`).test(rowJson));
}

export function pullAnswer(role: Role, page: PullPage): PullAnswer {
  const parts: string[] = [];
  const clinicalIds: string[] = [];
  const clinicalFieldIds: string[] = [];
  for (const change of page.changes) {
    parts.push(changeJson(role, change));
    if (change.collection === 'treatment-records') clinicalIds.push(change.id);
    else if (change.rowJson !== undefined && holdsClinicalField(role, change.collection, change.rowJson)) clinicalFieldIds.push(change.id);
  }
  const envelope: Omit<PullResponse, 'changes'> & { total?: number } = { cursor: page.cursor, hasMore: page.hasMore };
  if (page.total !== undefined) envelope.total = page.total;
  // The envelope's own fields after the spliced changes: `{"changes":[...],` + `"cursor":...}`.
  const body = `{"changes":[${parts.join(',')}],${JSON.stringify(envelope).slice(1)}`;
  return { body, clinicalIds, clinicalFieldIds, cursor: page.cursor, hasMore: page.hasMore };
}

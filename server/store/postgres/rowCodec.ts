/** Mapping between PostgreSQL result rows and the store interface's shapes. */
import type { AnyRow, CollectionName } from '../../../shared/domain/collections';
import type { AuditEntry } from '../../../shared/sync/protocol';
import type { StoredRow } from '../types';

export interface RowRecord {
  collection: string;
  id: string;
  version: number;
  deleted: boolean;
  data: AnyRow;
  field_versions: Record<string, number>;
}

export const rowColumns = 'collection, id, version, deleted, data, field_versions';

export function toStoredRow(r: RowRecord): StoredRow {
  return {
    collection: r.collection as CollectionName,
    id: r.id,
    version: r.version,
    deleted: r.deleted,
    row: r.data,
    fieldVersions: r.field_versions,
  };
}

export interface AuditRecord {
  seq: string;
  at: Date;
  user_id: string | null;
  username: string | null;
  action: string;
  collection: string | null;
  row_id: string | null;
  detail: string | null;
}

export function toAuditEntry(r: AuditRecord): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at.toISOString(),
    userId: r.user_id,
    username: r.username,
    action: r.action,
    collection: r.collection,
    rowId: r.row_id,
    detail: r.detail,
  };
}

/** Change-log sequence numbers travel as decimal strings (bigint in PostgreSQL). */
export function cursorOf(seq: string | number | bigint): string {
  return String(seq);
}

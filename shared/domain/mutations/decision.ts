/**
 * What a mutation asks and what the rules decide: the shapes both ends pass around, apart from
 * the rules themselves so that each rule module can name them without importing decide.ts.
 */
import type { AnyRow, CollectionName } from '../collections';
import type { MutationOp } from '../../sync/protocol';

export interface MutationInput {
  collection: CollectionName;
  op: MutationOp;
  id: string;
  baseVersion?: number | null;
  data?: Record<string, unknown>;
}

/** A row as written: the server stores it so (server/store/types.ts StoredRow). */
export interface RowWrite {
  collection: CollectionName;
  id: string;
  /** Same as row.version; kept beside it so stores can index it. */
  version: number;
  /** Tombstone: kept so that pulls can tell terminals the row is gone. */
  deleted: boolean;
  /** The row as the API returns it to a role that may see every field (for a delete: its last state). */
  row: AnyRow;
  /** field name -> the row version that last wrote it (field-level merge). */
  fieldVersions: Record<string, number>;
}

export interface Decision {
  /** The mutation's own row after it (full, unredacted); null for a delete. */
  row: AnyRow | null;
  /** The input as the schemas read it: what a terminal queues for the server. */
  data: Record<string, unknown> | null;
  /** The rows to write, in order (the mutation's own last); empty when nothing changes. */
  writes: RowWrite[];
  /** The invoice number this write gave out: the clinic's counter moves to it. */
  invoiceNumber?: number;
  /** A user whose sign-in tokens must go (deactivated, role changed, deleted). */
  revokeTokensOf?: string;
  /** What the audit log says about it. */
  detail: string;
}

/**
 * The sync protocol between terminals and the clinic server (see ../../docs/api.md).
 * Mutations are intentions with a client-made id; the server applies them in order, once.
 */
import { z } from 'zod';
import { anyRow, collectionName, publicUser } from '../domain/collections';
import { rowId, version } from '../domain/primitives';

/** A position in the server's change log. Opaque to clients: send back what you were given. */
export const cursor = z.string().max(64);
export type Cursor = z.infer<typeof cursor>;

export const mutationOps = ['create', 'update', 'delete', 'adjust'] as const;
export type MutationOp = (typeof mutationOps)[number];

/** What a mutation carries: fields, checked per collection by the rules that apply it. */
const rowData = z.record(z.string(), z.unknown());
/** A row as the server stores and sends it (meta fields and the rest). */
export const storedRow = anyRow;

export const mutation = z.strictObject({
  mutationId: z.uuid(),
  collection: collectionName,
  op: z.enum(mutationOps),
  id: rowId,
  /** The row version the edit was made on; required for update, ignored for create/adjust. */
  baseVersion: version.nullable().optional(),
  /** create: the row's fields; update: only the changed fields; adjust: {delta, reason}. */
  data: rowData.optional(),
});
export type Mutation = z.infer<typeof mutation>;

export const pushRequest = z.strictObject({
  clientId: z.string().min(1).max(100),
  mutations: z.array(mutation).max(500),
});
export type PushRequest = z.infer<typeof pushRequest>;

export const mutationStatuses = ['applied', 'conflict', 'rejected'] as const;
export type MutationStatus = (typeof mutationStatuses)[number];

export const mutationResult = z.object({
  mutationId: z.string(),
  status: z.enum(mutationStatuses),
  /** applied: the stored row; conflict/rejected: the server's current row when there is one. */
  row: storedRow.nullable().optional(),
  error: z.string().optional(),
  /** conflict: the fields that another write changed since baseVersion. */
  fields: z.array(z.string()).optional(),
  /** An HTTP-like code for why a mutation was refused (403, 404, 409, 400). */
  code: z.int().optional(),
  /** A double booking: the appointment this one would overlap. */
  conflictsWith: storedRow.optional(),
  /** rejected with 400: the offending fields, as the REST answer's `details`. */
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type MutationResult = z.infer<typeof mutationResult>;

export const pushResponse = z.object({ results: z.array(mutationResult), cursor });
export type PushResponse = z.infer<typeof pushResponse>;

export const change = z.object({
  collection: collectionName,
  id: rowId,
  op: z.enum(['upsert', 'delete']),
  version,
  row: storedRow.optional(),
});
export type Change = z.infer<typeof change>;

export const pullResponse = z.object({ changes: z.array(change), cursor, hasMore: z.boolean() });
export type PullResponse = z.infer<typeof pullResponse>;

/**
 * The same answer with each change left unchecked, for a client that checks changes in slices as
 * it applies them (a 2,000-row page checked at once would stall a terminal's event loop).
 * `total` is an extension: the rows the whole walk will bring, for progress bars.
 */
export const pullEnvelope = z.object({
  changes: z.array(z.unknown()),
  cursor,
  hasMore: z.boolean(),
  total: z.int().min(0).optional(),
});

export const pullQuery = z.strictObject({
  since: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
  /** Extension: restrict to some collections (comma separated). */
  collections: z.string().max(300).optional(),
});

/**
 * Close code of a live WebSocket whose session is not (or no longer) valid: never signed in, the
 * access token expired, or the user was deactivated. The terminal refreshes and reconnects.
 */
export const liveCloseUnauthorized = 4401;

/** Messages on the live WebSocket `/api/sync/live`. */
/**
 * Extension: a terminal that opens the live channel with `?changes=1` gets pokes that carry the
 * changes themselves when there are few: the pull answer from `from` up to `cursor`, exactly as
 * `GET /api/sync/pull?since=<from>` would give this user (docs/api.md). It saves one pull per
 * terminal per change. A terminal whose cursor is not `from` pulls as after any other poke.
 */
export const liveChangesParam = 'changes';
/** The most changes a poke carries; more, and it is a plain poke (pull them). */
export const liveChangesMax = 100;

export const liveServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('poke'), cursor, from: cursor.optional(), changes: z.array(z.unknown()).optional() }),
  z.object({ type: z.literal('heartbeat'), at: z.string() }),
  z.object({ type: z.literal('ready'), cursor }),
  z.object({ type: z.literal('error'), error: z.string() }),
]);
export type LiveServerMessage = z.infer<typeof liveServerMessage>;

export const liveClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().max(4000) }),
  z.object({ type: z.literal('ping') }),
]);
export type LiveClientMessage = z.infer<typeof liveClientMessage>;

export const loginResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  user: publicUser,
});
export type LoginResponse = z.infer<typeof loginResponse>;

/** Extension: the answer names the user too, as a sign-in's does. */
export const refreshResponse = z.object({ accessToken: z.string(), refreshToken: z.string(), user: publicUser.optional() });

/** A 400 body: what was wrong and where. */
export const errorBody = z.object({
  error: z.string(),
  details: z.array(z.unknown()).optional(),
  current: rowData.optional(),
  conflictsWith: rowData.optional(),
  requestId: z.string().optional(),
});
export type ErrorBody = z.infer<typeof errorBody>;

export const auditEntry = z.object({
  seq: z.number(),
  at: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  action: z.string(),
  collection: z.string().nullable(),
  rowId: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** `GET /api/server` (admins): how the server speaks, and the fingerprint terminals pin. */
export const serverInfo = z.object({
  transport: z.enum(['https', 'http']),
  certificateFingerprint: z.string().nullable(),
  certificateSource: z.enum(['given', 'generated', 'kept']).nullable(),
});
export type ServerInfo = z.infer<typeof serverInfo>;

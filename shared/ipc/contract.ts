/**
 * The one IPC contract between a terminal's windows (renderer) and its main process.
 * Each invoke channel names its request and response schema; each event its payload schema.
 * Electron (ipcMain/preload) and the headless WebSocket transport carry exactly these messages,
 * and main validates every request against them before a handler sees it.
 */
import { z } from 'zod';
import type { ClinicalFieldOf } from '../domain/access';
import {
  adjustInput,
  collectionName,
  createUserInput,
  publicUser,
  role,
  type CollectionName,
  type Role,
  type RowOf,
} from '../domain/collections';
import { rowId, version } from '../domain/primitives';
import { auditEntry, mutationOps, serverInfo } from '../sync/protocol';
import { attentionEventChannels, attentionInvokeChannels } from './attention';

const row = z.record(z.string(), z.unknown());

/**
 * A row of collection `C` as it crosses IPC: the stored row, whose clinical fields are absent on a
 * receptionist's terminal (redactRow removes them before they reach it).
 */
export type WireRow<C extends CollectionName> = C extends CollectionName
  ? Omit<RowOf<C>, ClinicalFieldOf<C>> & Partial<Pick<RowOf<C>, Extract<keyof RowOf<C>, ClinicalFieldOf<C>>>>
  : never;
/** A row of any collection, as it crosses IPC. */
export type AnyWireRow = WireRow<CollectionName>;

/** One row's change in a terminal's cache, its row typed by its collection. */
export type RowChangeOf<C extends CollectionName> = {
  [K in C]: { collection: K; id: string; op: 'upsert' | 'delete'; row?: WireRow<K> };
}[C];
export type RowChange = RowChangeOf<CollectionName>;

/** The change of one row of `collection` (`row`: what it is now; left out for a delete). */
export function rowChange<C extends CollectionName>(collection: C, id: string, op: 'upsert' | 'delete', row?: WireRow<C>): RowChangeOf<C> {
  return row === undefined ? { collection, id, op } : { collection, id, op, row };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * Rows main sends are read from its cache as the server (and the mutation rules) wrote them, and
 * never parsed again on the way out: these schemas give them their collection's type and check
 * only their shape.
 */
const wireRow = z.custom<AnyWireRow>(isObject);
const rowChangeSchema = z.custom<RowChange>(
  (v) => isObject(v) && collectionName.safeParse(v.collection).success && typeof v.id === 'string' && (v.op === 'upsert' || v.op === 'delete'),
);
const empty = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });

/** The SHA-256 fingerprint of a certificate, `AB:CD:...` (colons optional). */
export const certificateFingerprint = z
  .string()
  .trim()
  .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint: 64 hex digits, in pairs separated by colons');
/** Days a user may sign in on this terminal while the server is unreachable, after an online sign-in here (0: never). */
export const defaultOfflineSignInDays = 7;

export const terminalSettings = z.strictObject({
  serverUrl: z.url({ protocol: /^https?$/ }).max(500),
  terminalName: z.string().trim().min(1).max(100),
  /**
   * The https server's certificate this terminal trusts (pinned); absent while none is (an admin's
   * first sign-in pins it). In settings.set: left out, unchanged unless the server address
   * changes; null, unpinned.
   */
  serverFingerprint: certificateFingerprint.nullable().optional(),
  offlineSignInDays: z.int().min(0).max(90).default(defaultOfflineSignInDays),
});
export type TerminalSettings = z.output<typeof terminalSettings>;

export const syncStatus = z.object({
  /** live: WebSocket up; polling: server reachable, live channel down; offline: server unreachable. */
  connection: z.enum(['live', 'polling', 'offline']),
  online: z.boolean(),
  /** Mutations in the outbox not yet answered by the server. */
  pending: z.int().min(0),
  lastSyncedAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /** Progress of the first full download into an empty cache. */
  initialSync: z.object({ done: z.boolean(), received: z.int(), total: z.int().nullable() }),
  conflicts: z.int().min(0),
});
export type SyncStatus = z.infer<typeof syncStatus>;

export const conflict = z.object({
  id: z.string(),
  collection: collectionName,
  rowId: rowId,
  mutationId: z.string(),
  /** The fields both sides changed. */
  fields: z.array(z.string()),
  /** The values this terminal wanted for those fields. */
  mine: row,
  /** The server's row at the time of the conflict. */
  theirs: row,
  recordedAt: z.string(),
});
export type Conflict = z.infer<typeof conflict>;

/** Software updates of this terminal (Electron only; a headless terminal reports `unavailable`). */
/** `available`: a newer version is published but this installation leaves installing to IT. */
export const updatePhases = ['unavailable', 'idle', 'checking', 'up-to-date', 'available', 'downloading', 'ready', 'error'] as const;
export const updateStatus = z.object({
  phase: z.enum(updatePhases),
  currentVersion: z.string(),
  /** The version the server offers, once known. */
  availableVersion: z.string().nullable(),
  /** Download progress 0-100 while downloading. */
  percent: z.number().min(0).max(100).nullable(),
  /** A sentence for the admin: why it errored, or what happens next. */
  message: z.string().nullable(),
  checkedAt: z.string().nullable(),
});
export type UpdateStatus = z.infer<typeof updateStatus>;
export type UpdatePhase = UpdateStatus['phase'];

export const mutateRequest = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('create'), collection: collectionName, data: row }),
  z.strictObject({ op: z.literal('update'), collection: collectionName, id: rowId, baseVersion: version, data: row }),
  z.strictObject({ op: z.literal('delete'), collection: collectionName, id: rowId }),
  z.strictObject({ op: z.literal('adjust'), collection: z.literal('inventory'), id: rowId, data: adjustInput }),
]);
export type MutateRequest = z.infer<typeof mutateRequest>;

/**
 * Who may call a channel: anyone (also signed out: the sign-in screen), a signed-in user of any
 * role, or only the listed roles. The terminal (main/terminal.ts) checks it before the
 * request is even validated, so a locked terminal answers nothing but "sign in first".
 */
export type ChannelAccess = 'anyone' | 'signed-in' | readonly Role[];

export const invokeChannels = {
  'session.login': {
    access: 'anyone',
    request: z.strictObject({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }),
    response: z.object({ user: publicUser }),
  },
  'session.logout': { access: 'signed-in', request: empty, response: ok },
  'session.current': {
    access: 'anyone',
    request: empty,
    response: z.object({ user: publicUser.nullable(), settings: terminalSettings }),
  },
  'data.list': {
    access: 'signed-in',
    request: z.strictObject({ collection: collectionName }),
    response: z.array(wireRow),
  },
  /**
   * The answer names the mutation (for its later outcome) and the row (a create without an id gets
   * one here); the row itself reaches every window, the sender's too, by the local 'data.changed'.
   */
  'data.mutate': {
    access: 'signed-in',
    request: mutateRequest,
    response: z.object({ mutationId: z.string(), id: z.string() }),
  },
  /** Connection and counts only (no rows): the sign-in screen shows whether the server is reachable. */
  'sync.status': { access: 'anyone', request: empty, response: syncStatus },
  'sync.now': { access: 'signed-in', request: empty, response: syncStatus },
  'conflicts.list': { access: 'signed-in', request: empty, response: z.array(conflict) },
  'conflicts.resolve': {
    access: 'signed-in',
    request: z.strictObject({ conflictId: z.string().min(1).max(100), choice: z.enum(['mine', 'theirs']) }),
    response: ok,
  },
  /** The public terminal settings (server address, terminal name): shown on the sign-in screen. */
  'settings.get': { access: 'anyone', request: empty, response: terminalSettings },
  /** The server address redirects where passwords go and where updates come from: an admin's (or the machine's preconfiguration). */
  'settings.set': { access: ['admin'], request: terminalSettings.partial({ offlineSignInDays: true }), response: terminalSettings },
  /** Admin screens talk to the server through main (needs the network). */
  'admin.audit': {
    access: ['admin'],
    request: z.strictObject({ limit: z.int().min(1).max(1000).optional() }),
    response: z.array(auditEntry),
  },
  'admin.createUser': { access: ['admin'], request: createUserInput, response: publicUser },
  /** The server's transport and certificate fingerprint (GET /api/server), for the admin screen. */
  'admin.serverInfo': { access: ['admin'], request: empty, response: serverInfo },
  'app.updateStatus': { access: 'signed-in', request: empty, response: updateStatus },
  'admin.updateUser': {
    access: ['admin'],
    request: z.strictObject({
      id: rowId,
      baseVersion: version,
      displayName: z.string().trim().min(1).max(100).optional(),
      role: role.optional(),
      active: z.boolean().optional(),
    }),
    response: row,
  },
  ...attentionInvokeChannels,
  /**
   * The print-ready page this window shows (renderer/src/print) saved as a PDF file the user
   * chooses: Electron's webContents.printToPDF behind a save dialog. A headless terminal answers
   * `unsupported`; its browser prints with window.print() instead.
   */
  'print.savePdf': {
    access: 'signed-in',
    request: z.strictObject({ fileName: z.string().trim().min(1).max(120).regex(/^[^/\\:*?"<>|]+$/, 'a file name without a folder') }),
    response: z.object({ savedTo: z.string().nullable() }),
  },
} as const satisfies Record<string, { access: ChannelAccess; request: z.ZodType; response: z.ZodType }>;

export const eventChannels = {
  /** Rows that changed in this terminal's cache, local (optimistic) or pulled from the server. */
  'data.changed': z.object({
    source: z.enum(['local', 'remote']),
    changes: z.array(rowChangeSchema),
  }),
  /**
   * Rows a first download cached, one batch of a collection at a time, as the JSON text of an
   * array of rows: main passes on what its cache holds without parsing it (600k rows took the
   * main thread a second to parse); the window parses them.
   */
  'data.downloaded': z.object({ collection: collectionName, rowsJson: z.string() }),
  'sync.status': syncStatus,
  /** The server's answer to one of this terminal's mutations. */
  'mutation.outcome': z.object({
    mutationId: z.string(),
    collection: collectionName,
    id: rowId,
    op: z.enum(mutationOps),
    status: z.enum(['applied', 'conflict', 'rejected']),
    error: z.string().optional(),
  }),
  'conflict.recorded': conflict,
  'session.changed': z.object({ user: publicUser.nullable(), reason: z.string().optional() }),
  /** The terminal's software update state, whenever it changes (Electron shell only). */
  'app.updateStatus': updateStatus,
  ...attentionEventChannels,
} as const;

export type InvokeChannel = keyof typeof invokeChannels;
export type EventChannel = keyof typeof eventChannels;
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]['request']>;
/**
 * What a channel answers. `R`, the request as the caller wrote it, narrows the rows of data.list
 * to the collection asked for.
 */
export type InvokeResponse<C extends InvokeChannel, R = InvokeRequest<C>> = C extends 'data.list'
  ? R extends { collection: infer K extends CollectionName }
    ? WireRow<K>[]
    : never
  : z.output<(typeof invokeChannels)[C]['response']>;
export type EventPayload<E extends EventChannel> = z.output<(typeof eventChannels)[E]>;

export const invokeChannelNames = Object.keys(invokeChannels) as InvokeChannel[];

export function channelAccess(channel: InvokeChannel): ChannelAccess {
  return invokeChannels[channel].access;
}

/** Whether `user` (null: nobody signed in) may call `channel`. */
export function mayCall(channel: InvokeChannel, user: { role: Role } | null): boolean {
  const access = channelAccess(channel);
  if (access === 'anyone') return true;
  if (user === null) return false;
  return access === 'signed-in' || access.includes(user.role);
}
export const eventChannelNames = Object.keys(eventChannels) as EventChannel[];

/** Largest serialized request main accepts from a window. */
export const maxIpcPayloadBytes = 256 * 1024;

/** Every invoke answers with an envelope, so errors cross Electron's IPC intact. */
export type IpcError = {
  code: 'bad_request' | 'unknown_channel' | 'too_large' | 'forbidden' | 'offline' | 'failed' | 'unsupported';
  message: string;
  details?: unknown[];
};
export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** What `window.clinic` offers a renderer, in Electron and in the browser alike. */
export interface ClinicBridge {
  invoke<C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R): Promise<IpcEnvelope<InvokeResponse<C, R>>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/**
 * An event payload main holds as JSON text (a pulled page's data.changed, written on the cache
 * thread), in pieces each small enough to stay out of V8's large-object space: Electron sends it
 * to a window like this and the preload joins and parses it; the headless transport splices the
 * pieces into its frame instead. Windows see the payload only (ClinicBridge.on).
 */
export type JsonPieces = { readonly jsonPieces: readonly string[] };

export function isJsonPieces(value: unknown): value is JsonPieces {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<JsonPieces>).jsonPieces);
}

/** Frames of the headless transport (the same contract over a loopback WebSocket). */
export type WireFrame =
  | { kind: 'invoke'; id: number; channel: string; request: unknown }
  | { kind: 'result'; id: number; envelope: IpcEnvelope<unknown> }
  | { kind: 'event'; channel: EventChannel; payload: unknown };

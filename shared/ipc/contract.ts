/**
 * The one IPC contract between a terminal's windows (renderer) and its main process.
 * Each invoke channel names its request and response schema; each event its payload schema.
 * Electron (ipcMain/preload) and the headless WebSocket transport carry exactly these messages,
 * and main validates every request against them before a handler sees it.
 */
import { z } from 'zod';
import { adjustInput, collectionName, createUserInput, publicUser, role } from '../domain/collections';
import { rowId, version } from '../domain/primitives';
import { auditEntry, mutationOps } from '../sync/protocol';

const row = z.record(z.string(), z.unknown());
const empty = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });

export const terminalSettings = z.strictObject({
  serverUrl: z.url({ protocol: /^https?$/ }).max(500),
  terminalName: z.string().trim().min(1).max(100),
});
export type TerminalSettings = z.infer<typeof terminalSettings>;

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
export const updatePhases = ['unavailable', 'idle', 'checking', 'up-to-date', 'downloading', 'ready', 'error'] as const;
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

export const invokeChannels = {
  'session.login': {
    request: z.strictObject({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }),
    response: z.object({ user: publicUser }),
  },
  'session.logout': { request: empty, response: ok },
  'session.current': {
    request: empty,
    response: z.object({ user: publicUser.nullable(), settings: terminalSettings }),
  },
  'data.list': {
    request: z.strictObject({ collection: collectionName }),
    response: z.array(row),
  },
  'data.mutate': {
    request: mutateRequest,
    response: z.object({ mutationId: z.string(), row: row.nullable() }),
  },
  'sync.status': { request: empty, response: syncStatus },
  'sync.now': { request: empty, response: syncStatus },
  'conflicts.list': { request: empty, response: z.array(conflict) },
  'conflicts.resolve': {
    request: z.strictObject({ conflictId: z.string().min(1).max(100), choice: z.enum(['mine', 'theirs']) }),
    response: ok,
  },
  'settings.get': { request: empty, response: terminalSettings },
  'settings.set': { request: terminalSettings, response: terminalSettings },
  /** Admin screens talk to the server through main (needs the network). */
  'admin.audit': {
    request: z.strictObject({ limit: z.int().min(1).max(1000).optional() }),
    response: z.array(auditEntry),
  },
  'admin.createUser': { request: createUserInput, response: publicUser },
  'app.updateStatus': { request: empty, response: updateStatus },
  'admin.updateUser': {
    request: z.strictObject({
      id: rowId,
      baseVersion: version,
      displayName: z.string().trim().min(1).max(100).optional(),
      role: role.optional(),
      active: z.boolean().optional(),
    }),
    response: row,
  },
  /**
   * The print-ready page this window shows (renderer/src/print) saved as a PDF file the user
   * chooses: Electron's webContents.printToPDF behind a save dialog. A headless terminal answers
   * `unsupported`; its browser prints with window.print() instead.
   */
  'print.savePdf': {
    request: z.strictObject({ fileName: z.string().trim().min(1).max(120).regex(/^[^/\\:*?"<>|]+$/, 'a file name without a folder') }),
    response: z.object({ savedTo: z.string().nullable() }),
  },
} as const;

export const eventChannels = {
  /** Rows that changed in this terminal's cache, local (optimistic) or pulled from the server. */
  'data.changed': z.object({
    source: z.enum(['local', 'remote']),
    changes: z.array(
      z.object({ collection: collectionName, id: rowId, op: z.enum(['upsert', 'delete']), row: row.optional() }),
    ),
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
} as const;

export type InvokeChannel = keyof typeof invokeChannels;
export type EventChannel = keyof typeof eventChannels;
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]['request']>;
export type InvokeResponse<C extends InvokeChannel> = z.output<(typeof invokeChannels)[C]['response']>;
export type EventPayload<E extends EventChannel> = z.output<(typeof eventChannels)[E]>;

export const invokeChannelNames = Object.keys(invokeChannels) as InvokeChannel[];
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
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<IpcEnvelope<InvokeResponse<C>>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Frames of the headless transport (the same contract over a loopback WebSocket). */
export type WireFrame =
  | { kind: 'invoke'; id: number; channel: string; request: unknown }
  | { kind: 'result'; id: number; envelope: IpcEnvelope<unknown> }
  | { kind: 'event'; channel: EventChannel; payload: unknown };

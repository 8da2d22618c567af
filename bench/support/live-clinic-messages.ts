/**
 * What bench/scenarios/live-clinic.ts and its two kinds of child process (bench/core-group.ts,
 * bench/live-sockets.ts) say to each other: one module, so both children answer the parent's
 * common messages alike and the parent imports no child script.
 */

/** The messages every live-clinic child takes from the parent. */
export type ChildCommand = { type: 'open' } | { type: 'report' } | { type: 'exit' };

/** The messages every live-clinic child sends besides its own report. */
export type ChildLifecycle = { type: 'ready' } | { type: 'opened'; ms: number } | { type: 'failed'; error: string };

/** One marked edit arriving on one core: `at` on the machine-wide clock, `updatedAt` the server's stamp. */
export interface Receipt {
  marker: string;
  receiver: number;
  at: number;
  updatedAt: number;
}

export interface CoreGroupConfig {
  serverUrl: string;
  workDir: string;
  /** Names the cores' data directories: `<prefix>-<i>`. */
  prefix: string;
  count: number;
  /** Who signs in on core i: staff[(first + i) % staff.length]. */
  staff: { username: string; password: string }[];
  first: number;
  /** Marked edits have notes starting with this. */
  markerPrefix: string;
}

export type CoreGroupParentMessage = ChildCommand | { type: 'mutate'; core: number; patientId: string; marker: string } | { type: 'settle' };

export type CoreGroupChildMessage =
  | ChildLifecycle
  | { type: 'mutated'; sentAt: number }
  | { type: 'settled'; pending: number }
  | { type: 'receipts'; receipts: Receipt[] };

export interface LiveSocketsConfig {
  serverUrl: string;
  count: number;
  /** Access tokens, used round-robin: socket i signs in with tokens[(first + i) % tokens.length]. */
  tokens: string[];
  first: number;
  /** Receivers are numbered from here in the receipts. */
  firstReceiver: number;
  markerPrefix: string;
}

export type LiveSocketsParentMessage = ChildCommand;

export interface SocketCounts {
  pokesWithChanges: number;
  plainPokes: number;
  pulls: number;
  closed: number;
}

export type LiveSocketsChildMessage = ChildLifecycle | { type: 'receipts'; receipts: Receipt[]; counts: SocketCounts };

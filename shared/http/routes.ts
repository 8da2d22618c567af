/**
 * The clinic server's HTTP API as one table (see /docs/api.md): each route's method, path,
 * request schemas (path parameters, query, body), response schema and the roles allowed. The
 * server registers its handlers from it (server/routes) and its auth guard reads the roles; the
 * terminal's client builds its requests from it and checks the answers with its response schemas.
 */
import { z } from 'zod';
import { access } from '../domain/access';
import {
  collectionNames,
  createUserInput,
  loginInput,
  password,
  publicUser,
  refreshInput,
  type CollectionName,
  type Role,
} from '../domain/collections';
import { rowId } from '../domain/primitives';
import {
  auditEntry,
  liveChangesParam,
  loginResponse,
  pullEnvelope,
  pullQuery,
  pushRequest,
  pushResponse,
  refreshResponse,
  serverInfo,
  storedRow,
} from '../sync/protocol';
import { snapshotQuery } from '../sync/snapshot';

/**
 * Who may call a route: anyone (no token: health, sign-in, and the live socket, which signs
 * itself in with its first message), any signed-in user, or only the listed roles.
 */
export type RouteAccess = 'anyone' | 'signed-in' | readonly Role[];

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** Fastify's form: `:id` marks a path parameter. */
  path: string;
  roles: RouteAccess;
  /** What a role outside `roles` is told (403). */
  forbidden?: (role: Role) => string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The JSON answer on success; null when there is none (204) or it is not JSON. */
  response: z.ZodType | null;
  /** The status of a successful answer. */
  status: 200 | 201 | 204;
}

/** `id` of a path such as /api/patients/:id. */
export const idParams = z.strictObject({ id: rowId });
/** Routes that take no query options. */
export const noQuery = z.strictObject({});
/**
 * A collection write's body before its rules check it: a JSON object (the fields, or a stock
 * adjustment), checked against the collection's schema by the mutation.
 */
export const writeBody = z.record(z.string(), z.unknown());

/** `If-Match: 3`, also accepted quoted as an ETag (`"3"`). */
export const ifMatch = z
  .string()
  .trim()
  .regex(/^(W\/)?"?\d{1,9}"?$/, 'If-Match must be the row version the edit is based on, e.g. If-Match: 3')
  .transform((v) => Number(v.replace(/\D/g, '')))
  .pipe(z.int().min(1));

export const auditQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(5000).optional() });

/** The live channel's only query option: `?changes=1` (a token never travels in a URL). */
export const liveQuery = z.strictObject({ [liveChangesParam]: z.literal('1').optional() });

export const liftBlockInput = z
  .strictObject({
    username: z.string().min(1).max(100).optional(),
    address: z.string().min(1).max(100).optional(),
  })
  .refine((v) => v.username !== undefined || v.address !== undefined, 'give "username", "address" or both');
export const liftBlockResponse = z.object({
  lifted: z.array(z.object({ username: z.string().nullable(), address: z.string() })),
});

export const healthResponse = z.object({ status: z.literal('ok') });
export const setPasswordInput = z.strictObject({ password });

const adminOnly = ['admin'] as const satisfies readonly Role[];

/** The access of a route only an admin may call: anyone else is told that only an admin `does` it. */
function forAdmins(does: string) {
  return { roles: adminOnly, forbidden: () => `only an admin ${does}` };
}

function route<const S extends RouteSpec>(spec: S): S {
  return spec;
}

export const apiRoutes = {
  health: route({ method: 'GET', path: '/api/health', roles: 'anyone', response: healthResponse, status: 200 }),
  login: route({ method: 'POST', path: '/api/auth/login', roles: 'anyone', body: loginInput, response: loginResponse, status: 200 }),
  refresh: route({ method: 'POST', path: '/api/auth/refresh', roles: 'anyone', body: refreshInput, response: refreshResponse, status: 200 }),
  /** Extension: sign-out ends its refresh token, so a copy of it can never mint a session (docs/api.md). */
  logout: route({ method: 'POST', path: '/api/auth/logout', roles: 'anyone', body: refreshInput, response: null, status: 204 }),
  /** Extension: an admin lifts a sign-in block (docs/api.md). */
  liftBlock: route({ method: 'POST', path: '/api/auth/lift-block', ...forAdmins('lifts sign-in blocks'), body: liftBlockInput, response: liftBlockResponse, status: 200 }),
  me: route({ method: 'GET', path: '/api/me', roles: 'signed-in', response: publicUser, status: 200 }),
  createUser: route({
    method: 'POST',
    path: '/api/users',
    roles: access.users.write,
    forbidden: (role) => `a ${role} may not create users`,
    body: createUserInput,
    /** The stored user row: its public fields and meta (never a password or its hash). */
    response: storedRow,
    status: 201,
  }),
  setPassword: route({
    method: 'POST',
    path: '/api/users/:id/password',
    ...forAdmins('sets passwords'),
    params: idParams,
    body: setPasswordInput,
    response: null,
    status: 204,
  }),
  pull: route({ method: 'GET', path: '/api/sync/pull', roles: 'signed-in', query: pullQuery, response: pullEnvelope, status: 200 }),
  /** Extension: a first download as SQLite files (shared/sync/snapshot.ts); the answer is a file. */
  snapshot: route({ method: 'GET', path: '/api/sync/snapshot', roles: 'signed-in', query: snapshotQuery, response: null, status: 200 }),
  push: route({ method: 'POST', path: '/api/sync/push', roles: 'signed-in', body: pushRequest, response: pushResponse, status: 200 }),
  /** A WebSocket upgrade; its first message signs it in (shared/sync/protocol.ts). */
  live: route({ method: 'GET', path: '/api/sync/live', roles: 'anyone', query: liveQuery, response: null, status: 200 }),
  audit: route({ method: 'GET', path: '/api/audit', ...forAdmins('reads the audit log'), query: auditQuery, response: z.array(auditEntry), status: 200 }),
  /** Extension: what an admin needs to set up terminals, e.g. the certificate fingerprint they pin. */
  serverInfo: route({ method: 'GET', path: '/api/server', ...forAdmins('reads the server settings'), response: serverInfo, status: 200 }),
  /** Stock adjustments commute: a delta, never an absolute quantity (checked by the mutation). */
  adjustStock: route({
    method: 'POST',
    path: '/api/inventory/:id/adjust',
    roles: access.inventory.write,
    forbidden: (role) => `a ${role} may not adjust stock`,
    params: idParams,
    body: writeBody,
    response: storedRow,
    status: 200,
  }),
};

/** The five routes of one collection; rows are checked field by field by the mutations. */
function collectionRouteSet(c: CollectionName) {
  const base = `/api/${c}` as const;
  const item = `/api/${c}/:id` as const;
  const rules = access[c];
  const see = (role: Role) => `a ${role} may not see ${c}`;
  return {
    list: route({ method: 'GET', path: base, roles: rules.read, forbidden: see, query: noQuery, response: z.array(storedRow), status: 200 }),
    get: route({ method: 'GET', path: item, roles: rules.read, forbidden: see, params: idParams, query: noQuery, response: storedRow, status: 200 }),
    /** Users are created with a password: apiRoutes.createUser. */
    create:
      c === 'users'
        ? null
        : route({
            method: 'POST',
            path: base,
            roles: rules.write,
            forbidden: (role: Role) => `a ${role} may not create ${c}`,
            body: writeBody,
            response: storedRow,
            status: 201,
          }),
    /** Only the changed fields, and the version they were based on in If-Match. */
    update: route({
      method: 'PATCH',
      path: item,
      roles: rules.write,
      forbidden: (role: Role) => `a ${role} may not change ${c}`,
      params: idParams,
      body: writeBody,
      response: storedRow,
      status: 200,
    }),
    remove: route({
      method: 'DELETE',
      path: item,
      roles: rules.delete,
      forbidden: (role: Role) => `a ${role} may not delete ${c}`,
      params: idParams,
      response: null,
      status: 204,
    }),
  };
}
export type CollectionRoutes = ReturnType<typeof collectionRouteSet>;

export const collectionRoutes = Object.fromEntries(collectionNames.map((c) => [c, collectionRouteSet(c)])) as {
  [C in CollectionName]: CollectionRoutes;
};

/** Every route of the API, for the server's registration check and its guard. */
export const allRoutes: RouteSpec[] = [
  ...Object.values(apiRoutes),
  ...collectionNames.flatMap((c) => (Object.values(collectionRoutes[c]) as (RouteSpec | null)[]).filter((r) => r !== null)),
];

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

const byKey = new Map(allRoutes.map((r) => [routeKey(r.method, r.path), r]));

/** The table's entry for a registered route (fastify's method and path form), if it is one. */
export function findRoute(method: string, path: string): RouteSpec | undefined {
  return byKey.get(routeKey(method, path));
}

/** Whether `role` may call `spec` (null: nobody signed in). */
export function mayCallRoute(spec: RouteSpec, role: Role | null): boolean {
  if (spec.roles === 'anyone') return true;
  if (role === null) return false;
  return spec.roles === 'signed-in' || spec.roles.includes(role);
}

export type ParamsOf<S extends RouteSpec> = S['params'] extends z.ZodType ? z.input<S['params']> : Record<string, never>;
export type QueryOf<S extends RouteSpec> = S['query'] extends z.ZodType ? z.input<S['query']> : Record<string, never>;
export type BodyOf<S extends RouteSpec> = S['body'] extends z.ZodType ? z.input<S['body']> : undefined;
/** What the server sends on success (input side: before the client's parse). */
export type ResponseOf<S extends RouteSpec> = S['response'] extends z.ZodType ? z.input<S['response']> : undefined;
/** What the client holds after checking the answer. */
export type AnswerOf<S extends RouteSpec> = S['response'] extends z.ZodType ? z.output<S['response']> : undefined;

/**
 * The path of a request: `:name` parameters filled in (URL-encoded) and the query's defined
 * values appended in the order given.
 */
export function pathOf(spec: RouteSpec, params: Record<string, string> = {}, query: Record<string, string | number | undefined | null> = {}): string {
  const path = spec.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${spec.method} ${spec.path} needs its "${name}" parameter`);
    return encodeURIComponent(value);
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.set(k, String(v));
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

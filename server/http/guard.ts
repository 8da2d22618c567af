/**
 * The auth guard: every /api route except those the route table (shared/http/routes.ts) opens to
 * anyone (health, sign-in, refresh, and the live socket, which authenticates itself) needs a valid
 * bearer token of a user that still exists and is active, whose role the table allows.
 * The role comes from the store, not the token, so a role change takes effect at once.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../../shared/domain/collections';
import { findRoute, mayCallRoute } from '../../shared/http/routes';
import type { Actor } from '../store/types';
import type { ServerContext } from './context';
import { HttpError } from './errors';

/** The active user an access token speaks for, or null. */
export async function actorFromToken(ctx: ServerContext, token: string): Promise<Actor | null> {
  const claims = await ctx.tokens.verify(token);
  return claims ? activeActor(ctx, claims.userId) : null;
}

/** The user as they are now (role included), or null if they were deleted or deactivated. */
export async function activeActor(ctx: ServerContext, userId: string): Promise<Actor | null> {
  const user = await ctx.store.getRow('users', userId);
  if (!user || user.deleted || user.row.active === false) return null;
  return { id: user.id, username: String(user.row.username), role: user.row.role as Role };
}

export function installAuthGuard(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const route = request.routeOptions.url;
    if (!route || !route.startsWith('/api/')) return;
    // HEAD is answered by the GET route of the same path.
    const spec = findRoute(request.method === 'HEAD' ? 'GET' : request.method, route);
    if (spec?.roles === 'anyone') return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,4000})$/i.exec(header.trim()) : null;
    if (!match) throw new HttpError(401, 'sign in first: send Authorization: Bearer <accessToken>');
    const actor = await actorFromToken(ctx, match[1]!);
    if (!actor) throw new HttpError(401, 'the access token is invalid or expired; sign in or refresh');
    request.actor = actor;
    if (spec && !mayCallRoute(spec, actor.role)) {
      throw new HttpError(403, spec.forbidden?.(actor.role) ?? `a ${actor.role} may not use ${spec.method} ${spec.path}`);
    }
  });
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new HttpError(401, 'sign in first');
  return request.actor;
}

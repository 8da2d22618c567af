/** Sign-in, token refresh (rotation) and who-am-I. */
import type { FastifyInstance } from 'fastify';
import { loginInput, refreshInput, type PublicUser, type Role } from '../../shared/domain/collections';
import type { LoginResponse } from '../../shared/sync/protocol';
import { decoyHash, verifyPassword } from '../auth/passwords';
import { issueRefreshToken, hashRefreshToken } from '../auth/tokens';
import type { ServerContext } from '../http/context';
import { badRequest, HttpError } from '../http/errors';
import { actorOf } from '../http/guard';
import type { StoredRow } from '../store/types';

export function publicUserOf(user: StoredRow): PublicUser {
  return { id: user.id, username: String(user.row.username), displayName: String(user.row.displayName), role: user.row.role as Role };
}

const WRONG_LOGIN = 'wrong username or password';

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/auth/login', async (request, reply) => {
    const parsed = loginInput.safeParse(request.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const { username, password } = parsed.data;
    const wait = await ctx.throttle.retryAfter(username);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new HttpError(429, `too many failed sign-ins for ${username}; try again in ${wait} s`);
    }
    const found = await ctx.store.findUserByUsername(username);
    // Same work and the same answer for an unknown user, a wrong password and a deactivated account.
    const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyHash()));
    if (!found || !ok || found.user.row.active === false) {
      await ctx.throttle.failed(username);
      await ctx.store.write((tx) =>
        tx.appendAudit({ userId: found?.user.id ?? null, username, action: 'login-failed', collection: null, rowId: null, detail: null }),
      );
      throw new HttpError(401, WRONG_LOGIN);
    }
    await ctx.throttle.succeeded(username);
    const user = found.user;
    const refreshToken = await ctx.store.write(async (tx) => {
      await tx.appendAudit({ userId: user.id, username: String(user.row.username), action: 'login', collection: null, rowId: null, detail: null });
      return issueRefreshToken(tx, user.id);
    });
    const accessToken = await ctx.tokens.accessToken({ userId: user.id, role: String(user.row.role) });
    const body: LoginResponse = { accessToken, refreshToken, user: publicUserOf(user) };
    return body;
  });

  app.post('/api/auth/refresh', async (request) => {
    const parsed = refreshInput.safeParse(request.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const result = await ctx.store.write(async (tx) => {
      const record = await tx.takeRefreshToken(hashRefreshToken(parsed.data.refreshToken));
      if (!record || Date.parse(record.expiresAt) <= Date.now()) return null;
      const user = await tx.getRow('users', record.userId);
      if (!user || user.deleted || user.row.active === false) return null;
      return { user, refreshToken: await issueRefreshToken(tx, user.id) };
    });
    if (!result) throw new HttpError(401, 'the refresh token is invalid, expired or already used; sign in again');
    const accessToken = await ctx.tokens.accessToken({ userId: result.user.id, role: String(result.user.row.role) });
    return { accessToken, refreshToken: result.refreshToken, user: publicUserOf(result.user) };
  });

  app.get('/api/me', async (request) => {
    const actor = actorOf(request);
    const user = await ctx.store.getRow('users', actor.id);
    if (!user) throw new HttpError(401, 'sign in first');
    return publicUserOf(user);
  });
}

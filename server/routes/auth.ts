/** Sign-in, token refresh (rotation) and who-am-I. */
import type { FastifyInstance } from 'fastify';
import type { PublicUser, Role } from '../../shared/domain/collections';
import { apiRoutes } from '../../shared/http/routes';
import { issueRefreshToken, hashRefreshToken } from '../auth/tokens';
import type { ServerContext } from '../http/context';
import { badRequest, HttpError } from '../http/errors';
import { serveRoute } from '../http/serveRoute';
import type { StoredRow } from '../store/types';

export function publicUserOf(user: StoredRow): PublicUser {
  return { id: user.id, username: String(user.row.username), displayName: String(user.row.displayName), role: user.row.role as Role };
}

const WRONG_LOGIN = 'wrong username or password';

/** Where a username was blocked in the last day, from the audit log (shared by every instance). */
async function blockedAddresses(ctx: ServerContext, username: string): Promise<string[]> {
  const since = Date.now() - 24 * 60 * 60 * 1000;
  const found = new Set<string>();
  for (const e of await ctx.store.listAudit(5000)) {
    if (Date.parse(e.at) < since) break;
    if (e.action !== 'login-blocked' || e.username?.toLowerCase() !== username.toLowerCase()) continue;
    const address = /address=(\S+)/.exec(e.detail ?? '')?.[1];
    if (address) found.add(address);
  }
  return [...found];
}

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serveRoute(app, apiRoutes.login, async ({ request, reply }) => {
    const parsed = apiRoutes.login.body.safeParse(request.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const { username, password } = parsed.data;
    const address = request.ip;
    // Counted before the (slow) password check: parallel guesses each take an attempt.
    const admission = await ctx.throttle.admit(username, address);
    if (!admission.admitted) {
      const wait = admission.retryAfterSeconds;
      reply.header('retry-after', String(wait));
      const what = admission.scope === 'account' ? 'for this username from this address' : 'from this address';
      throw new HttpError(429, `too many failed sign-ins ${what}; try again in ${wait} s`);
    }
    const ticket = admission.ticket;
    const found = await ctx.store.findUserByUsername(username);
    // Same work and the same answer for an unknown user, a wrong password and a deactivated account.
    const check = await ctx.passwords.check(password, found?.passwordHash ?? (await ctx.passwords.decoyHash()));
    if (!found || !check.ok || found.user.row.active === false) {
      const imposed = await ctx.throttle.failed(ticket);
      ctx.failedLogins.record(username, address, found?.user.id ?? null);
      if (imposed.length > 0) {
        await ctx.store.write(async (tx) => {
          for (const block of imposed) {
            const detail = `scope=${block.scope} address=${address} seconds=${block.seconds}`;
            await tx.appendAudit({ userId: found?.user.id ?? null, username, action: 'login-blocked', collection: null, rowId: null, detail });
          }
        });
      }
      throw new HttpError(401, WRONG_LOGIN);
    }
    await ctx.throttle.succeeded(ticket);
    const user = found.user;
    // A hash made at weaker parameters than today's is replaced while the password is at hand.
    const rehashed = check.needsRehash ? await ctx.passwords.hash(password) : null;
    const refreshToken = await ctx.store.write(async (tx) => {
      if (rehashed) await tx.setPasswordHash(user.id, rehashed);
      await tx.appendAudit({ userId: user.id, username: String(user.row.username), action: 'login', collection: null, rowId: null, detail: rehashed ? 'password hash upgraded' : null });
      return issueRefreshToken(tx, user.id);
    });
    const accessToken = await ctx.tokens.accessToken({ userId: user.id, role: String(user.row.role) });
    return { accessToken, refreshToken, user: publicUserOf(user) };
  });

  // Extension: an admin lifts a sign-in block (docs/api.md). Audited.
  serveRoute(app, apiRoutes.liftBlock, async ({ request, actor }) => {
    const parsed = apiRoutes.liftBlock.body.safeParse(request.body ?? {});
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const { username, address } = parsed.data;
    const lifted: { username: string | null; address: string }[] = [];
    if (username === undefined) {
      await ctx.throttle.lift({ address: address! });
      lifted.push({ username: null, address: address! });
    } else {
      for (const at of address !== undefined ? [address] : await blockedAddresses(ctx, username)) {
        await ctx.throttle.lift({ username, address: at });
        lifted.push({ username, address: at });
      }
    }
    await ctx.store.write((tx) =>
      tx.appendAudit({
        userId: actor.id,
        username: actor.username,
        action: 'lift-block',
        collection: null,
        rowId: null,
        detail: lifted.length > 0 ? lifted.map((l) => `${l.username ?? '(any username)'} at ${l.address}`).join(', ') : `no block found for ${username ?? ''}`,
      }),
    );
    return { lifted };
  });

  serveRoute(app, apiRoutes.refresh, async ({ request }) => {
    const parsed = apiRoutes.refresh.body.safeParse(request.body);
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

  // Extension: the holder of a refresh token ends it (sign-out). An unknown or used token is
  // already unusable, so it is answered the same: the answer tells nothing about other tokens.
  serveRoute(app, apiRoutes.logout, async ({ request }) => {
    const parsed = apiRoutes.logout.body.safeParse(request.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    await ctx.store.write(async (tx) => {
      const record = await tx.takeRefreshToken(hashRefreshToken(parsed.data.refreshToken));
      if (!record) return;
      const user = await tx.getRow('users', record.userId);
      await tx.appendAudit({ userId: record.userId, username: user ? String(user.row.username) : null, action: 'logout', collection: null, rowId: null, detail: null });
    });
    return undefined;
  });

  serveRoute(app, apiRoutes.me, async ({ actor }) => {
    const user = await ctx.store.getRow('users', actor.id);
    if (!user) throw new HttpError(401, 'sign in first');
    return publicUserOf(user);
  });
}

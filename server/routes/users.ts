/** Creating users (admin only) and resetting their passwords; listing/editing is in rows.ts. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { apiRoutes } from '../../shared/http/routes';
import type { ServerContext } from '../http/context';
import { bodyObject, parseWith, serveRoute } from '../http/serveRoute';
import { runMutation } from '../mutations/run';
import { MutationRefused } from '../mutations/refusal';

export function userRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serveRoute(
    app,
    apiRoutes.createUser,
    async ({ request, actor }) => {
      const input = parseWith(apiRoutes.createUser.body, bodyObject(request), 'body');
      const { password: secret, ...data } = input;
      const id = input.id ?? randomUUID();
      const hash = await ctx.passwords.hash(secret);
      const applied = await runMutation(ctx.store, actor, { collection: 'users', op: 'create', id, data }, {
        beforeCommit: (tx) => tx.setPasswordHash(id, hash),
      });
      if (!applied.row) throw new Error('a user was created without a row');
      return applied.row;
    },
    'users',
  );

  serveRoute(
    app,
    apiRoutes.setPassword,
    async ({ request, actor, params: { id } }) => {
      const body = parseWith(apiRoutes.setPassword.body, bodyObject(request), 'body');
      const hash = await ctx.passwords.hash(body.password);
      await ctx.store.write(async (tx) => {
        const user = await tx.getRow('users', id);
        if (!user || user.deleted) throw new MutationRefused(404, `users ${id} not found`);
        await tx.setPasswordHash(id, hash);
        await tx.revokeRefreshTokens(id);
        await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'set-password', collection: 'users', rowId: id, detail: null });
      });
      return undefined;
    },
    'users',
  );
}

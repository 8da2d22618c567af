/**
 * Registers a handler for a route of the shared table (shared/http/routes.ts): its method and
 * path, its path parameters and query checked with the table's schemas, and its success status.
 * Who may call it is the auth guard's job (http/guard.ts), from the same table.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { CollectionName } from '../../shared/domain/collections';
import type { ResponseOf, RouteSpec } from '../../shared/http/routes';
import type { Actor } from '../store/types';
import { badRequest, HttpError } from './errors';
import { actorOf } from './guard';

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw badRequest(parsed.error, where);
  return parsed.data;
}

/** A collection write's body: a JSON object, checked field by field by the mutation. */
export function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be a JSON object', [{ path: '(body)', message: 'expected a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<S extends RouteSpec> {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The signed-in user (the guard has checked them); 401 when read on a route open to anyone. */
  readonly actor: Actor;
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
}

/** What a handler gives back: the answer's body, or the reply it has sent itself (streams, raw JSON). */
export type RouteAnswer<S extends RouteSpec> = ResponseOf<S> | FastifyReply;

export function serveRoute<S extends RouteSpec>(
  app: FastifyInstance,
  spec: S,
  handler: (input: RouteInput<S>) => Promise<RouteAnswer<S>>,
  /** The collection a route works on: error bodies redact its rows for the caller's role. */
  collection?: CollectionName,
): void {
  app.route({
    method: spec.method,
    url: spec.path,
    // Read back by the error handler and the 403 audit (routeCollection in errors.ts).
    config: { collection } as { collection: CollectionName },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const params = (spec.params ? parseWith(spec.params, request.params, 'path') : undefined) as Parsed<S['params']>;
      const query = (spec.query ? parseWith(spec.query, request.query, 'query') : undefined) as Parsed<S['query']>;
      const answer = await handler({
        request,
        reply,
        get actor() {
          return actorOf(request);
        },
        params,
        query,
      });
      if (answer === reply) return reply;
      if (spec.status === 204) return reply.code(204).send();
      return reply.code(spec.status).send(answer);
    },
  });
}

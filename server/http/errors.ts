/**
 * Every error becomes a JSON answer: client mistakes a 4xx naming what was wrong, anything else a
 * logged 500 with the request id. Nothing is half-written: each request is one transaction.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { redactRow } from '../../shared/domain/access';
import type { AnyRow, CollectionName } from '../../shared/domain/collections';
import { MutationRefused, zodProblems, type FieldProblem } from '../mutations/refusal';
import { BadCursorError } from '../store/types';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A refusal decided by a route (auth, roles, missing rows). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function badRequest(error: ZodError, where: string): HttpError {
  const details = zodProblems(error);
  const named = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new HttpError(400, `invalid ${where}: ${named}`, details.map((d) => ({ ...d, path: d.path === '(body)' ? where : d.path })));
}

/** The collection a route works on, from its config, to redact rows in error bodies. */
function routeCollection(request: FastifyRequest): CollectionName | undefined {
  return (request.routeOptions.config as { collection?: CollectionName } | undefined)?.collection;
}

/** Called for every 403 before it is answered (the audit log keeps every refusal). */
export type ForbiddenListener = (request: FastifyRequest, message: string) => Promise<void>;

export function installErrorHandler(app: FastifyInstance, onForbidden: ForbiddenListener = async () => {}): void {
  app.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
    const requestId = request.id;
    const status = error instanceof MutationRefused ? error.code : error instanceof HttpError ? error.statusCode : 0;
    if (status === 403) {
      try {
        await onForbidden(request, error.message);
      } catch (err) {
        request.log.error({ err }, 'auditing a 403 failed');
      }
    }
    if (error instanceof MutationRefused) {
      const actor = request.actor;
      const collection = routeCollection(request);
      const redact = (row: AnyRow | undefined, c: CollectionName | undefined) =>
        row && actor && c ? redactRow(actor.role, c, row) : row;
      const body: Record<string, unknown> = { error: error.message, requestId };
      if (error.extra.details) body.details = error.extra.details;
      if (error.extra.fields) body.fields = error.extra.fields;
      if (error.extra.current) body.current = redact(error.extra.current, collection);
      if (error.extra.conflictsWith) body.conflictsWith = redact(error.extra.conflictsWith, 'appointments');
      request.log.info({ status: error.code }, `refused: ${error.message}`);
      return reply.code(error.code).send(body);
    }
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) request.log.error(error);
      else request.log.info({ status: error.statusCode }, `refused: ${error.message}`);
      return reply.code(error.statusCode).send({ error: error.message, details: error.details ?? [], requestId });
    }
    if (error instanceof ZodError) {
      const details = zodProblems(error);
      return reply.code(400).send({ error: 'invalid input', details, requestId });
    }
    if (error instanceof BadCursorError) {
      return reply.code(400).send({ error: error.message, details: [{ path: 'since', message: error.message }], requestId });
    }
    const fe = error as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const message = `request body larger than the ${BODY_LIMIT_BYTES} byte (1 MiB) limit`;
      return reply.code(400).send({ error: message, details: [{ path: '(body)', message }], requestId });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const message = 'send the body as JSON with Content-Type: application/json';
      return reply.code(400).send({ error: message, details: [{ path: '(body)', message }], requestId });
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      // Malformed JSON, empty JSON bodies and the like: fastify's message says what is wrong.
      const status = fe.statusCode === 413 || fe.statusCode === 415 ? 400 : fe.statusCode;
      const message = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? `malformed JSON: ${fe.message}` : fe.message;
      return reply.code(status).send({ error: message, details: [{ path: '(body)', message }], requestId });
    }
    request.log.error({ err: error }, 'internal error');
    return reply.code(500).send({ error: 'internal error; the server log has the details', requestId });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id });
  });
}

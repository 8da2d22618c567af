/**
 * A pull answer read from the server's bytes, where the page is applied (the cache thread): the
 * main thread only fetches the bytes and schedules on the facts this returns. The checks are the
 * ones every answer gets (the route table's response schema, shared/http/routes.ts), with the
 * same refusals as the client's; each change is checked with parsePulledChange as it is applied.
 */
import { apiRoutes } from '../../shared/http/routes';
import { answerJson, BadServerAnswer } from './client';

export interface ReadPulledPage {
  changes: unknown[];
  cursor: string;
  hasMore: boolean;
  total: number | null;
}

/** `path`: the request's path, for the refusal's message. */
export function readPulledPage(bytes: Uint8Array, path: string): ReadPulledPage {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const json = answerJson('GET', path, 200, text);
  const parsed = apiRoutes.pull.response.safeParse(json);
  if (!parsed.success) throw new BadServerAnswer(`Unexpected answer to GET ${path}: ${parsed.error.message.slice(0, 300)}`);
  const page = parsed.data;
  return { changes: page.changes, cursor: page.cursor, hasMore: page.hasMore, total: page.total ?? null };
}

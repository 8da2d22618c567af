/**
 * The thread a first download's snapshot parts come in on (started by ./snapshotFetch.ts): the
 * HTTP answer streams through the sealing cipher into its file here, so none of its bytes pass
 * the main thread. Over https the connection is held to the pinned certificate, as every request
 * of the terminal is (../pinnedTls.ts).
 */
import { createWriteStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { parentPort } from 'node:worker_threads';
import { CertificateMismatch, CertificateNotYetTrusted, PinnedAgent } from '../pinnedTls';
import type { SnapshotFetchAnswer, SnapshotFetchRequest } from './snapshotFetch';
import { sealingStream } from './snapshotSeal';

const port = parentPort;
if (!port) throw new Error('snapshot-fetch-worker runs as a worker thread of the terminal core');

/** A refused answer's body is a short JSON error; more than this is not read. */
const maxErrorText = 64 * 1024;

function open(request: SnapshotFetchRequest): Promise<IncomingMessage> {
  const url = new URL(request.url);
  const tls = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: request.token ? { authorization: `Bearer ${request.token}` } : {},
        timeout: request.timeoutMs,
        ...(tls ? { agent: new PinnedAgent({ expected: () => request.pin }) } : {}),
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function isCertificateRefusal(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return cause instanceof CertificateMismatch || cause instanceof CertificateNotYetTrusted || err instanceof CertificateMismatch || err instanceof CertificateNotYetTrusted;
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out[name] = value;
  return out;
}

async function readText(res: IncomingMessage): Promise<{ text: string; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes <= maxErrorText) chunks.push(chunk);
    }
  } catch {
    // what came is what there is
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes };
}

async function fetchPart(request: SnapshotFetchRequest): Promise<SnapshotFetchAnswer> {
  let res: IncomingMessage;
  try {
    res = await open(request);
  } catch (err) {
    return { id: request.id, kind: 'unreachable', certificate: isCertificateRefusal(err), message: (err as Error).message };
  }
  const status = res.statusCode ?? 0;
  const headers = headersOf(res);
  if (status !== 200) {
    const { text, bytes } = await readText(res);
    return { id: request.id, kind: 'answer', status, headers, text, bytes };
  }
  let bytes = 0;
  res.on('data', (chunk: Buffer) => (bytes += chunk.length));
  // A socket that goes quiet half-way must not hold the download for ever.
  res.setTimeout(request.timeoutMs, () => res.destroy(new Error(`no bytes for ${request.timeoutMs} ms`)));
  try {
    // Sealed on the way to disk (the part holds patients' rows); only its owner may open the file.
    await pipeline(res, sealingStream(request.seal), createWriteStream(request.file, { highWaterMark: 1024 * 1024, mode: 0o600 }));
  } catch (err) {
    return { id: request.id, kind: 'broken', message: (err as Error).message, bytes };
  }
  return { id: request.id, kind: 'answer', status, headers, text: '', bytes };
}

port.on('message', (request: SnapshotFetchRequest) => {
  void fetchPart(request).then((answer) => port.postMessage(answer));
});

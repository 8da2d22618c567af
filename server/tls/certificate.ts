/**
 * The server's TLS: off loopback it speaks https, with the certificate an admin gives
 * (--tls-cert/--tls-key) or, by default, a self-signed one made at first start and kept in
 * `<data-dir>/tls/` (key file 0600). Terminals do not trust it through a certificate authority but
 * by its SHA-256 fingerprint, which the server prints at start and shows admins (docs/admin.md).
 * Plain http only on loopback, or when the admin says `--insecure-http`.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsChoice {
  /** The address the server binds. */
  host: string;
  certFile?: string;
  keyFile?: string;
  /** Speak TLS even on loopback (tests, or an admin who wants it everywhere). */
  tls?: boolean;
  /** Plain http off loopback, said loudly at start. */
  insecureHttp?: boolean;
}

export interface ServerTls {
  cert: string;
  key: string;
  /** SHA-256 of the certificate, `AB:CD:...`: what terminals pin. */
  fingerprint: string;
  /** 'given': --tls-cert/--tls-key; 'generated': made now; 'kept': made at an earlier start. */
  source: 'given' | 'generated' | 'kept';
  certFile: string;
}

export class TlsSetupError extends Error {}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Whether the server speaks TLS: given files or `tls` say yes; else off loopback unless --insecure-http. */
export function wantsTls(choice: TlsChoice): boolean {
  if (choice.certFile || choice.keyFile || choice.tls) return true;
  if (choice.insecureHttp) return false;
  return !isLoopback(choice.host);
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** Names the certificate carries: cosmetic for pinned terminals, useful for a browser's warning page. */
function altNames(host: string): { type: 2 | 7; value?: string; ip?: string }[] {
  const names = new Map<string, { type: 2 | 7; value?: string; ip?: string }>();
  const add = (name: string) => {
    if (!name || name === '0.0.0.0' || name === '::') return;
    names.set(name, isIP(name) ? { type: 7, ip: name } : { type: 2, value: name });
  };
  add('localhost');
  add('127.0.0.1');
  add(hostname());
  add(host);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (!i.internal && i.family === 'IPv4') add(i.address);
  return [...names.values()];
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function loadServerTls(options: { dataDir: string; host: string; certFile?: string; keyFile?: string }): Promise<ServerTls> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new TlsSetupError('give both --tls-cert and --tls-key');
    let cert: string;
    let key: string;
    try {
      [cert, key] = await Promise.all([readFile(options.certFile, 'utf8'), readFile(options.keyFile, 'utf8')]);
    } catch (error) {
      throw new TlsSetupError(`cannot read the TLS certificate or key: ${(error as Error).message}`);
    }
    let fingerprint: string;
    try {
      fingerprint = fingerprintOf(cert);
    } catch (error) {
      throw new TlsSetupError(`${options.certFile} is not a PEM certificate: ${(error as Error).message}`);
    }
    return { cert, key, fingerprint, source: 'given', certFile: resolve(options.certFile) };
  }
  const dir = join(resolve(options.dataDir), 'tls');
  const certFile = join(dir, 'server-cert.pem');
  const keyFile = join(dir, 'server-key.pem');
  const [cert, key] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (cert && key) return { cert, key, fingerprint: fingerprintOf(cert), source: 'kept', certFile };

  const now = new Date();
  const generated = await generate([{ name: 'commonName', value: 'Clinic Desk server' }, { name: 'organizationName', value: 'Clinic Desk' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 24 * 60 * 60 * 1000),
    notAfterDate: new Date(now.getFullYear() + 10, now.getMonth(), now.getDate()),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(options.host) },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, generated.private, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await writeFile(certFile, generated.cert, { mode: 0o644 });
  return { cert: generated.cert, key: generated.private, fingerprint: fingerprintOf(generated.cert), source: 'generated', certFile };
}

/** What the start lines say about the transport: the fingerprint to pin, or why it is plain http. */
export function describeTransport(tls: Omit<ServerTls, 'cert' | 'key'> | null, host: string, insecureHttp: boolean): string[] {
  if (tls) {
    const where =
      tls.source === 'given' ? `the given certificate ${tls.certFile}` : `a self-signed certificate ${tls.source === 'generated' ? 'made now and kept' : 'kept'} in ${tls.certFile}`;
    return [`TLS with ${where}`, `certificate SHA-256 fingerprint (terminals pin it): ${tls.fingerprint}`];
  }
  if (insecureHttp && !isLoopback(host)) {
    return [`--insecure-http: plain http on ${host}; passwords, tokens and patient data cross the network UNENCRYPTED`];
  }
  return [];
}

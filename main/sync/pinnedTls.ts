/**
 * TLS to the clinic server with its certificate pinned by SHA-256 fingerprint. The server's
 * certificate is usually self-signed (made at its first start), so no certificate authority can
 * vouch for it: the terminal trusts exactly the certificate whose fingerprint it was given (in
 * the preconfiguration file, or on the first sign-in by an admin) and refuses every other one.
 *
 * The check runs on the socket after the handshake and BEFORE the socket is handed to the HTTP
 * request (http.Agent and ws both wait for createConnection's callback), so not one byte of a
 * request (a password, a token) reaches a server with another certificate.
 */
import { Agent, type AgentOptions, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** The certificate a terminal trusts: a fixed pin, or none yet (trust on first use by an admin). */
export interface CertificatePin {
  expected(): string | null;
}

/** `AB:CD:...` upper case, the form Node and the server print; null for anything else. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.trim().replace(/^sha-?256[:=\s]*/i, '').replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** The server presented another certificate than the pinned one. */
export class CertificateMismatch extends Error {
  constructor(
    readonly presented: string,
    readonly expected: string,
  ) {
    super(
      `The clinic server presented a certificate with SHA-256 fingerprint ${presented}, but this terminal trusts only ${expected}. ` +
        'Refusing to connect: someone may be intercepting the connection. If the server certificate was replaced on purpose, ' +
        'an admin must set the new fingerprint on this terminal.',
    );
    this.name = 'CertificateMismatch';
  }
}

export const notYetTrustedMessage =
  "This terminal does not trust the clinic server's certificate yet: an admin must sign in once on this terminal " +
  '(their sign-in pins the certificate), or the fingerprint must be set in the preconfiguration file.';

/** No pin yet, and this connection may not be the one that makes it. */
export class CertificateNotYetTrusted extends Error {
  constructor() {
    super(notYetTrustedMessage);
    this.name = 'CertificateNotYetTrusted';
  }
}

const seenFingerprint = new WeakMap<object, string>();

/** The fingerprint of the certificate a socket made by `pinnedConnect` was shown. */
export function fingerprintOf(socket: object | null | undefined): string | null {
  return socket ? (seenFingerprint.get(socket) ?? null) : null;
}

type Callback = (error: Error | null, socket?: TLSSocket) => void;

/** A createConnection for http.Agent or ws that checks the pin before handing the socket on. */
export function pinnedConnect(pin: CertificatePin, requirePin = false): (options: ConnectionOptions, callback: Callback) => undefined {
  return (options, callback) => {
    let done = false;
    const finish = (error: Error | null, socket?: TLSSocket) => {
      if (done) return;
      done = true;
      callback(error, socket);
    };
    // The chain cannot be checked against a CA for a self-signed certificate: the pin replaces it.
    const socket = connect({ ...options, rejectUnauthorized: false, checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => {
      const presented = socket.getPeerCertificate().fingerprint256;
      const expected = pin.expected();
      if (expected === null && requirePin) {
        socket.destroy();
        return finish(new CertificateNotYetTrusted());
      }
      if (!presented || (expected !== null && presented !== expected)) {
        socket.destroy();
        return finish(new CertificateMismatch(presented ?? '(none)', expected ?? '(none)'));
      }
      seenFingerprint.set(socket, presented);
      finish(null, socket);
    });
    socket.once('error', (error) => finish(error));
    return undefined;
  };
}

/** An https.Agent whose every connection goes through `pinnedConnect`. */
export class PinnedAgent extends Agent {
  private readonly connectPinned: ReturnType<typeof pinnedConnect>;

  constructor(pin: CertificatePin, options: AgentOptions = {}) {
    super(options);
    this.connectPinned = pinnedConnect(pin);
  }

  override createConnection(options: RequestOptions, callback?: (error: Error | null, stream: Duplex) => void): undefined {
    if (!callback) throw new Error('PinnedAgent connects only through the callback form of createConnection');
    return this.connectPinned(options as ConnectionOptions, (error, socket) => callback(error, socket as Duplex));
  }
}

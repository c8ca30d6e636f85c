// Who is on the other end of each TLS connection: the participant named by its
// verified client certificate (see pki/identity.ts), established once per
// connection at the handshake and kept with the socket.
//
// Live connections are tracked so that a revocation or an expiry takes effect
// on connections already open (keep-alive), not only on new handshakes: after
// each CRL reload the listener closes the connections whose certificate is now
// revoked, and every request checks that its connection's certificate is
// still within its validity.
import type { TLSSocket } from 'node:tls';
import { fspIdOfCertificate } from '../../pki/index.ts';
import { err, ok, type Result } from '../../support/index.ts';

export interface PeerIdentity {
  readonly fspId: string;
  /** Upper-case hex, as node:crypto gives it. */
  readonly serialHex: string;
  readonly notAfterMs: number;
  readonly fingerprint256: string;
}

/** Why a connection names no participant (and its certificate's serial, when it has one). */
export interface PeerRefusal { readonly reason: string; readonly serialHex?: string }

export type PeerCheck = Result<PeerIdentity, PeerRefusal>;

/** Reads the identity of a socket whose handshake verified the client's certificate. */
export function identityOfSocket(socket: TLSSocket): PeerCheck {
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return err({ reason: 'no client certificate' });
  const serialHex = certificate.serialNumber.toUpperCase();
  const fspId = fspIdOfCertificate(new Uint8Array(certificate.raw));
  if (fspId === undefined) return err({ reason: 'the client certificate names no participant (urn:mojaloop:fspid SAN)', serialHex });
  return ok({ fspId, serialHex, notAfterMs: certificate.validToDate.getTime(), fingerprint256: certificate.fingerprint256 });
}

export interface PeerRegistry {
  /** Establishes and keeps the identity of a new connection. */
  track(socket: TLSSocket): PeerCheck;
  identityOf(socket: TLSSocket): PeerIdentity | undefined;
  /** Destroys the live connections whose certificate is revoked (serials upper-case hex) or past its validity; returns them. */
  closeRevokedOrExpired(revokedSerialsHex: ReadonlySet<string>, nowMs: number): PeerIdentity[];
  readonly size: number;
}

export function createPeerRegistry(): PeerRegistry {
  const live = new Map<TLSSocket, PeerIdentity>();
  return {
    track(socket) {
      const check = identityOfSocket(socket);
      if (check.ok) {
        live.set(socket, check.value);
        socket.once('close', () => { live.delete(socket); });
      }
      return check;
    },
    identityOf: (socket) => live.get(socket),
    closeRevokedOrExpired(revokedSerialsHex, nowMs) {
      const closed: PeerIdentity[] = [];
      for (const [socket, identity] of live) {
        if (revokedSerialsHex.has(identity.serialHex) || identity.notAfterMs <= nowMs) {
          closed.push(identity);
          live.delete(socket);
          socket.destroy();
        }
      }
      return closed;
    },
    get size() {
      return live.size;
    },
  };
}

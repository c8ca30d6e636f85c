// Mutual TLS between the hub and the DFSPs, both ways:
//   - the FSPIOP listener's options (TLS policy, client certificate required and
//     verified against the scheme CA and its current CRLs);
//   - who is on the other end of each connection (peer_identity.ts), and the
//     security events of refused handshakes and connections without identity;
//   - reload without restart: CRLs (and the hub's own certificate when renewed)
//     are swapped into the listener with setSecureContext, and live connections
//     whose certificate has since been revoked or has expired are closed;
//   - the TLS the delivery worker uses to call DFSPs back (the hub's certificate
//     as client certificate, DFSP servers verified against the scheme CA).
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import { revokedSerialsOf } from '../../pki/index.ts';
import type { Clock } from '../../support/index.ts';
import type { SecurityEvents } from '../../audit/index.ts';
import { clientCertificateRefusal, refusalTrustOf } from './client_certificate_refusal.ts';
import type { HubTlsCredentials } from './hub_credentials.ts';
import { createPeerRegistry, type PeerIdentity } from './peer_identity.ts';
import { TLS_POLICY } from '../../support/index.ts';

/**
 * The listener asks for a client certificate and OpenSSL verifies it (CA, validity, CRL), but the
 * verdict is acted on here, at the first moment the connection exists: with rejectUnauthorized the
 * handshake would fail with no reason the hub can record (node reports only ECONNRESET), and each
 * refusal must be a security event naming its reason. A connection that is not authorized is
 * destroyed before any byte of it is read, by a listener that runs before the HTTP server's; every
 * request checks again that its connection is authorized (fspiop_api.ts).
 */
const CLIENT_CERTIFICATE_ASKED = { requestCert: true, rejectUnauthorized: false } as const;

export interface TrustMaterial {
  /** The scheme's root and issuing CA certificates, PEM. */
  readonly caPems: readonly string[];
  /** The CRLs of every CA in the chain (node:tls checks revocation of the whole chain once it has any CRL). */
  readonly crlPems: readonly string[];
}

export interface MutualTls {
  /** Options for the FSPIOP listener (https.createServer / Fastify `https`). */
  serverOptions(): SecureContextOptions & typeof CLIENT_CERTIFICATE_ASKED & typeof TLS_POLICY;
  /** Tracks the listener's connections and records its refusals; once, before it listens. */
  attach(server: TlsServer): void;
  /** The participant of a connection whose handshake verified its certificate. */
  identityOf(socket: TLSSocket): PeerIdentity | undefined;
  /**
   * New CRLs (and, when given, new hub credentials) into the listener for new handshakes; live
   * connections whose certificate the new CRLs revoke, or that have expired, are closed.
   */
  reload(trust: TrustMaterial, credentials?: HubTlsCredentials): PeerIdentity[];
  /** Options for the delivery worker's HTTPS client. */
  clientOptions(): { readonly ca: string[]; readonly cert: string; readonly key: string };
  /** Live connections with an identity. */
  connections(): number;
}

/** A TLS error's code (OpenSSL's or Node's), short and free of anything the peer chose. */
function errorReason(error: Error & { code?: unknown; reason?: unknown }): string {
  const code = typeof error.code === 'string' ? error.code : 'TLS_ERROR';
  const reason = typeof error.reason === 'string' ? `: ${error.reason.slice(0, 120)}` : '';
  return `${code}${reason}`;
}

export function createMutualTls(deps: { credentials: HubTlsCredentials; trust: TrustMaterial; clock: Clock; securityEvents: SecurityEvents }): MutualTls {
  const { clock, securityEvents } = deps;
  let credentials = deps.credentials;
  let trust = deps.trust;
  // What a refusal is explained against (client_certificate_refusal.ts), parsed once per reload.
  let refusalTrust = refusalTrustOf(trust.caPems, trust.crlPems);
  let server: TlsServer | undefined;
  const peers = createPeerRegistry();

  const serverOptions = () => ({
    ...TLS_POLICY,
    ...CLIENT_CERTIFICATE_ASKED,
    key: credentials.keyPem,
    cert: credentials.certificateChainPem,
    ca: [...trust.caPems],
    crl: [...trust.crlPems],
  });

  return {
    serverOptions,
    attach(listener) {
      server = listener;
      listener.prependListener('secureConnection', (socket: TLSSocket) => {
        if (!socket.authorized) {
          // OpenSSL's code names the last check that failed, not what is wrong: the certificate is examined instead.
          const refusal = clientCertificateRefusal(socket, refusalTrust, clock.nowMs());
          securityEvents.record({
            kind: 'tls-handshake-refused', reason: refusal.reason, sourceAddress: socket.remoteAddress ?? 'unknown',
            ...(refusal.serialHex === undefined ? {} : { certificateSerial: refusal.serialHex }),
          });
          socket.destroy();
          return;
        }
        const check = peers.track(socket);
        if (!check.ok) {
          securityEvents.record({
            kind: 'tls-identity-missing', reason: check.error.reason, sourceAddress: socket.remoteAddress ?? 'unknown',
            ...(check.error.serialHex === undefined ? {} : { certificateSerial: check.error.serialHex }),
          });
          socket.destroy();
        }
      });
      listener.on('tlsClientError', (error: Error & { code?: unknown }, socket: TLSSocket) => {
        // A handshake that took too long is the slow-client guard's to record (gateway/connection_limits.ts), once.
        if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return;
        securityEvents.record({ kind: 'tls-handshake-refused', reason: errorReason(error), sourceAddress: socket.remoteAddress ?? 'unknown' });
      });
    },
    identityOf: (socket) => peers.identityOf(socket),
    reload(newTrust, newCredentials) {
      trust = newTrust;
      refusalTrust = refusalTrustOf(trust.caPems, trust.crlPems);
      if (newCredentials !== undefined) credentials = newCredentials;
      server?.setSecureContext(serverOptions());
      const revoked = new Set(trust.crlPems.flatMap((pem) => [...revokedSerialsOf(pem)]).map((serial) => serial.toUpperCase()));
      const closed = peers.closeRevokedOrExpired(revoked, clock.nowMs());
      for (const identity of closed) {
        securityEvents.record({
          kind: 'tls-connection-revoked', reason: revoked.has(identity.serialHex) ? 'certificate revoked' : 'certificate expired',
          participant: identity.fspId, certificateSerial: identity.serialHex,
        });
      }
      return closed;
    },
    clientOptions: () => ({ ca: [...trust.caPems], cert: credentials.certificateChainPem, key: credentials.keyPem }),
    connections: () => peers.size,
  };
}

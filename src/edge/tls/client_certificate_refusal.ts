// Why the listener refused a client's certificate, as the security event says it.
//
// OpenSSL's verdict (socket.authorizationError) is not a reason to record: with
// the verification callback node installs, verification goes on past the first
// failure and the code left at the end is the last one met. A connection with no
// certificate reads UNABLE_TO_GET_ISSUER_CERT (node's placeholder when there is
// no peer certificate); a self-signed one, once CRLs are loaded, reads
// UNABLE_TO_GET_CRL (the CRL check, which runs after the chain failed, finds no
// CRL of a CA the scheme never had). So the certificate is examined here, in the
// order that names the first thing wrong with it: none sent, self-signed, an
// issuer other than the scheme CA, not yet valid, expired, revoked. OpenSSL's
// code is kept only when none of these explain the refusal.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { revokedSerialsOf } from '../../pki/index.ts';

export interface ClientCertificateRefusal {
  /** Stable text, beginning with what happened (see REFUSAL_REASONS). */
  readonly reason: string;
  /** Upper-case hex, when a certificate was sent. */
  readonly serialHex?: string;
}

/** The reasons, as they begin: stable, for operators' queries and for probes. */
export const REFUSAL_REASONS = {
  none: 'no client certificate',
  selfSigned: 'self-signed client certificate',
  foreignIssuer: 'client certificate not issued by the scheme CA',
  notYetValid: 'client certificate not yet valid',
  expired: 'client certificate expired',
  revoked: 'client certificate revoked',
  other: 'client certificate refused by TLS verification',
} as const;

export interface RefusalTrust {
  /** The scheme's CA certificates. */
  readonly cas: readonly X509Certificate[];
  /** Serials (lower-case hex) the CRLs list. */
  readonly revokedSerials: ReadonlySet<string>;
}

/** The trust material as the classification uses it; made once per reload. */
export function refusalTrustOf(caPems: readonly string[], crlPems: readonly string[]): RefusalTrust {
  return {
    cas: caPems.map((pem) => new X509Certificate(pem)),
    revokedSerials: new Set(crlPems.flatMap((pem) => [...revokedSerialsOf(pem)])),
  };
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

/** OpenSSL's code, as node gives it (a string at run time, typed as an Error). */
function opensslCode(socket: TLSSocket): string {
  const refusal: unknown = socket.authorizationError;
  const text = refusal instanceof Error ? refusal.message : typeof refusal === 'string' ? refusal : 'unknown';
  return /^[A-Z0-9_]{1,64}$/.test(text) ? text : 'unknown';
}

export function clientCertificateRefusal(socket: TLSSocket, trust: RefusalTrust, nowMs: number): ClientCertificateRefusal {
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return { reason: REFUSAL_REASONS.none };
  const serialHex = certificate.serialNumber.toUpperCase();
  if (issuedBy(certificate, certificate)) return { reason: REFUSAL_REASONS.selfSigned, serialHex };
  if (!trust.cas.some((ca) => issuedBy(certificate, ca))) return { reason: REFUSAL_REASONS.foreignIssuer, serialHex };
  const validFromMs = Date.parse(certificate.validFrom);
  const validToMs = Date.parse(certificate.validTo);
  if (nowMs < validFromMs) return { reason: `${REFUSAL_REASONS.notYetValid} (valid from ${new Date(validFromMs).toISOString()})`, serialHex };
  if (nowMs > validToMs) return { reason: `${REFUSAL_REASONS.expired} (valid to ${new Date(validToMs).toISOString()})`, serialHex };
  if (trust.revokedSerials.has(serialHex.toLowerCase())) return { reason: REFUSAL_REASONS.revoked, serialHex };
  return { reason: `${REFUSAL_REASONS.other} (${opensslCode(socket)})`, serialHex };
}

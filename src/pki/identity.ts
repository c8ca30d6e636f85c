// A participant's identity in its certificate: the fspId as a URI in the
// subjectAltName (urn:mojaloop:fspid:<fspId>), which the hub reads back to
// decide who is on the other end of a TLS connection. The subject CN carries
// the same fspId for people reading the certificate, but only the SAN is
// trusted: a CN is free text in many tools, a URI SAN is not.
import { isParticipantName } from '../support/index.ts';
import { x509 } from './x509.ts';

export const FSPID_URI_PREFIX = 'urn:mojaloop:fspid:';

export function fspIdUri(fspId: string): string {
  return FSPID_URI_PREFIX + fspId;
}

/**
 * The fspId a certificate (DER, or PEM) was issued for: its one
 * urn:mojaloop:fspid URI, naming a valid participant. Undefined when there is
 * none, or more than one (a certificate must never speak for two participants).
 */
export function fspIdOfCertificate(certificate: Uint8Array | string): string | undefined {
  const parsed = new x509.X509Certificate(typeof certificate === 'string' ? certificate : new Uint8Array(certificate));
  const san = parsed.getExtension(x509.SubjectAlternativeNameExtension);
  if (san === null) return undefined;
  const ids = san.names.items.filter((name) => name.type === 'url' && name.value.startsWith(FSPID_URI_PREFIX));
  if (ids.length !== 1) return undefined;
  const fspId = ids[0]?.value.slice(FSPID_URI_PREFIX.length);
  return isParticipantName(fspId) ? fspId : undefined;
}

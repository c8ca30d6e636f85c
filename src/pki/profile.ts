// What a participant certificate says, decided by the CA alone: nothing is
// copied from the CSR but its public key. A CSR asking for CA:true, other
// key usages or other names gets this profile all the same.
import type { KeyKind } from './csr.ts';
import { fspIdUri } from './identity.ts';
import { nodeCrypto, x509 } from './x509.ts';

/** client: the DFSP calling the hub; server: a host the hub calls back (or the hub's own listener); both: one key for each. */
export const CERTIFICATE_PROFILES = ['client', 'server', 'both'] as const;
export type CertificateProfile = (typeof CERTIFICATE_PROFILES)[number];

export function isCertificateProfile(value: unknown): value is CertificateProfile {
  return typeof value === 'string' && (CERTIFICATE_PROFILES as readonly string[]).includes(value);
}

export interface ProfileParams {
  readonly profile: CertificateProfile;
  readonly keyKind: KeyKind;
  readonly fspId: string;
  /** DNS and IP names for a server certificate, already checked (hosts.ts). */
  readonly hostNames: readonly x509.JsonGeneralName[];
  readonly publicKey: x509.PublicKey;
  readonly issuerKeyId: string;
  /** Where peers fetch the CRL, when the scheme publishes it (pki.crlUrl). */
  readonly crlUrl?: string | undefined;
}

export async function leafExtensions(params: ProfileParams): Promise<x509.Extension[]> {
  const { profile, keyKind, fspId, hostNames, publicKey, issuerKeyId, crlUrl } = params;
  const server = profile !== 'client';
  // keyEncipherment only where a TLS 1.2 peer may use RSA key transport to a server; ECDSA keys only sign.
  const keyUsages = keyKind === 'rsa' && server
    ? new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true)
    : new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true);
  const purposes = profile === 'client' ? [x509.ExtendedKeyUsage.clientAuth]
    : profile === 'server' ? [x509.ExtendedKeyUsage.serverAuth]
    : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    keyUsages,
    new x509.ExtendedKeyUsageExtension(purposes, false),
    // Not critical: the subject (CN=fspId) is not empty (RFC 5280 §4.2.1.6).
    new x509.SubjectAlternativeNameExtension([{ type: 'url', value: fspIdUri(fspId) }, ...hostNames], false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, nodeCrypto),
    new x509.AuthorityKeyIdentifierExtension(issuerKeyId, false),
    ...(crlUrl === undefined ? [] : [new x509.CRLDistributionPointsExtension([crlUrl], false)]),
  ];
}

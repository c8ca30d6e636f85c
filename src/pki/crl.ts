// Certificate revocation lists, signed by a CA key: the issuing CA's lists
// the participant certificates it revoked; the root's lists the intermediates
// it revoked. node:tls, given any CRL, checks revocation for every certificate
// in the chain, so a peer needs both (see ca_init.ts for the root's).
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { signingAlgorithmOf } from './ca_algorithms.ts';
import { crlPem, pemToDer } from './pem.ts';
import { nodeCrypto, x509, type CryptoKey } from './x509.ts';

/**
 * The reasons a participant certificate may be revoked for (RFC 5280 §5.3.1).
 * Not cACompromise or aACompromise (about CAs), not certificateHold (a
 * revocation here is final: the hub never un-revokes) and not removeFromCRL
 * (delta CRLs only).
 */
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && (REVOCATION_REASONS as readonly string[]).includes(value);
}

export interface CrlEntry {
  readonly serialHex: string;
  readonly revokedAtMs: number;
  readonly reason: RevocationReason;
}

export interface SignedCrl {
  /** PEM labelled X509 CRL, as node:tls's `crl` option takes it. */
  readonly pem: string;
  readonly crlNumber: number;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number;
}

export interface CrlParams {
  readonly issuer: x509.X509Certificate;
  readonly signingKey: CryptoKey;
  /** Increases with every CRL the issuer signs (RFC 5280 §5.2.3), so a peer can tell the newer of two. */
  readonly crlNumber: number;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number;
  readonly entries: readonly CrlEntry[];
}

export async function signCrl(params: CrlParams): Promise<SignedCrl> {
  const { issuer, signingKey, crlNumber, thisUpdateMs, nextUpdateMs, entries } = params;
  const issuerKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (issuerKeyId === undefined) throw new Error('a CRL issuer must have a subject key identifier');
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.subjectName,
    thisUpdate: new Date(thisUpdateMs),
    nextUpdate: new Date(nextUpdateMs),
    signingAlgorithm: signingAlgorithmOf(signingKey),
    signingKey,
    extensions: [
      // RFC 5280 §5.2: a CRL carries its issuer's key identifier and a number.
      new x509.AuthorityKeyIdentifierExtension(issuerKeyId, false),
      new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(crlNumber))),
    ],
    entries: entries.map((entry) => ({
      serialNumber: entry.serialHex,
      revocationDate: new Date(entry.revokedAtMs),
      // RFC 5280 §5.3.1: the reason is omitted rather than given as "unspecified".
      ...(entry.reason === 'unspecified' ? {} : { reason: x509.X509CrlReason[entry.reason] }),
    })),
  }, nodeCrypto);
  return { pem: crlPem(crl.rawData), crlNumber, thisUpdateMs, nextUpdateMs };
}

/** The CRL number of a CRL (PEM), or undefined when it carries none. */
export function crlNumberOf(pem: string): number | undefined {
  const crl = new x509.X509Crl(pemToDer(pem));
  const extension = crl.getExtension(id_ce_cRLNumber);
  return extension === null ? undefined : AsnConvert.parse(extension.value, CRLNumber).value;
}

/** The serials (lower-case hex) a CRL lists. Node's X509Certificate.serialNumber is upper case: compare after lower-casing it. */
export function revokedSerialsOf(pem: string): Set<string> {
  const crl = new x509.X509Crl(pemToDer(pem));
  return new Set(crl.entries.map((entry) => entry.serialNumber.toLowerCase()));
}

// Signs a participant certificate from a checked CSR: the fspId and profile
// the caller gives, a lifetime within the scheme's bounds, and a random serial.
// Recording it is the service's job (service.ts); this step only decides and signs.
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok, isParticipantName } from '../support/index.ts';
import { signingAlgorithmOf } from './ca_algorithms.ts';
import type { SchemeCa } from './ca_load.ts';
import type { CheckedCsr } from './csr.ts';
import { hostNames } from './hosts.ts';
import { LEAF_LIFETIME_DAYS_MAX } from '../config/index.ts';
import { CLOCK_SKEW_MS, DAY_MS } from './limits.ts';
import { certificatePem, sha256Hex } from './pem.ts';
import { isCertificateProfile, leafExtensions, type CertificateProfile } from './profile.ts';
import { randomSerialHex } from './serial.ts';
import { wholeSecondsMs } from './time.ts';
import { nodeCrypto, x509 } from './x509.ts';

export interface LeafRequest {
  readonly fspId: unknown;
  readonly csr: CheckedCsr;
  readonly profile: unknown;
  /** DNS names and IP addresses: required for server and both, refused for client. */
  readonly hosts: readonly string[];
  readonly lifetimeDays: unknown;
  /** The scheme's configured maximum (pki.leafLifetimeDaysMax); never above LEAF_LIFETIME_DAYS_MAX whatever it says. */
  readonly lifetimeDaysMax: number;
  readonly nowMs: number;
  readonly crlUrl?: string | undefined;
}

export interface IssuedLeaf {
  readonly certificate: x509.X509Certificate;
  readonly pem: string;
  readonly serialHex: string;
  readonly fspId: string;
  readonly profile: CertificateProfile;
  readonly subject: string;
  readonly keyDescription: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprintSha256: string;
  /** SHA-256 of the SubjectPublicKeyInfo: the same key is never certified twice. */
  readonly publicKeySha256: string;
}

/** The terms of a certificate, checked: everything but the key. */
export interface LeafTerms {
  readonly fspId: string;
  readonly profile: CertificateProfile;
  readonly hostNames: readonly x509.JsonGeneralName[];
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly crlUrl?: string | undefined;
}

/** Checks what the caller asks for, before any CSR is parsed: the cheap refusals first. */
export function checkLeafTerms(ca: SchemeCa, request: Omit<LeafRequest, 'csr'>): FspiopResult<LeafTerms> {
  const { fspId, profile, hosts, lifetimeDays, nowMs } = request;
  if (!isParticipantName(fspId)) return fail('3100', 'fspId must be a participant name: 2..30 letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (!isCertificateProfile(profile)) return fail('3100', 'profile must be client, server or both');
  const lifetimeDaysMax = Math.min(request.lifetimeDaysMax, LEAF_LIFETIME_DAYS_MAX);
  if (typeof lifetimeDays !== 'number' || !Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > lifetimeDaysMax) {
    return fail('3100', `lifetime must be 1..${lifetimeDaysMax} days`);
  }
  if (profile === 'client' && hosts.length > 0) return fail('3100', 'a client certificate names no hosts; use profile server or both');
  if (profile !== 'client' && hosts.length === 0) return fail('3100', `a ${profile} certificate needs at least one host name or IP address`);
  const names = hostNames(hosts);
  if (!names.ok) return names;

  const notBeforeMs = wholeSecondsMs(nowMs - CLOCK_SKEW_MS);
  // Counted from notBefore, so that notAfter - notBefore never exceeds the bound.
  const notAfterMs = notBeforeMs + lifetimeDays * DAY_MS;
  if (notAfterMs > ca.intermediate.notAfter.getTime()) {
    return fail('3100', `the issuing CA expires on ${ca.intermediate.notAfter.toISOString()}; a certificate must not outlive it`);
  }
  return ok({ fspId, profile, hostNames: names.value, notBeforeMs, notAfterMs, crlUrl: request.crlUrl });
}

/** Signs a certificate on checked terms for a checked CSR's key. */
export async function signLeaf(ca: SchemeCa, terms: LeafTerms, csr: CheckedCsr): Promise<IssuedLeaf> {
  const { fspId, profile, notBeforeMs, notAfterMs } = terms;
  const serialHex = randomSerialHex();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: [{ CN: [fspId] }],
    issuer: ca.intermediate.subjectName,
    notBefore: new Date(notBeforeMs),
    notAfter: new Date(notAfterMs),
    publicKey: csr.publicKey,
    signingKey: ca.intermediateKey,
    signingAlgorithm: signingAlgorithmOf(ca.intermediateKey),
    extensions: await leafExtensions({
      profile, keyKind: csr.keyKind, fspId, hostNames: terms.hostNames, publicKey: csr.publicKey, issuerKeyId: ca.intermediateKeyId, crlUrl: terms.crlUrl,
    }),
  }, nodeCrypto);
  return {
    certificate,
    pem: certificatePem(certificate),
    serialHex,
    fspId,
    profile,
    subject: certificate.subject,
    keyDescription: csr.keyDescription,
    notBeforeMs,
    notAfterMs,
    fingerprintSha256: sha256Hex(certificate.rawData),
    publicKeySha256: sha256Hex(csr.publicKey.rawData),
  };
}

/** checkLeafTerms then signLeaf. */
export async function issueLeaf(ca: SchemeCa, request: LeafRequest): Promise<FspiopResult<IssuedLeaf>> {
  const terms = checkLeafTerms(ca, request);
  return terms.ok ? ok(await signLeaf(ca, terms.value, request.csr)) : terms;
}

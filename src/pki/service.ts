// The scheme PKI as the hub runs it: issue, renew and revoke participant
// certificates, list them with their expiry, and publish CRLs, with every
// certificate and CRL recorded in the database.
//
// Revoking and signing the CRL that lists the revocation happen in one
// transaction, so the current CRL never lags a revocation that is committed.
// The next CRL number is taken by an upsert on the CA's row in
// pki_crl_numbers, which holds that row's lock until commit; only then are the
// revocations read. So CRLs are signed one at a time (a second signer waits,
// then reads the first one's number and revocations), and the CRL with the
// highest number lists every revocation committed before it.
import { sql, type Transaction } from 'kysely';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import type { Clock } from '../support/index.ts';
import { runRefusable, runTransaction, type Db, type Engine } from '../storage/index.ts';
import type { Schema } from '../storage/index.ts';
import type { SchemeCa } from './ca_load.ts';
import { checkCsr } from './csr.ts';
import { isRevocationReason, signCrl, type RevocationReason, type SignedCrl } from './crl.ts';
import { checkLeafTerms, signLeaf, type IssuedLeaf } from './issue.ts';
import { CLOCK_SKEW_MS, DAY_MS, HOUR_MS } from './limits.ts';
import { certificatePem } from './pem.ts';
import { normaliseSerialHex } from './serial.ts';
import { pkiTables, type CertificateRecord } from './tables.ts';
import { wholeSecondsMs } from './time.ts';
import { x509 } from './x509.ts';

export interface PkiSettings {
  /** Lifetime when a request names none (pki.leafLifetimeDays). */
  readonly leafLifetimeDays: number;
  /** Longest lifetime a request may ask for (pki.leafLifetimeDaysMax, at most 397). */
  readonly leafLifetimeDaysMax: number;
  /** thisUpdate to nextUpdate of each CRL (pki.crlNextUpdateHours). */
  readonly crlNextUpdateHours: number;
  /** Published in each certificate as its CRL distribution point (pki.crlUrl). */
  readonly crlUrl?: string | undefined;
}

export interface PkiServiceDeps {
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly ca: SchemeCa;
  readonly settings: PkiSettings;
}

export interface IssueRequest {
  readonly fspId: unknown;
  readonly csrPem: unknown;
  readonly profile: unknown;
  readonly hosts?: readonly string[] | undefined;
  readonly lifetimeDays?: unknown;
  /** Who asked: an operator, or "cli". */
  readonly createdBy: string;
}

export interface RenewRequest {
  readonly serialHex: string;
  readonly csrPem: unknown;
  readonly lifetimeDays?: unknown;
  readonly createdBy: string;
}

/** A certificate as issued: its record, and the chain from its issuer up to the root. */
export interface IssuedCertificate {
  readonly record: CertificateRecord;
  /** The issuing CA then the root, PEM. */
  readonly chainPem: string;
}

export type CertificateState = 'VALID' | 'NOT_YET_VALID' | 'EXPIRED' | 'REVOKED';

/** The state of a recorded certificate at `nowMs`. */
export function certificateState(record: Pick<CertificateRecord, 'status' | 'not_before_ms' | 'not_after_ms'>, nowMs: number): CertificateState {
  if (record.status === 'REVOKED') return 'REVOKED';
  if (nowMs < record.not_before_ms) return 'NOT_YET_VALID';
  return nowMs >= record.not_after_ms ? 'EXPIRED' : 'VALID';
}

/** DNS and IP names of a certificate's subjectAltName: what a renewal keeps. */
function hostsOf(certificatePem: string): string[] {
  const san = new x509.X509Certificate(certificatePem).getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((name) => name.type === 'dns' || name.type === 'ip').map((name) => name.value);
}

/** What issueAndRecord needs: an issue request with its hosts, or a renewal's terms. */
interface IssueTerms {
  fspId: unknown; csrPem: unknown; profile: unknown; hosts: readonly string[]; lifetimeDays?: unknown; createdBy: string; renews?: CertificateRecord;
}

async function findBySerial(db: Db, serialHex: string): Promise<CertificateRecord | undefined> {
  return pkiTables(db).selectFrom('pki_certificates').selectAll().where('serial_hex', '=', serialHex).executeTakeFirst();
}

async function issueAndRecord(deps: PkiServiceDeps, request: IssueTerms): Promise<FspiopResult<IssuedCertificate>> {
  const { clock, ca, settings } = deps;
  const nowMs = clock.nowMs();
  const terms = checkLeafTerms(ca, {
    fspId: request.fspId,
    profile: request.profile,
    hosts: request.hosts,
    lifetimeDays: request.lifetimeDays ?? settings.leafLifetimeDays,
    lifetimeDaysMax: settings.leafLifetimeDaysMax,
    nowMs,
    crlUrl: settings.crlUrl,
  });
  if (!terms.ok) return terms;
  const csr = await checkCsr(request.csrPem);
  if (!csr.ok) return csr;
  const issued = await signLeaf(ca, terms.value, csr.value);
  if (request.renews?.public_key_sha256 === issued.publicKeySha256) {
    return fail('3000', 'a renewal needs a new key: the CSR carries the key of the certificate it renews');
  }
  return recordIssued(deps, issued, request, nowMs);
}

/** Records a signed certificate, unless its key is already certified. */
async function recordIssued(deps: PkiServiceDeps, issued: IssuedLeaf, request: IssueTerms, nowMs: number): Promise<FspiopResult<IssuedCertificate>> {
  return runRefusable(deps.db, deps.engine, async (tx) => {
    const tables = pkiTables(tx);
    const reused = await tables.selectFrom('pki_certificates').select(['serial_hex', 'fsp_id']).where('public_key_sha256', '=', issued.publicKeySha256).executeTakeFirst();
    if (reused !== undefined) {
      // A key certified once, possibly since revoked as compromised, is never certified again.
      return fail('3000', 'this key is already certified; every certificate needs a key of its own');
    }
    const record = await tables.insertInto('pki_certificates').values({
      serial_hex: issued.serialHex,
      fsp_id: issued.fspId,
      profile: issued.profile,
      subject: issued.subject,
      key_description: issued.keyDescription,
      public_key_sha256: issued.publicKeySha256,
      issuer_key_id: deps.ca.intermediateKeyId,
      not_before_ms: issued.notBeforeMs,
      not_after_ms: issued.notAfterMs,
      status: 'ISSUED',
      revoked_at_ms: null,
      revocation_reason: null,
      renews_serial_hex: request.renews?.serial_hex ?? null,
      certificate_pem: issued.pem,
      fingerprint_sha256: issued.fingerprintSha256,
      created_at_ms: nowMs,
      created_by: request.createdBy,
    }).returningAll().executeTakeFirstOrThrow();
    return ok({ record, chainPem: deps.ca.chainPem });
  });
}

/** Signs the next CRL inside `tx`, listing every revoked certificate of this CA that has not expired. */
async function signNextCrl({ ca, settings }: PkiServiceDeps, sharedTx: Transaction<Schema>, nowMs: number): Promise<SignedCrl> {
  const tx = pkiTables(sharedTx);
  // The number first, which takes the lock; then the revocations: see the comment at the top of the file.
  const { last_crl_number: crlNumber } = await tx.insertInto('pki_crl_numbers')
    .values({ issuer_key_id: ca.intermediateKeyId, last_crl_number: 1 })
    .onConflict((oc) => oc.column('issuer_key_id').doUpdateSet({ last_crl_number: sql<number>`pki_crl_numbers.last_crl_number + 1` }))
    .returning('last_crl_number').executeTakeFirstOrThrow();
  const thisUpdateMs = wholeSecondsMs(nowMs - CLOCK_SKEW_MS);
  const revoked = await tx.selectFrom('pki_certificates').select(['serial_hex', 'revoked_at_ms', 'revocation_reason'])
    .where('issuer_key_id', '=', ca.intermediateKeyId).where('status', '=', 'REVOKED')
    // An expired certificate fails validation anyway; RFC 5280 §3.3 lets it leave the list.
    .where('not_after_ms', '>', thisUpdateMs)
    .orderBy('serial_hex').execute();
  const crl = await signCrl({
    issuer: ca.intermediate,
    signingKey: ca.intermediateKey,
    crlNumber,
    thisUpdateMs,
    nextUpdateMs: wholeSecondsMs(nowMs) + settings.crlNextUpdateHours * HOUR_MS,
    entries: revoked.map((row) => ({
      serialHex: row.serial_hex,
      revokedAtMs: row.revoked_at_ms ?? nowMs,
      reason: row.revocation_reason ?? 'unspecified',
    })),
  });
  await tx.insertInto('pki_crls').values({
    issuer_key_id: ca.intermediateKeyId,
    crl_number: crl.crlNumber,
    this_update_ms: crl.thisUpdateMs,
    next_update_ms: crl.nextUpdateMs,
    crl_pem: crl.pem,
    created_at_ms: nowMs,
  }).execute();
  return crl;
}

async function currentCrl(deps: PkiServiceDeps): Promise<SignedCrl> {
  const { db, engine, clock, ca } = deps;
  const nowMs = clock.nowMs();
  const latest = await pkiTables(db).selectFrom('pki_crls').selectAll().where('issuer_key_id', '=', ca.intermediateKeyId)
    .orderBy('crl_number', 'desc').limit(1).executeTakeFirst();
  if (latest !== undefined && nowMs < latest.this_update_ms + (latest.next_update_ms - latest.this_update_ms) / 2) {
    return { pem: latest.crl_pem, crlNumber: latest.crl_number, thisUpdateMs: latest.this_update_ms, nextUpdateMs: latest.next_update_ms };
  }
  return runTransaction(db, engine, (tx) => signNextCrl(deps, tx, nowMs));
}

/**
 * Issues a new certificate for the participant, profile and hosts of an
 * existing one, from a CSR with a new key. The old certificate stays valid
 * until it expires or is revoked, so the participant can switch over with
 * both in service.
 */
async function renew(deps: PkiServiceDeps, request: RenewRequest): Promise<FspiopResult<IssuedCertificate>> {
  const serialHex = normaliseSerialHex(request.serialHex);
  const old = serialHex === undefined ? undefined : await findBySerial(deps.db, serialHex);
  if (old === undefined) return fail('3200', `no certificate with serial ${request.serialHex.slice(0, 64)}`);
  if (old.status === 'REVOKED') return fail('3000', `certificate ${old.serial_hex} is revoked; issue a new one instead of renewing it`);
  return issueAndRecord(deps, {
    fspId: old.fsp_id, csrPem: request.csrPem, profile: old.profile, hosts: hostsOf(old.certificate_pem),
    lifetimeDays: request.lifetimeDays, createdBy: request.createdBy, renews: old,
  });
}

/** Revokes a certificate for good, and publishes a CRL listing it in the same transaction. */
async function revoke(deps: PkiServiceDeps, serialText: string, reason: unknown = 'unspecified'): Promise<FspiopResult<{ record: CertificateRecord; crl: SignedCrl }>> {
  if (!isRevocationReason(reason)) return fail('3100', 'reason must be one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn');
  const serialHex = normaliseSerialHex(serialText);
  if (serialHex === undefined) return fail('3100', 'serial must be hexadecimal');
  const { ca } = deps;
  return runRefusable(deps.db, deps.engine, async (tx) => {
    const nowMs = deps.clock.nowMs();
    const revocationReason: RevocationReason = reason;
    const record = await pkiTables(tx).updateTable('pki_certificates')
      .set({ status: 'REVOKED', revoked_at_ms: wholeSecondsMs(nowMs), revocation_reason: revocationReason })
      .where('serial_hex', '=', serialHex).where('status', '=', 'ISSUED')
      .returningAll().executeTakeFirst();
    if (record === undefined) {
      const existing = await pkiTables(tx).selectFrom('pki_certificates').select('status').where('serial_hex', '=', serialHex).executeTakeFirst();
      return existing === undefined ? fail('3200', `no certificate with serial ${serialHex}`) : fail('3000', `certificate ${serialHex} is already revoked`);
    }
    if (record.issuer_key_id !== ca.intermediateKeyId) {
      // Recorded by another issuing CA: this CA's CRL cannot list it. Refused rather than revoked in name only.
      return fail('3000', `certificate ${serialHex} was issued by another CA (key id ${record.issuer_key_id})`);
    }
    return ok({ record, crl: await signNextCrl(deps, tx, nowMs) });
  });
}

export function createPkiService(deps: PkiServiceDeps) {
  const { db, engine, clock, ca } = deps;
  return {
    /** Issues a certificate for `fspId` from a participant's CSR; the CA decides the profile and names. */
    issue(request: IssueRequest): Promise<FspiopResult<IssuedCertificate>> {
      return issueAndRecord(deps, { ...request, hosts: request.hosts ?? [] });
    },

    /**
     * Issues a new certificate for the participant, profile and hosts of an
     * existing one, from a CSR with a new key; the old one stays valid until it
     * expires or is revoked.
     */
    renew: (request: RenewRequest) => renew(deps, request),

    /** Revokes a certificate for good, and publishes a CRL listing it in the same transaction. */
    revoke: (serialText: string, reason?: unknown) => revoke(deps, serialText, reason),

    get: (serialText: string): Promise<CertificateRecord | undefined> => {
      const serialHex = normaliseSerialHex(serialText);
      return serialHex === undefined ? Promise.resolve(undefined) : findBySerial(db, serialHex);
    },

    /** Recorded certificates, soonest to expire first; all participants' unless `fspId` is given. */
    list(options: { fspId?: string | undefined } = {}): Promise<CertificateRecord[]> {
      let query = pkiTables(db).selectFrom('pki_certificates').selectAll();
      if (options.fspId !== undefined) query = query.where('fsp_id', '=', options.fspId);
      return query.orderBy('not_after_ms').orderBy('serial_hex').execute();
    },

    /** Issued, unexpired certificates that expire within `days`: the ones to renew now. */
    expiring(days: number): Promise<CertificateRecord[]> {
      const nowMs = clock.nowMs();
      return pkiTables(db).selectFrom('pki_certificates').selectAll()
        .where('status', '=', 'ISSUED').where('not_after_ms', '>', nowMs).where('not_after_ms', '<=', nowMs + days * DAY_MS)
        .orderBy('not_after_ms').orderBy('serial_hex').execute();
    },

    /** When the CA's own material expires: the hub warns about these as about participants'. */
    caExpiry(): { rootNotAfterMs: number; intermediateNotAfterMs: number; rootCrlNextUpdateMs: number } {
      return { rootNotAfterMs: ca.root.notAfter.getTime(), intermediateNotAfterMs: ca.intermediate.notAfter.getTime(), rootCrlNextUpdateMs: ca.rootCrlNextUpdateMs };
    },

    /** Signs and records a new CRL now. */
    signCrl(): Promise<SignedCrl> {
      return runTransaction(db, engine, (tx) => signNextCrl(deps, tx, clock.nowMs()));
    },

    /**
     * The issuing CA's current CRL. A new one is signed when there is none, or
     * when half of the current one's interval has passed, so that peers always
     * hold a CRL well before the last one's nextUpdate (an expired CRL makes
     * node:tls refuse every client).
     */
    currentCrl: () => currentCrl(deps),

    /** The CRLs node:tls needs for the scheme's chain (its `crl` option): the issuing CA's, then the root's. */
    async crlsForTls(): Promise<string[]> {
      return [(await currentCrl(deps)).pem, ca.rootCrlPem];
    },

    /** The issuing CA then the root, PEM. */
    chainPem: ca.chainPem,
    /** The issuing CA, PEM: what a participant presents after its own certificate. */
    intermediatePem: certificatePem(ca.intermediate),
    /** The root's CRL, PEM: signed at the root's ceremony, valid until the intermediate expires (ca_init.ts). */
    rootCrlPem: ca.rootCrlPem,
    /** The root certificate, PEM: the trust anchor (`ca` for node:tls). */
    rootPem: certificatePem(ca.root),
  };
}

export type PkiService = ReturnType<typeof createPkiService>;

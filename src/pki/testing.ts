// A throwaway scheme PKI for tests, the demo and the bench: a CA in a
// temporary directory, and certificates for named participants issued from
// CSRs made here, with no database. ECDSA P-256 keys throughout, so that a
// whole PKI takes milliseconds. Never for production: the keys sit in a
// temporary directory and in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa } from './ca_init.ts';
import { loadCa, type SchemeCa } from './ca_load.ts';
import { checkCsr } from './csr.ts';
import { signCrl, type CrlEntry, type RevocationReason } from './crl.ts';
import { issueLeaf } from './issue.ts';
import { LEAF_LIFETIME_DAYS_MAX } from '../config/index.ts';
import { CLOCK_SKEW_MS, HOUR_MS } from './limits.ts';
import { makeCsr, type TestKeyType } from './key_request.ts';
import { certificatePem } from './pem.ts';
import type { CertificateProfile } from './profile.ts';

export { makeCsr, type CsrOptions, type TestCsr, type TestKeyType } from './key_request.ts';

export interface TestCredentials {
  readonly fspId: string;
  readonly serialHex: string;
  readonly keyPem: string;
  readonly certificatePem: string;
  /** The certificate then the issuing CA: what a TLS peer presents (node:tls `cert`). */
  readonly certificateChainPem: string;
}

export interface TestIssueOptions {
  readonly profile?: CertificateProfile;
  /** Host names for server certificates; default localhost and 127.0.0.1. */
  readonly hosts?: readonly string[];
  readonly lifetimeDays?: number;
  readonly nowMs?: number;
  /** ECDSA P-256 unless given. */
  readonly keyType?: TestKeyType;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: SchemeCa;
  readonly rootPem: string;
  /** node:tls `ca`: the root and the issuing CA. */
  readonly caPems: readonly string[];
  issue(fspId: string, options?: TestIssueOptions): Promise<TestCredentials>;
  /** Marks a certificate revoked in the next crls(). */
  revoke(serialHex: string, reason?: RevocationReason): void;
  /** node:tls `crl`: the issuing CA's CRL (listing what revoke() marked), then the root's. */
  crls(nowMs?: number): Promise<string[]>;
  dispose(): void;
}

export async function createTestPki(options: { schemeName?: string } = {}): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-pki-'));
  const pkiDir = join(dir, 'pki');
  const created = await initCa({ dir: pkiDir, schemeName: options.schemeName ?? 'Interlock Test Scheme', nowMs: Date.now() });
  if (!created.ok) throw new Error(`test PKI: ${created.error.detail}`);
  const loaded = await loadCa(pkiDir);
  if (!loaded.ok) throw new Error(`test PKI: ${loaded.error.detail}`);
  const ca = loaded.value;
  const revoked: CrlEntry[] = [];
  let crlNumber = 0;
  const rootPem = certificatePem(ca.root);
  return {
    dir: pkiDir,
    ca,
    rootPem,
    caPems: [rootPem, certificatePem(ca.intermediate)],
    async issue(fspId, issueOptions = {}) {
      const { csrPem, keyPem } = await makeCsr(issueOptions.keyType === undefined ? {} : { keyType: issueOptions.keyType });
      const csr = await checkCsr(csrPem);
      if (!csr.ok) throw new Error(`test PKI: ${csr.error.detail}`);
      const profile = issueOptions.profile ?? 'client';
      const leaf = await issueLeaf(ca, {
        fspId,
        csr: csr.value,
        profile,
        hosts: profile === 'client' ? [] : (issueOptions.hosts ?? ['localhost', '127.0.0.1']),
        lifetimeDays: issueOptions.lifetimeDays ?? 30,
        lifetimeDaysMax: LEAF_LIFETIME_DAYS_MAX,
        nowMs: issueOptions.nowMs ?? Date.now(),
      });
      if (!leaf.ok) throw new Error(`test PKI: ${leaf.error.detail}`);
      return {
        fspId,
        serialHex: leaf.value.serialHex,
        keyPem,
        certificatePem: leaf.value.pem,
        certificateChainPem: leaf.value.pem + certificatePem(ca.intermediate),
      };
    },
    revoke(serialHex, reason = 'keyCompromise') {
      revoked.push({ serialHex, revokedAtMs: Date.now() - CLOCK_SKEW_MS, reason });
    },
    async crls(nowMs = Date.now()) {
      crlNumber += 1;
      const crl = await signCrl({
        issuer: ca.intermediate, signingKey: ca.intermediateKey, crlNumber,
        thisUpdateMs: nowMs - CLOCK_SKEW_MS, nextUpdateMs: nowMs + 24 * HOUR_MS, entries: revoked,
      });
      return [crl.pem, ca.rootCrlPem];
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A simulated DFSP's credentials: its signing key (ES256) and its TLS
// certificate from the scheme CA, each kept in a file of its own (mode 0600) so
// that a restarted simulator uses what the hub already knows.
//
// The certificate is obtained as a scheme's onboarding does it: the DFSP makes
// a key and a CSR, and the operator has the scheme CA sign it (the admin API's
// POST /pki/csr); it is renewed, with a new key, when less than a third of its
// life is left.
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { loadOrCreateHubSigningKey } from '../signature/index.ts';
import { makeCsr, splitPemBundle } from '../pki/index.ts';
import type { DfspCredentials, DfspTls } from './types.ts';

/** Lifetime asked for a simulator's certificate; renewed when less than a third is left. */
const CERTIFICATE_LIFETIME_DAYS = 90;
const DAY_MS = 86_400_000;

/** Loads the DFSP's key from `dir`, or makes it there at first start. */
export async function loadOrCreateDfspCredentials(dir: string, name: string): Promise<DfspCredentials> {
  const signingKey = await loadOrCreateHubSigningKey({ dataDir: dir, alg: 'ES256', fileName: `${name}.signing_key.pem` });
  return { signingKey };
}

/** A key that lives only in memory: for tests. */
export async function ephemeralDfspCredentials(): Promise<DfspCredentials> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');
  return { signingKey: { kid, alg: 'ES256', privateKey, publicKey } };
}

/** The public key to register with the hub (POST /participants/{name}/keys). */
export function signingPublicKeyPem(credentials: DfspCredentials): string {
  return credentials.signingKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

const tlsPath = (dir: string, name: string) => join(dir, `${name}.tls.pem`);

/** The DFSP's TLS certificate kept in `dir` (`<name>.tls.pem`: key, certificate, issuing CA, root), while it has a third of its life left. */
export function loadDfspTls(dir: string, name: string, nowMs = Date.now()): DfspTls | undefined {
  return readTls(tlsPath(dir, name), nowMs);
}

function readTls(path: string, nowMs: number): DfspTls | undefined {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the simulator's own data directory
  if (!existsSync(path)) return undefined;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the simulator's own data directory
  const { keyPem, certificatePems } = splitPemBundle(readFileSync(path, 'utf8'));
  const [leafPem, intermediatePem, rootPem] = certificatePems;
  if (keyPem === undefined || leafPem === undefined || intermediatePem === undefined || rootPem === undefined) return undefined;
  const leaf = new X509Certificate(leafPem);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
  if (Date.parse(leaf.validTo) - nowMs < (CERTIFICATE_LIFETIME_DAYS / 3) * DAY_MS) return undefined;
  return { keyPem, certificateChainPem: leafPem + intermediatePem, caPems: [rootPem, intermediatePem] };
}

/** The admin API as a caller with a token that may have certificates issued (a change request its checker approves: demo/admin_auth.ts). */
export interface CertificateRequester {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  text(path: string): Promise<{ status: number; text: string }>;
}

/** Whether `rootPem` is the root of the scheme CA the admin API answers (GET /pki/ca: the issuing CA, then the root). */
async function isSchemeRoot(admin: CertificateRequester, rootPem: string): Promise<boolean> {
  const answer = await admin.text('/pki/ca');
  if (answer.status !== 200) throw new Error(`the scheme CA's chain could not be read: HTTP ${answer.status}`);
  const schemeRoot = splitPemBundle(answer.text).certificatePems.at(-1);
  return schemeRoot !== undefined && new X509Certificate(schemeRoot).fingerprint256 === new X509Certificate(rootPem).fingerprint256;
}

/**
 * The DFSP's TLS certificate (client and server, for 127.0.0.1 and localhost): from `dir` while it has
 * a third of its life left and was issued by the scheme CA the admin API answers for, else from a new key and CSR signed by that CA.
 */
export async function enrolDfspTls(admin: CertificateRequester, name: string, dir: string, nowMs = Date.now()): Promise<DfspTls> {
  const path = tlsPath(dir, name);
  const current = readTls(path, nowMs);
  // A certificate kept from another scheme (a hub started afresh made a new CA) is replaced.
  if (current !== undefined && await isSchemeRoot(admin, current.caPems[0] ?? '')) return current;
  const { csrPem, keyPem } = await makeCsr();
  const response = await admin.call('POST', '/pki/csr', { fspId: name, csr: csrPem, profile: 'both', hosts: ['127.0.0.1', 'localhost'], lifetimeDays: CERTIFICATE_LIFETIME_DAYS });
  const answer = (response.body ?? {}) as { certificate?: string; chain?: string };
  if (response.status !== 201 || answer.certificate === undefined || answer.chain === undefined) {
    throw new Error(`the scheme CA did not certify ${name}: HTTP ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
  }
  // The chain answered is the issuing CA then the root.
  const [intermediatePem, rootPem] = splitPemBundle(answer.chain).certificatePems;
  if (intermediatePem === undefined || rootPem === undefined) throw new Error('the scheme CA answered no chain');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the simulator's own data directory
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the simulator's own data directory
  writeFileSync(temporary, keyPem + answer.certificate + intermediatePem + rootPem, { mode: 0o600, flag: 'wx' });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the simulator's own data directory
  renameSync(temporary, path);
  return { keyPem, certificateChainPem: answer.certificate + intermediatePem, caPems: [rootPem, intermediatePem] };
}

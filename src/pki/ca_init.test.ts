import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { initCa } from './ca_init.ts';
import { loadCa } from './ca_load.ts';
import { caPaths } from './ca_files.ts';
import { checkCsr } from './csr.ts';
import { issueLeaf } from './issue.ts';
import { makeCsr } from './testing.ts';
import { nodeCrypto, x509 } from './x509.ts';

const base = mkdtempSync(join(tmpdir(), 'interlock-ca-test-'));
after(() => { rmSync(base, { recursive: true, force: true }); });
let counter = 0;
const freshDir = () => join(base, `pki-${++counter}`);

test('init writes the keys 0600 in a 0700 directory, the root key in a file of its own', async () => {
  const dir = freshDir();
  const created = await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() });
  assert.ok(created.ok);
  const paths = caPaths(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(paths.rootKey).mode & 0o777, 0o600);
  assert.equal(statSync(paths.intermediateKey).mode & 0o777, 0o600);
  for (const file of [paths.rootCertificate, paths.intermediateCertificate, paths.rootCrl]) assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.match(readFileSync(paths.rootKey, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.notEqual(readFileSync(paths.rootKey, 'utf8'), readFileSync(paths.intermediateKey, 'utf8'));
  assert.equal(created.value.rootFingerprintSha256, new X509Certificate(readFileSync(paths.rootCertificate)).fingerprint256.replaceAll(':', '').toLowerCase());
});

test('the root is a P-384 CA with pathLen 1, the intermediate a P-256 CA with pathLen 0 signed by it', async () => {
  const dir = freshDir();
  assert.ok((await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() })).ok);
  const paths = caPaths(dir);
  const root = new X509Certificate(readFileSync(paths.rootCertificate));
  const intermediate = new X509Certificate(readFileSync(paths.intermediateCertificate));
  assert.equal(root.ca, true);
  assert.equal(intermediate.ca, true);
  assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  assert.equal(intermediate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(root.verify(root.publicKey));
  assert.ok(intermediate.verify(root.publicKey));
  assert.ok(intermediate.checkIssued(root));
  const pathLength = (pem: Buffer) => new x509.X509Certificate(pem).getExtension(x509.BasicConstraintsExtension)?.pathLength;
  assert.equal(pathLength(readFileSync(paths.rootCertificate)), 1);
  assert.equal(pathLength(readFileSync(paths.intermediateCertificate)), 0);
  assert.equal(root.subject, 'O=Test Scheme\nCN=Test Scheme Root CA');
  assert.equal(intermediate.subject, 'O=Test Scheme\nCN=Test Scheme Issuing CA');
  // The root CRL lasts as long as the intermediate, so no root ceremony falls due before the intermediate's re-key.
  const rootCrl = new x509.X509Crl(x509.PemConverter.decodeFirst(readFileSync(paths.rootCrl, 'utf8')));
  assert.equal(rootCrl.nextUpdate?.getTime(), new Date(intermediate.validTo).getTime());
  assert.ok(await rootCrl.verify({ publicKey: new x509.X509Certificate(readFileSync(paths.rootCertificate)) }, nodeCrypto));
});

test('init refuses to overwrite an existing CA, and leaves it as it was', async () => {
  const dir = freshDir();
  assert.ok((await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() })).ok);
  const before = readFileSync(caPaths(dir).intermediateKey, 'utf8');
  const again = await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() });
  assert.ok(!again.ok);
  assert.match(again.error.detail, /already exists/);
  assert.equal(readFileSync(caPaths(dir).intermediateKey, 'utf8'), before);
  // Even one leftover file is enough to refuse.
  unlinkSync(caPaths(dir).rootCertificate);
  assert.ok(!(await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() })).ok);
});

test('a scheme name with control characters, or too long, is refused', async () => {
  assert.ok(!(await initCa({ dir: freshDir(), schemeName: 'Evil\nCN=Other', nowMs: Date.now() })).ok);
  assert.ok(!(await initCa({ dir: freshDir(), schemeName: 'x'.repeat(49), nowMs: Date.now() })).ok);
  assert.ok(!(await initCa({ dir: freshDir(), schemeName: ' padded', nowMs: Date.now() })).ok);
});

test('issuance needs only the intermediate key: it works with the root key moved offline', async () => {
  const dir = freshDir();
  assert.ok((await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() })).ok);
  unlinkSync(caPaths(dir).rootKey);
  const ca = await loadCa(dir);
  assert.ok(ca.ok);
  const csr = await checkCsr((await makeCsr()).csrPem);
  assert.ok(csr.ok);
  const leaf = await issueLeaf(ca.value, { fspId: 'payerfsp', csr: csr.value, profile: 'client', hosts: [], lifetimeDays: 30, lifetimeDaysMax: 397, nowMs: Date.now() });
  assert.ok(leaf.ok);
  // The loaded key cannot be read back out of the process.
  await assert.rejects(nodeCrypto.subtle.exportKey('pkcs8', ca.value.intermediateKey));
});

test('load refuses a missing CA, a key file others can read, and a key that is not the certificate\'s', async () => {
  const missing = await loadCa(freshDir());
  assert.ok(!missing.ok);
  assert.match(missing.error.detail, /run interlock pki init/);

  const dir = freshDir();
  assert.ok((await initCa({ dir, schemeName: 'Test Scheme', nowMs: Date.now() })).ok);
  chmodSync(caPaths(dir).intermediateKey, 0o644);
  const exposed = await loadCa(dir);
  assert.ok(!exposed.ok);
  assert.match(exposed.error.detail, /readable by other users/);
  chmodSync(caPaths(dir).intermediateKey, 0o600);

  const other = freshDir();
  assert.ok((await initCa({ dir: other, schemeName: 'Other Scheme', nowMs: Date.now() })).ok);
  unlinkSync(caPaths(dir).intermediateKey);
  copyFileSync(caPaths(other).intermediateKey, caPaths(dir).intermediateKey);
  const mismatched = await loadCa(dir);
  assert.ok(!mismatched.ok);
  assert.match(mismatched.error.detail, /is not the key of/);
});

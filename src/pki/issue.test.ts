import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { checkCsr, type CheckedCsr } from './csr.ts';
import { issueLeaf, type LeafRequest } from './issue.ts';
import { DAY_MS } from './limits.ts';
import { createTestPki, makeCsr, type TestPki } from './testing.ts';
import { x509 } from './x509.ts';

let pki: TestPki;
let other: TestPki;
before(async () => {
  pki = await createTestPki();
  other = await createTestPki({ schemeName: 'Another Scheme' });
});
after(() => {
  pki.dispose();
  other.dispose();
});

async function checked(options: Parameters<typeof makeCsr>[0] = {}): Promise<CheckedCsr> {
  const result = await checkCsr((await makeCsr(options)).csrPem);
  assert.ok(result.ok);
  return result.value;
}

async function issue(overrides: Partial<LeafRequest> = {}) {
  return issueLeaf(pki.ca, {
    fspId: 'payerfsp', csr: await checked(), profile: 'client', hosts: [], lifetimeDays: 90, lifetimeDaysMax: 397, nowMs: Date.now(), ...overrides,
  });
}

const detailOf = (result: Awaited<ReturnType<typeof issue>>) => (result.ok ? 'issued' : result.error.detail);

test("node's X509Certificate verifies the chain: leaf by the intermediate, intermediate by the root", async () => {
  const leaf = await issue();
  assert.ok(leaf.ok);
  const cert = new X509Certificate(leaf.value.pem);
  const intermediate = new X509Certificate(pki.ca.intermediate.toString('pem'));
  const root = new X509Certificate(pki.rootPem);
  assert.ok(cert.verify(intermediate.publicKey));
  assert.ok(cert.checkIssued(intermediate));
  assert.ok(intermediate.verify(root.publicKey));
  assert.ok(intermediate.checkIssued(root));
  assert.equal(cert.verify(root.publicKey), false);
});

test('a certificate signed by another CA does not verify against this one', async () => {
  const foreign = await other.issue('payerfsp');
  const cert = new X509Certificate(foreign.certificatePem);
  const intermediate = new X509Certificate(pki.ca.intermediate.toString('pem'));
  assert.equal(cert.verify(intermediate.publicKey), false);
  assert.equal(cert.checkIssued(intermediate), false);
});

test('a client certificate: CN and URI SAN carry the fspId, CA:false, digitalSignature, clientAuth only', async () => {
  const leaf = await issue();
  assert.ok(leaf.ok);
  const cert = new X509Certificate(leaf.value.pem);
  assert.equal(cert.subject, 'CN=payerfsp');
  assert.equal(cert.subjectAltName, 'URI:urn:mojaloop:fspid:payerfsp');
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  const parsed = new x509.X509Certificate(leaf.value.pem);
  assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.critical, true);
  assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.critical, true);
  // AKI names the intermediate's key, SKI the leaf's own.
  assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, pki.ca.intermediateKeyId);
  assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  // A 16-byte positive serial, as recorded.
  assert.match(leaf.value.serialHex, /^[4-7][0-9a-f]{31}$/);
  assert.equal(cert.serialNumber.toLowerCase(), leaf.value.serialHex);
  assert.equal(Date.parse(cert.validTo) - Date.parse(cert.validFrom), 90 * DAY_MS);
  assert.equal(Date.parse(cert.validFrom), leaf.value.notBeforeMs);
});

test('server and both profiles carry serverAuth and the host names; hosts are required there and refused for client', async () => {
  const server = await issue({ profile: 'server', hosts: ['Hub.Example.org', '127.0.0.1', '::1'] });
  assert.ok(server.ok);
  const cert = new X509Certificate(server.value.pem);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.subjectAltName, 'URI:urn:mojaloop:fspid:payerfsp, DNS:hub.example.org, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(cert.checkHost('hub.example.org'), 'hub.example.org');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  const both = await issue({ profile: 'both', hosts: ['dfsp.example'] });
  assert.ok(both.ok);
  assert.deepEqual(new X509Certificate(both.value.pem).keyUsage.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.match(detailOf(await issue({ profile: 'server' })), /needs at least one host/);
  assert.match(detailOf(await issue({ profile: 'client', hosts: ['a.example'] })), /names no hosts/);
  assert.match(detailOf(await issue({ profile: 'server', hosts: ['*.example.org'] })), /no wildcard/);
  assert.match(detailOf(await issue({ profile: 'ca' })), /profile must be/);
});

test('an RSA server certificate also gets keyEncipherment; an ECDSA one never does', async () => {
  const rsa = await issue({ csr: await checked({ keyType: 'rsa-2048' }), profile: 'both', hosts: ['dfsp.example'] });
  assert.ok(rsa.ok);
  assert.equal(new x509.X509Certificate(rsa.value.pem).getExtension(x509.KeyUsagesExtension)?.usages,
    x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
  const ec = await issue({ profile: 'server', hosts: ['dfsp.example'] });
  assert.ok(ec.ok);
  assert.equal(new x509.X509Certificate(ec.value.pem).getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
});

test('a lifetime above 397 days is refused whatever the configuration, and above the configured maximum too', async () => {
  assert.ok((await issue({ lifetimeDays: 397 })).ok);
  assert.match(detailOf(await issue({ lifetimeDays: 398 })), /lifetime must be 1\.\.397 days/);
  assert.match(detailOf(await issue({ lifetimeDays: 398, lifetimeDaysMax: 1000 })), /1\.\.397/);
  assert.match(detailOf(await issue({ lifetimeDays: 91, lifetimeDaysMax: 90 })), /1\.\.90/);
  assert.match(detailOf(await issue({ lifetimeDays: 0 })), /lifetime/);
  assert.match(detailOf(await issue({ lifetimeDays: 1.5 })), /lifetime/);
  assert.match(detailOf(await issue({ lifetimeDays: '30' })), /lifetime/);
});

test('an fspId that is not a participant name is refused', async () => {
  for (const fspId of ['a', 'has space', 'x'.repeat(31), '-lead', 'pay/er', 'émile', '', 42, undefined]) {
    assert.match(detailOf(await issue({ fspId })), /fspId must be a participant name/, String(fspId));
  }
  assert.ok((await issue({ fspId: 'x'.repeat(30) })).ok);
  assert.ok((await issue({ fspId: 'dfsp_1.test-a' })).ok);
});

test('the CA ignores what the CSR asks for: CA:true, other usages, other names, another subject', async () => {
  const csr = await checked({
    subject: 'CN=Hub, O=Scheme Operator',
    extensions: [
      new x509.BasicConstraintsExtension(true, 5, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'urn:mojaloop:fspid:Hub' }, { type: 'dns', value: 'evil.example' }], false),
    ],
  });
  const leaf = await issue({ csr });
  assert.ok(leaf.ok);
  const cert = new X509Certificate(leaf.value.pem);
  assert.equal(cert.ca, false);
  assert.equal(cert.subject, 'CN=payerfsp');
  assert.equal(cert.subjectAltName, 'URI:urn:mojaloop:fspid:payerfsp');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  const parsed = new x509.X509Certificate(leaf.value.pem);
  assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
});

test('a certificate that would outlive the issuing CA is refused', async () => {
  const caExpiresMs = pki.ca.intermediate.notAfter.getTime();
  assert.match(detailOf(await issue({ nowMs: caExpiresMs - 10 * DAY_MS, lifetimeDays: 30 })), /must not outlive it/);
  assert.ok((await issue({ nowMs: caExpiresMs - 40 * DAY_MS, lifetimeDays: 30 })).ok);
});

test('a CRL distribution point is published when the scheme configures one', async () => {
  const leaf = await issue({ crlUrl: 'http://pki.scheme.example/pki/crl' });
  assert.ok(leaf.ok);
  assert.match(new x509.X509Certificate(leaf.value.pem).toString('text'), /http:\/\/pki\.scheme\.example\/pki\/crl/);
});

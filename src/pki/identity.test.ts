import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fspIdOfCertificate } from './identity.ts';
import { createTestPki, type TestPki } from './testing.ts';
import { nodeCrypto, x509 } from './x509.ts';

let pki: TestPki;
before(async () => { pki = await createTestPki(); });
after(() => { pki.dispose(); });

async function selfSigned(names: x509.JsonGeneralName[]): Promise<string> {
  const keys = await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=payerfsp', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)],
  }, nodeCrypto);
  return cert.toString('pem');
}

test('the fspId is read from the URI SAN, from PEM or from the DER node:tls hands over', async () => {
  const issued = await pki.issue('payerfsp');
  assert.equal(fspIdOfCertificate(issued.certificatePem), 'payerfsp');
  assert.equal(fspIdOfCertificate(new Uint8Array(new X509Certificate(issued.certificatePem).raw)), 'payerfsp');
});

test('no identity without exactly one valid fspId URI: the CN alone is never trusted', async () => {
  assert.equal(fspIdOfCertificate(await selfSigned([])), undefined);
  assert.equal(fspIdOfCertificate(await selfSigned([{ type: 'dns', value: 'payerfsp' }])), undefined);
  assert.equal(fspIdOfCertificate(await selfSigned([{ type: 'url', value: 'urn:mojaloop:fspid:a' }, { type: 'url', value: 'urn:mojaloop:fspid:b' }])), undefined);
  assert.equal(fspIdOfCertificate(await selfSigned([{ type: 'url', value: 'urn:mojaloop:fspid:bad name' }])), undefined);
  assert.equal(fspIdOfCertificate(await selfSigned([{ type: 'url', value: 'urn:mojaloop:fspid:ok' }, { type: 'url', value: 'https://x.example' }])), 'ok');
});

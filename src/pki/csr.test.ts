import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCsr } from './csr.ts';
import { makeCsr } from './testing.ts';
import { nodeCrypto, x509 } from './x509.ts';

const codeOf = (result: Awaited<ReturnType<typeof checkCsr>>) => (result.ok ? 'ok' : result.error.code);
const detailOf = (result: Awaited<ReturnType<typeof checkCsr>>) => (result.ok ? '' : result.error.detail);

test('ECDSA P-256, P-384 and RSA 2048 CSRs are accepted, with their key described', async () => {
  for (const [keyType, kind, description] of [['ec-p256', 'ecdsa-p256', 'ECDSA P-256'], ['ec-p384', 'ecdsa-p384', 'ECDSA P-384'], ['rsa-2048', 'rsa', 'RSA 2048']] as const) {
    const result = await checkCsr((await makeCsr({ keyType })).csrPem);
    assert.ok(result.ok, keyType);
    assert.equal(result.value.keyKind, kind);
    assert.equal(result.value.keyDescription, description);
  }
});

test('an RSA 1024 CSR is refused', async () => {
  const result = await checkCsr((await makeCsr({ keyType: 'rsa-1024' })).csrPem);
  assert.equal(codeOf(result), '3100');
  assert.match(detailOf(result), /RSA key has 1024 bits; the scheme accepts 2048 bits or more/);
});

test('P-521 and Ed25519 keys are refused', async () => {
  assert.match(detailOf(await checkCsr((await makeCsr({ keyType: 'ec-p521' })).csrPem)), /curve secp521r1/);
  assert.match(detailOf(await checkCsr((await makeCsr({ keyType: 'ed25519' })).csrPem)), /key is ed25519/);
});

test('a CSR whose signature does not verify with its own key is refused (no proof of possession)', async () => {
  const other = await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const result = await checkCsr((await makeCsr({ signWith: other })).csrPem);
  assert.equal(codeOf(result), '3105');
});

test('a CSR with a flipped signature byte is refused', async () => {
  const { csrPem } = await makeCsr();
  const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
  der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0x01;
  const result = await checkCsr(x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'));
  assert.ok(!result.ok);
  assert.ok(['3105', '3101'].includes(result.error.code), result.error.detail);
});

test('a CSR signed with SHA-1 is refused', async () => {
  const keys = await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=old', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' } }, nodeCrypto);
  assert.match(detailOf(await checkCsr(csr.toString('pem'))), /signed with SHA-1/);
});

test('anything but one PEM CSR block is refused before parsing', async () => {
  const { csrPem } = await makeCsr();
  assert.equal(codeOf(await checkCsr('not a csr')), '3101');
  assert.equal(codeOf(await checkCsr(csrPem + csrPem)), '3101');
  assert.equal(codeOf(await checkCsr(csrPem.replaceAll('CERTIFICATE REQUEST', 'CERTIFICATE'))), '3101');
  assert.equal(codeOf(await checkCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')), '3101');
  assert.equal(codeOf(await checkCsr('x'.repeat(20_000))), '3100');
  assert.equal(codeOf(await checkCsr(42)), '3100');
});

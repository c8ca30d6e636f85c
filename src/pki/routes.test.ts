import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { after, before, test } from 'node:test';
import { sendFailure } from '../fspiop/replies.ts';
import type { Storage } from '../storage/index.ts';
import { freshStorage } from '../testing/engines.ts';
import { crlNumberOf } from './crl.ts';
import { crlPem } from './pem.ts';
import { registerPkiRoutes } from './routes.ts';
import { createPkiService } from './service.ts';
import { createTestPki, makeCsr, type TestPki } from './testing.ts';
import { nodeCrypto, x509 } from './x509.ts';

let testPki: TestPki;
let storage: Storage;
let dispose: () => Promise<void>;
let app: FastifyInstance;

let revocations = 0;

before(async () => {
  testPki = await createTestPki();
  ({ storage, dispose } = await freshStorage('sqlite'));
  const pki = createPkiService({
    db: storage.db, engine: storage.engine, clock: { nowMs: () => Date.now() }, ca: testPki.ca,
    settings: { leafLifetimeDays: 365, leafLifetimeDaysMax: 397, crlNextUpdateHours: 48 },
  });
  // Validation options and error handler as the admin API's (src/operator/admin_api.ts), which this stands in for.
  app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
  app.setErrorHandler((error: FastifyError, _request, reply) =>
    sendFailure(reply, error.validation === undefined ? { code: '2001', detail: '' } : { code: '3100', detail: error.message }));
  registerPkiRoutes(app, { pki, clock: { nowMs: () => Date.now() }, expiryWarningDays: 30, afterRevocation: () => { revocations += 1; return Promise.resolve(); } });
  await app.ready();
});

after(async () => {
  await app.close();
  await dispose();
  testPki.dispose();
});

const codeOf = (body: string) => (JSON.parse(body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode;

test('GET /pki/ca answers the issuing CA then the root, as a PEM chain', async () => {
  const response = await app.inject({ method: 'GET', url: '/pki/ca' });
  assert.equal(response.statusCode, 200);
  assert.match(response.headers['content-type'] ?? '', /^application\/pem-certificate-chain/);
  const certificates = response.body.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  assert.equal(certificates.length, 2);
  const [intermediate, root] = certificates.map((pem) => new X509Certificate(pem));
  assert.ok(intermediate && root && intermediate.checkIssued(root));
});

test('GET /pki/crl answers the current CRL as DER, signed by the issuing CA; /pki/crl/root the root\'s', async () => {
  const response = await app.inject({ method: 'GET', url: '/pki/crl' });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'application/pkix-crl');
  const crl = new x509.X509Crl(response.rawPayload);
  assert.ok(await crl.verify({ publicKey: testPki.ca.intermediate }, nodeCrypto));
  assert.ok(crl.nextUpdate !== undefined);
  assert.ok((crlNumberOf(crlPem(new Uint8Array(response.rawPayload).buffer)) ?? 0) >= 1);

  const root = await app.inject({ method: 'GET', url: '/pki/crl/root' });
  assert.equal(root.statusCode, 200);
  assert.equal(root.headers['content-type'], 'application/pkix-crl');
  assert.ok(await new x509.X509Crl(root.rawPayload).verify({ publicKey: testPki.ca.root }, nodeCrypto));
});

test('POST /pki/csr issues a certificate for the fspId and answers it with the chain', async () => {
  const { csrPem } = await makeCsr();
  const response = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: csrPem, profile: 'client', lifetimeDays: 90 } });
  assert.equal(response.statusCode, 201, response.body);
  const body = JSON.parse(response.body) as { serial: string; fspId: string; certificate: string; chain: string; notAfter: string; fingerprintSha256: string };
  assert.equal(body.fspId, 'payerfsp');
  const cert = new X509Certificate(body.certificate);
  assert.equal(cert.serialNumber.toLowerCase(), body.serial);
  assert.equal(cert.subjectAltName, 'URI:urn:mojaloop:fspid:payerfsp');
  assert.equal(new Date(body.notAfter).getTime(), Date.parse(cert.validTo));
  assert.equal(cert.fingerprint256.replaceAll(':', '').toLowerCase(), body.fingerprintSha256);
  assert.equal(body.chain, testPki.ca.chainPem);
});

test('POST /pki/csr refusals are FSPIOP errorInformation', async () => {
  const other = await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const forged = await makeCsr({ signWith: other });
  const badSignature = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: forged.csrPem, profile: 'client' } });
  assert.equal(badSignature.statusCode, 400);
  assert.equal(codeOf(badSignature.body), '3105');

  const { csrPem } = await makeCsr();
  const tooLong = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: csrPem, profile: 'client', lifetimeDays: 398 } });
  assert.equal(tooLong.statusCode, 400);
  assert.equal(codeOf(tooLong.body), '3100');

  const badName = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'bad name', csr: csrPem, profile: 'client' } });
  assert.equal(badName.statusCode, 400);
  assert.ok(codeOf(badName.body));

  const noHosts = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: csrPem, profile: 'server' } });
  assert.equal(noHosts.statusCode, 400);
  assert.match(noHosts.body, /needs at least one host/);

  const extra = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: csrPem, profile: 'client', ca: true } });
  assert.equal(extra.statusCode, 400);
  const stringDays = await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'payerfsp', csr: csrPem, profile: 'client', lifetimeDays: '30' } });
  assert.equal(stringDays.statusCode, 400);
});

test('GET /pki/certificates lists with state and days left; renew issues a second valid one; revoke marks it and reloads the listener', async () => {
  const { csrPem } = await makeCsr();
  const issued = JSON.parse((await app.inject({ method: 'POST', url: '/pki/csr', payload: { fspId: 'rotatefsp', csr: csrPem, profile: 'client', lifetimeDays: 10 } })).body) as { serial: string };

  const renewal = await makeCsr();
  const renewed = await app.inject({ method: 'POST', url: `/pki/certificates/${issued.serial}/renew`, payload: { csr: renewal.csrPem, lifetimeDays: 90 } });
  assert.equal(renewed.statusCode, 201, renewed.body);
  const second = JSON.parse(renewed.body) as { serial: string; renews: string; state: string };
  assert.deepEqual([second.renews, second.state], [issued.serial, 'VALID']);
  const sameKey = await app.inject({ method: 'POST', url: `/pki/certificates/${issued.serial}/renew`, payload: { csr: renewal.csrPem } });
  assert.equal(sameKey.statusCode, 400, 'a key is certified once');

  const listed = JSON.parse((await app.inject({ method: 'GET', url: '/pki/certificates?fspId=rotatefsp' })).body) as { serial: string; state: string; daysLeft: number }[];
  assert.deepEqual(listed.map((c) => [c.serial, c.state]), [[issued.serial, 'VALID'], [second.serial, 'VALID']], 'both valid during the rollover, soonest to expire first');
  const expiring = JSON.parse((await app.inject({ method: 'GET', url: '/pki/certificates?fspId=rotatefsp&expiringWithinDays=30' })).body) as { serial: string }[];
  assert.deepEqual(expiring.map((c) => c.serial), [issued.serial]);
  const window = JSON.parse((await app.inject({ method: 'GET', url: '/pki/expiring' })).body) as { warningDays: number; certificates: { serial: string }[]; schemeCa: { what: string }[] };
  assert.equal(window.warningDays, 30);
  assert.ok(window.certificates.some((c) => c.serial === issued.serial));
  assert.equal(window.schemeCa.length, 3);
  const metrics = await app.inject({ method: 'GET', url: '/pki/metrics' });
  assert.match(metrics.headers['content-type'] ?? '', /^text\/plain/);
  assert.match(metrics.body, /^interlock_certificates_expiring\{within_days="30"\} [1-9]\d*$/m);
  assert.ok(metrics.body.split('\n').some((line) => line.startsWith(`interlock_certificate_expiry_seconds{fsp_id="rotatefsp",serial="${issued.serial}"} `)), metrics.body);
  assert.equal((await app.inject({ method: 'GET', url: '/pki/certificates?expiringWithinDays=zero' })).statusCode, 400);

  const before = revocations;
  const revoked = await app.inject({ method: 'POST', url: `/pki/certificates/${issued.serial}/revoke`, payload: { reason: 'superseded' } });
  assert.equal(revoked.statusCode, 200, revoked.body);
  assert.equal((JSON.parse(revoked.body) as { state: string }).state, 'REVOKED');
  assert.equal(revocations, before + 1, 'the listener is told at once');
  const again = await app.inject({ method: 'POST', url: `/pki/certificates/${issued.serial}/revoke`, payload: {} });
  assert.equal(again.statusCode, 400);
  assert.equal(revocations, before + 1, 'a refused revocation reloads nothing');
  const unknown = await app.inject({ method: 'POST', url: '/pki/certificates/abcdef/revoke', payload: {} });
  assert.equal(unknown.statusCode, 404);
});

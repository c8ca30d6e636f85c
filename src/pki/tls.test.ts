// The runtime the hub's mTLS listener will use: a real node:tls server with
// the scheme's trust anchors and CRLs accepts a client certificate this PKI
// issued, names its participant, and refuses it once revoked (after a CRL
// reload through setSecureContext, without a restart).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, createServer, type Server, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { freshStorage } from '../testing/engines.ts';
import type { Storage } from '../storage/index.ts';
import { fspIdOfCertificate } from './identity.ts';
import { createPkiService, type PkiService } from './service.ts';
import { createTestPki, makeCsr, type TestPki } from './testing.ts';

let testPki: TestPki;
let foreignPki: TestPki;
let storage: Storage;
let dispose: () => Promise<void>;
let pki: PkiService;
/** The listener as the hub will run it: client certificates required and verified. */
let server: Server;
/**
 * The same context with rejectUnauthorized off, only to read why OpenSSL refused
 * a certificate (the strict server closes the connection without saying), so that
 * each test proves its refusal is for the reason it claims.
 */
let inspector: Server;

interface Credentials { key: string; cert: string; serial: string }

async function issueClient(fspId: string, serialToRenew?: string): Promise<Credentials> {
  const { csrPem, keyPem } = await makeCsr();
  const issued = serialToRenew === undefined
    ? await pki.issue({ fspId, csrPem, profile: 'client', lifetimeDays: 30, createdBy: 'test' })
    : await pki.renew({ serialHex: serialToRenew, csrPem, lifetimeDays: 30, createdBy: 'test' });
  assert.ok(issued.ok, issued.ok ? '' : issued.error.detail);
  // What a client presents: its certificate, then the issuing CA.
  return { key: keyPem, cert: issued.value.record.certificate_pem + pki.intermediatePem, serial: issued.value.record.serial_hex };
}

async function serverContext(): Promise<SecureContextOptions> {
  const { csrPem, keyPem } = await makeCsr();
  const hub = await pki.issue({ fspId: 'Hub', csrPem, profile: 'server', hosts: ['localhost', '127.0.0.1'], lifetimeDays: 30, createdBy: 'test' });
  assert.ok(hub.ok);
  return {
    key: keyPem,
    cert: hub.value.record.certificate_pem + pki.intermediatePem,
    ca: [pki.rootPem, pki.intermediatePem],
    crl: await pki.crlsForTls(),
  };
}

const portOf = (listening: Server) => (listening.address() as AddressInfo).port;

/** Connects with `credentials` and resolves with the participant the server saw, or with how the connection failed. */
function call(credentials: { key: string; cert: string } | undefined, target: Server = server): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1', port: portOf(target), servername: 'localhost', ca: [pki.rootPem], minVersion: 'TLSv1.2', rejectUnauthorized: true,
      ...(credentials ?? {}),
    });
    let settled = false;
    const settle = (outcome: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => { settle(`accepted as ${data}`); });
    socket.on('error', (error: Error) => { settle(`refused: ${error.message}`); });
    socket.on('close', () => { settle('refused: closed'); });
  });
}

before(async () => {
  testPki = await createTestPki();
  foreignPki = await createTestPki({ schemeName: 'Another Scheme' });
  ({ storage, dispose } = await freshStorage('sqlite'));
  pki = createPkiService({
    db: storage.db, engine: storage.engine, clock: { nowMs: () => Date.now() }, ca: testPki.ca,
    settings: { leafLifetimeDays: 30, leafLifetimeDaysMax: 397, crlNextUpdateHours: 24 },
  });
  const context = await serverContext();
  server = createServer({ ...context, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
    const peer = socket.getPeerX509Certificate();
    socket.end(peer === undefined ? 'nobody' : fspIdOfCertificate(new Uint8Array(peer.raw)) ?? 'no fspId');
  });
  inspector = createServer({ ...context, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
    socket.end(socket.authorized ? 'authorized' : `unauthorized ${String(socket.authorizationError)}`);
  });
  for (const listening of [server, inspector]) await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => inspector.close(resolve));
  await dispose();
  testPki.dispose();
  foreignPki.dispose();
});

/** Reloads both servers' context (a new CRL, or `crl` as given), as the listener will on each CRL update. */
async function reloadCrls(crl?: string[]): Promise<void> {
  const context = { ...(await serverContext()), crl: crl ?? await pki.crlsForTls() };
  server.setSecureContext(context);
  inspector.setSecureContext(context);
}

test('a client certificate the scheme issued is accepted, and names its participant', async () => {
  const payer = await issueClient('payerfsp');
  assert.equal(await call(payer), 'accepted as payerfsp');
});

test('no client certificate is refused', async () => {
  assert.match(await call(undefined), /^refused/);
});

test("a certificate from another CA is refused, even for a participant's name", async () => {
  const foreign = await foreignPki.issue('payerfsp');
  const withItsChain = { key: foreign.keyPem, cert: foreign.certificateChainPem };
  const alone = { key: foreign.keyPem, cert: foreign.certificatePem };
  const withOurIntermediate = { key: foreign.keyPem, cert: foreign.certificatePem + pki.intermediatePem };
  for (const credentials of [withItsChain, alone, withOurIntermediate]) assert.match(await call(credentials), /^refused/);
  // OpenSSL names the first check that fails: its chain leads to no trusted root (and so to no CRL either).
  assert.match(await call(withItsChain, inspector), /^accepted as unauthorized (UNABLE_TO_GET_CRL|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  assert.equal(await call(alone, inspector), 'accepted as unauthorized UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.match(await call(withOurIntermediate, inspector), /^accepted as unauthorized (CERT_SIGNATURE_FAILURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
});

test('a revoked certificate is refused once the CRL is reloaded, without a restart; others still work', async () => {
  const victim = await issueClient('revokedfsp');
  const bystander = await issueClient('bystanderfsp');
  assert.equal(await call(victim), 'accepted as revokedfsp');
  const revoked = await pki.revoke(victim.serial, 'keyCompromise');
  assert.ok(revoked.ok);
  await reloadCrls();
  assert.match(await call(victim), /^refused/);
  assert.equal(await call(victim, inspector), 'accepted as unauthorized CERT_REVOKED');
  assert.equal(await call(bystander), 'accepted as bystanderfsp');
});

test('during a rollover both the old and the renewed certificate are accepted, until the old one is revoked', async () => {
  const old = await issueClient('rotatingfsp');
  const renewed = await issueClient('rotatingfsp', old.serial);
  await reloadCrls();
  assert.equal(await call(old), 'accepted as rotatingfsp');
  assert.equal(await call(renewed), 'accepted as rotatingfsp');
  assert.ok((await pki.revoke(old.serial, 'superseded')).ok);
  await reloadCrls();
  assert.match(await call(old), /^refused/);
  assert.equal(await call(renewed), 'accepted as rotatingfsp');
});

test("node:tls needs the root's CRL too: with the issuing CA's alone, every client is refused", async () => {
  const client = await issueClient('crlcheckfsp');
  const [issuingCrl = ''] = await pki.crlsForTls();
  await reloadCrls([issuingCrl]);
  try {
    assert.match(await call(client), /^refused/);
    assert.equal(await call(client, inspector), 'accepted as unauthorized UNABLE_TO_GET_CRL');
  } finally {
    await reloadCrls();
  }
  assert.equal(await call(client), 'accepted as crlcheckfsp');
});

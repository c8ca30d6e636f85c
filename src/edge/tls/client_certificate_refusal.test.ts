// Hostile clients against the FSPIOP listener's mutual TLS: each refused
// handshake is one security event whose reason names exactly what was wrong
// (not the last code OpenSSL happened to leave: no certificate used to read
// UNABLE_TO_GET_ISSUER_CERT, a self-signed one UNABLE_TO_GET_CRL).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { connect, createServer, type Server } from 'node:tls';
import { makeCsr } from '../../pki/index.ts';
import { createTestPki, type TestCredentials, type TestPki } from '../../pki/testing.ts';
import { nodeCrypto, x509 } from '../../pki/x509.ts';
import { systemClock } from '../../support/clock.ts';
import type { SecurityEvent } from '../../audit/index.ts';
import { createMutualTls } from './mtls.ts';
import { TLS_POLICY } from '../../support/tls_policy.ts';

const DAY_MS = 86_400_000;
let pki: TestPki;
let server: Server;
let port: number;
let revoked: TestCredentials;
const events: SecurityEvent[] = [];
let waiting: ((event: SecurityEvent) => void) | undefined;

before(async () => {
  pki = await createTestPki();
  const hub = await pki.issue('Hub', { profile: 'server', hosts: ['127.0.0.1'] });
  revoked = await pki.issue('payerfsp', { profile: 'client' });
  pki.revoke(revoked.serialHex);
  const mtls = createMutualTls({
    credentials: { keyPem: hub.keyPem, certificateChainPem: hub.certificateChainPem, serialHex: hub.serialHex, notAfterMs: Date.now() + DAY_MS },
    trust: { caPems: pki.caPems, crlPems: await pki.crls() },
    clock: systemClock,
    securityEvents: {
      record(event) {
        events.push(event);
        waiting?.(event);
      },
    },
  });
  server = createServer(mtls.serverOptions());
  mtls.attach(server);
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise((resolve) => { server.close(resolve); });
  pki.dispose();
});

/** Connects with the client credentials given and answers the security event the hub records for it. */
async function eventFor(credentials: { key?: string; cert?: string }): Promise<SecurityEvent> {
  const recorded = new Promise<SecurityEvent>((resolve) => { waiting = resolve; });
  const socket = connect({ ...TLS_POLICY, host: '127.0.0.1', port, ca: [...pki.caPems], ...credentials });
  socket.on('error', () => undefined);
  const event = await recorded;
  waiting = undefined;
  socket.destroy();
  return event;
}

test('a connection without a client certificate is recorded as such', async () => {
  const event = await eventFor({});
  assert.equal(event.kind, 'tls-handshake-refused');
  assert.equal(event.reason, 'no client certificate');
  assert.equal(event.certificateSerial, undefined);
  assert.equal(event.sourceAddress, '127.0.0.1');
});

test('a self-signed certificate is recorded as self-signed', async () => {
  const { keyPem, keys } = await makeCsr();
  const nowMs = Date.now();
  const selfSigned = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '7f01', name: 'CN=payerfsp', notBefore: new Date(nowMs - 60_000), notAfter: new Date(nowMs + DAY_MS),
    keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  }, nodeCrypto);
  const event = await eventFor({ key: keyPem, cert: selfSigned.toString('pem') });
  assert.equal(event.reason, 'self-signed client certificate');
  assert.equal(event.certificateSerial, '7F01');
});

test('a certificate of another CA is recorded as not the scheme CA\'s', async () => {
  const other = await createTestPki({ schemeName: 'Another Scheme' });
  try {
    const foreign = await other.issue('payerfsp', { profile: 'client' });
    const event = await eventFor({ key: foreign.keyPem, cert: foreign.certificateChainPem });
    assert.equal(event.reason, 'client certificate not issued by the scheme CA');
    assert.equal(event.certificateSerial, foreign.serialHex.toUpperCase());
  } finally {
    other.dispose();
  }
});

test('expired and not yet valid certificates of the scheme CA are recorded as each', async () => {
  const expired = await pki.issue('payerfsp', { profile: 'client', lifetimeDays: 1, nowMs: Date.now() - 3 * DAY_MS });
  assert.match((await eventFor({ key: expired.keyPem, cert: expired.certificateChainPem })).reason, /^client certificate expired \(valid to \d{4}-/);
  const early = await pki.issue('payerfsp', { profile: 'client', nowMs: Date.now() + 3 * DAY_MS });
  assert.match((await eventFor({ key: early.keyPem, cert: early.certificateChainPem })).reason, /^client certificate not yet valid \(valid from \d{4}-/);
});

test('a revoked certificate is recorded as revoked, with its serial', async () => {
  const event = await eventFor({ key: revoked.keyPem, cert: revoked.certificateChainPem });
  assert.equal(event.reason, 'client certificate revoked');
  assert.equal(event.certificateSerial, revoked.serialHex.toUpperCase());
});

test('a valid certificate of the scheme CA naming a participant is let through, with no event', async () => {
  const valid = await pki.issue('payerfsp', { profile: 'client' });
  const before = events.length;
  const socket = connect({ ...TLS_POLICY, host: '127.0.0.1', port, ca: [...pki.caPems], key: valid.keyPem, cert: valid.certificateChainPem });
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  // The server has run its secureConnection check once the client can read what the server writes: ask it to close.
  socket.end();
  await new Promise((resolve) => { socket.once('close', resolve); });
  assert.equal(events.length, before);
});

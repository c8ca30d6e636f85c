// The FSPIOP listener's mutual TLS against hostile clients, on a running hub:
// each refused, each a security event; a certificate revoked while its
// connection is open loses the connection at the CRL reload, without a
// restart; and a DFSP rotates its certificate with no failed request.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Hub } from '../../main.ts';
import { makeCsr } from '../../pki/index.ts';
import { nodeCrypto, x509 } from '../../pki/x509.ts';
import { createTestPki } from '../../pki/testing.ts';
import { testTables, setEndpointUnchecked } from '../../testing/tables.ts';
import { outboxOf } from '../../delivery/outbox_table.ts';
import { adminRequest, dfspServer, errorCodeOf, fspiopRequest, httpsExchange, testCredentialsOf } from '../../testing/dfsp.ts';
import { testSchemePki } from '../../testing/scheme_pki.ts';
import { until } from '../../testing/hub_process.ts';
import { signMessage } from '../../signature/index.ts';
import { TLS_POLICY } from '../../support/tls_policy.ts';
import type { AdminClient } from '../../testing/admin_client.ts';
import { startSchemeHub, type SchemeHub } from '../../testing/scheme_hub.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;
let hub: Hub;
let adminClient: AdminClient;
const eventsOf = (kind: string) => scheme.eventsOf(kind);

before(async () => {
  // Access tokens optional: these requests come on connections with certificates made for each case, and the
  // certificate checks are what is tested here (tokens bound to certificates: src/edge/gateway/gateway.e2e.test.ts).
  scheme = await startSchemeHub({ name: 'mtls', dfsps: { payerfsp: {}, payeefsp: {} }, overrides: { 'gateway.accessTokens': 'optional' } });
  ({ hub, admin: adminClient } = scheme);
});

after(() => scheme.close());

interface ClientTls { key?: string; cert?: string; ca: string[] }

/** A party lookup (GET: no body, no signature) from `source` over a connection with `tls`; the answer or the transport error. */
async function lookupWith(tls: ClientTls, source = 'payerfsp', agent = new Agent({ ...TLS_POLICY, ...tls })): Promise<{ status: number; body: string } | { error: string }> {
  const headers = {
    'content-type': 'application/vnd.interoperability.parties+json;version=1.1', accept: 'application/vnd.interoperability.parties+json;version=1',
    date: new Date().toUTCString(), 'fspiop-source': source,
  };
  try {
    return await httpsExchange(`${hub.fspiopUrl}/parties/MSISDN/27710000099`, 'GET', headers, null, agent);
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

async function schemeCa(): Promise<string[]> {
  return [...(await testSchemePki()).caPems];
}

/** A certificate the hub's own CA issues through the admin API, as an operator onboards a DFSP: recorded, so it can be revoked. */
async function certifiedByHub(fspId: string): Promise<{ serial: string; tls: ClientTls }> {
  const { csrPem, keyPem } = await makeCsr();
  const answer = await adminRequest(adminClient, 'POST', '/pki/csr', { fspId, csr: csrPem, profile: 'client', lifetimeDays: 30 });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  const issued = answer.body as { serial: string; certificate: string; chain: string };
  const intermediate = issued.chain.split(/(?<=-----END CERTIFICATE-----\n)/)[0] ?? '';
  return { serial: issued.serial, tls: { key: keyPem, cert: issued.certificate + intermediate, ca: await schemeCa() } };
}

test('a DFSP with its scheme certificate is served; its identity is the certificate\'s', async () => {
  const pki = await testSchemePki();
  const own = await pki.issue('payerfsp', { profile: 'client' });
  const answer = await lookupWith({ key: own.keyPem, cert: own.certificateChainPem, ca: [...pki.caPems] });
  assert.ok('status' in answer, JSON.stringify(answer));
  assert.equal(answer.status, 202);
});

test('refused at the handshake, each a security event: no certificate, another CA\'s, an expired one', async () => {
  const before = eventsOf('tls-handshake-refused').length;
  const ca = await schemeCa();
  const noCertificate = await lookupWith({ ca });
  assert.ok('error' in noCertificate, `no certificate: ${JSON.stringify(noCertificate)}`);

  const otherCa = await createTestPki({ schemeName: 'Another Scheme' });
  const foreign = await otherCa.issue('payerfsp', { profile: 'client' });
  const fromOtherCa = await lookupWith({ key: foreign.keyPem, cert: foreign.certificateChainPem, ca });
  assert.ok('error' in fromOtherCa, `another CA: ${JSON.stringify(fromOtherCa)}`);
  otherCa.dispose();

  const pki = await testSchemePki();
  const expired = await pki.issue('payerfsp', { profile: 'client', lifetimeDays: 1, nowMs: Date.now() - 3 * 86_400_000 });
  const expiredAnswer = await lookupWith({ key: expired.keyPem, cert: expired.certificateChainPem, ca });
  assert.ok('error' in expiredAnswer, `expired: ${JSON.stringify(expiredAnswer)}`);

  const events = eventsOf('tls-handshake-refused').slice(before);
  assert.equal(events.length, 3, JSON.stringify(events));
  assert.ok(events.every((event) => event['sourceAddress'] === '127.0.0.1'), JSON.stringify(events));
  assert.deepEqual(events.map((event) => /expired/i.test(String(event['reason']))), [false, false, true], 'the expired certificate is named as such');
  // The first from this address is an entry of the tamper-evident audit log at once; the repeats are counted
  // into one summary entry at the interval's end (src/audit/README.md, "Security events").
  await until('the refusals in the audit log', async () => {
    const stored = await testTables(hub.storage.db).selectFrom('audit_entries').select('action').where('action', '=', 'security.tls-handshake-refused').execute();
    return stored.length >= 1 ? true : undefined;
  });
});

test('a certificate for one DFSP sending FSPIOP-Source of another is refused (3000, 403) and recorded', async () => {
  const before = eventsOf('tls-identity-mismatch').length;
  const pki = await testSchemePki();
  const payeeCertificate = await pki.issue('payeefsp', { profile: 'client' });
  const tls = { key: payeeCertificate.keyPem, cert: payeeCertificate.certificateChainPem, ca: [...pki.caPems] };
  const posing = await lookupWith(tls, 'payerfsp');
  assert.ok('status' in posing);
  assert.deepEqual([posing.status, errorCodeOf(posing.body)], [403, '3000']);
  // The same for a signed prepare, signed with the key of the participant it poses as: the certificate decides.
  const prepare = { transferId: '0198c3a2-6a2b-7c1d-8e9f-0a1b2c3d4e5f', payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { amount: '1', currency: 'USD' }, ilpPacket: 'AQ', condition: 'n'.repeat(43), expiration: new Date(Date.now() + 60_000).toISOString() };
  const date = new Date().toUTCString();
  const signed = await signMessage({ method: 'POST', fspiopUri: '/transfers', source: 'payerfsp', destination: 'payeefsp', date, body: prepare }, (await testCredentialsOf('payerfsp')).signingKey);
  const posted = await httpsExchange(`${hub.fspiopUrl}/transfers`, 'POST', {
    'content-type': 'application/vnd.interoperability.transfers+json;version=1.1', accept: 'application/vnd.interoperability.transfers+json;version=1',
    date, 'fspiop-source': 'payerfsp', 'fspiop-destination': 'payeefsp', 'fspiop-signature': signed.signature,
  }, signed.body, new Agent({ ...TLS_POLICY, ...tls }));
  assert.deepEqual([posted.status, errorCodeOf(posted.body)], [403, '3000']);
  const events = eventsOf('tls-identity-mismatch').slice(before);
  assert.equal(events.length, 2);
  assert.deepEqual([events[0]?.['participant'], events[0]?.['claimed']], ['payeefsp', 'payerfsp']);
});

test('a certificate of the scheme CA that names no participant is refused at the connection and recorded', async () => {
  const before = eventsOf('tls-identity-missing').length;
  const pki = await testSchemePki();
  // Signed with the scheme's issuing key, as a CA mistake or a stolen key would: a client certificate without an fspId SAN.
  const { keyPem, keys } = await makeCsr();
  const nowMs = Date.now();
  const nameless = await x509.X509CertificateGenerator.create({
    serialNumber: '41', issuer: pki.ca.intermediate.subject, subject: 'CN=payerfsp',
    notBefore: new Date(nowMs - 60_000), notAfter: new Date(nowMs + 86_400_000),
    publicKey: keys.publicKey, signingKey: pki.ca.intermediateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  }, nodeCrypto);
  const [, intermediatePem = ''] = pki.caPems;
  const answer = await lookupWith({ key: keyPem, cert: `${nameless.toString('pem')}\n${intermediatePem}`, ca: [...pki.caPems] });
  assert.ok('error' in answer, JSON.stringify(answer));
  const events = eventsOf('tls-identity-missing').slice(before);
  assert.equal(events.length, 1);
  assert.match(String(events[0]?.['reason']), /names no participant/);
});

test('revoked through the admin API: the open connection is closed and new handshakes refused, without a restart', async () => {
  const { serial, tls } = await certifiedByHub('payerfsp');
  const agent = new Agent({ ...TLS_POLICY, ...tls, keepAlive: true, maxSockets: 1 });
  const first = await lookupWith(tls, 'payerfsp', agent);
  assert.ok('status' in first && first.status === 202, JSON.stringify(first));
  const openSockets = () => Object.values(agent.freeSockets).flat().length + Object.values(agent.sockets).flat().length;
  assert.equal(openSockets(), 1, 'a keep-alive connection is open');

  const revokedBefore = eventsOf('tls-connection-revoked').length;
  const revoked = await adminRequest(adminClient, 'POST', `/pki/certificates/${serial}/revoke`, { reason: 'keyCompromise' });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  const closed = eventsOf('tls-connection-revoked').slice(revokedBefore);
  assert.equal(closed.length, 1, 'the live connection was closed at the reload');
  assert.equal(String(closed[0]?.['certificateSerial']).toLowerCase(), serial);

  const again = await lookupWith(tls, 'payerfsp', agent);
  assert.ok('error' in again, `after revocation: ${JSON.stringify(again)}`);
  const fresh = await lookupWith(tls);
  assert.ok('error' in fresh, `a new connection after revocation: ${JSON.stringify(fresh)}`);
  agent.destroy();
});

test('rotation: with two valid certificates a DFSP switches over with no failed request; revoking the old one leaves the new one working', async () => {
  const old = await certifiedByHub('payerfsp');
  const renewal = await makeCsr();
  const renewed = await adminRequest(adminClient, 'POST', `/pki/certificates/${old.serial}/renew`, { csr: renewal.csrPem, lifetimeDays: 60 });
  assert.equal(renewed.status, 201, JSON.stringify(renewed.body));
  const issued = renewed.body as { serial: string; certificate: string; chain: string };
  const intermediate = issued.chain.split(/(?<=-----END CERTIFICATE-----\n)/)[0] ?? '';
  const current = { key: renewal.keyPem, cert: issued.certificate + intermediate, ca: await schemeCa() };

  // Requests on both certificates, interleaved, as a DFSP's instances switch one by one.
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => lookupWith(i % 2 === 0 ? old.tls : current)));
  assert.ok(answers.every((a) => 'status' in a && a.status === 202), JSON.stringify(answers));

  assert.equal((await adminRequest(adminClient, 'POST', `/pki/certificates/${old.serial}/revoke`, { reason: 'superseded' })).status, 200);
  assert.ok('error' in await lookupWith(old.tls));
  const after = await lookupWith(current);
  assert.ok('status' in after && after.status === 202, JSON.stringify(after));
});

test('the hub calls DFSPs back over mutual TLS: a plain-HTTP endpoint is never sent to', async () => {
  const plain = await dfspServer('payerfsp', { plainHttp: true });
  try {
    const registered = await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `${plain.url}${errorPath}` });
    assert.equal(registered.status, 201);
    // A lookup of an unknown party, whose error callback goes to the plain endpoint.
    const answer = await fspiopRequest(hub.fspiopUrl, 'GET', '/parties/MSISDN/27710000098', 'parties', 'payerfsp', undefined);
    assert.equal(answer.status, 202);
    // The callback is refused before connecting, and recorded so: after that, nothing can reach the endpoint.
    assert.equal(await failedErrorCallback('27710000098'), 'request could not be made (ERR_PLAIN_HTTP_REFUSED)');
    assert.equal(plain.received.length, 0, 'nothing reached the plain-HTTP endpoint');
  } finally {
    await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `${scheme.dfsps.payerfsp.url}${errorPath}` });
    await plain.close();
  }
});

/** payerfsp's party-error callback endpoint, where a lookup of an unknown party is answered. */
const ERROR_ENDPOINT = 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR';
const errorPath = '/parties/{{partyIdType}}/{{partyIdentifier}}/error';

/** Looks up an unknown party as payerfsp and waits for the security event of `kind` its error callback causes; that event. */
async function callbackRefusedAs(kind: string, partyId: string): Promise<Record<string, unknown>> {
  const before = eventsOf(kind).length;
  const answer = await fspiopRequest(hub.fspiopUrl, 'GET', `/parties/MSISDN/${partyId}`, 'parties', 'payerfsp', undefined);
  assert.equal(answer.status, 202);
  return until(`a ${kind} event`, () => Promise.resolve(eventsOf(kind)[before]));
}

async function failedErrorCallback(partyId: string): Promise<string | null> {
  return until('the callback FAILED', async () => {
    const row = await outboxOf(hub.storage.db).selectFrom('outbox').select(['state', 'last_error']).where('recipient', '=', 'payerfsp')
      .where('endpoint_type', '=', ERROR_ENDPOINT).where('template_values', 'like', `%${partyId}%`).executeTakeFirst();
    return row?.state === 'FAILED' ? row.last_error : undefined;
  });
}

test('a callback goes only to a server whose certificate names the recipient: the hub\'s own certificate and another DFSP\'s are refused, recorded, sent nothing', async () => {
  const hubPem = readFileSync(join(scheme.config.dataDir, 'hub-tls', 'hub-tls.pem'), 'utf8');
  const posingAsHub = await dfspServer('payerfsp', { presenting: { keyPem: hubPem, certificateChainPem: hubPem } });
  const payeeServer = await dfspServer('payeefsp');
  try {
    const cases = [[posingAsHub, '27710000201', /certificate is Hub's, not payerfsp's/], [payeeServer, '27710000202', /certificate is payeefsp's, not payerfsp's/]] as const;
    for (const [server, partyId, reason] of cases) {
      const registered = await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `${server.url}${errorPath}` });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const event = await callbackRefusedAs('callback-certificate-refused', partyId);
      assert.match(String(event['reason']), reason);
      assert.equal(event['claimed'], 'payerfsp');
      assert.match(await failedErrorCallback(partyId) ?? '', reason);
      assert.equal(server.received.length, 0, 'nothing reached the server');
    }
  } finally {
    await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `${scheme.dfsps.payerfsp.url}${errorPath}` });
    await posingAsHub.close();
    await payeeServer.close();
  }
});

test('the hub\'s own listeners are refused as callback endpoints, loopback allowed or not: at registration, and at delivery', async () => {
  const own = [new URL(hub.adminUrl), new URL(hub.fspiopUrl)];
  for (const url of own) {
    const registered = await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `https://127.0.0.1:${url.port}${errorPath}` });
    assert.equal(registered.status, 400, JSON.stringify(registered.body));
    const detail = JSON.stringify(registered.body);
    assert.ok(detail.includes(`127.0.0.1 port ${url.port} is the hub's own`), detail);
  }
  // An endpoint already stored (before this policy, or by a name that resolved elsewhere then) is refused when a callback would go.
  try {
    await setEndpointUnchecked(hub.storage, 'payerfsp', ERROR_ENDPOINT, `https://localhost:${own[0]?.port ?? ''}${errorPath}`);
    const event = await callbackRefusedAs('callback-address-refused', '27710000203');
    assert.match(String(event['reason']), /^localhost resolves to (127\.0\.0\.1|::1) port \d+ is the hub's own admin listener$/);
    assert.match(await failedErrorCallback('27710000203') ?? '', /callback address refused: localhost resolves to/);
  } finally {
    await adminRequest(adminClient, 'POST', '/participants/payerfsp/endpoints', { type: ERROR_ENDPOINT, value: `${scheme.dfsps.payerfsp.url}${errorPath}` });
  }
});

test('a participant whose certificate is valid but who is deactivated is refused (3200, 404) and recorded', async () => {
  const pki = await testSchemePki();
  const payee = await pki.issue('payeefsp', { profile: 'client' });
  const before = eventsOf('api-not-permitted').length;
  assert.equal((await adminRequest(adminClient, 'PUT', '/participants/payeefsp', { isActive: false })).status, 200);
  try {
    const answer = await lookupWith({ key: payee.keyPem, cert: payee.certificateChainPem, ca: [...pki.caPems] }, 'payeefsp');
    assert.ok('status' in answer, JSON.stringify(answer));
    assert.deepEqual([answer.status, errorCodeOf(answer.body)], [404, '3200']);
    const events = eventsOf('api-not-permitted').slice(before);
    assert.equal(events.length, 1);
    assert.deepEqual([events[0]?.['reason'], events[0]?.['claimed']], ['FSPIOP-Source is not an active participant', 'payeefsp']);
  } finally {
    await adminRequest(adminClient, 'PUT', '/participants/payeefsp', { isActive: true });
  }
});

// End to end over HTTP: the hub as `interlock start` runs it, onboarded through
// its admin API, with two DFSPs (plain HTTP servers on loopback) doing party
// registration → lookup → quote → transfer. Every callback travels through the
// outbox and the delivery worker.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ilpPacketFor } from './testing/ilp_fixture.ts';
import { until } from './testing/hub_process.ts';
import { verifyEvidence } from './transfers/evidence.ts';
import { createSigningKeyRegistry } from './participants/index.ts';
import { systemClock } from './support/clock.ts';
import type { Hub } from './main.ts';
import { adminRequest, agentOf, httpsExchange, fspiopRequest, sentBodyText, type DfspServer } from './testing/dfsp.ts';
import type { AdminClient } from './testing/admin_client.ts';
import { startSchemeHub, type SchemeHub } from './testing/scheme_hub.ts';
import { testTables } from './testing/tables.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;
let hub: Hub;
let payer: DfspServer;
let payee: DfspServer;

let adminClient: AdminClient;
const admin = (method: string, path: string, body?: unknown) => adminRequest(adminClient, method, path, body);
const fspiop = (method: string, path: string, resource: string, source: string, destination: string | undefined, body?: unknown) =>
  fspiopRequest(hub.fspiopUrl, method, path, resource, source, destination, body);

before(async () => {
  scheme = await startSchemeHub({ name: 'e2e', dfsps: { payerfsp: {}, payeefsp: {} } });
  ({ hub, admin: adminClient, dfsps: { payerfsp: payer, payeefsp: payee } } = scheme);
});

after(() => scheme.close());

test('registration, lookup, quote and transfer run end to end, and positions end right', async () => {
  const party = { partyIdType: 'MSISDN', partyIdentifier: '27713803912' };

  // The payee registers the party it serves, and is told so.
  assert.equal((await fspiop('POST', '/participants/MSISDN/27713803912', 'participants', 'payeefsp', undefined, { fspId: 'payeefsp', currency: 'USD' })).status, 202);
  const registered = await payee.next((r) => r.method === 'PUT' && r.url === '/participants/MSISDN/27713803912');
  assert.deepEqual(JSON.parse(registered.body), { fspId: 'payeefsp' });

  // The payer looks the party up without knowing its FSP; the hub asks the payee and passes the answer back.
  assert.equal((await fspiop('GET', '/parties/MSISDN/27713803912', 'parties', 'payerfsp', undefined)).status, 202);
  const asked = await payee.next((r) => r.method === 'GET' && r.url === '/parties/MSISDN/27713803912');
  assert.equal(asked.headers['fspiop-destination'], 'payeefsp');
  const partyBody = { party: { partyIdInfo: { ...party, fspId: 'payeefsp' }, name: 'Henrik Karlsson' } };
  const answered = await fspiop('PUT', '/parties/MSISDN/27713803912', 'parties', 'payeefsp', 'payerfsp', partyBody);
  assert.equal(answered.status, 200, answered.body);
  const found = await payer.next((r) => r.method === 'PUT' && r.url === '/parties/MSISDN/27713803912');
  assert.deepEqual(JSON.parse(found.body), partyBody);

  // Quote.
  const quoteId = randomUUID();
  const transactionId = randomUUID();
  const quote = {
    quoteId, transactionId,
    payee: { partyIdInfo: { ...party, fspId: 'payeefsp' } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'payerfsp' } },
    amountType: 'SEND', amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  };
  assert.equal((await fspiop('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', quote)).status, 202);
  const quoted = await payee.next((r) => r.method === 'POST' && r.url === '/quotes');
  assert.deepEqual(JSON.parse(quoted.body), quote);
  const preimage = randomBytes(32);
  const fulfilment = preimage.toString('base64url');
  const condition = createHash('sha256').update(preimage).digest('base64url');
  const ilpPacket = ilpPacketFor('payeefsp', '100', 'USD');
  const expiration = new Date(Date.now() + 60_000).toISOString();
  const quoteResponse = { transferAmount: { amount: '100', currency: 'USD' }, expiration, ilpPacket, condition };
  assert.equal((await fspiop('PUT', `/quotes/${quoteId}`, 'quotes', 'payeefsp', 'payerfsp', quoteResponse)).status, 200);
  await payer.next((r) => r.method === 'PUT' && r.url === `/quotes/${quoteId}`);

  // Transfer: prepare goes to the payee as sent; the fulfil commits and goes back to the payer.
  const transferId = randomUUID();
  const prepare = { transferId, payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { amount: '100', currency: 'USD' }, ilpPacket, condition, expiration };
  const accepted = await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare);
  assert.equal(accepted.status, 202);
  const forwarded = await payee.next((r) => r.method === 'POST' && r.url === '/transfers');
  assert.equal(forwarded.body, sentBodyText(prepare), 'the payee receives the payer\'s exact bytes');
  const positionsDuring = (await admin('GET', '/participants/payerfsp/positions?currency=USD')).body as { value: number };
  assert.equal(positionsDuring.value, 100);
  const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
  assert.equal((await fspiop('PUT', `/transfers/${transferId}`, 'transfers', 'payeefsp', 'payerfsp', fulfil)).status, 200);
  const done = await payer.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
  assert.deepEqual(JSON.parse(done.body), fulfil);
  const confirmed = await payee.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
  assert.equal(confirmed.headers['fspiop-source'], 'Hub');
  assert.equal((JSON.parse(confirmed.body) as { transferState: string }).transferState, 'COMMITTED');

  const payerPosition = (await admin('GET', '/participants/payerfsp/positions?currency=USD')).body as { value: number };
  const payeePosition = (await admin('GET', '/participants/payeefsp/positions?currency=USD')).body as { value: number };
  assert.deepEqual([payerPosition.value, payeePosition.value], [100, -100]);

  // Evidence for a dispute: the payer's prepare and the payee's fulfil, as signed, verify again with their keys.
  const keys = createSigningKeyRegistry({ db: hub.storage.db, engine: hub.storage.engine, clock: systemClock });
  const keyOf = async (participant: string, kid: string) => {
    const listed = await keys.list(participant);
    return listed.ok ? listed.value.find((key) => key.kid === kid)?.publicKeyPem : undefined;
  };
  const verdicts = await verifyEvidence(hub.storage.db, transferId, keyOf);
  assert.deepEqual(verdicts.map((v) => [v.operation, v.source, v.verdict]), [['POST /transfers', 'payerfsp', 'verified'], ['PUT /transfers/{ID}', 'payeefsp', 'verified']]);
  // A body altered after the fact (a forged row: the table refuses changes to the real one) no longer verifies.
  const [kept] = await testTables(hub.storage.db).selectFrom('message_evidence').selectAll().where('transfer_id', '=', transferId).orderBy('id').limit(1).execute();
  assert.ok(kept !== undefined);
  const forgedBody = kept.body.replace('"amount":"100"', '"amount":"900"');
  await testTables(hub.storage.db).insertInto('message_evidence').values({ ...kept, id: undefined, body: forgedBody, body_sha256: createHash('sha256').update(forgedBody).digest('hex') }).execute();
  assert.deepEqual((await verifyEvidence(hub.storage.db, transferId, keyOf)).map((v) => v.verdict), ['verified', 'verified', 'failed']);

  // Every operator action of the onboarding is an entry of the tamper-evident audit log, with a signed checkpoint over it.
  await until('the onboarding in the audit log', async () => {
    const entries = await testTables(hub.storage.db).selectFrom('audit_entries').select(['action']).where('kind', '=', 'operator-action').execute();
    const checkpoints = await testTables(hub.storage.db).selectFrom('audit_checkpoints').select('size').execute();
    return entries.some((e) => e.action === 'FUNDS_IN_REQUEST') && entries.some((e) => e.action === 'CHANGE_REQUEST_APPROVE') && checkpoints.length > 0 ? true : undefined;
  });
});

test('the edge refuses malformed requests synchronously, with FSPIOP codes, before any domain work', async () => {
  const code = (body: string) => (JSON.parse(body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode;
  // A certificate of the scheme for a name that is no participant: the hub's authorization server gives it no token.
  const unknownSource = await fspiop('POST', '/transfers', 'transfers', 'nobodyfsp', 'payeefsp', {});
  assert.deepEqual([unknownSource.status, code(unknownSource.body)], [401, '3000']);
  const badBody = await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', { transferId: 'x' });
  assert.equal(badBody.status, 400);
  assert.ok(['3100', '3102'].includes(code(badBody.body)));
  const unknownPath = await fspiop('GET', '/nothing/here', 'transfers', 'payerfsp', undefined);
  assert.deepEqual([unknownPath.status, code(unknownPath.body)], [404, '3002']);
  const response = await httpsExchange(`${hub.fspiopUrl}/transfers`, 'POST', { 'content-type': 'application/json' }, '{}', await agentOf('payerfsp'));
  assert.equal(response.status, 400);
  assert.equal(code(response.body), '3101');
  const oversize = await fspiop('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', { pad: 'x'.repeat(70_000) });
  assert.deepEqual([oversize.status, code(oversize.body)], [413, '3104']);
});

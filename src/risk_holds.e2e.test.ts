// End to end over the real FSPIOP listener (mutual TLS, signatures, tokens):
// a LIVE rule set holds a payment; it is reserved and the payer gets its 202,
// but the payee hears nothing; two operators release it through the admin API
// (one requests, the other approves); the prepare then reaches the payee with
// the payer's exact bytes, the payee fulfils, and the transfer commits. The
// HOLD and the release are entries of the tamper-evident audit log.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { systemClock } from './support/clock.ts';
import type { Hub } from './main.ts';
import { adminRequest, fspiopRequest, sentBodyText, type DfspServer } from './testing/dfsp.ts';
import type { AdminClient } from './testing/admin_client.ts';
import { until } from './testing/hub_process.ts';
import { ilpPacketFor } from './testing/ilp_fixture.ts';
import { promoteAmountRuleSet } from './testing/risk_fixture.ts';
import { startSchemeHub, type SchemeHub } from './testing/scheme_hub.ts';
import { testTables } from './testing/tables.ts';

/** How long the payee is watched for a prepare that must not come: many delivery worker rounds. */
const QUIET_MS = 1_500;

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;
let hub: Hub;
let payer: DfspServer;
let payee: DfspServer;
let adminClient: AdminClient;

const fspiop = (method: string, path: string, resource: string, source: string, destination: string | undefined, body?: unknown) =>
  fspiopRequest(hub.fspiopUrl, method, path, resource, source, destination, body);

before(async () => {
  scheme = await startSchemeHub({ name: 'holds-e2e', dfsps: { payerfsp: {}, payeefsp: {} } });
  ({ hub, admin: adminClient, dfsps: { payerfsp: payer, payeefsp: payee } } = scheme);
  // No payment was assessed yet, so the first one reads the LIVE rule set.
  await promoteAmountRuleSet(hub.storage, systemClock);
});

after(() => scheme.close());

/** A prepare of `amount` USD (the test rule set holds 100 to 999.99), with its fulfilment. */
function preparing(amount: string) {
  const preimage = randomBytes(32);
  const transferId = randomUUID();
  const prepare = {
    transferId, payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { amount, currency: 'USD' },
    ilpPacket: ilpPacketFor('payeefsp', amount, 'USD'), condition: createHash('sha256').update(preimage).digest('base64url'),
    expiration: new Date(Date.now() + 120_000).toISOString(),
  };
  return { transferId, prepare, fulfilment: preimage.toString('base64url') };
}

test('a held payment reaches the payee only once two operators released it, then is fulfilled and committed', async () => {
  const { transferId, prepare, fulfilment } = preparing('150');
  assert.equal((await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
  const position = async (name: string) => ((await adminRequest(adminClient, 'GET', `/participants/${name}/positions?currency=USD`)).body as { value: number }).value;
  await until('the reservation', async () => ((await position('payerfsp')) === 150 ? true : undefined));
  await sleep(QUIET_MS);
  assert.equal(payee.count((r) => r.method === 'POST' && r.url === '/transfers'), 0, 'the payee hears nothing of a held transfer');
  assert.equal(payer.count((r) => r.url.startsWith(`/transfers/${transferId}`)), 0, 'nor is the payer refused');

  const cases = (await adminClient.maker.call('GET', '/risk/cases?kind=HOLD&state=OPEN')).body as { id: number; subjectId: string }[];
  const held = cases.find((c) => c.subjectId === transferId);
  assert.ok(held !== undefined, JSON.stringify(cases));
  // The maker alone moves nothing, and cannot approve it.
  const requested = await adminClient.maker.call('POST', `/risk/cases/${held.id}/release`, { reason: 'the payer confirmed the payment by phone' });
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  const requestId = (requested.body as { id: string }).id;
  assert.equal((await adminClient.maker.call('POST', `/changeRequests/${requestId}/approve`)).status, 403);
  await sleep(QUIET_MS);
  assert.equal(payee.count((r) => r.method === 'POST' && r.url === '/transfers'), 0);
  const approved = await adminClient.checker.call('POST', `/changeRequests/${requestId}/approve`);
  assert.equal(approved.status, 200, JSON.stringify(approved.body));

  const forwarded = await payee.next((r) => r.method === 'POST' && r.url === '/transfers');
  assert.equal(forwarded.body, sentBodyText(prepare), 'the payee receives the payer\'s exact bytes');
  const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
  assert.equal((await fspiop('PUT', `/transfers/${transferId}`, 'transfers', 'payeefsp', 'payerfsp', fulfil)).status, 200);
  const done = await payer.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
  assert.deepEqual(JSON.parse(done.body), fulfil);
  assert.deepEqual([await position('payerfsp'), await position('payeefsp')], [150, -150]);

  const detail = (await adminClient.maker.call('GET', `/risk/cases/${held.id}`)).body as { state: string; hold: { state: string; transferState: string } };
  assert.deepEqual([detail.state, detail.hold.state, detail.hold.transferState], ['RELEASED', 'RELEASED', 'COMMITTED']);
  await until('the hold and its release in the audit log', async () => {
    const actions = (await testTables(hub.storage.db).selectFrom('audit_entries').select('action').execute()).map((e) => e.action);
    return actions.includes('RISK_HOLD') && actions.includes('RISK_HOLD_RELEASE_EXECUTE') ? true : undefined;
  });
});

test('a fulfil from the payee of a transfer still held is refused, and the transfer stays reserved', async () => {
  const { transferId, prepare, fulfilment } = preparing('200');
  assert.equal((await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
  await until('the hold', async () => ((await testTables(hub.storage.db).selectFrom('transfer_holds').select('state').where('transfer_id', '=', transferId).executeTakeFirst())?.state));
  // A payee that got the packet out of band (a payer colluding with it) presents the right fulfilment.
  const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
  assert.equal((await fspiop('PUT', `/transfers/${transferId}`, 'transfers', 'payeefsp', 'payerfsp', fulfil)).status, 200);
  const refused = await payee.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}/error`);
  assert.equal((JSON.parse(refused.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3208');
  const state = await testTables(hub.storage.db).selectFrom('transfers').select('state').where('transfer_id', '=', transferId).executeTakeFirstOrThrow();
  assert.equal(state.state, 'RESERVED');
  assert.equal(payer.count((r) => r.url.startsWith(`/transfers/${transferId}`)), 0, 'the payer is told nothing');
});

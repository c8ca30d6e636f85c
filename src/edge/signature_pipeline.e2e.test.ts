// The signature control where it stands in the pipeline: a hub with two DFSPs,
// and hostile prepares that each must be refused with 3105, recorded as a
// security event, and move no money; the properly signed one goes through.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hub } from '../main.ts';
import { agentOf, errorCodeOf, httpsExchange, fspiopRequest, ilpLock, positionOf, prepareBody, testCredentialsOf, tokenSourceOf, type DfspServer } from '../testing/dfsp.ts';
import { signMessage } from '../signature/index.ts';
import type { AdminClient } from '../testing/admin_client.ts';
import { startSchemeHub, type SchemeHub } from '../testing/scheme_hub.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;
let hub: Hub;
let adminClient: AdminClient;
let payee: DfspServer;

before(async () => {
  scheme = await startSchemeHub({ name: 'signature-edge', dfsps: { payerfsp: {}, payeefsp: {} } });
  ({ hub, admin: adminClient, dfsps: { payeefsp: payee } } = scheme);
});

after(() => scheme.close());

/** A prepare from payerfsp, its headers and body text as given (a hostile client writes its own), with payerfsp's access token. */
async function send(headers: Record<string, string>, body: string) {
  const token = await (await tokenSourceOf(hub.fspiopUrl, 'payerfsp')).token();
  return httpsExchange(`${hub.fspiopUrl}/transfers`, 'POST', { ...headers, authorization: `Bearer ${token}` }, body, await agentOf('payerfsp'));
}

function prepareHeaders(date: string): Record<string, string> {
  return {
    'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
    accept: 'application/vnd.interoperability.transfers+json;version=1',
    date, 'fspiop-source': 'payerfsp', 'fspiop-destination': 'payeefsp',
  };
}

async function signedBy(name: string, body: unknown, date: string, uri = '/transfers', method = 'POST') {
  return signMessage({ method, fspiopUri: uri, source: 'payerfsp', destination: 'payeefsp', date, body }, (await testCredentialsOf(name)).signingKey);
}

const signatureEvents = () => scheme.eventsOf('signature-invalid');

test('every hostile prepare is refused with 3105 and a security event, and moves no money; a signed one is accepted', async () => {
  const date = new Date().toUTCString();
  const positionBefore = await positionOf(adminClient, 'payerfsp');
  const eventsBefore = signatureEvents().length;
  const prepare = prepareBody(ilpLock().condition);
  const good = await signedBy('payerfsp', prepare, date);
  const other = prepareBody(ilpLock().condition);
  const otherSigned = await signedBy('payerfsp', other, date);
  const tampered = good.body.replace('"amount":"100"', '"amount":"900"');
  assert.notEqual(tampered, good.body);

  const attempts: [what: string, headers: Record<string, string>, body: string][] = [
    ['no signature', prepareHeaders(date), good.body],
    ['the body changed after signing', { ...prepareHeaders(date), 'fspiop-signature': good.signature }, tampered],
    ['another DFSP\'s key', { ...prepareHeaders(date), 'fspiop-signature': (await signedBy('payeefsp', prepare, date)).signature }, good.body],
    ['a signature replayed from another transfer', { ...prepareHeaders(date), 'fspiop-signature': otherSigned.signature }, good.body],
    ['signed for another URI', { ...prepareHeaders(date), 'fspiop-signature': (await signedBy('payerfsp', prepare, date, '/quotes')).signature }, good.body],
    ['signed for another method', { ...prepareHeaders(date), 'fspiop-signature': (await signedBy('payerfsp', prepare, date, '/transfers', 'PUT')).signature }, good.body],
    ['a truncated signature', { ...prepareHeaders(date), 'fspiop-signature': good.signature.replace(/"signature":"([^"]{10})[^"]*"/, '"signature":"$1"') }, good.body],
    ['a header that is not JSON', { ...prepareHeaders(date), 'fspiop-signature': 'not json' }, good.body],
  ];
  for (const [what, headers, body] of attempts) {
    const answer = await send(headers, body);
    assert.deepEqual([answer.status, errorCodeOf(answer.body)], [400, '3105'], what);
  }
  assert.equal(await positionOf(adminClient, 'payerfsp'), positionBefore, 'no refused prepare reserved anything');
  const events = signatureEvents().slice(eventsBefore);
  assert.equal(events.length, attempts.length, 'each refusal is a security event');
  for (const event of events) {
    assert.equal(event['claimed'], 'payerfsp');
    assert.equal(event['operation'], 'POST /transfers');
    assert.equal(JSON.stringify(event).includes(good.signature), false, 'the event never carries the signature itself');
  }

  const accepted = await send({ ...prepareHeaders(date), 'fspiop-signature': good.signature }, good.body);
  assert.equal(accepted.status, 202, accepted.body);
  const forwarded = await payee.next((r) => r.method === 'POST' && r.url === '/transfers' && r.body === good.body);
  assert.equal(forwarded.headers['fspiop-signature'], good.signature, 'the payee gets the payer\'s own signature, untouched');
});

test('GET and DELETE carry no body and no signature, as in Mojaloop: they are not refused for lacking one', async () => {
  const answer = await fspiopRequest(hub.fspiopUrl, 'GET', `/transfers/${prepareBody('x').transferId}`, 'transfers', 'payerfsp', undefined);
  assert.equal(answer.status, 202);
});

test('a request refused for its Date is a security event of its own, saying what was wrong and the skew seen', async () => {
  const eventsBefore = scheme.eventsOf('request-date-refused').length;
  const prepare = prepareBody(ilpLock().condition);
  const hourAgo = new Date(Date.now() - 3_600_000).toUTCString();
  const withoutDate = Object.fromEntries(Object.entries(prepareHeaders(hourAgo)).filter(([name]) => name !== 'date'));
  const attempts: [what: string, headers: Record<string, string>, code: string, reason: RegExp][] = [
    ['no Date', withoutDate, '3102', /^Date header missing$/],
    ['a Date that is not an IMF-fixdate', prepareHeaders('yesterday'), '3101', /^Date header is not an IMF-fixdate$/],
    ['a Date an hour old', prepareHeaders(hourAgo), '3100', /^Date 36\d\d s behind the hub's clock \(fspiop.dateSkewMsMax 300 s\)$/],
    ['a Date an hour ahead', prepareHeaders(new Date(Date.now() + 3_600_000).toUTCString()), '3100', /^Date 3\d\d\d s ahead of the hub's clock \(fspiop.dateSkewMsMax 300 s\)$/],
  ];
  for (const [what, headers, code] of attempts) {
    const signed = await signedBy('payerfsp', prepare, headers['date'] ?? hourAgo);
    const answer = await send({ ...headers, 'fspiop-signature': signed.signature }, signed.body);
    assert.deepEqual([answer.status, errorCodeOf(answer.body)], [400, code], what);
  }
  const events = scheme.eventsOf('request-date-refused').slice(eventsBefore);
  assert.equal(events.length, attempts.length, 'each Date refusal is a security event');
  for (const [index, [what, , , reason]] of attempts.entries()) {
    const event = events[index] ?? {};
    assert.match(String(event['reason']), reason, what);
    assert.deepEqual([event['claimed'], event['operation']], ['payerfsp', 'POST /transfers'], what);
  }
});

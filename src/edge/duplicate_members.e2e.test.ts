// Duplicate JSON member names at the FSPIOP edge: a correctly signed body
// that gives a member twice (the hub would act on one value and forward bytes
// holding both) is refused with 3101, recorded as a security event, and
// reaches nothing: no reservation, no state, no callback to anyone.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FlattenedSign } from 'jose';
import { agentOf, errorCodeOf, fspiopRequest, httpsExchange, ilpLock, positionOf, prepareBody, sentBodyText, testCredentialsOf, tokenSourceOf, type HttpAnswer } from '../testing/dfsp.ts';
import { startSchemeHub, type SchemeHub } from '../testing/scheme_hub.ts';
import { formatSignatureHeader, signMessage } from '../signature/index.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;

before(async () => {
  scheme = await startSchemeHub({ name: 'duplicate-members', dfsps: { payerfsp: {}, payeefsp: {} } });
});

after(() => scheme.close());

/** An FSPIOP request whose body is `text` exactly as written, correctly signed by `source` over those bytes. */
async function sendSignedText(method: 'POST' | 'PUT', path: string, resource: string, source: 'payerfsp' | 'payeefsp', destination: string, text: string): Promise<HttpAnswer> {
  const { hub } = scheme;
  const date = new Date().toUTCString();
  const key = (await testCredentialsOf(source)).signingKey;
  // The protected header does not depend on the body: take the one signMessage writes, and sign the hostile bytes under it.
  const { protectedHeader } = await signMessage({ method, fspiopUri: path, source, destination, date, body: {} }, key);
  const jws = await new FlattenedSign(Buffer.from(text, 'utf8')).setProtectedHeader({ ...protectedHeader }).sign(key.privateKey, { crit: {} });
  assert.ok(jws.protected !== undefined);
  const headers: Record<string, string> = {
    'content-type': `application/vnd.interoperability.${resource}+json;version=1.1`,
    date, 'fspiop-source': source, 'fspiop-destination': destination,
    'fspiop-signature': formatSignatureHeader({ protectedHeader: jws.protected, signature: jws.signature }),
    ...(method === 'PUT' ? {} : { accept: `application/vnd.interoperability.${resource}+json;version=1` }),
    authorization: `Bearer ${await (await tokenSourceOf(hub.fspiopUrl, source)).token()}`,
  };
  const answer = await httpsExchange(hub.fspiopUrl + path, method, headers, text, await agentOf(source));
  return { ...answer, sent: headers };
}

/** `text` (sorted compact JSON) with `member` written again just after the object's opening `{` at `objectStart`. */
function withMemberAgain(text: string, objectStart: string, member: string): string {
  const at = text.indexOf(objectStart);
  assert.notEqual(at, -1, `${objectStart} is not in ${text}`);
  const open = at + objectStart.length;
  return `${text.slice(0, open)}${member},${text.slice(open)}`;
}

const ambiguousEvents = () => scheme.eventsOf('request-ambiguous');

function assertRefused(answer: HttpAnswer, what: string): void {
  assert.equal(answer.status, 400, `${what}: ${answer.body}`);
  assert.equal(errorCodeOf(answer.body), '3101', what);
  assert.match(answer.body, /given twice/, what);
}

test('a signed prepare giving amount, payeeFsp or amount.currency twice, plainly or escaped, is refused with 3101 and reserves and forwards nothing', async () => {
  const { admin, dfsps: { payeefsp: payee } } = scheme;
  const positionBefore = await positionOf(admin, 'payerfsp');
  const eventsBefore = ambiguousEvents().length;
  const attempts: [what: string, transferId: string, text: string][] = [];
  const hostile = (what: string, edit: (text: string) => string) => {
    const body = prepareBody(ilpLock().condition);
    attempts.push([what, body.transferId, edit(sentBodyText(body))]);
  };
  hostile('amount twice', (t) => withMemberAgain(t, '{', '"amount":{"amount":"1","currency":"USD"}'));
  hostile('payeeFsp twice', (t) => withMemberAgain(t, '{', '"payeeFsp":"payerfsp"'));
  hostile('amount.currency twice', (t) => withMemberAgain(t, '"amount":{', '"currency":"EUR"'));
  hostile('amount twice, once escaped', (t) => withMemberAgain(t, '{', '"\\u0061mount":{"amount":"1","currency":"USD"}'));
  hostile('amount.amount twice, once escaped in capitals', (t) => withMemberAgain(t, '"amount":{', '"\\u0061\\u006D\\u006F\\u0075\\u006E\\u0074":"1"'));

  for (const [what, , text] of attempts) assertRefused(await sendSignedText('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', text), what);

  assert.equal(await positionOf(admin, 'payerfsp'), positionBefore, 'no refused prepare reserved anything');
  const events = ambiguousEvents().slice(eventsBefore);
  assert.equal(events.length, attempts.length, 'each refusal is a security event');
  for (const event of events) {
    assert.equal(event['operation'], 'POST /transfers');
    assert.equal(event['participant'], 'payerfsp');
  }
  // A good prepare after them is forwarded: the refused ones, had they been accepted, were queued before it.
  const good = prepareBody(ilpLock().condition);
  assert.equal((await fspiopRequest(scheme.hub.fspiopUrl, 'POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', good)).status, 202);
  await payee.next((r) => r.method === 'POST' && r.url === '/transfers' && r.body.includes(good.transferId));
  for (const [what, transferId] of attempts) assert.equal(payee.count((r) => r.body.includes(transferId)), 0, `${what}: never forwarded`);
  for (const [what, transferId] of attempts) {
    // The hub knows nothing of them: asking answers "not found".
    assert.equal((await fspiopRequest(scheme.hub.fspiopUrl, 'GET', `/transfers/${transferId}`, 'transfers', 'payerfsp', undefined)).status, 202, what);
    const answer = await scheme.dfsps.payerfsp.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}/error`);
    assert.equal(errorCodeOf(answer.body), '3208', what);
  }
});

test('a signed quote request giving amount twice is refused with 3101 and never reaches the payee', async () => {
  const quoteId = randomUUID();
  const quote = {
    quoteId, transactionId: randomUUID(),
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '27713803912', fspId: 'payeefsp' } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'payerfsp' } },
    amountType: 'SEND', amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  };
  const eventsBefore = ambiguousEvents().length;
  const text = withMemberAgain(sentBodyText(quote), '{', '"amount":{"amount":"1","currency":"USD"}');
  assertRefused(await sendSignedText('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', text), 'quote amount twice');
  const nested = withMemberAgain(sentBodyText({ ...quote, quoteId: randomUUID() }), '"payee":{"partyIdInfo":{', '"fspId":"payerfsp"');
  assertRefused(await sendSignedText('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', nested), 'quote payee fspId twice');
  assert.equal(ambiguousEvents().length - eventsBefore, 2);
  const good = { ...quote, quoteId: randomUUID() };
  assert.equal((await fspiopRequest(scheme.hub.fspiopUrl, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', good)).status, 202);
  await scheme.dfsps.payeefsp.next((r) => r.method === 'POST' && r.url === '/quotes' && r.body.includes(good.quoteId));
  assert.equal(scheme.dfsps.payeefsp.count((r) => r.body.includes(quoteId)), 0, 'the refused quote never reached the payee');
});

test('a signed fulfil giving transferState twice is refused with 3101: the transfer stays reserved, and a clean fulfil commits it', async () => {
  const { admin, dfsps: { payerfsp: payer, payeefsp: payee } } = scheme;
  const lock = ilpLock();
  const prepare = prepareBody(lock.condition);
  const positionBefore = await positionOf(admin, 'payerfsp');
  assert.equal((await fspiopRequest(scheme.hub.fspiopUrl, 'POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
  await payee.next((r) => r.method === 'POST' && r.url === '/transfers' && r.body.includes(prepare.transferId));
  const fulfil = { transferState: 'COMMITTED', fulfilment: lock.fulfilment, completedTimestamp: new Date().toISOString() };
  const path = `/transfers/${prepare.transferId}`;
  const text = withMemberAgain(sentBodyText(fulfil), '{', '"transferState":"ABORTED"');
  assertRefused(await sendSignedText('PUT', path, 'transfers', 'payeefsp', 'payerfsp', text), 'transferState twice');
  assert.equal(await positionOf(admin, 'payerfsp'), positionBefore + 100, 'still reserved');
  assert.equal(payer.count((r) => r.url === path), 0, 'the payer heard nothing of the refused fulfil');
  assert.equal((await fspiopRequest(scheme.hub.fspiopUrl, 'PUT', path, 'transfers', 'payeefsp', 'payerfsp', fulfil)).status, 200);
  const done = await payer.next((r) => r.method === 'PUT' && r.url === path);
  assert.equal((JSON.parse(done.body) as { transferState: string }).transferState, 'COMMITTED');
});

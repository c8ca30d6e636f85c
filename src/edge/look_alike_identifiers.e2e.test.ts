// Party identifiers at the FSPIOP edge: an MSISDN ending in a Cyrillic letter
// (the penetration test registered one), a fullwidth digit or a zero-width
// space, in a path or a body, is refused with 3101 and recorded as a security
// event; an identifier not of its type's form is refused with 3101 too. None
// reaches a domain service, the oracle or another DFSP.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { errorCodeOf, fspiopRequest } from '../testing/dfsp.ts';
import { startSchemeHub, type SchemeHub } from '../testing/scheme_hub.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;

before(async () => {
  scheme = await startSchemeHub({ name: 'look-alike-identifiers', dfsps: { payerfsp: {}, payeefsp: {} } });
});

after(() => scheme.close());

const lookAlikeEvents = () => scheme.eventsOf('request-ambiguous');

function assertMalformed(answer: { status: number; body: string }, detail: RegExp, what: string): void {
  assert.equal(answer.status, 400, `${what}: ${answer.body}`);
  assert.equal(errorCodeOf(answer.body), '3101', what);
  assert.match(answer.body, detail, what);
}

test('registering, querying or looking up an MSISDN with a look-alike character is refused with 3101 and a security event', async () => {
  const url = scheme.hub.fspiopUrl;
  const eventsBefore = lookAlikeEvents().length;
  const hostile = ['2771380391\u0430', '2771380391\uff11', '27713\u200b803912'];
  for (const id of hostile) {
    const path = `/participants/MSISDN/${encodeURIComponent(id)}`;
    assertMalformed(await fspiopRequest(url, 'POST', path, 'participants', 'payeefsp', undefined, { fspId: 'payeefsp', currency: 'USD' }), /ID must be ASCII/, `register ${id}`);
    assertMalformed(await fspiopRequest(url, 'GET', path, 'participants', 'payerfsp', undefined), /ID must be ASCII/, `query ${id}`);
    assertMalformed(await fspiopRequest(url, 'GET', `/parties/MSISDN/${encodeURIComponent(id)}`, 'parties', 'payerfsp', undefined), /ID must be ASCII/, `lookup ${id}`);
  }
  assert.equal(lookAlikeEvents().length - eventsBefore, hostile.length * 3, 'each refusal is a security event');
  // Letters in an MSISDN are not a look-alike, but not an MSISDN either.
  assertMalformed(await fspiopRequest(url, 'POST', '/participants/MSISDN/27713803912a', 'participants', 'payeefsp', undefined, { fspId: 'payeefsp' }), /MSISDN must be 1\.\.15 digits/, 'letters');
  // The real number registers.
  assert.equal((await fspiopRequest(url, 'POST', '/participants/MSISDN/27713803912', 'participants', 'payeefsp', undefined, { fspId: 'payeefsp', currency: 'USD' })).status, 202);
  await scheme.dfsps.payeefsp.next((r) => r.method === 'PUT' && r.url === '/participants/MSISDN/27713803912');
  assert.equal(scheme.dfsps.payeefsp.count((r) => r.url.includes('2771380391%') || r.url.includes('27713%E2')), 0, 'no look-alike reached a DFSP');
});

test('a quote or party answer whose body names a look-alike party or FSP is refused with 3101 and never forwarded', async () => {
  const url = scheme.hub.fspiopUrl;
  const eventsBefore = lookAlikeEvents().length;
  const quoteId = randomUUID();
  const quote = (payeeId: string, payeeFsp = 'payeefsp') => ({
    quoteId, transactionId: randomUUID(),
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payeeId, fspId: payeeFsp } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'payerfsp' } },
    amountType: 'SEND', amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  });
  assertMalformed(await fspiopRequest(url, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', quote('2771380391\u0430')),
    /payee\.partyIdInfo\.partyIdentifier must be ASCII: it holds U\+0430/, 'quote payee');
  assertMalformed(await fspiopRequest(url, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', quote('27713803912', 'payeefs\u0440')),
    /payee\.partyIdInfo\.fspId must be ASCII/, 'quote payee FSP');
  const party = { party: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '2771380391\u0430', fspId: 'payeefsp' }, name: 'Henrik' } };
  assertMalformed(await fspiopRequest(url, 'PUT', '/parties/MSISDN/27713803912', 'parties', 'payeefsp', 'payerfsp', party), /party\.partyIdInfo\.partyIdentifier must be ASCII/, 'party answer');
  assert.equal(lookAlikeEvents().length - eventsBefore, 3);
  const good = quote('27713803912');
  assert.equal((await fspiopRequest(url, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', { ...good, quoteId: randomUUID() })).status, 202);
  await scheme.dfsps.payeefsp.next((r) => r.method === 'POST' && r.url === '/quotes');
  assert.equal(scheme.dfsps.payeefsp.count((r) => r.body.includes(quoteId)), 0, 'the refused quotes never reached the payee');
  assert.equal(scheme.dfsps.payerfsp.count((r) => r.url.startsWith('/parties/')), 0, 'the refused party answer never reached the payer');
});

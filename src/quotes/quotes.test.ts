import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { enqueue } from '../delivery/index.ts';
import type { OutboundMessage } from '../delivery/message.ts';
import { outboxOf } from '../delivery/outbox_table.ts';
import type { Inbound } from '../fspiop/inbound.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createLedgerFixture } from '../testing/ledger_fixture.ts';
import { createQuoteService, type QuoteService } from './service.ts';
import type { PaymentToAssess, Verdict } from '../risk/index.ts';
import { testTables } from '../testing/tables.ts';

describeOnEachEngine('quotes', (ctx) => {
  const clock = { nowMs: () => Date.parse('2026-11-24T10:00:00.000Z') };
  let service: QuoteService;
  let outbox: OutboundMessage[] = [];
  const take = () => { const taken = outbox; outbox = []; return taken; };

  before(async () => {
    const f = createLedgerFixture(ctx.storage, clock);
    await f.openHubAccounts('USD');
    for (const name of ['payerfsp', 'payeefsp', 'otherfsp', 'mutefsp']) await f.participant({}, name);
    for (const name of ['payerfsp', 'payeefsp', 'otherfsp']) assert.ok((await f.registry.setEndpoint(name, 'FSPIOP_CALLBACK_URL_QUOTES', `http://127.0.0.1:9/${name}`)).ok);
    service = createQuoteService({ db: ctx.storage.db, engine: ctx.storage.engine, clock, enqueue: (_tx, m) => { outbox.push(m); return Promise.resolve(); } });
  });

  const request = (quoteId = randomUUID(), payerFsp = 'payerfsp', payeeFsp = 'payeefsp') => ({
    quoteId, transactionId: randomUUID(),
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123', fspId: payerFsp } },
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '456', fspId: payeeFsp } },
    amountType: 'SEND', amount: { amount: '10', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  });
  const inbound = (source: string, destination: string | undefined, body: unknown): Inbound => ({
    source, destination, contentVersion: '1.1', rawBody: body === null ? '' : JSON.stringify(body),
    headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', 'fspiop-source': source, ...(destination === undefined ? {} : { 'fspiop-destination': destination }), 'fspiop-signature': `{"signature":"${source}"}` },
  });
  const response = { transferAmount: { amount: '10', currency: 'USD' }, expiration: '2026-11-24T10:05:00.000Z', ilpPacket: 'AYIB', condition: 'x'.repeat(43) };
  const errorCode = (m: OutboundMessage | undefined) => (JSON.parse(m?.body ?? '{}') as { errorInformation: { errorCode: string } }).errorInformation.errorCode;

  test('a request goes to the destination with its own bytes and signature; the response comes back the same way', async () => {
    const body = request();
    const ask = inbound('payerfsp', 'payeefsp', body);
    assert.deepEqual(await service.request(ask, body), { kind: 'forwarded' });
    const [forwarded] = take();
    assert.deepEqual([forwarded?.recipient, forwarded?.method, forwarded?.pathSuffix, forwarded?.body, forwarded?.headers['fspiop-signature']], ['payeefsp', 'POST', '/quotes', ask.rawBody, '{"signature":"payerfsp"}']);
    const answer = inbound('payeefsp', 'payerfsp', response);
    assert.deepEqual(await service.respond(answer, body.quoteId), { kind: 'forwarded' });
    const [back] = take();
    assert.deepEqual([back?.recipient, back?.method, back?.pathSuffix, back?.body], ['payerfsp', 'PUT', `/quotes/${body.quoteId}`, answer.rawBody]);
  });

  test('a repeated request is ignored while pending, answered with the stored response after; a changed one is 3106', async () => {
    const body = request();
    await service.request(inbound('payerfsp', 'payeefsp', body), body);
    take();
    assert.deepEqual(await service.request(inbound('payerfsp', 'payeefsp', body), body), { kind: 'duplicate-ignored' });
    assert.equal(take().length, 0);
    await service.respond(inbound('payeefsp', 'payerfsp', response), body.quoteId);
    const [first] = take();
    assert.deepEqual(await service.request(inbound('payerfsp', 'payeefsp', body), body), { kind: 'duplicate-resent' });
    const [again] = take();
    assert.deepEqual([again?.recipient, again?.body, again?.headers['fspiop-signature']], ['payerfsp', first?.body, '{"signature":"payeefsp"}']);
    const changed = { ...body, amount: { amount: '11', currency: 'USD' } };
    assert.equal((await service.request(inbound('payerfsp', 'payeefsp', changed), changed)).kind, 'refused');
    assert.equal(errorCode(take()[0]), '3106');
    assert.equal((await service.respond(inbound('payeefsp', 'payerfsp', { ...response, ilpPacket: 'AYIC' }), body.quoteId)).kind, 'refused');
    assert.equal(errorCode(take()[0]), '3106');
  });

  test('the FRMS\'s early signal: it sees the quote and its parties; BLOCK refuses it with 4400 without the rule and stores no quote; ALERT goes on', async () => {
    const seen: PaymentToAssess[] = [];
    let verdict: Verdict = 'BLOCK';
    const guarded = createQuoteService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, enqueue: (_tx, m) => { outbox.push(m); return Promise.resolve(); },
      riskAssessor: (_tx, payment) => {
        seen.push(payment);
        return Promise.resolve({ verdict, ruleSet: { name: 'test', version: 1 }, rules: [{ ruleId: 'R-SECRET', feature: 'payeeSanctioned', value: 'true', ref: '.01' }], typologies: [] });
      },
    });
    const blocked = request();
    assert.equal((await guarded.request(inbound('payerfsp', 'payeefsp', blocked), blocked)).kind, 'refused');
    const [refusal, ...rest] = take();
    assert.equal(rest.length, 0, 'nothing forwarded to the payee');
    assert.deepEqual([refusal?.recipient, errorCode(refusal)], ['payerfsp', '4400']);
    assert.doesNotMatch(refusal?.body ?? '', /R-SECRET|Sanction/i);
    assert.equal(await testTables(ctx.storage.db).selectFrom('quotes').select('quote_id').where('quote_id', '=', blocked.quoteId).executeTakeFirst(), undefined);
    assert.deepEqual([seen[0]?.stage, seen[0]?.id, seen[0]?.amountMinor, seen[0]?.payerFsp, seen[0]?.payeeFsp, seen[0]?.message], ['quote', blocked.quoteId, 1000n, 'payerfsp', 'payeefsp', blocked]);
    verdict = 'ALERT';
    const alerted = request();
    assert.deepEqual(await guarded.request(inbound('payerfsp', 'payeefsp', alerted), alerted), { kind: 'forwarded' });
    take();
  });

  test('routing refusals: no destination, unknown or endpoint-less destination, fspIds that contradict the headers', async () => {
    const cases: [string, string | undefined, ReturnType<typeof request>, string][] = [
      ['no destination', undefined, request(), '3102'],
      ['unknown destination', 'ghostfsp', request(undefined, 'payerfsp', 'ghostfsp'), '3201'],
      ['no quotes endpoint', 'mutefsp', request(undefined, 'payerfsp', 'mutefsp'), '3201'],
      ['payer fspId is another FSP', 'payeefsp', request(undefined, 'otherfsp', 'payeefsp'), '3100'],
      ['payee fspId is not the destination', 'payeefsp', request(undefined, 'payerfsp', 'otherfsp'), '3100'],
      ['to itself', 'payerfsp', request(undefined, 'payerfsp', 'payerfsp'), '3100'],
    ];
    for (const [label, destination, body, code] of cases) {
      assert.equal((await service.request(inbound('payerfsp', destination, body), body)).kind, 'refused', label);
      const [refusal, ...rest] = take();
      assert.equal(rest.length, 0, label);
      assert.deepEqual([refusal?.recipient, errorCode(refusal)], ['payerfsp', code], label);
    }
  });

  test('only the payee may answer, either side may fail it, only the payer may query; to others the quote does not exist', async () => {
    const body = request();
    await service.request(inbound('payerfsp', 'payeefsp', body), body);
    take();
    for (const [who, call] of [
      ['otherfsp', () => service.respond(inbound('otherfsp', 'payerfsp', response), body.quoteId)],
      ['payerfsp', () => service.respond(inbound('payerfsp', 'payerfsp', response), body.quoteId)],
      ['otherfsp', () => service.error(inbound('otherfsp', 'payerfsp', { errorInformation: { errorCode: '5100', errorDescription: 'x' } }), body.quoteId)],
      ['otherfsp', () => service.query(inbound('otherfsp', undefined, null), body.quoteId)],
    ] as const) {
      assert.equal((await call()).kind, 'refused');
      const [refusal] = take();
      assert.deepEqual([refusal?.recipient, errorCode(refusal)], [who, '3205']);
    }
    assert.deepEqual(await service.query(inbound('payerfsp', undefined, null), body.quoteId), { kind: 'forwarded' });
    const [asked] = take();
    assert.deepEqual([asked?.recipient, asked?.method, asked?.pathSuffix], ['payeefsp', 'GET', `/quotes/${body.quoteId}`]);
    const failure = inbound('payeefsp', 'payerfsp', { errorInformation: { errorCode: '5101', errorDescription: 'Payee rejected quote' } });
    assert.deepEqual(await service.error(failure, body.quoteId), { kind: 'forwarded' });
    const [told] = take();
    assert.deepEqual([told?.recipient, told?.pathSuffix, told?.body], ['payerfsp', `/quotes/${body.quoteId}/error`, failure.rawBody]);
    assert.equal((await service.respond(inbound('payeefsp', 'payerfsp', response), body.quoteId)).kind, 'refused', 'a failed quote cannot be answered');
  });

  test('with the real outbox: a forwarded request leaves exactly its one callback; a rolled-back one leaves no callback and no quote', async () => {
    const db = ctx.storage.db;
    const callbacksAbout = async (quoteId: string) =>
      (await outboxOf(db).selectFrom('outbox').select(['recipient', 'method', 'path_suffix']).where('subject', 'like', `quote ${quoteId} %`).execute())
        .map((row) => [row.recipient, row.method, row.path_suffix]);
    const real = createQuoteService({ db, engine: ctx.storage.engine, clock, enqueue });
    const kept = request();
    assert.deepEqual(await real.request(inbound('payerfsp', 'payeefsp', kept), kept), { kind: 'forwarded' });
    assert.deepEqual(await callbacksAbout(kept.quoteId), [['payeefsp', 'POST', '/quotes']]);

    // The callback is written, then the transaction fails: the quote and the callback go together.
    const failing = createQuoteService({
      db, engine: ctx.storage.engine, clock,
      enqueue: async (tx, message, atMs) => { await enqueue(tx, message, atMs); throw new Error('fails after the callback is written'); },
    });
    const lost = request();
    await assert.rejects(failing.request(inbound('payerfsp', 'payeefsp', lost), lost), /fails after the callback is written/);
    assert.deepEqual(await callbacksAbout(lost.quoteId), []);
    assert.equal(await testTables(db).selectFrom('quotes').select('quote_id').where('quote_id', '=', lost.quoteId).executeTakeFirst(), undefined);
  });
});

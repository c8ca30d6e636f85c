import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { enqueue } from '../delivery/index.ts';
import type { OutboundMessage } from '../delivery/message.ts';
import { outboxOf } from '../delivery/outbox_table.ts';
import { checkLedger, valueMinor } from '../ledger/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createLedgerFixture, type LedgerFixture, type TestParticipant } from '../testing/ledger_fixture.ts';
import { INITIAL_STATES, TRANSFER_STATES, TRANSITIONS } from './states.ts';
import { liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import type { PaymentToAssess, RiskNotice, Verdict } from '../risk/index.ts';
import { encodeIlpPacketText } from '../ilp/index.ts';
import { createTransferService, type PrepareBody, type TransferService } from './service.ts';
import { checkTransfersAgainstLedger } from './consistency.ts';
import type { Inbound } from '../fspiop/inbound.ts';
import { ilpPacketFor } from '../testing/ilp_fixture.ts';
import { testTables } from '../testing/tables.ts';

const START_MS = Date.parse('2026-11-24T10:00:00.000Z');
const MINUTE_MS = 60_000;

function keyLock(): { fulfilment: string; condition: string } {
  const preimage = randomBytes(32);
  return { fulfilment: preimage.toString('base64url'), condition: createHash('sha256').update(preimage).digest('base64url') };
}

describeOnEachEngine('transfers', (ctx) => {
  let nowMs = START_MS;
  const clock = { nowMs: () => nowMs };
  let f: LedgerFixture;
  let service: TransferService;
  let outbox: OutboundMessage[] = [];
  let payer: TestParticipant;
  let payee: TestParticipant;
  let stranger: TestParticipant;

  before(async () => {
    f = createLedgerFixture(ctx.storage, clock);
    await f.openHubAccounts('USD');
    payer = await f.participant({ ndcMinor: 100_000_000n, fundsMinor: 10_000_000n }, 'payerfsp');
    payee = await f.participant({ ndcMinor: 100_000_000n, fundsMinor: 10_000_000n }, 'payeefsp');
    stranger = await f.participant({ ndcMinor: 100_000n, fundsMinor: 50_000n }, 'strangerfsp');
    for (const p of [payer, payee, stranger]) {
      for (const type of ['FSPIOP_CALLBACK_URL_TRANSFER_POST', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR']) {
        const value = `http://127.0.0.1:9/${p.name}/transfers${type.endsWith('POST') ? '' : '/{{transferId}}'}${type.endsWith('ERROR') ? '/error' : ''}`;
        assert.ok((await f.registry.setEndpoint(p.name, type, value)).ok);
      }
    }
    service = createTransferService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, liquidityCheckRequired, windowOf: windowForCommit(ctx.storage.engine),
      enqueue: (_tx, message) => { outbox.push(message); return Promise.resolve(); },
    });
  });

  const take = () => { const taken = outbox; outbox = []; return taken; };
  const inbound = (source: string, body: unknown, extra: Partial<Inbound> = {}): Inbound => ({
    source, destination: undefined, contentVersion: '1.1',
    headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=1.1', date: new Date(nowMs).toUTCString(), 'fspiop-source': source, 'fspiop-signature': '{"signature":"sig","protectedHeader":"ph"}', host: 'hub.internal', authorization: 'Bearer secret' },
    rawBody: JSON.stringify(body), ...extra,
  });
  const prepareBody = (amount = '100', overrides: Partial<PrepareBody> = {}): PrepareBody & { fulfilment: string } => {
    const lock = keyLock();
    const terms = {
      transferId: randomUUID(), payerFsp: payer.name, payeeFsp: payee.name, amount: { amount, currency: 'USD' }, condition: lock.condition,
      expiration: new Date(nowMs + 10 * MINUTE_MS).toISOString(), ...overrides,
    };
    // The packet a quote for these terms would carry, unless the test brings its own.
    return { ilpPacket: ilpPacketFor(terms.payeeFsp, terms.amount.amount, terms.amount.currency), ...terms, fulfilment: lock.fulfilment };
  };
  async function prepared(amount = '100') {
    const body = prepareBody(amount);
    const { fulfilment, ...wire } = body;
    assert.deepEqual(await service.prepare(inbound(payer.name, wire), wire), { kind: 'reserved' });
    take();
    return { body: wire, fulfilment };
  }
  const stateOf = async (transferId: string) =>
    (await testTables(ctx.storage.db).selectFrom('transfers').select('state').where('transfer_id', '=', transferId).executeTakeFirst())?.state;
  const position = async (p: TestParticipant) => valueMinor(await f.account(p.positionId));
  const bodyOf = (message: OutboundMessage | undefined) => JSON.parse(message?.body ?? 'null') as Record<string, unknown>;
  const errorCodeOf = (message: OutboundMessage | undefined) => (bodyOf(message)['errorInformation'] as { errorCode: string }).errorCode;

  test('prepare reserves the payer position and forwards the original bytes and signature to the payee', async () => {
    const before = await position(payer);
    const { fulfilment: _unused, ...body } = prepareBody('12.34');
    const request = inbound(payer.name, body);
    assert.deepEqual(await service.prepare(request, body), { kind: 'reserved' });
    assert.equal(await stateOf(body.transferId), 'RESERVED');
    assert.equal(await position(payer), before + 1234n);
    const [forward, ...rest] = take();
    assert.equal(rest.length, 0);
    assert.equal(forward?.recipient, payee.name);
    assert.equal(forward.endpointType, 'FSPIOP_CALLBACK_URL_TRANSFER_POST');
    assert.equal(forward.body, request.rawBody);
    assert.equal(forward.headers['fspiop-signature'], request.headers['fspiop-signature']);
    assert.equal(forward.headers['authorization'], undefined, 'credentials of the sender never travel on');
    assert.equal(forward.headers['host'], undefined);
    assert.equal(forward.notAfterMs, Date.parse(body.expiration), 'a prepare still unsent when the transfer expires is never sent');
  });

  test('a repeated prepare is ignored while in progress and answered with the final state once finished; changed content is 3106', async () => {
    const { body, fulfilment } = await prepared();
    assert.deepEqual(await service.prepare(inbound(payer.name, body), body), { kind: 'duplicate-ignored' });
    assert.equal(take().length, 0);
    const reordered = { expiration: body.expiration, condition: body.condition, ilpPacket: body.ilpPacket, amount: body.amount, payeeFsp: body.payeeFsp, payerFsp: body.payerFsp, transferId: body.transferId };
    assert.deepEqual(await service.prepare(inbound(payer.name, reordered), reordered), { kind: 'duplicate-ignored' }, 'key order alone is not a change');
    const changed = { ...body, amount: { amount: '101', currency: 'USD' } };
    assert.equal((await service.prepare(inbound(payer.name, changed), changed)).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3106');
    assert.equal((await service.fulfil(inbound(payee.name, { transferState: 'COMMITTED', fulfilment }), body.transferId, { transferState: 'COMMITTED', fulfilment })).kind, 'committed');
    take();
    assert.deepEqual(await service.prepare(inbound(payer.name, body), body), { kind: 'duplicate-resent' });
    const [resend] = take();
    assert.equal(resend?.recipient, payer.name);
    assert.equal(bodyOf(resend)['transferState'], 'COMMITTED');
    assert.equal(bodyOf(resend)['fulfilment'], fulfilment);
  });

  test('a prepare from anyone but the payer stores nothing, so the real payer can still use the id', async () => {
    const { fulfilment: _unused, ...body } = prepareBody();
    assert.equal((await service.prepare(inbound(stranger.name, body), body)).kind, 'refused');
    const [refusal] = take();
    assert.equal(refusal?.recipient, stranger.name);
    assert.equal(errorCodeOf(refusal), '3100');
    assert.equal(await stateOf(body.transferId), undefined);
    assert.deepEqual(await service.prepare(inbound(payer.name, body), body), { kind: 'reserved' });
    take();
  });

  test('refusals at prepare are recorded as ABORTED_REJECTED, answered to the payer, and move no money', async () => {
    const cases: [string, Partial<PrepareBody>, string][] = [
      ['unknown payee', { payeeFsp: 'nobody' }, '3203'],
      ['payer is payee', { payeeFsp: payer.name }, '3100'],
      ['expired', { expiration: new Date(nowMs - 1).toISOString() }, '3100'],
      ['expiry too far', { expiration: new Date(nowMs + 25 * 60 * MINUTE_MS).toISOString() }, '3100'],
      ['liquidity', { amount: { amount: '200000', currency: 'USD' } }, '4001'],
      // The payee quoted 100: a packet for that amount with a transfer of 900 is refused before any reservation.
      ['ILP amount modified', { amount: { amount: '900', currency: 'USD' }, ilpPacket: ilpPacketFor(payee.name, '100', 'USD') }, '3100'],
      ['ILP packet to another FSP', { ilpPacket: ilpPacketFor(stranger.name, '100', 'USD') }, '3100'],
      ['ILP packet that does not decode', { ilpPacket: 'AQIDBAUG' }, '3100'],
    ];
    for (const [label, overrides, code] of cases) {
      const before = await position(payer);
      const { fulfilment: _unused, ...body } = prepareBody('100', overrides);
      const outcome = await service.prepare(inbound(payer.name, body), body);
      assert.equal(outcome.kind, 'rejected', label);
      assert.equal(await stateOf(body.transferId), 'ABORTED_REJECTED', label);
      const [error, ...rest] = take();
      assert.equal(rest.length, 0, label);
      assert.equal(error?.recipient, payer.name, label);
      assert.equal(errorCodeOf(error), code, label);
      assert.equal(await position(payer), before, label);
      // The same prepare again gets the same final answer.
      assert.deepEqual(await service.prepare(inbound(payer.name, body), body), { kind: 'duplicate-resent' }, label);
      assert.equal(bodyOf(take()[0])['transferState'], 'ABORTED', label);
    }
  });

  test('the risk step: the FRMS sees the payment and its parties before any reservation; BLOCK is 4400 without the rule, ALERT goes on', async () => {
    const seen: PaymentToAssess[] = [];
    const notices: RiskNotice[] = [];
    let verdict: Verdict = 'BLOCK';
    const guarded = createTransferService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, liquidityCheckRequired, windowOf: windowForCommit(ctx.storage.engine),
      enqueue: (_tx, message) => { outbox.push(message); return Promise.resolve(); },
      riskAssessor: (_tx, payment) => {
        seen.push(payment);
        return Promise.resolve({ verdict, ruleSet: { name: 'test', version: 1 }, rules: [{ ruleId: 'R-SECRET', feature: 'payerDenied', value: 'true', ref: '.01' }], typologies: [] });
      },
      riskNotifier: (tx, notice) => { assert.ok(tx.isTransaction, 'in the prepare\'s transaction'); notices.push(notice); return Promise.resolve(); },
    });
    const before = await position(payer);
    // A packet as a Mojaloop DFSP builds it: its data is the Transaction object, which names the parties.
    const transaction = { transactionId: randomUUID(), payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: payer.name } }, payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '27713803912', fspId: payee.name } }, amount: { amount: '100', currency: 'USD' } };
    const ilpPacket = encodeIlpPacketText({ version: 'v1', amount: 10_000n, account: `g.${payee.name}.msisdn.27713803912`, data: Buffer.from(Buffer.from(JSON.stringify(transaction)).toString('base64url')) });
    const { fulfilment: _unused, ...blocked } = prepareBody('100', { ilpPacket });
    assert.equal((await guarded.prepare(inbound(payer.name, blocked), blocked)).kind, 'rejected');
    const [error] = take();
    assert.equal(errorCodeOf(error), '4400');
    assert.doesNotMatch(error?.body ?? '', /R-SECRET|payerDenied/, 'the refusal never names the rule');
    assert.equal(await position(payer), before, 'nothing reserved');
    const [payment] = seen;
    assert.equal(payment?.stage, 'transfer');
    assert.equal(payment.id, blocked.transferId);
    assert.equal(payment.amountMinor, 10_000n);
    assert.deepEqual([payment.payerFsp, payment.payeeFsp], [payer.name, payee.name]);
    assert.deepEqual(payment.message, transaction, 'the Transaction object from the ILP packet, for the parties');
    verdict = 'ALERT';
    const { fulfilment: _also, ...alerted } = prepareBody('100');
    assert.deepEqual(await guarded.prepare(inbound(payer.name, alerted), alerted), { kind: 'reserved' });
    take();
    // The payer DFSP is told of both verdicts (the notifier skips ALLOW itself), with the decision's time.
    assert.deepEqual(notices.map((n) => [n.transferId, n.payerFsp, n.verdict]), [[blocked.transferId, payer.name, 'BLOCK'], [alerted.transferId, payer.name, 'ALERT']]);
    assert.ok(notices.every((n) => Number.isSafeInteger(n.decidedAtMs)));
  });

  test('the net debit cap refuses with 4200 and a deactivated payer with 3202; an amount the currency cannot carry stores nothing', async () => {
    const capped = await f.participant({ ndcMinor: 5_000n, fundsMinor: 1_000_000n }, 'cappedfsp');
    const { fulfilment: _a, ...overCap } = prepareBody('50.01', { payerFsp: capped.name });
    assert.equal((await service.prepare(inbound(capped.name, overCap), overCap)).kind, 'rejected');
    assert.equal(errorCodeOf(take()[0]), '4200');
    const { fulfilment: _b, ...atCap } = prepareBody('50', { payerFsp: capped.name });
    assert.deepEqual(await service.prepare(inbound(capped.name, atCap), atCap), { kind: 'reserved' });
    take();
    assert.ok((await f.registry.setActive(capped.name, false)).ok);
    const { fulfilment: _c, ...inactive } = prepareBody('1', { payerFsp: capped.name });
    assert.equal((await service.prepare(inbound(capped.name, inactive), inactive)).kind, 'rejected');
    assert.equal(errorCodeOf(take()[0]), '3202');
    const { fulfilment: _d, ...tooPrecise } = prepareBody('1.001');
    assert.equal((await service.prepare(inbound(payer.name, tooPrecise), tooPrecise)).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3100');
    assert.equal(await stateOf(tooPrecise.transferId), undefined);
  });

  test('a payee without a transfer endpoint: 3201 before any reservation', async () => {
    const silent = await f.participant({ ndcMinor: 100_000n }, 'silentfsp');
    const before = await position(payer);
    const { fulfilment: _unused, ...body } = prepareBody('1', { payeeFsp: silent.name });
    assert.equal((await service.prepare(inbound(payer.name, body), body)).kind, 'rejected');
    assert.equal(errorCodeOf(take()[0]), '3201');
    assert.equal(await position(payer), before);
  });

  test('fulfil COMMITTED: positions move, the payee PUT goes to the payer untouched, the payee gets the hub confirmation', async () => {
    const { body, fulfilment } = await prepared('10');
    const [payerBefore, payeeBefore] = [await position(payer), await position(payee)];
    const request = inbound(payee.name, { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date(nowMs).toISOString() });
    assert.deepEqual(await service.fulfil(request, body.transferId, { transferState: 'COMMITTED', fulfilment }), { kind: 'committed' });
    assert.equal(await stateOf(body.transferId), 'COMMITTED');
    assert.equal(await position(payer), payerBefore, 'the reservation became posted: the payer position stays');
    assert.equal(await position(payee), payeeBefore - 1000n);
    const [toPayer, toPayee] = take();
    assert.equal(toPayer?.recipient, payer.name);
    assert.equal(toPayer.body, request.rawBody);
    assert.equal(toPayee?.recipient, payee.name);
    assert.equal(toPayee.headers['fspiop-source'], 'Hub');
    assert.equal(bodyOf(toPayee)['transferState'], 'COMMITTED');
  });

  test('fulfil RESERVED: the payer gets COMMITTED from the hub, the payee a PATCH', async () => {
    const { body, fulfilment } = await prepared('10');
    assert.deepEqual(await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'RESERVED', fulfilment }), { kind: 'committed' });
    const [toPayer, patch] = take();
    assert.equal(toPayer?.recipient, payer.name);
    assert.deepEqual([bodyOf(toPayer)['transferState'], bodyOf(toPayer)['fulfilment']], ['COMMITTED', fulfilment]);
    assert.equal(patch?.method, 'PATCH');
    assert.equal(patch.recipient, payee.name);
    assert.equal(bodyOf(patch)['transferState'], 'COMMITTED');
    assert.equal(bodyOf(patch)['fulfilment'], undefined);
  });

  test('a fulfil from anyone but the payee is refused and leaves the transfer reserved', async () => {
    const { body, fulfilment } = await prepared();
    for (const sender of [stranger.name, payer.name]) {
      assert.equal((await service.fulfil(inbound(sender, {}), body.transferId, { transferState: 'COMMITTED', fulfilment })).kind, 'refused');
      const [refusal] = take();
      assert.equal(refusal?.recipient, sender);
      assert.equal(errorCodeOf(refusal), '3208');
      assert.equal(await stateOf(body.transferId), 'RESERVED');
    }
  });

  test('a wrong fulfilment aborts, releases the position and tells both sides', async () => {
    const before = await position(payer);
    const { body } = await prepared('7');
    assert.equal(await position(payer), before + 700n);
    assert.deepEqual(await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'COMMITTED', fulfilment: keyLock().fulfilment }), { kind: 'aborted' });
    assert.equal(await stateOf(body.transferId), 'ABORTED_ERROR');
    assert.equal(await position(payer), before);
    assert.deepEqual(take().map((m) => [m.recipient, errorCodeOf(m)]), [[payer.name, '3100'], [payee.name, '3100']]);
  });

  test('fulfil duplicates: the same fulfil is answered again, a different one is 3106; ABORTED in a PUT is refused', async () => {
    const { body, fulfilment } = await prepared();
    assert.equal((await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'ABORTED' })).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3100');
    assert.equal(await stateOf(body.transferId), 'RESERVED');
    await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'COMMITTED', fulfilment });
    take();
    assert.deepEqual(await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'COMMITTED', fulfilment }), { kind: 'duplicate-resent' });
    assert.equal(bodyOf(take()[0])['transferState'], 'COMMITTED');
    assert.equal((await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'COMMITTED', fulfilment, completedTimestamp: '2026-11-24T10:00:00.000Z' })).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3106');
  });

  test('a fulfil after the expiration is 3303: the transfer expires, the position is released, both sides are told', async () => {
    const before = await position(payer);
    const { body, fulfilment } = await prepared('3');
    nowMs += 11 * MINUTE_MS;
    assert.deepEqual(await service.fulfil(inbound(payee.name, {}), body.transferId, { transferState: 'COMMITTED', fulfilment }), { kind: 'expired' });
    assert.equal(await stateOf(body.transferId), 'EXPIRED_RESERVED');
    assert.equal(await position(payer), before);
    assert.deepEqual(take().map((m) => [m.recipient, errorCodeOf(m)]), [[payer.name, '3303'], [payee.name, '3303']]);
  });

  test('the payee aborts with PUT /error: released, forwarded to the payer; repeats answered; a committed transfer cannot be aborted', async () => {
    const before = await position(payer);
    const { body } = await prepared('5');
    const error = { errorInformation: { errorCode: '5104', errorDescription: 'Payee rejected transaction' } };
    const request = inbound(payee.name, error);
    assert.deepEqual(await service.abort(request, body.transferId, error), { kind: 'aborted' });
    assert.equal(await stateOf(body.transferId), 'ABORTED_ERROR');
    assert.equal(await position(payer), before);
    const [forwarded] = take();
    assert.deepEqual([forwarded?.recipient, forwarded?.endpointType, forwarded?.body], [payer.name, 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR', request.rawBody]);
    assert.deepEqual(await service.abort(request, body.transferId, error), { kind: 'duplicate-resent' });
    take();
    const other = { errorInformation: { errorCode: '5100', errorDescription: 'changed' } };
    assert.equal((await service.abort(inbound(payee.name, other), body.transferId, other)).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3106');
    const done = await prepared();
    await service.fulfil(inbound(payee.name, {}), done.body.transferId, { transferState: 'COMMITTED', fulfilment: done.fulfilment });
    take();
    assert.equal((await service.abort(inbound(payee.name, error), done.body.transferId, error)).kind, 'refused');
    assert.equal(await stateOf(done.body.transferId), 'COMMITTED');
    assert.equal((await service.abort(inbound(stranger.name, error), (await prepared()).body.transferId, error)).kind, 'refused');
  });

  test('GET /transfers/{ID} is answered to payer and payee; to anyone else the transfer does not exist', async () => {
    const { body } = await prepared();
    for (const who of [payer.name, payee.name]) {
      assert.deepEqual(await service.query(inbound(who, null), body.transferId), { kind: 'answered' });
      const [reply] = take();
      assert.deepEqual([reply?.recipient, bodyOf(reply)['transferState']], [who, 'RESERVED']);
    }
    assert.equal((await service.query(inbound(stranger.name, null), body.transferId)).kind, 'refused');
    assert.equal(errorCodeOf(take()[0]), '3208');
  });

  test('the sweeper expires each due transfer exactly once, even when sweeps run concurrently', async () => {
    const sweeper = await f.participant({ ndcMinor: 100_000n, fundsMinor: 100_000n }, 'sweepfsp');
    await f.registry.setEndpoint(sweeper.name, 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR', 'http://127.0.0.1:9/sweep/{{transferId}}/error');
    // This test's own starting point: whatever else is reserved is due too once the clock moves,
    // so it is swept first, and the count below is of this test's transfers alone.
    nowMs += 11 * MINUTE_MS;
    await service.expireDue(1000);
    take();
    const due: { body: PrepareBody }[] = [];
    for (let i = 0; i < 3; i++) {
      const { fulfilment: _unused, ...body } = prepareBody('1', { payerFsp: sweeper.name });
      assert.deepEqual(await service.prepare(inbound(sweeper.name, body), body), { kind: 'reserved' });
      due.push({ body });
    }
    take();
    assert.equal(await position(sweeper), 300n);
    nowMs += 11 * MINUTE_MS;
    const counts = await Promise.all([service.expireDue(100), service.expireDue(100), service.expireDue(100)]);
    assert.ok(counts.reduce((a, b) => a + b, 0) >= due.length);
    for (const { body } of due) assert.equal(await stateOf(body.transferId), 'EXPIRED_RESERVED');
    const messages = take();
    for (const { body } of due) {
      const about = messages.filter((m) => m.templateValues['transferId'] === body.transferId);
      assert.deepEqual(about.map((m) => [m.recipient, errorCodeOf(m)]).sort(), [[payee.name, '3303'], [sweeper.name, '3303']].sort());
    }
    assert.equal(messages.length, 2 * due.length, 'no transfer was expired twice');
    assert.equal(await position(sweeper), 0n);
    assert.equal(await service.expireDue(100), 0);
  });

  test('after transfers of every outcome, the ledger is consistent and every transfer agrees with its journal entries', async () => {
    // Its own transfers, whatever ran before: committed, declined, expired, refused at prepare and still reserved.
    const error = { errorInformation: { errorCode: '5100', errorDescription: 'declined' } };
    for (let i = 0; i < 5; i++) {
      const committed = await prepared();
      await service.fulfil(inbound(payee.name, {}), committed.body.transferId, { transferState: 'COMMITTED', fulfilment: committed.fulfilment });
      const declined = await prepared();
      await service.abort(inbound(payee.name, error), declined.body.transferId, error);
      const { fulfilment: _unused, ...tooFar } = prepareBody('100', { expiration: new Date(nowMs + 25 * 60 * MINUTE_MS).toISOString() });
      assert.equal((await service.prepare(inbound(payer.name, tooFar), tooFar)).kind, 'rejected');
      await prepared();
      take();
    }
    const expiring = await prepared();
    nowMs += 11 * MINUTE_MS;
    await service.expireDue(1000);
    take();
    assert.equal(await stateOf(expiring.body.transferId), 'EXPIRED_RESERVED');
    await prepared();
    const report = await checkLedger(ctx.storage.db);
    assert.deepEqual(report.problems, []);
    const transfers = await checkTransfersAgainstLedger(ctx.storage.db);
    assert.ok(transfers.transfersChecked > 20);
    assert.deepEqual(transfers.problems, []);
  });

  test('with the real outbox: a committed prepare leaves exactly its one callback; a rolled-back one leaves no callback and no transfer', async () => {
    const db = ctx.storage.db;
    const callbacksAbout = async (transferId: string) =>
      (await outboxOf(db).selectFrom('outbox').select(['recipient', 'endpoint_type']).where('template_values', 'like', `%${transferId}%`).execute())
        .map((row) => [row.recipient, row.endpoint_type]);
    const real = createTransferService({ db, engine: ctx.storage.engine, clock, enqueue, liquidityCheckRequired, windowOf: windowForCommit(ctx.storage.engine) });
    const { fulfilment: _kept, ...kept } = prepareBody('1');
    assert.deepEqual(await real.prepare(inbound(payer.name, kept), kept), { kind: 'reserved' });
    assert.deepEqual(await callbacksAbout(kept.transferId), [[payee.name, 'FSPIOP_CALLBACK_URL_TRANSFER_POST']]);

    // The callback is written, then the transaction fails: the state change and the callback go together.
    const failing = createTransferService({
      db, engine: ctx.storage.engine, clock, liquidityCheckRequired, windowOf: windowForCommit(ctx.storage.engine),
      enqueue: async (tx, message, atMs) => { await enqueue(tx, message, atMs); throw new Error('fails after the callback is written'); },
    });
    const before = await position(payer);
    const { fulfilment: _lost, ...lost } = prepareBody('1');
    await assert.rejects(failing.prepare(inbound(payer.name, lost), lost), /fails after the callback is written/);
    assert.deepEqual(await callbacksAbout(lost.transferId), []);
    assert.equal(await stateOf(lost.transferId), undefined);
    assert.equal(await position(payer), before, 'the reservation was rolled back with them');
  });

  test('the cross-check names a transfer whose state disagrees with the journal', async () => {
    const { body } = await prepared();
    // Forge a state change behind the service's back (the trigger allows RESERVED -> COMMITTED; the journal has no POST).
    await sql`update transfers set state = 'COMMITTED' where transfer_id = ${body.transferId}`.execute(ctx.storage.db);
    const { problems } = await checkTransfersAgainstLedger(ctx.storage.db);
    assert.deepEqual(problems, [`transfer ${body.transferId} (COMMITTED) needs POST in the journal, found an open reservation`]);
  });
});

// In a database of its own: these rows have no journal entries, on purpose.
describeOnEachEngine('transfer state machine in the database', (ctx) => {
  test('the database refuses every transition outside the state machine, any change of terms, and deletion', async () => {
    const db = ctx.storage.db;
    for (const from of TRANSFER_STATES) {
      for (const to of TRANSFER_STATES) {
        if (from === to) continue;
        const id = randomUUID();
        // Create it in `from` if that is an initial state, else walk there from RESERVED (every other state is one edge away).
        const created = INITIAL_STATES.includes(from) ? from : 'RESERVED';
        await sql`insert into transfers (transfer_id, payer_fsp, payee_fsp, currency, amount_minor, ilp_condition, ilp_packet, expiration, expires_at_ms, state, content_version, prepare_hash, created_at_ms, changed_at_ms)
          values (${id}, 'a', 'b', 'USD', 1, 'c', 'p', 'e', 0, ${created}, '1.1', 'h', 0, 0)`.execute(db);
        if (from !== created) await sql`update transfers set state = ${from} where transfer_id = ${id}`.execute(db);
        const attempt = sql`update transfers set state = ${to} where transfer_id = ${id}`.execute(db);
        if (TRANSITIONS[from].includes(to)) await attempt;
        else await assert.rejects(attempt, /illegal transfer state transition/, `${from} -> ${to}`);
      }
    }
    const id = randomUUID();
    await assert.rejects(sql`insert into transfers (transfer_id, payer_fsp, payee_fsp, currency, amount_minor, ilp_condition, ilp_packet, expiration, expires_at_ms, state, content_version, prepare_hash, created_at_ms, changed_at_ms)
      values (${id}, 'a', 'b', 'USD', 1, 'c', 'p', 'e', 0, 'COMMITTED', '1.1', 'h', 0, 0)`.execute(db), /created RESERVED or ABORTED_REJECTED/);
    const kept = randomUUID();
    await sql`insert into transfers (transfer_id, payer_fsp, payee_fsp, currency, amount_minor, ilp_condition, ilp_packet, expiration, expires_at_ms, state, content_version, prepare_hash, created_at_ms, changed_at_ms)
      values (${kept}, 'a', 'b', 'USD', 5, 'c', 'p', 'e', 0, 'RESERVED', '1.1', 'h', 0, 0)`.execute(db);
    await assert.rejects(sql`update transfers set amount_minor = 1 where transfer_id = ${kept}`.execute(db), /terms of a transfer never change/);
    await assert.rejects(sql`update transfers set payee_fsp = 'c' where transfer_id = ${kept}`.execute(db), /terms of a transfer never change/);
    await assert.rejects(sql`delete from transfers where transfer_id = ${kept}`.execute(db), /never deleted/);
  });
});

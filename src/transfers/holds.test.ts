// Holds and cases on the transfer path, with the real FRMS (a LIVE rule set),
// the real outbox and the real case store, on both engines.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { AdminAuditEvent } from '../audit/index.ts';
import { enqueue } from '../delivery/index.ts';
import { checkLedger, valueMinor } from '../ledger/index.ts';
import { createRiskCases, RISK_REFUSAL, type RiskCases } from '../risk/index.ts';
import { liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import type { TestParticipant } from '../testing/ledger_fixture.ts';
import { createHoldScheme } from '../testing/risk_fixture.ts';
import { testTables } from '../testing/tables.ts';
import { checkTransfersAgainstLedger } from './consistency.ts';
import { createTransferService, type TransferService } from './service.ts';

const START_MS = Date.parse('2026-12-03T10:00:00.000Z');
const MINUTE_MS = 60_000;

describeOnEachEngine('holds and cases', (ctx) => {
  let nowMs = START_MS;
  const clock = { nowMs: () => nowMs };
  let scheme: Awaited<ReturnType<typeof createHoldScheme>>;
  let service: TransferService;
  let cases: RiskCases;
  let payer: TestParticipant;
  let payee: TestParticipant;
  const audited: AdminAuditEvent[] = [];

  before(async () => {
    scheme = await createHoldScheme(ctx.storage, clock, { recordInTransaction: (_tx, event) => { audited.push(event); return Promise.resolve(); } });
    ({ service, payer, payee } = scheme);
    cases = createRiskCases({ db: ctx.storage.db, engine: ctx.storage.engine, clock, holds: service.holds });
  });

  const inbound = (source: string, body: unknown) => scheme.inbound(source, body);
  const prepare = (amount: string, options: { payerMsisdn?: string; expiresInMs?: number } = {}) => scheme.prepare(amount, options);
  const callbacks = (id: string) => scheme.callbacks(id);
  const caseOf = (id: string) => scheme.caseOf(id);
  const stateOf = async (id: string) => (await testTables(ctx.storage.db).selectFrom('transfers').select('state').where('transfer_id', '=', id).executeTakeFirstOrThrow()).state;
  const position = async (p: TestParticipant) => valueMinor(await scheme.f.account(p.positionId));
  const fulfilBody = (fulfilment: string) => ({ transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date(nowMs).toISOString() });

  test('a HOLD reserves, answers the payer nothing more, forwards nothing, opens a HOLD case and is audited; the release forwards the prepare once', async () => {
    const before = await position(payer);
    audited.length = 0;
    const held = await prepare('150');
    assert.deepEqual(held.outcome, { kind: 'held' });
    assert.equal(await stateOf(held.body.transferId), 'RESERVED');
    assert.equal(await position(payer), before + 15_000n, 'reserved like any transfer');
    assert.deepEqual(await callbacks(held.body.transferId), [], 'nothing in the outbox: no worker can forward it');
    const opened = await caseOf(held.body.transferId);
    assert.equal(opened?.kind, 'HOLD');
    assert.equal(opened.state, 'OPEN');
    assert.deepEqual([opened.payer_fsp, opened.payee_fsp, opened.stage], [payer.name, payee.name, 'transfer']);
    assert.equal(audited.length, 1, 'the HOLD is in the audit log');
    assert.equal(audited[0]?.action, 'RISK_HOLD');
    assert.equal(audited[0].actor.kind, 'system');
    assert.ok(JSON.stringify(audited[0].after).includes(`"decisionId":${opened.decision_id}`));

    const detail = await cases.get(opened.id);
    assert.equal(detail?.decision?.verdict, 'HOLD');
    assert.match(detail.decision.trace, /"ruleId":"amount"/, 'the case carries the decision\'s trace');
    assert.deepEqual(detail.hold && [detail.hold.holdState, detail.hold.transferState], ['HELD', 'RESERVED']);

    const released = await cases.release(opened.id, 'customer confirmed by phone', 'analyst-a');
    assert.ok(released.ok);
    assert.equal(released.value.state, 'RELEASED');
    const sent = await callbacks(held.body.transferId);
    assert.deepEqual(sent.map((c) => [c.to, c.method, c.subject, c.state]), [[payee.name, 'POST', 'prepare', 'PENDING']]);
    assert.equal(sent[0]?.body, JSON.stringify(held.body), 'the payer\'s own bytes, as a forward at prepare would have been');
    const again = await cases.release(opened.id, 'again', 'analyst-a');
    assert.ok(!again.ok);
    assert.match(again.error.detail, /RELEASED/);
    assert.equal((await callbacks(held.body.transferId)).length, 1, 'forwarded once');

    // Released, it is an ordinary transfer: the payee fulfils and it commits.
    assert.equal((await service.fulfil(inbound(payee.name, fulfilBody(held.fulfilment)), held.body.transferId, fulfilBody(held.fulfilment))).kind, 'committed');
    assert.equal(await stateOf(held.body.transferId), 'COMMITTED');
    const events = (await cases.get(opened.id))?.events.map((e) => [e.kind, e.actor, e.text]);
    assert.deepEqual(events, [['OPENED', 'frms', null], ['RELEASED', 'analyst-a', 'customer confirmed by phone']]);
  });

  test('ALERT forwards and opens an ALERT case; BLOCK is 4400 with no case and is audited; ALLOW has neither', async () => {
    audited.length = 0;
    const alert = await prepare('60');
    assert.deepEqual(alert.outcome, { kind: 'reserved' });
    assert.deepEqual((await callbacks(alert.body.transferId)).map((c) => [c.to, c.subject]), [[payee.name, 'prepare']]);
    assert.equal((await caseOf(alert.body.transferId))?.kind, 'ALERT');
    const block = await prepare('1500');
    assert.equal(block.outcome.kind, 'rejected');
    const [refusal] = await callbacks(block.body.transferId);
    assert.equal(refusal?.to, payer.name);
    assert.match(refusal.body ?? '', /"errorCode":"4400"/);
    assert.equal(await caseOf(block.body.transferId), undefined);
    const allow = await prepare('10');
    assert.deepEqual(allow.outcome, { kind: 'reserved' });
    assert.equal(await caseOf(allow.body.transferId), undefined);
    assert.deepEqual(audited.map((e) => e.action), ['RISK_BLOCK'], 'only the BLOCK: an ALERT and an ALLOW are not audit entries');
    assert.ok(audited[0]?.target?.resource?.includes(block.body.transferId));
  });

  test('the payee of a held transfer cannot fulfil, abort or read it: 3208, nothing changes', async () => {
    const held = await prepare('200');
    const id = held.body.transferId;
    const fulfilled = await service.fulfil(inbound(payee.name, fulfilBody(held.fulfilment)), id, fulfilBody(held.fulfilment));
    assert.equal(fulfilled.kind, 'refused');
    assert.equal('failure' in fulfilled && fulfilled.failure.code, '3208');
    const aborted = await service.abort(inbound(payee.name, {}), id, { errorInformation: { errorCode: '5100', errorDescription: 'no' } });
    assert.equal('failure' in aborted && aborted.failure.code, '3208');
    const queried = await service.query(inbound(payee.name, {}), id);
    assert.equal('failure' in queried && queried.failure.code, '3208');
    assert.equal(await stateOf(id), 'RESERVED');
    assert.deepEqual((await callbacks(id)).map((c) => c.to), [payee.name, payee.name, payee.name], 'only the refusals, to the payee; no prepare');
    assert.ok((await callbacks(id)).every((c) => c.subject.startsWith('error 3208')));
    // The payer may still ask.
    assert.equal((await service.query(inbound(payer.name, {}), id)).kind, 'answered');
  });

  test('a held transfer that expires: the payer is told 3303, the payee nothing, the forward is never sent and a release is refused', async () => {
    const before = await position(payer);
    const held = await prepare('300', { expiresInMs: MINUTE_MS });
    const id = held.body.transferId;
    const opened = await caseOf(id);
    assert.ok(opened !== undefined);
    nowMs += MINUTE_MS;
    // At the expiration, before the sweeper ran: refused at request time and when run.
    assert.match((await cases.releaseRefusal(opened.id))?.detail ?? '', /expiration has passed/);
    const late = await cases.release(opened.id, 'too late', 'analyst-a');
    assert.ok(!late.ok);
    assert.equal(await service.expireDue(100), 1);
    assert.equal(await stateOf(id), 'EXPIRED_RESERVED');
    assert.equal(await position(payer), before, 'the reservation is released by the expiry');
    const sent = await callbacks(id);
    assert.deepEqual(sent.map((c) => [c.to, c.subject]), [[payer.name, 'error 3303 from hub']], 'the payee, which never saw it, is not told');
    const after = await cases.release(opened.id, 'after expiry', 'analyst-a');
    assert.ok(!after.ok);
    assert.match(after.error.detail, /EXPIRED_RESERVED/);
    assert.equal((await cases.get(opened.id))?.hold?.holdState, 'EXPIRED');
    assert.equal((await callbacks(id)).length, 1, 'still nothing to the payee');
    nowMs += MINUTE_MS;
  });

  test('confirming a hold aborts it: reservation released, the payer told 4400 without the rule, the payee nothing; a release then is refused', async () => {
    const before = await position(payer);
    const held = await prepare('400');
    const id = held.body.transferId;
    const opened = await caseOf(id);
    assert.ok(opened !== undefined);
    const confirmed = await cases.confirm(opened.id, 'the payer\'s DFSP confirmed an account takeover', 'analyst-b');
    assert.ok(confirmed.ok);
    assert.equal(confirmed.value.state, 'CONFIRMED');
    assert.equal(await stateOf(id), 'ABORTED_ERROR');
    assert.equal(await position(payer), before);
    const sent = await callbacks(id);
    assert.deepEqual(sent.map((c) => [c.to, c.subject]), [[payer.name, 'error 4400 from hub']]);
    assert.ok(sent[0]?.body?.includes(RISK_REFUSAL));
    assert.doesNotMatch(sent[0]?.body ?? '', /amount|typolog/);
    const release = await cases.release(opened.id, 'changed my mind', 'analyst-a');
    assert.ok(!release.ok);
    assert.match(release.error.detail, /CONFIRMED/);
    assert.equal((await cases.releaseRefusal(opened.id))?.code, '3100');
    assert.ok(!(await cases.confirm(opened.id, 'again', 'analyst-b')).ok);
    assert.equal((await callbacks(id)).length, 1);
  });

  test('an ALERT case has nothing to release or confirm; a closed case takes no more actions; notes and assignees are bounded', async () => {
    const alert = await prepare('70');
    const opened = await caseOf(alert.body.transferId);
    assert.equal(opened?.kind, 'ALERT');
    assert.match((await cases.releaseRefusal(opened.id))?.detail ?? '', /ALERT, not a held transfer/);
    assert.ok(!(await cases.release(opened.id, 'x', 'analyst-a')).ok);
    assert.ok(!(await cases.confirm(opened.id, 'x', 'analyst-a')).ok);
    assert.equal((await callbacks(alert.body.transferId)).length, 1, 'the ALERT\'s forward at prepare, nothing more');
    assert.ok(!(await cases.note(opened.id, 'x'.repeat(2001), 'analyst-a')).ok);
    assert.ok(!(await cases.note(opened.id, '', 'analyst-a')).ok);
    assert.ok(!(await cases.assign(opened.id, 'y'.repeat(129), 'analyst-a')).ok);
    assert.ok((await cases.assign(opened.id, 'analyst-c', 'lead')).ok);
    assert.ok((await cases.note(opened.id, 'looks like a salary payment', 'analyst-c')).ok);
    assert.equal((await cases.list({ assignee: 'analyst-c' }))[0]?.id, opened.id);
    const closed = await cases.close(opened.id, 'FALSE_POSITIVE', 'analyst-c');
    assert.ok(closed.ok);
    assert.deepEqual([closed.value.state, closed.value.outcome], ['CLOSED', 'FALSE_POSITIVE']);
    assert.ok(!(await cases.close(opened.id, 'CONFIRMED_FRAUD', 'analyst-c')).ok);
    assert.ok(!(await cases.note(opened.id, 'late', 'analyst-c')).ok);
    assert.ok(!(await cases.assign(opened.id, 'analyst-d', 'lead')).ok);
    assert.equal((await cases.get(999_999)), undefined);
    assert.ok(!(await cases.release(999_999, 'x', 'analyst-a')).ok);
    // The trail is append-only.
    await assert.rejects(testTables(ctx.storage.db).updateTable('risk_case_events').set({ text: 'rewritten' }).where('case_id', '=', opened.id).execute());
    await assert.rejects(testTables(ctx.storage.db).deleteFrom('risk_case_events').where('case_id', '=', opened.id).execute());
  });

  test('a case closed CONFIRMED_FRAUD counts for its payer party: its next payment, of an amount allowed before, is alerted', async () => {
    const msisdn = '44199990000';
    const first = await prepare('20', { payerMsisdn: msisdn });
    assert.equal(await caseOf(first.body.transferId), undefined, 'allowed: no case');
    const held = await prepare('120', { payerMsisdn: msisdn });
    const opened = await caseOf(held.body.transferId);
    assert.ok(opened !== undefined);
    assert.ok((await cases.confirm(opened.id, 'fraud', 'analyst-b')).ok);
    const stillClean = await prepare('20', { payerMsisdn: msisdn });
    assert.equal(await caseOf(stillClean.body.transferId), undefined, 'a confirmation alone is not an outcome');
    assert.ok((await cases.close(opened.id, 'CONFIRMED_FRAUD', 'analyst-b')).ok);
    const next = await prepare('20', { payerMsisdn: msisdn });
    assert.equal((await caseOf(next.body.transferId))?.kind, 'ALERT', 'the confirmed fraud feeds payerFraudReports');
    const other = await prepare('20', { payerMsisdn: '44188880000' });
    assert.equal(await caseOf(other.body.transferId), undefined, 'another party is not affected');
    assert.equal((await cases.list({ outcome: 'CONFIRMED_FRAUD' })).length, 1);
  });

  test('release racing the expiry sweep, as two hub processes whose clocks straddle the expiration: exactly one wins each transfer', async () => {
    const { db, engine } = ctx.storage;
    const HELD_MAX = 12;
    const expiresAtMs = nowMs + MINUTE_MS;
    const held = [];
    for (let i = 0; i < HELD_MAX; i++) held.push(await prepare('150', { expiresInMs: MINUTE_MS }));
    const ids = held.map((h) => h.body.transferId);
    const caseIds: number[] = [];
    for (const id of ids) caseIds.push((await caseOf(id))?.id ?? -1);
    // The releasing process reads a clock just before the expiration, the sweeping one just after it.
    const releasing = createRiskCases({ db, engine, clock: { nowMs: () => expiresAtMs - 1 }, holds: createTransferService({ db, engine, clock: { nowMs: () => expiresAtMs - 1 }, enqueue, liquidityCheckRequired, windowOf: windowForCommit(engine) }).holds });
    const sweeper = createTransferService({ db, engine, clock: { nowMs: () => expiresAtMs + 1 }, enqueue, liquidityCheckRequired, windowOf: windowForCommit(engine) });
    const sweeps = (async () => { for (let i = 0; i < HELD_MAX; i++) await sweeper.expireDue(2); })();
    const releases = await Promise.all(caseIds.map((id) => releasing.release(id, 'race', 'analyst-a')));
    await sweeps;
    while ((await sweeper.expireDue(100)) > 0);
    for (const [i, id] of ids.entries()) {
      const sent = await callbacks(id);
      const forwarded = sent.filter((c) => c.to === payee.name && c.subject === 'prepare').length;
      const payeeTold = sent.filter((c) => c.to === payee.name && c.subject === 'error 3303 from hub').length;
      const hold = (await testTables(db).selectFrom('transfer_holds').select('state').where('transfer_id', '=', id).executeTakeFirstOrThrow()).state;
      const caseState = (await caseOf(id))?.state;
      assert.equal(await stateOf(id), 'EXPIRED_RESERVED', 'every one expires in the end');
      if (releases[i]?.ok === true) {
        // The release came first: forwarded once, so the payee hears of the expiry too.
        assert.deepEqual([forwarded, payeeTold, hold, caseState], [1, 1, 'RELEASED', 'RELEASED'], `transfer ${i}`);
      } else {
        assert.deepEqual([forwarded, payeeTold, hold, caseState], [0, 0, 'EXPIRED', 'OPEN'], `transfer ${i}`);
      }
      assert.equal(sent.filter((c) => c.to === payer.name).length, 1, 'the payer told once');
    }
    assert.deepEqual((await checkLedger(db)).problems, [], 'the ledger balances');
    assert.deepEqual((await checkTransfersAgainstLedger(db)).problems, []);
  });
});

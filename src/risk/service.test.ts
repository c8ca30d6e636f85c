// The FRMS assembled, on both engines: with the default rule set LIVE, an
// ordinary payment is allowed and recorded with its trace; a denied payer and a
// sanctioned payee are blocked; structuring across payees and DFSPs is held;
// a SHADOW rule set is evaluated and recorded but never enforced; with no rule
// set every payment is allowed and still counted. Real storage, real feature
// store, real engine: no stand-in.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { runTransaction, type Storage } from '../storage/index.ts';
import { createLogger } from '../support/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { testTables } from '../testing/tables.ts';
import { DEFAULT_RULE_SET } from './default_rules.ts';
import { decisionsOf } from './decisions.ts';
import { addToList } from './lists.ts';
import { partyKeys } from './party_key.ts';
import { ruleSetProblems } from './rule_set.ts';
import { createRuleSetStore } from './rule_sets.ts';
import { buildSanctionsList } from './sanctions.ts';
import { createRiskService } from './service.ts';
import type { Decision, PaymentToAssess } from './types.ts';

const partyKeyOf = partyKeys(Buffer.alloc(32, 7));
const silent = createLogger('silent');

function setUp(storage: Storage, clockMs: { value: number }) {
  const nowMs = () => clockMs.value;
  const ruleSets = createRuleSetStore({ db: storage.db, engine: storage.engine, clock: { nowMs }, validate: ruleSetProblems });
  const sanctions = buildSanctionsList([{ name: 'Ivan Petrov', line: 1 }]);
  assert.ok(sanctions.ok);
  const risk = createRiskService({ db: storage.db, engine: storage.engine, partyKeyOf, ruleSets, sanctions: sanctions.value, log: silent, nowMs });
  const assess = (payment: PaymentToAssess): Promise<Decision> => runTransaction(storage.db, storage.engine, (tx) => risk.assess(tx, payment));
  return { ruleSets, risk, assess };
}

const party = (identifier: string, name?: string) => ({ partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: identifier }, ...(name === undefined ? {} : { name }) });
const payment = (nowMs: number, payer: string, payee: string, amountMinor: bigint, options: { payeeFsp?: string; payeeName?: string } = {}): PaymentToAssess => ({
  stage: 'transfer', id: randomUUID(), payerFsp: 'payerfsp', payeeFsp: options.payeeFsp ?? 'payeefsp',
  message: { payer: party(payer), payee: party(payee, options.payeeName) }, currency: 'USD', amountMinor, sourceAddress: null, nowMs,
});

describeOnEachEngine('the FRMS assembled', (ctx) => {
  const clock = { value: Date.UTC(2026, 11, 3, 12, 0, 0) };

  test('with no rule set every payment is allowed, counted, and no decision is recorded', async () => {
    const { assess } = setUp(ctx.storage, clock);
    const first = payment(clock.value, '1000', '2000', 5_000n);
    assert.equal((await assess(first)).verdict, 'ALLOW');
    assert.deepEqual(await decisionsOf(ctx.storage.db, first.id), []);
    const counters = await testTables(ctx.storage.db).selectFrom('risk_counters' as never).selectAll().execute();
    assert.ok(counters.length > 0, 'the payment is in the features');
  });

  test('the default rule set LIVE: ordinary allowed with its trace; denied payer and sanctioned payee blocked; structuring held; shadow never enforced', async () => {
    const { ruleSets, risk, assess } = setUp(ctx.storage, clock);
    const draft = await ruleSets.saveDraft('scheme', DEFAULT_RULE_SET, 'risk-officer');
    assert.ok(draft.ok, draft.ok ? '' : draft.error);
    assert.ok((await ruleSets.promote('scheme', draft.value.version, 'LIVE', 'risk-approver', null)).ok);
    risk.refresh();

    clock.value += 60_000;
    const ordinary = payment(clock.value, '1001', '2001', 5_000n);
    assert.equal((await assess(ordinary)).verdict, 'ALLOW');
    const [recorded] = await decisionsOf(ctx.storage.db, ordinary.id);
    assert.equal(recorded?.verdict, 'ALLOW');
    assert.equal(recorded.is_enforced, 1);
    const trace = JSON.parse(recorded.trace) as { rules: { ruleId: string; value: string; ref: string }[] };
    assert.ok(trace.rules.length >= 20, 'every rule is in the trace, with the value it saw');

    await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      assert.ok((await addToList(tx, { list: 'deny', partyKey: partyKeyOf({ partyIdType: 'MSISDN', partyIdentifier: '6666' }), reason: 'confirmed fraud', addedBy: 'analyst', nowMs: clock.value })).ok);
    });
    assert.equal((await assess(payment(clock.value, '6666', '2002', 1_000n))).verdict, 'BLOCK', 'a denied payer');
    assert.equal((await assess(payment(clock.value, '1002', '2003', 1_000n, { payeeName: 'PETROV, Ivan' }))).verdict, 'BLOCK', 'a sanctioned payee, however the name is written');

    // Structuring: 9,5xx again and again, to a different payee at a different DFSP each time.
    const verdicts: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.value += 600_000;
      verdicts.push((await assess(payment(clock.value, '1003', `30${i}`, 950_000n + BigInt(i), { payeeFsp: `dfsp${i}` }))).verdict);
    }
    assert.ok(verdicts[0] === 'ALLOW' || verdicts[0] === 'ALERT', `one such payment is not held: ${verdicts.join(', ')}`);
    assert.equal(verdicts[3], 'HOLD', verdicts.join(', '));
  });

  test('a SHADOW rule set is evaluated and recorded on every payment, and never enforced', async () => {
    const { ruleSets, risk, assess } = setUp(ctx.storage, clock);
    const versions = await ruleSets.versions('scheme');
    const live = versions.find((v) => v.state === 'LIVE');
    assert.ok(live);
    assert.ok((await ruleSets.promote('scheme', live.version, 'RETIRED', 'risk-approver', null)).ok);
    const draft = await ruleSets.saveDraft('scheme', DEFAULT_RULE_SET, 'risk-officer');
    assert.ok(draft.ok);
    assert.ok((await ruleSets.promote('scheme', draft.value.version, 'SHADOW', 'risk-approver', null)).ok);
    risk.refresh();
    const denied = payment(clock.value, '6666', '2004', 1_000n);
    assert.equal((await assess(denied)).verdict, 'ALLOW', 'the shadow decision is not enforced');
    const [shadow] = await decisionsOf(ctx.storage.db, denied.id);
    assert.deepEqual([shadow?.verdict, shadow?.is_enforced, shadow?.rule_set_version], ['BLOCK', 0, draft.value.version]);
  });
});

// The allow list and the features each decision keeps, on both engines, with
// the default rule set LIVE: an allow-listed payer or payee is allowed whatever
// the rules say, with the full trace and a note naming the entry; a sanctions
// match is not overridden; each list writer writes only to its own lists; and
// the features a decision saw read back exactly as they were (amounts as bigints).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { runTransaction } from '../storage/index.ts';
import { createLogger } from '../support/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { DEFAULT_RULE_SET } from './default_rules.ts';
import { decisionsOf, decodeFeatures, encodeFeatures } from './decisions.ts';
import { createListStore, type ListStore } from './lists.ts';
import { partyKeys } from './party_key.ts';
import { ruleSetProblems } from './rule_set.ts';
import { createRuleSetStore } from './rule_sets.ts';
import { buildSanctionsList } from './sanctions.ts';
import { createRiskService, type RiskService } from './service.ts';
import type { PaymentToAssess } from './types.ts';

const partyKeyOf = partyKeys(Buffer.alloc(32, 5));
const keyOf = (partyIdentifier: string) => partyKeyOf({ partyIdType: 'MSISDN', partyIdentifier });
const party = (identifier: string, name?: string) => ({ partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: identifier }, ...(name === undefined ? {} : { name }) });

describeOnEachEngine('the allow list and the decisions\' features', (ctx) => {
  const clockMs = { value: Date.UTC(2026, 11, 3, 9, 0, 0) };
  let risk: RiskService;
  let lists: ListStore;
  const transfer = (payer: string, payee: string, payeeName?: string): PaymentToAssess => ({
    stage: 'transfer', id: randomUUID(), payerFsp: 'payerfsp', payeeFsp: 'payeefsp',
    message: { payer: party(payer), payee: party(payee, payeeName) }, currency: 'USD', amountMinor: 12_345n, sourceAddress: null, nowMs: clockMs.value,
  });
  const assess = (payment: PaymentToAssess) => runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => risk.assess(tx, payment));
  const add = async (list: 'deny' | 'watch' | 'allow', identifier: string) => {
    const added = await lists.writesTo([list]).add({ list, partyKey: keyOf(identifier), reason: 'test', actor: 'analyst', changeRequestId: null });
    assert.ok(added.ok, added.ok ? '' : added.error.detail);
  };

  before(async () => {
    const { db, engine } = ctx.storage;
    const clock = { nowMs: () => clockMs.value };
    const ruleSets = createRuleSetStore({ db, engine, clock, validate: ruleSetProblems });
    const sanctions = buildSanctionsList([{ name: 'Ivan Petrov', line: 1 }]);
    assert.ok(sanctions.ok);
    risk = createRiskService({ db, engine, partyKeyOf, ruleSets, sanctions: sanctions.value, log: createLogger('silent'), nowMs: clock.nowMs });
    lists = createListStore({ db, engine, clock });
    const draft = await ruleSets.saveDraft('scheme', DEFAULT_RULE_SET, 'officer');
    assert.ok(draft.ok);
    assert.ok((await ruleSets.promote('scheme', draft.value.version, 'LIVE', 'approver', null)).ok);
  });

  test('an allow-listed payer or payee overrides the verdict, with the full trace and a note naming the entry', async () => {
    await add('deny', '5001');
    await add('deny', '5002');
    const denied = transfer('5001', '6001');
    assert.equal((await assess(denied)).verdict, 'BLOCK', 'denied, not yet allow-listed');

    await add('allow', '5001');
    const payerAllowed = transfer('5001', '6001');
    const decision = await assess(payerAllowed);
    assert.equal(decision.verdict, 'ALLOW');
    assert.equal(decision.override, `allow list: the payer party ${keyOf('5001')} (added by analyst) overrides BLOCK`);
    const [row] = await decisionsOf(ctx.storage.db, payerAllowed.id);
    assert.equal(row?.verdict, 'ALLOW');
    const trace = JSON.parse(row.trace) as { rules: unknown[]; typologies: { verdict: string }[]; override: string };
    assert.equal(trace.rules.length, DEFAULT_RULE_SET.rules.length, 'the full trace is recorded');
    assert.ok(trace.typologies.some((t) => t.verdict === 'BLOCK'), 'with the typology that would have blocked');
    assert.equal(trace.override, decision.override);

    await add('allow', '6002');
    const payeeAllowed = await assess(transfer('5002', '6002'));
    assert.equal(payeeAllowed.verdict, 'ALLOW', 'an allow-listed payee too');
    assert.match(payeeAllowed.override ?? '', /the payee party/);

    const ordinary = await assess(transfer('5003', '6003'));
    assert.equal(ordinary.verdict, 'ALLOW');
    assert.equal(ordinary.override, undefined, 'nothing to override: no note');
  });

  test('a sanctions match is not overridden by the allow list', async () => {
    const sanctioned = await assess(transfer('5001', '6004', 'PETROV, Ivan'));
    assert.equal(sanctioned.verdict, 'BLOCK', 'the payer is allow-listed, the payee sanctioned');
    assert.equal(sanctioned.override, undefined);
  });

  test('each writer writes only to its own lists; an entry is added once and removed once', async () => {
    const denyAndWatch = lists.writesTo(['deny', 'watch']);
    const allow = lists.writesTo(['allow']);
    const change = { partyKey: keyOf('5009'), reason: 'test', actor: 'analyst', changeRequestId: null };
    const intoAllow = await denyAndWatch.add({ ...change, list: 'allow' });
    assert.ok(!intoAllow.ok && intoAllow.error.detail.includes('cannot write to the allow list'));
    const intoDeny = await allow.add({ ...change, list: 'deny' });
    assert.ok(!intoDeny.ok);
    assert.ok(!(await allow.remove({ ...change, list: 'deny' })).ok);
    assert.equal(await lists.entry('allow', change.partyKey), undefined);
    assert.equal(await lists.entry('deny', change.partyKey), undefined);

    assert.ok((await allow.add({ ...change, list: 'allow' })).ok);
    const again = await allow.add({ ...change, list: 'allow' });
    assert.ok(!again.ok && again.error.detail.includes('already'));
    assert.ok((await allow.remove({ ...change, list: 'allow' })).ok);
    const gone = await allow.remove({ ...change, list: 'allow' });
    assert.ok(!gone.ok && gone.error.detail.includes('not on the allow list'));
    const badKey = await denyAndWatch.add({ ...change, list: 'watch', partyKey: 'MSISDN:5009' });
    assert.ok(!badKey.ok, 'a clear identifier is not a party key');
  });

  test('each decision keeps the features it saw, and the payment\'s currency; they read back as they were', async () => {
    const payment = transfer('5010', '6010');
    await assess(payment);
    const [row] = await decisionsOf(ctx.storage.db, payment.id);
    const seen = decodeFeatures(row?.features ?? null);
    assert.ok(seen !== undefined, 'stored and readable');
    assert.equal(seen.currency, 'USD');
    assert.equal(seen.features['amountMinor'], 12_345n);
    assert.equal(seen.features['payerDenied'], false);
    assert.equal(typeof seen.features['hourOfDay'], 'number');
    assert.equal(encodeFeatures(seen), row?.features, 'the same text again');
  });

  test('features text of the wrong shape is not read', () => {
    const of = (values: unknown, currency: unknown = 'USD') => JSON.stringify({ currency, values });
    assert.equal(decodeFeatures(null), undefined);
    assert.equal(decodeFeatures('not json'), undefined);
    assert.equal(decodeFeatures('[1]'), undefined);
    assert.equal(decodeFeatures(of({}, 'usd')), undefined, 'a currency is an ISO 4217 code');
    assert.equal(decodeFeatures(of([1])), undefined);
    assert.equal(decodeFeatures(of({ amountMinor: 12.5 })), undefined, 'an amount is a decimal string of an integer');
    assert.equal(decodeFeatures(of({ payerDenied: 'yes' })), undefined);
    assert.equal(decodeFeatures(of({ hourOfDay: '3' })), undefined);
    assert.deepEqual(decodeFeatures(of({ notAFeature: 1, amountMinor: '-5' })), { currency: 'USD', features: { amountMinor: -5n } }, 'unknown names are dropped');
  });
});

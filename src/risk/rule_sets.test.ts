// Rule set versions: a new version is a DRAFT; promotions follow the listed
// transitions only; a new LIVE or SHADOW retires the one it replaces; at most
// one of each, even when two promotions race; decisions are append-only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnEachEngine } from '../testing/engines.ts';
import { recordDecision } from './decisions.ts';
import { createRuleSetStore } from './rule_sets.ts';
import { runTransaction } from '../storage/index.ts';

describeOnEachEngine('FRMS rule set versions and decisions', (ctx) => {
  const clock = { nowMs: () => 1_780_000_000_000 };
  const validate = (definition: unknown) => (typeof definition === 'object' && definition !== null && 'rules' in definition ? [] : ['rules: required']);

  test('drafts are numbered, invalid ones refused; promotions retire what they replace; forbidden ones refused', async () => {
    const store = createRuleSetStore({ db: ctx.storage.db, engine: ctx.storage.engine, clock, validate });
    const invalid = await store.saveDraft('scheme', { nope: 1 }, 'alice');
    assert.equal(invalid.ok ? '' : invalid.error, 'the rule set is not valid: rules: required');
    assert.equal((await store.saveDraft('bad name!', { rules: [] }, 'alice')).ok, false);
    const v1 = await store.saveDraft('scheme', { rules: [] }, 'alice');
    const v2 = await store.saveDraft('scheme', { rules: [1] }, 'alice');
    assert.ok(v1.ok && v2.ok);
    assert.deepEqual([v1.value.version, v2.value.version, v1.value.state], [1, 2, 'DRAFT']);
    assert.ok((await store.promote('scheme', 1, 'LIVE', 'bob', 'cr-1')).ok);
    assert.ok((await store.promote('scheme', 2, 'SHADOW', 'bob', 'cr-2')).ok);
    let active = await store.active();
    assert.deepEqual([active.live?.version, active.shadow?.version], [1, 2]);
    assert.ok((await store.promote('scheme', 2, 'LIVE', 'bob', 'cr-3')).ok);
    active = await store.active();
    assert.deepEqual([active.live?.version, active.shadow], [2, undefined]);
    assert.deepEqual((await store.versions('scheme')).map((r) => [r.version, r.state]), [[1, 'RETIRED'], [2, 'LIVE']]);
    const back = await store.promote('scheme', 1, 'LIVE', 'bob', null);
    assert.equal(back.ok ? '' : back.error, 'rule set scheme version 1 is RETIRED; it cannot become LIVE');
    assert.equal((await store.promote('scheme', 9, 'LIVE', 'bob', null)).ok, false);
  });

  test('two promotions to LIVE at once leave exactly one LIVE version', async () => {
    const store = createRuleSetStore({ db: ctx.storage.db, engine: ctx.storage.engine, clock, validate });
    const a = await store.saveDraft('race', { rules: [] }, 'alice');
    const b = await store.saveDraft('race', { rules: [] }, 'alice');
    assert.ok(a.ok && b.ok);
    const outcomes = await Promise.allSettled([store.promote('race', a.value.version, 'LIVE', 'x', null), store.promote('race', b.value.version, 'LIVE', 'y', null)]);
    assert.ok(outcomes.some((o) => o.status === 'fulfilled' && o.value.ok));
    const live = await sql<{ n: number }>`select count(*) as n from risk_rule_sets where state = 'LIVE' and name = 'race'`.execute(ctx.storage.db);
    assert.equal(Number(live.rows[0]?.n), 1);
  });

  test('a decision is evidence: written with its trace, never changed or deleted', async () => {
    const { db, engine } = ctx.storage;
    const facts = { stage: 'transfer' as const, id: 't-1', payerFsp: 'a', payeeFsp: 'b', payerParty: null, payeeParty: null, payerName: null, payeeName: null, currency: 'USD', amountMinor: 100n, sourceAddress: null, nowMs: clock.nowMs() };
    await runTransaction(db, engine, (tx) => recordDecision(tx, facts, { verdict: 'BLOCK', ruleSet: { name: 'scheme', version: 2 }, rules: [{ ruleId: 'R1', feature: 'payerDenied', value: 'true', ref: '.01' }], typologies: [{ typologyId: 'T1', score: 1000, verdict: 'BLOCK' }] }, true, 120));
    await assert.rejects(sql`update risk_decisions set verdict = 'ALLOW'`.execute(db), /append-only/);
    await assert.rejects(sql`delete from risk_decisions`.execute(db), /append-only/);
  });
});

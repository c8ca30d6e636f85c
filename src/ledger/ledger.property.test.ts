// Random concurrent operations against the ledger, checked after each batch
// against the ledger's invariants and a reference model. Each batch is
// issued at once (Promise.all): on PostgreSQL the pool runs it on up to ten
// connections; on SQLite Kysely queues it on the one connection. Operations
// within a batch race, so the model does not predict which of them win; it
// records the winners, requires every refusal to be one that some order of
// the batch could justify, and then requires the database to hold exactly
// what the winners add up to.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import fc from 'fast-check';
import type { FspiopResult } from '../fspiop/errors.ts';
import { runRefusable } from '../storage/index.ts';
import type { Account } from './tables.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createLedgerFixture, newTransferId, type LedgerFixture, type TestParticipant } from '../testing/ledger_fixture.ts';
import { valueMinor } from './balances.ts';
import { checkLedger } from './check.ts';
import { fundsState } from './funds.ts';
import { setNetDebitCap } from './limits.ts';
import { asFspiopResult } from '../transfers/index.ts';
import { testTables } from '../testing/tables.ts';

const NUM_RUNS = 20;
/** Each run replays a whole scenario on the database, so shrinking a failure is slow: it stops here and reports the smallest counterexample found so far. A passing property takes a few seconds. */
const SHRINK_TIME_LIMIT_MS = 30_000;
const PARTICIPANTS_MAX = 4;

interface Counters {
  debits_pending_minor: bigint;
  debits_posted_minor: bigint;
  credits_pending_minor: bigint;
  credits_posted_minor: bigint;
}

const zero = (): Counters => ({ debits_pending_minor: 0n, debits_posted_minor: 0n, credits_pending_minor: 0n, credits_posted_minor: 0n });
const value = (c: Counters): bigint => c.debits_posted_minor - c.credits_posted_minor + c.debits_pending_minor;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

type State = 'RESERVED' | 'COMMITTED' | 'ABORTED';

interface ModelParticipant {
  p: TestParticipant;
  position: Counters;
  settlement: Counters;
  ndcMinor: bigint;
  /** Once the cap has been set below an earlier cap, a position may stand above it. */
  lowered: boolean;
}

interface Model {
  participants: ModelParticipant[];
  /** Change of the hub's reconciliation account since the run began. */
  reconciliation: Counters;
  transfers: Map<string, { payer: number; payee: number; amountMinor: bigint; state: State }>;
  fundsOuts: Map<string, { p: number; amountMinor: bigint; state: State }>;
  fundsInMinor: bigint;
  fundsOutCommittedMinor: bigint;
}

// Operations as generated: participants by index, and earlier transfers by a pick resolved at the start of a batch.
type Op =
  | { type: 'fundsIn'; p: number; amountMinor: bigint; copies: number }
  | { type: 'fundsOutReserve'; p: number; amountMinor: bigint; copies: number }
  | { type: 'fundsOutCommit' | 'fundsOutAbort' | 'commit' | 'abort'; pick: number }
  | { type: 'reserve'; payer: number; payeeOffset: number; toSelf: boolean; amountMinor: bigint }
  | { type: 'setNdc'; p: number; ndcMinor: bigint };

// Operations as issued.
type Planned =
  | { kind: 'fundsIn' | 'fundsOutReserve'; p: number; amountMinor: bigint; id: string }
  | { kind: 'fundsOutResolve' | 'transferResolve'; decision: 'commit' | 'abort'; id: string }
  | { kind: 'reserve'; payer: number; payee: number; amountMinor: bigint; id: string }
  | { kind: 'setNdc'; p: number; ndcMinor: bigint };

const amountArb = fc.oneof(fc.bigInt({ min: 1n, max: 400n }), fc.bigInt({ min: 1n, max: 3000n }));
const indexArb = fc.nat(PARTICIPANTS_MAX - 1);
const copiesArb = fc.constantFrom(1, 1, 1, 2);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('fundsIn' as const), p: indexArb, amountMinor: amountArb, copies: copiesArb }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('fundsOutReserve' as const), p: indexArb, amountMinor: amountArb, copies: copiesArb }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constantFrom('fundsOutCommit' as const, 'fundsOutAbort' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('reserve' as const), payer: indexArb, payeeOffset: fc.nat(PARTICIPANTS_MAX - 2), toSelf: fc.integer({ min: 0, max: 24 }).map((x) => x === 0), amountMinor: amountArb }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constantFrom('commit' as const, 'abort' as const), pick: fc.nat() }), weight: 5 },
  { arbitrary: fc.record({ type: fc.constant('setNdc' as const), p: indexArb, ndcMinor: fc.bigInt({ min: 0n, max: 6000n }) }), weight: 1 },
);
const scenarioArb = fc.record({
  participants: fc.array(fc.record({ fundsMinor: fc.bigInt({ min: 0n, max: 5000n }), ndcMinor: fc.bigInt({ min: 0n, max: 5000n }) }), { minLength: 3, maxLength: PARTICIPANTS_MAX }),
  batches: fc.array(fc.array(opArb, { minLength: 10, maxLength: 22 }), { minLength: 2, maxLength: 5 }),
});

function counters(account: Account): Counters {
  const { debits_pending_minor, debits_posted_minor, credits_pending_minor, credits_posted_minor } = account;
  return { debits_pending_minor, debits_posted_minor, credits_pending_minor, credits_posted_minor };
}

function subtract(a: Counters, b: Counters): Counters {
  return {
    debits_pending_minor: a.debits_pending_minor - b.debits_pending_minor,
    debits_posted_minor: a.debits_posted_minor - b.debits_posted_minor,
    credits_pending_minor: a.credits_pending_minor - b.credits_pending_minor,
    credits_posted_minor: a.credits_posted_minor - b.credits_posted_minor,
  };
}

/** Turns generated operations into issued ones, against the model as it stands at the start of the batch. */
function plan(ops: Op[], model: Model): Planned[] {
  const n = model.participants.length;
  const planned: Planned[] = [];
  const ndcSet = new Set<number>();
  const choose = (entries: [string, { state: State }][], pick: number): string | undefined => {
    // Mostly an open reservation; one time in four any earlier one, to exercise the refusals.
    const open = entries.filter(([, e]) => e.state === 'RESERVED');
    const pool = pick % 4 === 0 || open.length === 0 ? entries : open;
    return pool.length === 0 ? undefined : (pool[pick % pool.length] as [string, unknown])[0];
  };
  for (const op of ops) {
    switch (op.type) {
      case 'fundsIn':
      case 'fundsOutReserve': {
        const id = newTransferId(op.type === 'fundsIn' ? 'in' : 'out');
        for (let copy = 0; copy < op.copies; copy++) planned.push({ kind: op.type, p: op.p % n, amountMinor: op.amountMinor, id });
        break;
      }
      case 'fundsOutCommit':
      case 'fundsOutAbort': {
        const id = choose([...model.fundsOuts], op.pick);
        if (id !== undefined) planned.push({ kind: 'fundsOutResolve', decision: op.type === 'fundsOutCommit' ? 'commit' : 'abort', id });
        break;
      }
      case 'commit':
      case 'abort': {
        const id = choose([...model.transfers], op.pick);
        if (id !== undefined) planned.push({ kind: 'transferResolve', decision: op.type, id });
        break;
      }
      case 'reserve': {
        // Now and then a payer paying itself, which must be refused.
        const payer = op.payer % n;
        const payee = op.toSelf ? payer : (payer + 1 + (op.payeeOffset % (n - 1))) % n;
        planned.push({ kind: 'reserve', payer, payee, amountMinor: op.amountMinor, id: newTransferId('tr') });
        break;
      }
      case 'setNdc':
        // One cap change per participant per batch, so that the cap after the batch is known.
        if (!ndcSet.has(op.p % n)) {
          ndcSet.add(op.p % n);
          planned.push({ kind: 'setNdc', p: op.p % n, ndcMinor: op.ndcMinor });
        }
        break;
    }
  }
  return planned;
}

function issue(f: LedgerFixture, model: Model, op: Planned): Promise<FspiopResult<unknown>> {
  const ps = model.participants;
  const participant = (i: number): TestParticipant => ps[i]!.p;
  switch (op.kind) {
    case 'fundsIn':
      return f.fundsIn(participant(op.p), op.amountMinor, op.id);
    case 'fundsOutReserve':
      return f.fundsOutReserve(participant(op.p), op.amountMinor, op.id);
    case 'fundsOutResolve': {
      const p = participant((model.fundsOuts.get(op.id) as { p: number }).p);
      return op.decision === 'commit' ? f.fundsOutCommit(p, op.id) : f.fundsOutAbort(p, op.id);
    }
    case 'transferResolve':
      return op.decision === 'commit' ? f.commit(op.id) : f.abort(op.id);
    case 'reserve':
      return f.reserve(participant(op.payer), participant(op.payee), op.amountMinor, op.id);
    case 'setNdc':
      return runRefusable(f.db, f.engine, (tx) => setNetDebitCap(tx, f.engine, {
        participantId: participant(op.p).id, currency: 'USD', netDebitCapMinor: op.ndcMinor, alarmPercentage: 10,
      }, f.clock.nowMs())).then(asFspiopResult);
  }
}

const describeOutcome = (op: Planned, result: FspiopResult<unknown>): string =>
  `${JSON.stringify(op, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} → ${result.ok ? JSON.stringify(result.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) : `${result.error.code} ${result.error.detail}`}`;

/**
 * Checks every outcome of a batch against the model as it stood at the start,
 * and brings the model up to date with the operations that won.
 */
function settleBatch(model: Model, outcomes: { op: Planned; result: FspiopResult<unknown> }[]): void {
  const ps = model.participants;
  const at = (i: number): ModelParticipant => ps[i]!;
  // For each participant, what the batch's winners did to its position and
  // settlement values (rises draw on its headroom, falls give it back), and
  // the lowest and highest cap it had: the bounds of what any order of the
  // batch could have shown each operation.
  const bounds = ps.map((m) => ({
    position: value(m.position), settlement: value(m.settlement),
    positionRise: 0n, positionFall: 0n, settlementRise: 0n, settlementFall: 0n, ndcMin: m.ndcMinor, ndcMax: m.ndcMinor,
  }));
  const bound = (i: number) => bounds[i]!;
  const admissions: { op: Planned & { kind: 'reserve' | 'fundsOutReserve' }; result: FspiopResult<unknown>; text: string }[] = [];

  const groups = new Map<string, { op: Planned; result: FspiopResult<unknown> }[]>();
  for (const outcome of outcomes) {
    const { op, result } = outcome;
    const text = describeOutcome(op, result);
    if (op.kind === 'setNdc') {
      assert.ok(result.ok, text);
      const m = at(op.p);
      if (op.ndcMinor < m.ndcMinor) m.lowered = true;
      m.ndcMinor = op.ndcMinor;
      const b = bound(op.p);
      b.ndcMin = op.ndcMinor < b.ndcMin ? op.ndcMinor : b.ndcMin;
      b.ndcMax = max(b.ndcMax, op.ndcMinor);
      continue;
    }
    if (op.kind === 'reserve') {
      if (op.payer === op.payee) {
        assert.ok(!result.ok && result.error.code === '3100', `payer and payee the same: ${text}`);
        continue;
      }
      admissions.push({ op, result, text });
      if (result.ok) {
        at(op.payer).position.debits_pending_minor += op.amountMinor;
        at(op.payee).position.credits_pending_minor += op.amountMinor;
        bound(op.payer).positionRise += op.amountMinor;
        model.transfers.set(op.id, { payer: op.payer, payee: op.payee, amountMinor: op.amountMinor, state: 'RESERVED' });
      }
      continue;
    }
    const group = groups.get(op.id) ?? [];
    group.push(outcome);
    groups.set(op.id, group);
  }

  for (const [id, group] of groups) {
    const first = (group[0] as { op: Planned }).op;
    const texts = group.map(({ op, result }) => describeOutcome(op, result)).join('\n');
    const winners = group.filter(({ result }) => result.ok && (result.value as { duplicate?: boolean }).duplicate !== true);
    if (first.kind === 'fundsIn' || first.kind === 'fundsOutReserve') {
      // Copies of one request: at most one moves money; a copy that reports a duplicate saw the one that did.
      assert.ok(winners.length <= 1, texts);
      const duplicates = group.filter(({ result }) => result.ok && (result.value as { duplicate: boolean }).duplicate);
      assert.ok(duplicates.length === 0 || winners.length === 1, texts);
      for (const { result } of duplicates) assert.equal((result as { value: { state: string } }).value.state, first.kind === 'fundsIn' ? 'COMMITTED' : 'RESERVED', texts);
      const m = at(first.p);
      if (first.kind === 'fundsIn') {
        assert.equal(winners.length, 1, `a funds in always succeeds:\n${texts}`);
        m.settlement.credits_posted_minor += first.amountMinor;
        model.reconciliation.debits_posted_minor += first.amountMinor;
        model.fundsInMinor += first.amountMinor;
        bound(first.p).settlementFall += first.amountMinor;
      } else {
        if (winners.length === 1) {
          m.settlement.debits_pending_minor += first.amountMinor;
          model.reconciliation.credits_pending_minor += first.amountMinor;
          model.fundsOuts.set(id, { p: first.p, amountMinor: first.amountMinor, state: 'RESERVED' });
          bound(first.p).settlementRise += first.amountMinor;
        }
        for (const { op, result } of group) {
          if (result.ok && (result.value as { duplicate: boolean }).duplicate) continue;
          admissions.push({ op: op as Planned & { kind: 'fundsOutReserve' }, result, text: describeOutcome(op, result) });
        }
      }
      continue;
    }

    // Commits and aborts racing on one earlier reservation: exactly one decides it.
    assert.ok(first.kind === 'fundsOutResolve' || first.kind === 'transferResolve');
    const isFunds = first.kind === 'fundsOutResolve';
    const entry = isFunds ? model.fundsOuts.get(id) : model.transfers.get(id);
    assert.ok(entry !== undefined);
    let decided: State = entry.state;
    if (entry.state === 'RESERVED') {
      assert.equal(winners.length, 1, `exactly one decision wins:\n${texts}`);
      decided = (winners[0] as { op: { decision: string } }).op.decision === 'commit' ? 'COMMITTED' : 'ABORTED';
    } else {
      assert.equal(winners.length, 0, `a decided reservation stays decided:\n${texts}`);
    }
    for (const { op, result } of group) {
      if (winners.some((w) => w.op === op)) continue;
      const same = (op as { decision: string }).decision === (decided === 'COMMITTED' ? 'commit' : 'abort');
      const text = describeOutcome(op, result);
      if (isFunds && same) {
        assert.ok(result.ok && (result.value as { duplicate: boolean }).duplicate, `the same decision again is a duplicate: ${text}`);
      } else {
        assert.ok(!result.ok && result.error.code === '3100', `a second decision is refused: ${text}`);
      }
    }
    if (entry.state === 'RESERVED') {
      const amount = entry.amountMinor;
      if (isFunds) {
        const owner = (entry as { p: number }).p;
        const m = at(owner);
        m.settlement.debits_pending_minor -= amount;
        model.reconciliation.credits_pending_minor -= amount;
        if (decided === 'COMMITTED') {
          m.settlement.debits_posted_minor += amount;
          model.reconciliation.credits_posted_minor += amount;
          model.fundsOutCommittedMinor += amount;
        } else {
          bound(owner).settlementFall += amount;
        }
      } else {
        const t = entry as { payer: number; payee: number };
        at(t.payer).position.debits_pending_minor -= amount;
        at(t.payee).position.credits_pending_minor -= amount;
        if (decided === 'COMMITTED') {
          at(t.payer).position.debits_posted_minor += amount;
          at(t.payee).position.credits_posted_minor += amount;
          bound(t.payee).positionFall += amount;
        } else {
          bound(t.payer).positionFall += amount;
        }
      }
      entry.state = decided;
    }
  }

  // Each admission decision must be one that some order of the batch explains.
  // A refusal: even with every other winner's draw counted before it and no
  // release, the amount does not fit. An acceptance: with every release
  // counted before it and no other draw, the amount fits.
  for (const { op, result, text } of admissions) {
    const who = op.kind === 'reserve' ? op.payer : op.p;
    const b = bound(who);
    const own = result.ok ? op.amountMinor : 0n;
    const positionMax = b.position + b.positionRise - (op.kind === 'reserve' ? own : 0n);
    const settlementMax = b.settlement + b.settlementRise - (op.kind === 'fundsOutReserve' ? own : 0n);
    const positionMin = b.position - b.positionFall;
    const settlementMin = b.settlement - b.settlementFall;
    const positive = (x: bigint): bigint => (x > 0n ? x : 0n);
    if (op.kind === 'reserve') {
      if (result.ok) {
        assert.ok(op.amountMinor <= -settlementMin - positionMin, `accepted beyond any liquidity the batch could show: ${text}`);
        assert.ok(positionMin + op.amountMinor <= b.ndcMax, `accepted beyond any cap the batch could show: ${text}`);
      } else if (result.error.code === '4001') {
        assert.ok(op.amountMinor > -settlementMax - positionMax, `liquidity refusal no order explains: ${text}`);
      } else {
        assert.equal(result.error.code, '4200', text);
        assert.ok(positionMax + op.amountMinor > b.ndcMin, `cap refusal no order explains: ${text}`);
      }
    } else if (result.ok) {
      assert.ok(op.amountMinor <= -settlementMin - positive(positionMin), `funds out accepted beyond what could be withdrawn: ${text}`);
    } else {
      assert.equal(result.error.code, '4001', text);
      assert.ok(op.amountMinor > -settlementMax - positive(positionMax), `funds out refusal no order explains: ${text}`);
    }
  }
}

/** The database against the model and the ledger's invariants. */
async function verify(f: LedgerFixture, model: Model, reconciliationAtStart: Account): Promise<void> {
  const report = await checkLedger(f.db);
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);

  // Money is conserved: over every account of the currency, debits equal credits, posted and pending.
  const totals = await testTables(f.db).selectFrom('accounts')
    .select((eb) => [
      eb.fn.sum<bigint>('debits_posted_minor').as('debits_posted_minor'),
      eb.fn.sum<bigint>('credits_posted_minor').as('credits_posted_minor'),
      eb.fn.sum<bigint>('debits_pending_minor').as('debits_pending_minor'),
      eb.fn.sum<bigint>('credits_pending_minor').as('credits_pending_minor'),
    ])
    .where('currency', '=', 'USD').executeTakeFirstOrThrow();
  assert.equal(totals.debits_posted_minor, totals.credits_posted_minor, 'posted debits equal posted credits');
  assert.equal(totals.debits_pending_minor, totals.credits_pending_minor, 'pending debits equal pending credits');

  let settlementsMinor = 0n;
  for (const m of model.participants) {
    const { position, settlement } = await f.accountsOf(m.p);
    assert.deepEqual(counters(position), m.position, `${m.p.name} position`);
    assert.deepEqual(counters(settlement), m.settlement, `${m.p.name} settlement`);
    assert.ok(valueMinor(settlement) <= 0n, `${m.p.name}: a settlement account is never overdrawn`);
    assert.ok(-valueMinor(settlement) - valueMinor(position) >= 0n, `${m.p.name}: liquidity never goes below zero`);
    const cap = await testTables(f.db).selectFrom('participant_limits').select('value_minor').where('participant_id', '=', m.p.id).executeTakeFirstOrThrow();
    assert.equal(cap.value_minor, m.ndcMinor);
    const warned = report.warnings.some((w) => w.startsWith(`participant ${m.p.id}:`));
    if (!m.lowered) {
      assert.ok(valueMinor(position) <= m.ndcMinor, `${m.p.name}: position ${valueMinor(position)} within its cap ${m.ndcMinor}`);
    }
    assert.equal(warned, valueMinor(position) > m.ndcMinor, `${m.p.name}: the check warns exactly when a position stands above its cap`);
    settlementsMinor += settlement.credits_posted_minor - settlement.debits_posted_minor;
  }
  assert.equal(settlementsMinor, model.fundsInMinor - model.fundsOutCommittedMinor, 'funds in less committed funds out is what the settlement accounts hold');
  const reconciliation = await f.hubAccount('USD', 'HUB_RECONCILIATION');
  assert.deepEqual(subtract(counters(reconciliation), counters(reconciliationAtStart)), model.reconciliation, 'the hub reconciliation account mirrors the funds moved');
  for (const [id, fundsOut] of model.fundsOuts) assert.equal(await fundsState(f.db, id), fundsOut.state, id);
}

describeOnEachEngine('ledger under random concurrent operations', (context) => {
  let f: LedgerFixture;
  before(async () => {
    f = createLedgerFixture(context.storage);
    await f.openHubAccounts('USD');
  });

  it('keeps money conserved, positions within caps, settlement never overdrawn, and agrees with the reference model', async () => {
    let batchesRun = 0;
    let opsRun = 0;
    const seen = new Map<string, number>();
    await fc.assert(fc.asyncProperty(scenarioArb, async (scenario) => {
      // Each run is a fresh set of participants on the suite's database; earlier runs' accounts stay, and stay checked.
      const reconciliationAtStart = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const model: Model = { participants: [], reconciliation: zero(), transfers: new Map(), fundsOuts: new Map(), fundsInMinor: 0n, fundsOutCommittedMinor: 0n };
      for (const { fundsMinor, ndcMinor } of scenario.participants) {
        const p = await f.participant({ ndcMinor });
        const m: ModelParticipant = { p, position: zero(), settlement: zero(), ndcMinor, lowered: false };
        model.participants.push(m);
        if (fundsMinor > 0n) {
          const id = newTransferId('in');
          settleBatch(model, [{ op: { kind: 'fundsIn', p: model.participants.length - 1, amountMinor: fundsMinor, id }, result: await f.fundsIn(p, fundsMinor, id) }]);
        }
      }
      await verify(f, model, reconciliationAtStart);
      for (const ops of scenario.batches) {
        const planned = plan(ops, model);
        const results = await Promise.all(planned.map((op) => issue(f, model, op)));
        const outcomes = planned.map((op, i) => ({ op, result: results[i]! }));
        settleBatch(model, outcomes);
        await verify(f, model, reconciliationAtStart);
        batchesRun += 1;
        opsRun += planned.length;
        for (const { op, result } of outcomes) {
          const key = `${op.kind} ${result.ok ? ((result.value as { duplicate?: boolean } | undefined)?.duplicate === true ? 'duplicate' : 'ok') : result.error.code}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
    }), { numRuns: NUM_RUNS, interruptAfterTimeLimit: SHRINK_TIME_LIMIT_MS });
    // The property must have exercised what it claims to.
    assert.ok(batchesRun >= NUM_RUNS * 2 && opsRun >= batchesRun * 5, `${batchesRun} batches, ${opsRun} operations`);
    if (process.env['INTERLOCK_TEST_STATS'] !== undefined) console.log(context.engine, [...seen].sort());
    for (const key of ['reserve ok', 'reserve 4001', 'reserve 4200', 'transferResolve ok', 'transferResolve 3100', 'fundsOutReserve ok',
      'fundsOutReserve 4001', 'fundsOutResolve ok', 'fundsOutResolve duplicate', 'fundsOutResolve 3100', 'fundsIn duplicate', 'setNdc ok', 'reserve 3100']) {
      assert.ok((seen.get(key) ?? 0) > 0, `no "${key}" outcome in ${NUM_RUNS} runs: ${JSON.stringify([...seen])}`);
    }
  });
});

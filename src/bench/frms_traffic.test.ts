// The bench's FRMS set-up: its traffic is traffic the default rule set
// allows (else the bench would time holds and blocks, or fail), no bench party
// is on its synthetic sanctions list, and the figures it reads back count each
// verdict and time only the measured window. Real storage, real FRMS service.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRiskService, createRuleSetStore, loadSanctionsList, partyKeys, ruleSetProblems, screenName, type PaymentToAssess, type SanctionsList, type Verdict } from '../risk/index.ts';
import { runTransaction, type Storage } from '../storage/index.ts';
import { createLogger, systemClock } from '../support/index.ts';
import { describeOnEachEngine, freshStorage } from '../testing/engines.ts';
import {
  BENCH_FLOWS_ALLOWED, BENCH_FLOWS_PER_S_ALLOWED, BENCH_PAYEES, BENCH_PAYERS, decisionFigures, flowParties, notAllowed, promoteDefaultRuleSet, sanctionsListText, SANCTIONS_NAMES,
} from './frms_traffic.ts';
import type { SimParty } from '../sim/index.ts';

/** The bench's sanctions list, loaded as the hub loads risk.sanctionsFile. */
async function benchSanctions(): Promise<SanctionsList> {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-bench-sanctions-'));
  try {
    const file = join(dir, 'sanctions.txt');
    writeFileSync(file, sanctionsListText(SANCTIONS_NAMES));
    const list = await loadSanctionsList(file);
    assert.ok(list.ok, list.ok ? '' : list.error);
    return list.value;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sanctions = await benchSanctions();

/** The FRMS service as the hub builds it, on `storage`, with the bench's rule set LIVE and its sanctions list. */
async function benchFrms(storage: Storage, clock: { value: number }) {
  await promoteDefaultRuleSet(storage);
  const ruleSets = createRuleSetStore({ db: storage.db, engine: storage.engine, clock: systemClock, validate: ruleSetProblems });
  return createRiskService({ db: storage.db, engine: storage.engine, partyKeyOf: partyKeys(Buffer.alloc(32, 5)), ruleSets, sanctions, log: createLogger('silent'), nowMs: () => clock.value });
}

const partyInfo = (p: SimParty) => ({ partyIdInfo: { partyIdType: p.partyIdType, partyIdentifier: p.partyIdentifier }, name: p.name });
const transfer = (nowMs: number, payer: SimParty, payee: SimParty, amount: string): PaymentToAssess => ({
  stage: 'transfer', id: randomUUID(), payerFsp: 'payerfsp', payeeFsp: 'payeefsp', message: { payer: partyInfo(payer), payee: partyInfo(payee) },
  currency: 'USD', amountMinor: BigInt(amount) * 100n, sourceAddress: null, nowMs,
});

/** The verdicts on `flows` transfers `gapMs` apart, flow n's parties given by `partiesOf`; assessed in batches (one commit each, to keep the test quick). */
async function verdictsOf(storage: Storage, flows: number, gapMs: number, partiesOf: typeof flowParties): Promise<Record<Verdict, number>> {
  const clock = { value: Date.UTC(2026, 11, 3, 12, 0, 0) };
  const frms = await benchFrms(storage, clock);
  const verdicts: Record<Verdict, number> = { ALLOW: 0, ALERT: 0, HOLD: 0, BLOCK: 0 };
  const BATCH = 200;
  for (let first = 0; first < flows; first += BATCH) {
    await runTransaction(storage.db, storage.engine, async (tx) => {
      for (let n = first; n < Math.min(flows, first + BATCH); n++) {
        clock.value += gapMs;
        const { payer, payee, amount } = partiesOf(n);
        verdicts[(await frms.assess(tx, transfer(clock.value, payer, payee, amount))).verdict] += 1;
      }
    });
  }
  return verdicts;
}

test('no bench party is on the bench\'s sanctions list, and a name on it is found', () => {
  for (const p of [...BENCH_PAYERS, ...BENCH_PAYEES]) assert.equal(screenName(sanctions, p.name).matched, false, p.name);
  const listed = sanctionsListText(SANCTIONS_NAMES).split('\n')[1];
  assert.ok(listed !== undefined && screenName(sanctions, listed).matched, 'the list screens');
});

/** Runs `check` on a fresh SQLite database. */
async function onFreshSqlite<T>(check: (storage: Storage) => Promise<T>): Promise<T> {
  const { storage, dispose } = await freshStorage('sqlite');
  try {
    return await check(storage);
  } finally {
    await dispose();
  }
}

test('the default rule set allows every one of BENCH_FLOWS_ALLOWED bench flows at BENCH_FLOWS_PER_S_ALLOWED', async () => {
  const gapMs = Math.ceil(1000 / BENCH_FLOWS_PER_S_ALLOWED);
  assert.deepEqual(await onFreshSqlite((storage) => verdictsOf(storage, BENCH_FLOWS_ALLOWED, gapMs, flowParties)), { ALLOW: BENCH_FLOWS_ALLOWED, ALERT: 0, HOLD: 0, BLOCK: 0 });
});

test('the check can fail: the same traffic to one payee, or from one DFSP faster than 3,000 a minute, is alerted on', async () => {
  const onePayee = (n: number) => ({ ...flowParties(n), payee: BENCH_PAYEES[0] ?? flowParties(0).payee });
  assert.ok(notAllowed(await onFreshSqlite((storage) => verdictsOf(storage, 50, 100, onePayee))) > 0, 'a payee paid by 50 payers in 5 s is a collecting mule');
  const fast = await onFreshSqlite((storage) => verdictsOf(storage, 3_100, 10, flowParties));
  assert.equal(fast.ALERT, 100, 'at 100 flows/s, every payment after the DFSP\'s 3,000th in a minute');
});

describeOnEachEngine('the bench reads the FRMS decisions back', (ctx) => {
  test('every enforced verdict counted; decision times from the measured window only', async () => {
    const clock = { value: Date.UTC(2026, 11, 3, 12, 0, 0) };
    const frms = await benchFrms(ctx.storage, clock);
    const [payer, payee] = [BENCH_PAYERS[0], BENCH_PAYEES[0]];
    assert.ok(payer !== undefined && payee !== undefined);
    const assess = (payment: PaymentToAssess) => runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => frms.assess(tx, payment));
    const windowStartMs = clock.value;
    for (let i = 0; i < 3; i++) assert.equal((await assess(transfer(clock.value += 1000, payer, payee, '10'))).verdict, 'ALLOW');
    const windowEndMs = clock.value;
    // Outside the window: a payee whose name is on the sanctions list.
    const sanctioned = { ...payee, name: sanctionsListText(SANCTIONS_NAMES).split('\n')[1] ?? '' };
    assert.equal((await assess(transfer(clock.value += 1000, payer, sanctioned, '10'))).verdict, 'BLOCK');
    const figures = await decisionFigures(ctx.storage, [{ fromMs: windowStartMs, toMs: windowEndMs }]);
    assert.deepEqual(figures.verdicts, { ALLOW: 3, ALERT: 0, HOLD: 0, BLOCK: 1 });
    assert.equal(figures.measured, 3);
    assert.ok(figures.p50Us >= 0 && figures.p99Us >= figures.p50Us && figures.maxUs >= figures.p99Us);
  });
});

// A ledger to test against: the hub's accounts, participants opened through
// the registry and funded through the funds API, and short calls for the
// operations tests drive. Shared by the ledger's tests and by the worker
// threads of its concurrency test, which open the same database file.
import assert from 'node:assert/strict';
import type { Failure, FspiopResult } from '../fspiop/errors.ts';
import { abortTransfer, commitTransfer, createFunds, reserveTransfer, setInitialPositionAndLimits, type FundsOutcome, type LedgerError } from '../ledger/index.ts';
import { createParticipantRegistry } from '../participants/index.ts';
import { liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import { asFspiopResult, ledgerFailure } from '../transfers/index.ts';
import { runRefusable, type Storage } from '../storage/index.ts';
import type { Account, JournalEntry } from '../ledger/tables.ts';
import { canonicalHash } from '../support/canonical_json.ts';
import type { Clock } from '../support/clock.ts';
import { formatAmount } from '../support/money.ts';
import type { Result } from '../support/result.ts';
import { testTables } from './tables.ts';

export const TEST_OPERATOR = 'test-operator';

export interface TestParticipant {
  id: number;
  name: string;
  currency: string;
  positionId: number;
  settlementId: number;
}

export interface ParticipantOptions {
  currency?: string;
  /** Funds in, recorded once the accounts exist (none when 0 or absent). */
  fundsMinor?: bigint;
  /** The net debit cap; absent: none is set. */
  ndcMinor?: bigint;
  initialPositionMinor?: bigint;
}

/** A clock that moves one millisecond each time it is read, so every timestamp is distinct. */
export function steppingClock(startMs = 1_750_000_000_000): Clock {
  let nowMs = startMs;
  return { nowMs: () => nowMs++ };
}

let idCounter = 0;
/** A transfer id unique within this process (and, with the prefix, across the worker threads of one test). */
export function newTransferId(prefix = 't'): string {
  idCounter += 1;
  return `${prefix}-${process.pid}-${idCounter}`;
}

/** What the fixture's operations share: the storage, the clock and the services they drive. */
interface FixtureContext {
  readonly db: Storage['db'];
  readonly engine: Storage['engine'];
  readonly clock: Clock;
  readonly registry: ReturnType<typeof createParticipantRegistry>;
  readonly funds: ReturnType<typeof createFunds>;
  participantCount: number;
}

async function openHubAccounts(c: FixtureContext, currency: string): Promise<void> {
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const) {
    const created = await c.registry.createHubAccount(currency, type, TEST_OPERATOR);
    assert.ok(created.ok, `hub ${type} ${currency}: ${created.ok ? '' : created.error.detail}`);
  }
}

async function hubAccount(c: FixtureContext, currency: string, type: 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION'): Promise<Account> {
  const hub = await c.registry.ensureHub();
  return testTables(c.db).selectFrom('accounts').selectAll().where('participant_id', '=', hub.id).where('currency', '=', currency)
    .where('type', '=', type).executeTakeFirstOrThrow();
}

async function account(c: FixtureContext, id: number): Promise<Account> {
  return testTables(c.db).selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function fundsRequest(p: TestParticipant, amountMinor: bigint, transferId: string, extra: { reason?: string; currency?: string; accountId?: number } = {}) {
  const currency = extra.currency ?? p.currency;
  const body = {
    transferId,
    externalReference: `ext-${transferId}`,
    reason: extra.reason ?? 'test',
    amount: { amount: formatAmount(amountMinor, p.currency), currency },
  };
  return {
    transferId,
    accountId: extra.accountId ?? p.settlementId,
    amount: body.amount.amount,
    currency,
    reason: body.reason,
    externalReference: body.externalReference,
    createdBy: TEST_OPERATOR,
    requestHash: canonicalHash(body),
  };
}

// The ledger answers in its own refusals; tests assert the FSPIOP codes the hub answers with.
async function fundsIn(c: FixtureContext, p: TestParticipant, amountMinor: bigint, transferId = newTransferId('in')): Promise<FspiopResult<FundsOutcome>> {
  return asFspiopResult(await c.funds.recordFundsIn(fundsRequest(p, amountMinor, transferId)));
}

async function fundsOutReserve(c: FixtureContext, p: TestParticipant, amountMinor: bigint, transferId = newTransferId('out')): Promise<FspiopResult<FundsOutcome>> {
  return asFspiopResult(await c.funds.recordFundsOutPrepareReserve(fundsRequest(p, amountMinor, transferId)));
}

async function fundsOutDecide(c: FixtureContext, p: TestParticipant, transferId: string, decision: 'commit' | 'abort'): Promise<FspiopResult<FundsOutcome>> {
  return asFspiopResult(decision === 'commit'
    ? await c.funds.recordFundsOutCommit(transferId, p.settlementId, 'test commit', TEST_OPERATOR)
    : await c.funds.recordFundsOutAbort(transferId, p.settlementId, 'test abort', TEST_OPERATOR));
}

async function reserve(c: FixtureContext, payer: TestParticipant, payee: TestParticipant, amountMinor: bigint, transferId = newTransferId('tr')): Promise<FspiopResult<JournalEntry>> {
  const { db, engine, clock } = c;
  return asFspiopResult(await runRefusable(db, engine, (tx) => reserveTransfer(tx, engine, {
    transferId,
    payerParticipantId: payer.id,
    payeeParticipantId: payee.id,
    currency: payer.currency,
    amountMinor,
    createdBy: TEST_OPERATOR,
    liquidityCheckRequired,
  }, clock.nowMs())));
}

async function resolve(c: FixtureContext, transferId: string, decision: 'commit' | 'abort'): Promise<FspiopResult<JournalEntry>> {
  const { db, engine, clock } = c;
  return asFspiopResult(await runRefusable(db, engine, (tx) => decision === 'commit'
    ? commitTransfer(tx, engine, transferId, TEST_OPERATOR, clock.nowMs(), windowForCommit(engine))
    : abortTransfer(tx, engine, transferId, TEST_OPERATOR, 'test abort', clock.nowMs())));
}

async function setLimits(c: FixtureContext, p: TestParticipant, ndcMinor: bigint, initialPositionMinor = 0n): Promise<FspiopResult<void>> {
  const { db, engine, clock } = c;
  return asFspiopResult(await runRefusable(db, engine, (tx) => setInitialPositionAndLimits(tx, engine, {
    participantId: p.id,
    currency: p.currency,
    netDebitCapMinor: ndcMinor,
    alarmPercentage: 10,
    initialPositionMinor,
    createdBy: TEST_OPERATOR,
  }, clock.nowMs())));
}

/** A new participant with POSITION and SETTLEMENT accounts in the currency (USD by default), limits and funds as asked. */
async function participant(c: FixtureContext, options: ParticipantOptions = {}, name?: string): Promise<TestParticipant> {
  c.participantCount += 1;
  const currency = options.currency ?? 'USD';
  const created = await c.registry.create({ name: name ?? `dfsp${c.participantCount}`, currency, isProxy: false }, TEST_OPERATOR);
  assert.ok(created.ok, created.ok ? '' : created.error.detail);
  const accounts = created.value.accounts.filter((a) => a.currency === currency);
  const position = accounts.find((a) => a.type === 'POSITION');
  const settlement = accounts.find((a) => a.type === 'SETTLEMENT');
  assert.ok(position !== undefined && settlement !== undefined);
  const p = { id: created.value.participant.id, name: created.value.participant.name, currency, positionId: position.id, settlementId: settlement.id };
  if (options.ndcMinor !== undefined) {
    const limits = await setLimits(c, p, options.ndcMinor, options.initialPositionMinor ?? 0n);
    assert.ok(limits.ok, limits.ok ? '' : limits.error.detail);
  }
  if (options.fundsMinor !== undefined && options.fundsMinor > 0n) {
    const funded = await fundsIn(c, p, options.fundsMinor);
    assert.ok(funded.ok, funded.ok ? '' : funded.error.detail);
  }
  return p;
}

export function createLedgerFixture(storage: Storage, clock: Clock = steppingClock()) {
  const { db, engine } = storage;
  const c: FixtureContext = {
    db, engine, clock, participantCount: 0,
    registry: createParticipantRegistry({ db, engine, clock }),
    funds: createFunds({ db, engine, clock }),
  };
  return {
    db, engine, clock, registry: c.registry, funds: c.funds,
    openHubAccounts: (currency: string) => openHubAccounts(c, currency),
    hubAccount: (currency: string, type: 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION') => hubAccount(c, currency, type),
    account: (id: number) => account(c, id),
    accountsOf: async (p: TestParticipant) => ({ position: await account(c, p.positionId), settlement: await account(c, p.settlementId) }),
    participant: (options?: ParticipantOptions, name?: string) => participant(c, options, name),
    setLimits: (p: TestParticipant, ndcMinor: bigint, initialPositionMinor?: bigint) => setLimits(c, p, ndcMinor, initialPositionMinor),
    fundsRequest,
    fundsIn: (p: TestParticipant, amountMinor: bigint, transferId?: string) => fundsIn(c, p, amountMinor, transferId),
    fundsOutReserve: (p: TestParticipant, amountMinor: bigint, transferId?: string) => fundsOutReserve(c, p, amountMinor, transferId),
    fundsOutCommit: (p: TestParticipant, transferId: string) => fundsOutDecide(c, p, transferId, 'commit'),
    fundsOutAbort: (p: TestParticipant, transferId: string) => fundsOutDecide(c, p, transferId, 'abort'),
    reserve: (payer: TestParticipant, payee: TestParticipant, amountMinor: bigint, transferId?: string) => reserve(c, payer, payee, amountMinor, transferId),
    commit: (transferId: string) => resolve(c, transferId, 'commit'),
    abort: (transferId: string) => resolve(c, transferId, 'abort'),
  };
}

export type LedgerFixture = ReturnType<typeof createLedgerFixture>;

/** A refusal as the hub answers it: a ledger refusal through the one table that maps it. */
function asFailure(error: Failure | LedgerError): Failure {
  return 'kind' in error ? ledgerFailure(error) : error;
}

/** Asserts that `result` failed with `code`, and returns the failure's detail. */
export function assertFails(result: Result<unknown, Failure | LedgerError>, code: string, message?: string): string {
  assert.equal(result.ok, false, `${message ?? 'expected a failure'}: expected ${code}, got success`);
  assert.ok(!result.ok);
  const failure = asFailure(result.error);
  assert.equal(failure.code, code, `${message ?? ''} (${failure.detail})`);
  return failure.detail;
}

/** Asserts that `result` succeeded, and returns its value. */
export function assertOk<T>(result: Result<T, Failure | LedgerError>, message?: string): T {
  assert.ok(result.ok, `${message ?? 'expected success'}: ${result.ok ? '' : `${asFailure(result.error).code} ${result.error.detail}`}`);
  return result.value;
}

/** One operation of a race, as plain data that can cross to a worker thread. */
export type RaceOp =
  | { kind: 'reserve'; payer: TestParticipant; payee: TestParticipant; amountMinor: bigint; transferId: string }
  | { kind: 'fundsIn' | 'fundsOut'; p: TestParticipant; amountMinor: bigint; transferId: string }
  | { kind: 'commit' | 'abort'; transferId: string }
  | { kind: 'fundsOutCommit' | 'fundsOutAbort'; p: TestParticipant; transferId: string };

export interface RaceOutcome {
  ok: boolean;
  code: string | null;
  /** For funds requests: true when the request had been recorded before and nothing moved. */
  duplicate: boolean;
  /** Wall-clock epoch milliseconds (comparable across threads) when the call was made and when it returned. */
  startMs: number;
  endMs: number;
}

function runRaceOp(f: LedgerFixture, op: RaceOp): Promise<FspiopResult<unknown>> {
  switch (op.kind) {
    case 'reserve': return f.reserve(op.payer, op.payee, op.amountMinor, op.transferId);
    case 'fundsIn': return f.fundsIn(op.p, op.amountMinor, op.transferId);
    case 'fundsOut': return f.fundsOutReserve(op.p, op.amountMinor, op.transferId);
    case 'commit': return f.commit(op.transferId);
    case 'abort': return f.abort(op.transferId);
    case 'fundsOutCommit': return f.fundsOutCommit(op.p, op.transferId);
    case 'fundsOutAbort': return f.fundsOutAbort(op.p, op.transferId);
  }
}

/**
 * Issues the operations at once, at most `inFlightMax` at a time (on
 * PostgreSQL, at most that many connections), and waits for all of them; the
 * outcomes are in the order of `ops`.
 */
export async function runRaceOps(f: LedgerFixture, ops: readonly RaceOp[], inFlightMax = ops.length): Promise<RaceOutcome[]> {
  const now = (): number => performance.timeOrigin + performance.now();
  const outcomes = new Array<RaceOutcome>(ops.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < ops.length; i = next++) {
      const op = ops[i];
      assert.ok(op !== undefined);
      const startMs = now();
      const result = await runRaceOp(f, op);
      outcomes[i] = {
        ok: result.ok,
        code: result.ok ? null : result.error.code,
        duplicate: result.ok && (result.value as { duplicate?: unknown } | undefined)?.duplicate === true,
        startMs,
        endMs: now(),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlightMax, ops.length)) }, lane));
  return outcomes;
}

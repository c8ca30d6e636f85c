// A ledger to test against: the hub's accounts, participants opened through
// the registry and funded through the funds API, and short calls for the
// operations tests drive. Shared by the ledger's tests and by the worker
// threads of its concurrency test, which open the same database file.
import assert from 'node:assert/strict';
import type { FspiopResult } from '../fspiop/errors.ts';
import { abortTransfer, commitTransfer, createFunds, reserveTransfer, setInitialPositionAndLimits, type FundsOutcome } from '../ledger/index.ts';
import { createParticipantRegistry } from '../participants/index.ts';
import { runRefusable, type Account, type JournalEntry, type Storage } from '../storage/index.ts';
import { canonicalHash } from '../support/canonical_json.ts';
import type { Clock } from '../support/clock.ts';
import { formatAmount } from '../support/money.ts';

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

export function createLedgerFixture(storage: Storage, clock: Clock = steppingClock()) {
  const { db, engine } = storage;
  const registry = createParticipantRegistry({ db, engine, clock });
  const funds = createFunds({ db, engine, clock });
  let participantCounter = 0;

  async function openHubAccounts(currency: string): Promise<void> {
    for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const) {
      const created = await registry.createHubAccount(currency, type, TEST_OPERATOR);
      assert.ok(created.ok, `hub ${type} ${currency}: ${created.ok ? '' : created.error.detail}`);
    }
  }

  async function hubAccount(currency: string, type: 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION'): Promise<Account> {
    const hub = await registry.ensureHub();
    return db.selectFrom('accounts').selectAll().where('participant_id', '=', hub.id).where('currency', '=', currency)
      .where('type', '=', type).executeTakeFirstOrThrow();
  }

  async function account(id: number): Promise<Account> {
    return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async function accountsOf(p: TestParticipant): Promise<{ position: Account; settlement: Account }> {
    return { position: await account(p.positionId), settlement: await account(p.settlementId) };
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

  async function fundsIn(p: TestParticipant, amountMinor: bigint, transferId = newTransferId('in')): Promise<FspiopResult<FundsOutcome>> {
    return funds.recordFundsIn(fundsRequest(p, amountMinor, transferId));
  }

  async function fundsOutReserve(p: TestParticipant, amountMinor: bigint, transferId = newTransferId('out')): Promise<FspiopResult<FundsOutcome>> {
    return funds.recordFundsOutPrepareReserve(fundsRequest(p, amountMinor, transferId));
  }

  async function fundsOutCommit(p: TestParticipant, transferId: string): Promise<FspiopResult<FundsOutcome>> {
    return funds.recordFundsOutCommit(transferId, p.settlementId, 'test commit', TEST_OPERATOR);
  }

  async function fundsOutAbort(p: TestParticipant, transferId: string): Promise<FspiopResult<FundsOutcome>> {
    return funds.recordFundsOutAbort(transferId, p.settlementId, 'test abort', TEST_OPERATOR);
  }

  async function reserve(payer: TestParticipant, payee: TestParticipant, amountMinor: bigint, transferId = newTransferId('tr')): Promise<FspiopResult<JournalEntry>> {
    return runRefusable(db, engine, (tx) => reserveTransfer(tx, engine, {
      transferId,
      payerParticipantId: payer.id,
      payeeParticipantId: payee.id,
      currency: payer.currency,
      amountMinor,
      createdBy: TEST_OPERATOR,
    }, clock.nowMs()));
  }

  async function commit(transferId: string): Promise<FspiopResult<JournalEntry>> {
    return runRefusable(db, engine, (tx) => commitTransfer(tx, engine, transferId, TEST_OPERATOR, clock.nowMs()));
  }

  async function abort(transferId: string): Promise<FspiopResult<JournalEntry>> {
    return runRefusable(db, engine, (tx) => abortTransfer(tx, engine, transferId, TEST_OPERATOR, 'test abort', clock.nowMs()));
  }

  async function setLimits(p: TestParticipant, ndcMinor: bigint, initialPositionMinor = 0n): Promise<FspiopResult<void>> {
    return runRefusable(db, engine, (tx) => setInitialPositionAndLimits(tx, engine, {
      participantId: p.id,
      currency: p.currency,
      netDebitCapMinor: ndcMinor,
      alarmPercentage: 10,
      initialPositionMinor,
      createdBy: TEST_OPERATOR,
    }, clock.nowMs()));
  }

  /** A new participant with POSITION and SETTLEMENT accounts in the currency (USD by default), limits and funds as asked. */
  async function participant(options: ParticipantOptions = {}, name?: string): Promise<TestParticipant> {
    participantCounter += 1;
    const currency = options.currency ?? 'USD';
    const created = await registry.create({ name: name ?? `dfsp${participantCounter}`, currency, isProxy: false }, TEST_OPERATOR);
    assert.ok(created.ok, created.ok ? '' : created.error.detail);
    const accounts = created.value.accounts.filter((a) => a.currency === currency);
    const position = accounts.find((a) => a.type === 'POSITION');
    const settlement = accounts.find((a) => a.type === 'SETTLEMENT');
    assert.ok(position !== undefined && settlement !== undefined);
    const p = { id: created.value.participant.id, name: created.value.participant.name, currency, positionId: position.id, settlementId: settlement.id };
    if (options.ndcMinor !== undefined) {
      const limits = await setLimits(p, options.ndcMinor, options.initialPositionMinor ?? 0n);
      assert.ok(limits.ok, limits.ok ? '' : limits.error.detail);
    }
    if (options.fundsMinor !== undefined && options.fundsMinor > 0n) {
      const funded = await fundsIn(p, options.fundsMinor);
      assert.ok(funded.ok, funded.ok ? '' : funded.error.detail);
    }
    return p;
  }

  return {
    db, engine, clock, registry, funds,
    openHubAccounts, hubAccount, account, accountsOf, participant, setLimits,
    fundsRequest, fundsIn, fundsOutReserve, fundsOutCommit, fundsOutAbort,
    reserve, commit, abort,
  };
}

export type LedgerFixture = ReturnType<typeof createLedgerFixture>;

/** Asserts that `result` failed with `code`, and returns the failure's detail. */
export function assertFails(result: FspiopResult<unknown>, code: string, message?: string): string {
  assert.equal(result.ok, false, `${message ?? 'expected a failure'}: expected ${code}, got success`);
  assert.ok(!result.ok);
  assert.equal(result.error.code, code, `${message ?? ''} (${result.error.detail})`);
  return result.error.detail;
}

/** Asserts that `result` succeeded, and returns its value. */
export function assertOk<T>(result: FspiopResult<T>, message?: string): T {
  assert.ok(result.ok, `${message ?? 'expected success'}: ${result.ok ? '' : `${result.error.code} ${result.error.detail}`}`);
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

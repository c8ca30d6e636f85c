// Transfers: prepare, fulfil, abort and query, each one database transaction
// in which the duplicate check, the state change, the position change and the
// callbacks it causes commit together. The edge (headers, schema, and later
// TLS identity and signatures) has already run; what reaches here is
// well-formed but not yet trusted in meaning.
import assert from 'node:assert/strict';
import type { OutboundMessage } from '../delivery/message.ts';
import type { Failure } from '../fspiop/errors.ts';
import { callbackEndpoint, findParticipant } from '../participants/index.ts';
import { recordEvidence } from './evidence.ts';
import { checkPrepareAgainstIlp, conditionMatches, conditionProblem } from '../ilp/index.ts';
import { abortTransfer, commitTransfer, reserveTransfer } from '../ledger/index.ts';
import type { Tx } from '../ledger/index.ts';
import { canonicalHash } from '../support/canonical_json.ts';
import type { Clock } from '../support/clock.ts';
import { parseAmount } from '../support/money.ts';
import { runTransaction, type Db, type Engine } from '../storage/index.ts';
import type { Inbound } from '../fspiop/inbound.ts';
import { completedTimestamp, forwardPrepare, forwardToPayer, hubPatch, hubTransferError, hubTransferState } from './messages.ts';
import { canTransition, externalState, isTerminal, type TransferState } from './states.ts';
import type { Transfer } from './tables.ts';

export interface TransferLimits {
  /** The latest expiration a prepare may ask for, ms from now: liquidity cannot be locked for longer. */
  expiryMsMax: number;
}

export const DEFAULT_TRANSFER_LIMITS: TransferLimits = {
  expiryMsMax: 24 * 60 * 60 * 1000,
};

export interface PrepareBody {
  transferId: string;
  payerFsp: string;
  payeeFsp: string;
  amount: { amount: string; currency: string };
  ilpPacket: string;
  condition: string;
  expiration: string;
}

export interface FulfilBody {
  transferState: string;
  fulfilment?: string;
  completedTimestamp?: string;
}

export interface ErrorBody {
  errorInformation: { errorCode: string; errorDescription: string };
}

export interface TransferDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Writes a message to the outbox inside the caller's transaction. */
  enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
  limits?: TransferLimits;
  /** Also send the payee the hub's COMMITTED state after a commit (Mojaloop's SEND_TRANSFER_CONFIRMATION_TO_PAYEE, default on). */
  confirmToPayee?: boolean;
}

/** What the transfer service decided, for logs and tests; every effect is already in the database and outbox. */
export type TransferOutcome =
  | { kind: 'reserved' | 'committed' | 'aborted' | 'expired' | 'answered' }
  | { kind: 'rejected'; failure: Failure }
  | { kind: 'duplicate-resent' | 'duplicate-ignored' }
  | { kind: 'refused'; failure: Failure };

const fail = (code: Failure['code'], detail: string): Failure => ({ code, detail });

async function loadTransfer(tx: Tx, engine: Engine, transferId: string): Promise<Transfer | undefined> {
  let query = tx.selectFrom('transfers').selectAll().where('transfer_id', '=', transferId);
  if (engine === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Moves a transfer along one edge of the state machine, only from the state it was read in (compare-and-set). */
async function transition(tx: Tx, transfer: Transfer, to: TransferState, nowMs: number, set: Partial<Pick<Transfer, 'fulfilment' | 'fulfil_hash' | 'error_hash' | 'error_code' | 'error_description' | 'completed_at_ms'>>, reason: string | null): Promise<void> {
  assert.ok(canTransition(transfer.state, to), `transition ${transfer.state} -> ${to} is in the table`);
  const updated = await tx.updateTable('transfers').set({ ...set, state: to, changed_at_ms: nowMs })
    .where('transfer_id', '=', transfer.transfer_id).where('state', '=', transfer.state).executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n, 'the transfer was still in the state it was read in (it is locked)');
  await tx.insertInto('transfer_state_changes').values({ transfer_id: transfer.transfer_id, from_state: transfer.state, to_state: to, reason, changed_at_ms: nowMs }).execute();
}

/** The state body the hub sends for a transfer: fulfilment only once committed. */
function stateBody(transfer: Transfer): { transferState: 'RESERVED' | 'COMMITTED' | 'ABORTED'; completedTimestamp?: string; fulfilment?: string } {
  const transferState = externalState(transfer.state);
  return {
    transferState,
    ...(transfer.completed_at_ms === null ? {} : { completedTimestamp: completedTimestamp(transfer.completed_at_ms) }),
    ...(transfer.state === 'COMMITTED' && transfer.fulfilment !== null ? { fulfilment: transfer.fulfilment } : {}),
  };
}

export function createTransferService(deps: TransferDeps) {
  const { db, engine, clock, enqueue } = deps;
  const limits = deps.limits ?? DEFAULT_TRANSFER_LIMITS;
  const confirmToPayee = deps.confirmToPayee ?? true;

  /** An error callback to the sender of a request the hub refuses without touching any transfer. */
  async function refuse(tx: Tx, transferId: string, inbound: Inbound, failure: Failure, nowMs: number): Promise<TransferOutcome> {
    // Only a known participant can be called back; the edge refuses unknown sources before this.
    if ((await findParticipant(tx, inbound.source)) !== undefined) {
      await enqueue(tx, hubTransferError(transferId, inbound.source, failure, inbound.contentVersion, nowMs), nowMs);
    }
    return { kind: 'refused', failure };
  }

  /**
   * POST /transfers. In order: duplicate check; the sender is the payer; both
   * participants exist and are active; the terms (amount, currency, expiry,
   * ILP condition) hold; the payee can be called; then the reservation against
   * liquidity and the net debit cap; then the prepare is forwarded to the payee.
   * A refusal after the sender is known to be the payer is kept as an
   * ABORTED_REJECTED transfer, so a repeat gets the same answer.
   */
  async function prepare(inbound: Inbound, body: PrepareBody): Promise<TransferOutcome> {
    const prepareHash = canonicalHash(body);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const { transferId } = body;
      // Whatever the answer, the signed request is kept: it is what the sender asked, under its key.
      await recordEvidence(tx, transferId, inbound, nowMs);

      // 1. Duplicate check: same id and content → resend the final state (ignore while in progress); other content → 3106.
      const existing = await loadTransfer(tx, engine, transferId);
      if (existing !== undefined) {
        if (existing.payer_fsp !== inbound.source) return refuse(tx, transferId, inbound, fail('3106', 'transferId is already in use'), nowMs);
        if (existing.prepare_hash !== prepareHash) return refuse(tx, transferId, inbound, fail('3106', 'a different prepare was received with this transferId'), nowMs);
        if (!isTerminal(existing.state)) return { kind: 'duplicate-ignored' };
        await enqueue(tx, hubTransferState(transferId, existing.payer_fsp, stateBody(existing), inbound.contentVersion, nowMs), nowMs);
        return { kind: 'duplicate-resent' };
      }

      // 2. The sender must be the payer; a mismatch stores nothing (no one may burn another's transferId).
      if (body.payerFsp !== inbound.source) return refuse(tx, transferId, inbound, fail('3100', 'FSPIOP-Source does not match payerFsp'), nowMs);
      if (inbound.destination !== undefined && inbound.destination !== body.payeeFsp) {
        return refuse(tx, transferId, inbound, fail('3100', 'FSPIOP-Destination does not match payeeFsp'), nowMs);
      }

      // 3. The request's own content: an amount the currency cannot carry, or a date that is none, is refused
      //    like a schema failure, without a record.
      const amount = parseAmount(body.amount.amount, body.amount.currency);
      if (!amount.ok) return refuse(tx, transferId, inbound, fail('3100', amount.reason), nowMs);
      const expiresAtMs = Date.parse(body.expiration);
      if (!Number.isFinite(expiresAtMs)) return refuse(tx, transferId, inbound, fail('3100', 'expiration is not a date'), nowMs);
      const badCondition = conditionProblem(body.condition);
      if (badCondition !== undefined) return refuse(tx, transferId, inbound, fail('3100', badCondition), nowMs);

      // 4. The terms against the scheme. From here on a refusal is recorded against the transfer.
      const reject = async (failure: Failure): Promise<TransferOutcome> => {
        await tx.insertInto('transfers').values({
          transfer_id: transferId, payer_fsp: body.payerFsp, payee_fsp: body.payeeFsp, currency: body.amount.currency,
          amount_minor: amount.value, ilp_condition: body.condition, ilp_packet: body.ilpPacket,
          expiration: body.expiration, expires_at_ms: expiresAtMs,
          state: 'ABORTED_REJECTED', content_version: inbound.contentVersion, prepare_hash: prepareHash,
          fulfil_hash: null, error_hash: null, fulfilment: null, error_code: failure.code, error_description: failure.detail,
          created_at_ms: nowMs, changed_at_ms: nowMs, completed_at_ms: nowMs,
        }).execute();
        await tx.insertInto('transfer_state_changes').values({ transfer_id: transferId, from_state: null, to_state: 'ABORTED_REJECTED', reason: `${failure.code} ${failure.detail}`, changed_at_ms: nowMs }).execute();
        await enqueue(tx, hubTransferError(transferId, body.payerFsp, failure, inbound.contentVersion, nowMs), nowMs);
        return { kind: 'rejected', failure };
      };

      const payer = await findParticipant(tx, body.payerFsp);
      if (payer?.is_active !== 1) return reject(fail('3202', 'the payer FSP is not an active participant'));
      if (body.payeeFsp === body.payerFsp) return reject(fail('3100', 'payer and payee are the same FSP'));
      const payee = await findParticipant(tx, body.payeeFsp);
      if (payee?.is_active !== 1 || payee.is_hub === 1) return reject(fail('3203', 'the payee FSP is not an active participant'));
      if (expiresAtMs <= nowMs) return reject(fail('3100', 'expiration is in the past'));
      if (expiresAtMs - nowMs > limits.expiryMsMax) return reject(fail('3100', `expiration is more than ${limits.expiryMsMax / 1000} s away`));
      // The ILP packet carries the terms the payee quoted: it must decode, and its amount and destination
      // (and for v4 its expiry and condition) must be the transfer's, or the payee could be asked to fulfil
      // other terms than the payer is charged for.
      const ilp = checkPrepareAgainstIlp(body, nowMs);
      if (!ilp.ok) return reject(ilp.error);
      const endpoint = await callbackEndpoint(tx, payee.id, 'FSPIOP_CALLBACK_URL_TRANSFER_POST');
      if (endpoint === undefined) return reject(fail('3201', 'the payee FSP has no transfer endpoint'));

      // 5. Reserve against liquidity (4001) and the net debit cap (4200).
      const reservation = await reserveTransfer(tx, engine, {
        transferId, payerParticipantId: payer.id, payeeParticipantId: payee.id, currency: body.amount.currency,
        amountMinor: amount.value, createdBy: body.payerFsp,
      }, nowMs);
      if (!reservation.ok) return reject(reservation.error);

      // 6. Record and forward.
      await tx.insertInto('transfers').values({
        transfer_id: transferId, payer_fsp: body.payerFsp, payee_fsp: body.payeeFsp, currency: body.amount.currency,
        amount_minor: amount.value, ilp_condition: body.condition, ilp_packet: body.ilpPacket, expiration: body.expiration,
        expires_at_ms: expiresAtMs, state: 'RESERVED', content_version: inbound.contentVersion, prepare_hash: prepareHash,
        fulfil_hash: null, error_hash: null, fulfilment: null, error_code: null, error_description: null,
        created_at_ms: nowMs, changed_at_ms: nowMs, completed_at_ms: null,
      }).execute();
      await tx.insertInto('transfer_state_changes').values({ transfer_id: transferId, from_state: null, to_state: 'RESERVED', reason: null, changed_at_ms: nowMs }).execute();
      await enqueue(tx, forwardPrepare(transferId, body.payeeFsp, inbound, expiresAtMs), nowMs);
      return { kind: 'reserved' };
    });
  }

  /** Aborts a reserved transfer for a reason the hub found, telling payer and payee. */
  async function abortReserved(tx: Tx, transfer: Transfer, to: 'ABORTED_ERROR' | 'EXPIRED_RESERVED', failure: Failure, version: string, nowMs: number, extra: { error_hash?: string } = {}): Promise<void> {
    const voided = await abortTransfer(tx, engine, transfer.transfer_id, 'Hub', `${failure.code} ${failure.detail}`, nowMs);
    assert.ok(voided.ok, 'a RESERVED transfer has an unresolved reservation');
    await transition(tx, transfer, to, nowMs, { ...extra, error_code: failure.code, error_description: failure.detail, completed_at_ms: nowMs }, `${failure.code} ${failure.detail}`);
    await enqueue(tx, hubTransferError(transfer.transfer_id, transfer.payer_fsp, failure, version, nowMs), nowMs);
    await enqueue(tx, hubTransferError(transfer.transfer_id, transfer.payee_fsp, failure, version, nowMs), nowMs);
  }

  /**
   * PUT /transfers/{ID} from the payee. Only the payee may fulfil; a stranger's
   * PUT is refused without touching the transfer (central-ledger aborts it, which
   * would let anyone abort anyone's transfer).
   */
  async function fulfil(inbound: Inbound, transferId: string, body: FulfilBody): Promise<TransferOutcome> {
    const fulfilHash = canonicalHash(body);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      await recordEvidence(tx, transferId, inbound, nowMs);
      const transfer = await loadTransfer(tx, engine, transferId);
      if (transfer === undefined) return refuse(tx, transferId, inbound, fail('3208', 'no such transfer'), nowMs);
      if (inbound.source !== transfer.payee_fsp) return refuse(tx, transferId, inbound, fail('3208', 'no such transfer'), nowMs);
      if (inbound.destination !== undefined && inbound.destination !== transfer.payer_fsp) {
        return refuse(tx, transferId, inbound, fail('3100', 'FSPIOP-Destination does not match the payer'), nowMs);
      }

      // Duplicate check for the fulfil.
      if (transfer.fulfil_hash !== null) {
        if (transfer.fulfil_hash !== fulfilHash) return refuse(tx, transferId, inbound, fail('3106', 'a different fulfil was received for this transfer'), nowMs);
        await enqueue(tx, hubTransferState(transferId, transfer.payee_fsp, stateBody(transfer), inbound.contentVersion, nowMs), nowMs);
        return { kind: 'duplicate-resent' };
      }
      if (body.transferState !== 'COMMITTED' && body.transferState !== 'RESERVED') {
        return refuse(tx, transferId, inbound, fail('3100', 'transferState must be COMMITTED or RESERVED; abort with PUT /transfers/{ID}/error'), nowMs);
      }
      if (body.transferState === 'RESERVED' && inbound.contentVersion === '1.0') {
        return refuse(tx, transferId, inbound, fail('3100', 'a RESERVED fulfil needs API version 1.1 or later'), nowMs);
      }
      if (transfer.state !== 'RESERVED') {
        return refuse(tx, transferId, inbound, transfer.state === 'EXPIRED_RESERVED' ? fail('3303', 'the transfer has expired') : fail('3100', `the transfer is ${externalState(transfer.state)}`), nowMs);
      }
      if (transfer.expires_at_ms <= nowMs) {
        await abortReserved(tx, transfer, 'EXPIRED_RESERVED', fail('3303', 'the transfer expired before it was fulfilled'), transfer.content_version, nowMs);
        return { kind: 'expired' };
      }
      // The key-lock: SHA-256(fulfilment) must be the agreed condition. A wrong fulfilment from the payee aborts.
      if (body.fulfilment === undefined || !conditionMatches(body.fulfilment, transfer.ilp_condition)) {
        await abortReserved(tx, transfer, 'ABORTED_ERROR', fail('3100', 'the fulfilment does not match the condition'), transfer.content_version, nowMs, { error_hash: fulfilHash });
        return { kind: 'aborted' };
      }

      const committed = await commitTransfer(tx, engine, transferId, transfer.payee_fsp, nowMs);
      assert.ok(committed.ok, 'a RESERVED transfer has an unresolved reservation');
      await transition(tx, transfer, 'COMMITTED', nowMs, { fulfilment: body.fulfilment, fulfil_hash: fulfilHash, completed_at_ms: nowMs }, null);
      const done = { transferState: 'COMMITTED' as const, completedTimestamp: completedTimestamp(nowMs) };
      if (body.transferState === 'COMMITTED') {
        await enqueue(tx, forwardToPayer(transferId, transfer.payer_fsp, inbound, 'fulfil'), nowMs);
        if (confirmToPayee) await enqueue(tx, hubTransferState(transferId, transfer.payee_fsp, { ...done, fulfilment: body.fulfilment }, transfer.content_version, nowMs), nowMs);
      } else {
        await enqueue(tx, hubTransferState(transferId, transfer.payer_fsp, { ...done, fulfilment: body.fulfilment }, transfer.content_version, nowMs), nowMs);
        // In the version the payee answered in; PATCH exists from v1.1 on.
        await enqueue(tx, hubPatch(transferId, transfer.payee_fsp, done, inbound.contentVersion === '1.0' ? '1.1' : inbound.contentVersion, nowMs), nowMs);
      }
      return { kind: 'committed' };
    });
  }

  /** PUT /transfers/{ID}/error from the payee: the payee declines; the reservation is released and the payer told. */
  async function abort(inbound: Inbound, transferId: string, body: ErrorBody): Promise<TransferOutcome> {
    const errorHash = canonicalHash(body);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      await recordEvidence(tx, transferId, inbound, nowMs);
      const transfer = await loadTransfer(tx, engine, transferId);
      if (transfer?.payee_fsp !== inbound.source) return refuse(tx, transferId, inbound, fail('3208', 'no such transfer'), nowMs);
      if (transfer.error_hash !== null) {
        if (transfer.error_hash !== errorHash) return refuse(tx, transferId, inbound, fail('3106', 'a different error was received for this transfer'), nowMs);
        await enqueue(tx, hubTransferState(transferId, transfer.payee_fsp, stateBody(transfer), inbound.contentVersion, nowMs), nowMs);
        return { kind: 'duplicate-resent' };
      }
      if (transfer.state !== 'RESERVED') return refuse(tx, transferId, inbound, fail('3100', `the transfer is ${externalState(transfer.state)}`), nowMs);
      const voided = await abortTransfer(tx, engine, transferId, transfer.payee_fsp, body.errorInformation.errorDescription, nowMs);
      assert.ok(voided.ok, 'a RESERVED transfer has an unresolved reservation');
      await transition(tx, transfer, 'ABORTED_ERROR', nowMs, {
        error_hash: errorHash, error_code: body.errorInformation.errorCode, error_description: body.errorInformation.errorDescription, completed_at_ms: nowMs,
      }, `payee error ${body.errorInformation.errorCode}`);
      await enqueue(tx, forwardToPayer(transferId, transfer.payer_fsp, inbound, 'error'), nowMs);
      return { kind: 'aborted' };
    });
  }

  /** GET /transfers/{ID}: answered by the hub, to the payer or payee only; to anyone else the transfer does not exist. */
  async function query(inbound: Inbound, transferId: string): Promise<TransferOutcome> {
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const transfer = await tx.selectFrom('transfers').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
      if (transfer === undefined || (inbound.source !== transfer.payer_fsp && inbound.source !== transfer.payee_fsp)) {
        return refuse(tx, transferId, inbound, fail('3208', 'no such transfer'), nowMs);
      }
      await enqueue(tx, hubTransferState(transferId, inbound.source, stateBody(transfer), inbound.contentVersion, nowMs), nowMs);
      return { kind: 'answered' };
    });
  }

  /**
   * Expires reserved transfers whose expiration has passed: releases the
   * payer's position and tells payer and payee (3303). Each transfer moves at
   * most once, whatever the number of hub processes: rows are claimed with
   * SKIP LOCKED on PostgreSQL and the state change is a compare-and-set.
   */
  async function expireDue(batchSizeMax: number): Promise<number> {
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      let query = tx.selectFrom('transfers').selectAll().where('state', '=', 'RESERVED').where('expires_at_ms', '<=', nowMs)
        .orderBy('expires_at_ms').limit(batchSizeMax);
      if (engine === 'postgres') query = query.forUpdate().skipLocked();
      const due = await query.execute();
      for (const transfer of due) {
        await abortReserved(tx, transfer, 'EXPIRED_RESERVED', fail('3303', 'the transfer expired'), transfer.content_version, nowMs);
      }
      return due.length;
    });
  }

  return { prepare, fulfil, abort, query, expireDue };
}

export type TransferService = ReturnType<typeof createTransferService>;

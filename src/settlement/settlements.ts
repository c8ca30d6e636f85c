// Settlements, as central-settlement runs them: a settlement nets the closed
// windows' content per participant account (multilateral net: the amounts sum
// to zero per currency), then its participant accounts step through
// PENDING_SETTLEMENT → PS_TRANSFERS_RECORDED → PS_TRANSFERS_RESERVED →
// PS_TRANSFERS_COMMITTED → SETTLED, one step per request and never more than
// one step ahead of the settlement, which follows when all its accounts have
// moved. Money moves at two steps: RESERVED makes each account's settlement
// movement PENDING in the journal, COMMITTED posts it (ledger/settlements.ts),
// and an abort before COMMITTED voids what was reserved and gives the windows
// back. Every request is one transaction, after the settlement's row lock: two
// requests on one settlement run one after the other, and a crash leaves the
// settlement as it was before the request or after it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fail, type ErrorCode, type Failure, type FspiopResult } from '../fspiop/index.ts';
import { reserveSettlementMovement, resolveSettlementMovement, type LedgerError, type Tx } from '../ledger/index.ts';
import { err, formatAmount, ok, type Clock } from '../support/index.ts';
import { attachToCommit, forUpdate, runRefusable, type Db, type Engine } from '../storage/index.ts';
import { SETTLEABLE_WINDOW_STATES, mayAbort, nextStep, settlementStateOf, type AccountStep, type SettlementState } from './states.ts';
import { settlementTables, type Settlement, type SettlementAccount, type SettlementModel, type SettlementWindow, type WindowContent } from './tables.ts';

/** Most windows one settlement may take. */
export const SETTLEMENT_WINDOWS_MAX = 100;
/** Most settlements one list answers. */
export const SETTLEMENT_LIST_LENGTH_MAX = 1000;

const failure = (code: ErrorCode, detail: string): Failure => fail(code, detail).error;

/** A ledger refusal during a settlement step, as the admin API answers it. */
const ledgerRefusal = (refusal: LedgerError): Failure => failure(refusal.kind === 'INSUFFICIENT_LIQUIDITY' ? '4001' : '3100', refusal.detail);

export interface SettlementWithDetail {
  settlement: Settlement;
  windows: SettlementWindow[];
  accounts: SettlementAccount[];
}

export interface CreateSettlement {
  modelName: string;
  reason: string;
  windowIds: readonly number[];
}

export interface AccountUpdate {
  participantId: number;
  accountId: number;
  state: string;
  reason: string;
  externalReference?: string | undefined;
}

/** One account of a PUT, as central-settlement answers it: its new state, or why it did not move. */
export type AccountOutcome =
  | { participantId: number; accountId: number; account: SettlementAccount }
  | { participantId: number; accountId: number; account?: SettlementAccount; error: Failure };

export interface StepOutcome {
  detail: SettlementWithDetail;
  outcomes: AccountOutcome[];
}

/** The step a PUT asks for: each maker-checker function or privilege runs exactly one. */
export type SettlementStep = Exclude<AccountStep, 'PENDING_SETTLEMENT'>;

export interface SettlementFilter {
  state?: SettlementState;
  windowId?: number;
  participantId?: number;
  accountId?: number;
  currency?: string;
  fromMs?: number;
  toMs?: number;
}

/** Currencies an active model settles: its own, or (a model without one) every currency no other active model claims. */
async function currenciesOf(tx: Tx, model: SettlementModel, contentCurrencies: readonly string[]): Promise<string[]> {
  if (model.currency !== null) return [model.currency];
  const claimed = await settlementTables(tx).selectFrom('settlement_models').select('currency')
    .where('is_active', '=', 1).where('currency', 'is not', null).execute();
  const others = new Set(claimed.map((m) => m.currency));
  return contentCurrencies.filter((c) => !others.has(c));
}

function modelRefusal(model: SettlementModel | undefined, name: string): Failure | undefined {
  if (model === undefined) return failure('3100', `settlement model ${name} does not exist`);
  if (model.is_active !== 1) return failure('3100', `settlement model ${name} is not active`);
  if (model.settlement_granularity !== 'NET' || model.settlement_delay !== 'DEFERRED' || model.settlement_interchange !== 'MULTILATERAL') {
    return failure('3100', `settlement model ${name} is not DEFERRED NET MULTILATERAL`);
  }
  if (model.auto_position_reset !== 1) {
    return failure('3100', `settlement model ${name} has autoPositionReset off: settling would leave positions growing`);
  }
  return undefined;
}

/** Each account's net over the content: sent less received. */
function netByAccount(content: readonly WindowContent[]): Map<number, { participantId: number; currency: string; netMinor: bigint }> {
  const nets = new Map<number, { participantId: number; currency: string; netMinor: bigint }>();
  for (const row of content) {
    const net = nets.get(row.account_id) ?? { participantId: row.participant_id, currency: row.currency, netMinor: 0n };
    net.netMinor += row.debits_minor - row.credits_minor;
    nets.set(row.account_id, net);
  }
  const perCurrency = new Map<string, bigint>();
  for (const net of nets.values()) perCurrency.set(net.currency, (perCurrency.get(net.currency) ?? 0n) + net.netMinor);
  for (const [currency, sum] of perCurrency) assert.equal(sum, 0n, `the ${currency} net amounts of a settlement sum to zero`);
  return nets;
}

/** An account as the audit log records it: who, how much, and the journal's transfer id, so an auditor can follow the money. */
function auditAccount(account: SettlementAccount) {
  return {
    participantId: account.participant_id, accountId: account.account_id, currency: account.currency,
    netAmount: formatAmount(account.net_minor, account.currency), state: account.state, settlementTransferId: account.transfer_id,
  };
}


async function detailOf(reader: Db | Tx, settlement: Settlement): Promise<SettlementWithDetail> {
  const own = settlementTables(reader);
  const windows = await own.selectFrom('settlement_windows').selectAll()
    .where('id', 'in', (eb) => eb.selectFrom('settlement_window_links').select('window_id').where('settlement_id', '=', settlement.id))
    .orderBy('id').execute();
  const accounts = await own.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlement.id).orderBy('participant_id').orderBy('account_id').execute();
  return { settlement, windows, accounts };
}

async function history(tx: Tx, settlementId: number, accountId: number | null, state: string, reason: string | null, externalReference: string | null, createdBy: string, nowMs: number): Promise<void> {
  await settlementTables(tx).insertInto('settlement_state_changes').values({
    settlement_id: settlementId, account_id: accountId, state, reason, external_reference: externalReference, created_at_ms: nowMs, created_by: createdBy,
  }).execute();
}

/** Locks the windows (ascending id) and checks each may be settled. */
async function lockWindows(tx: Tx, engine: Engine, windowIds: readonly number[]): Promise<FspiopResult<SettlementWindow[]>> {
  const ids = [...new Set(windowIds)].sort((a, b) => a - b);
  if (ids.length !== windowIds.length) return err(failure('3100', 'settlementWindows names a window twice'));
  if (ids.length === 0 || ids.length > SETTLEMENT_WINDOWS_MAX) return err(failure('3100', `a settlement takes 1 to ${SETTLEMENT_WINDOWS_MAX} windows`));
  const windows = await forUpdate(settlementTables(tx).selectFrom('settlement_windows').selectAll().where('id', 'in', ids).orderBy('id'), engine).execute();
  for (const id of ids) {
    const window = windows.find((w) => w.id === id);
    if (window === undefined) return err(failure('3100', `settlement window ${id} does not exist`));
    if (!SETTLEABLE_WINDOW_STATES.includes(window.state)) {
      return err(failure('3100', window.state === 'OPEN' ? `settlement window ${id} is OPEN: close it first` : `settlement window ${id} is ${window.state} and cannot be settled again`));
    }
  }
  return ok(windows);
}

/** Nets the windows' unsettled content in the model's currencies into a new settlement (PENDING_SETTLEMENT). */
async function create({ db, engine, clock }: Deps, input: CreateSettlement, createdBy: string): Promise<FspiopResult<SettlementWithDetail>> {
  return runRefusable(db, engine, async (tx) => {
    const own = settlementTables(tx);
    const model = await own.selectFrom('settlement_models').selectAll().where('name', '=', input.modelName).executeTakeFirst();
    const refused = modelRefusal(model, input.modelName);
    if (refused !== undefined || model === undefined) return err(refused ?? failure('3100', 'no model'));
    const windows = await lockWindows(tx, engine, input.windowIds);
    if (!windows.ok) return windows;
    const ids = windows.value.map((w) => w.id);
    const allContent = await own.selectFrom('settlement_window_content').selectAll().where('window_id', 'in', ids).execute();
    const currencies = await currenciesOf(tx, model, [...new Set(allContent.map((c) => c.currency))]);
    const covered = allContent.filter((c) => currencies.includes(c.currency));
    const content = covered.filter((c) => c.settlement_id === null);
    if (content.length === 0) {
      const taken = covered.find((c) => c.settlement_id !== null);
      return err(failure('3100', taken === undefined
        ? `settlement windows ${ids.join(', ')} hold no committed transfers in ${currencies.join(', ') || 'the currencies of model ' + model.name}`
        : `the ${currencies.join(', ')} content of settlement windows ${ids.join(', ')} is already in settlement ${String(taken.settlement_id)}`));
    }
    const nowMs = clock.nowMs();
    const settlement = await own.insertInto('settlements').values({
      model_name: model.name, state: 'PENDING_SETTLEMENT', reason: input.reason, created_at_ms: nowMs, created_by: createdBy, changed_at_ms: nowMs,
    }).returningAll().executeTakeFirstOrThrow();
    await own.insertInto('settlement_window_links').values(ids.map((window_id) => ({ settlement_id: settlement.id, window_id }))).execute();
    for (const [accountId, net] of netByAccount(content)) {
      await own.insertInto('settlement_accounts').values({
        settlement_id: settlement.id, account_id: accountId, participant_id: net.participantId, currency: net.currency, net_minor: net.netMinor,
        state: 'PENDING_SETTLEMENT', reason: input.reason, external_reference: null, transfer_id: null, changed_at_ms: nowMs,
      }).execute();
    }
    await own.updateTable('settlement_window_content').set({ settlement_id: settlement.id })
      .where('window_id', 'in', ids).where('currency', 'in', currencies).where('settlement_id', 'is', null).execute();
    await own.updateTable('settlement_windows').set({ state: 'PENDING_SETTLEMENT', changed_at_ms: nowMs }).where('id', 'in', ids).execute();
    await history(tx, settlement.id, null, 'PENDING_SETTLEMENT', input.reason, null, createdBy, nowMs);
    const detail = await detailOf(tx, settlement);
    attachToCommit(tx, { settlementId: settlement.id, model: model.name, windows: ids, state: 'PENDING_SETTLEMENT', accounts: detail.accounts.map(auditAccount) });
    return ok(detail);
  });
}

/** The ledger's part of one account's step; a refusal stops the whole request. */
async function moveMoney(tx: Tx, engine: Engine, account: SettlementAccount, step: SettlementStep, update: AccountUpdate, actor: string, nowMs: number): Promise<FspiopResult<string | null>> {
  if (step === 'PS_TRANSFERS_RECORDED') return ok(account.net_minor === 0n ? null : randomUUID());
  if (account.net_minor === 0n || step === 'SETTLED') return ok(account.transfer_id);
  assert.ok(account.transfer_id !== null, 'a recorded account with a net amount has its settlement transfer id');
  const moved = step === 'PS_TRANSFERS_RESERVED'
    ? await reserveSettlementMovement(tx, engine, {
      transferId: account.transfer_id, participantId: account.participant_id, currency: account.currency, netMinor: account.net_minor, createdBy: actor, reason: update.reason,
    }, nowMs)
    : await resolveSettlementMovement(tx, engine, account.transfer_id, 'POST', actor, update.reason, nowMs);
  return moved.ok ? ok(account.transfer_id) : err(ledgerRefusal(moved.error));
}

/** Settles the windows whose every content row belongs to a SETTLED settlement. */
async function settleWindows(tx: Tx, settlementId: number, nowMs: number): Promise<void> {
  const own = settlementTables(tx);
  const links = await own.selectFrom('settlement_window_links').select('window_id').where('settlement_id', '=', settlementId).execute();
  for (const { window_id: windowId } of links) {
    const open = await own.selectFrom('settlement_window_content as c')
      .leftJoin('settlements as s', 's.id', 'c.settlement_id')
      .select('c.account_id').where('c.window_id', '=', windowId)
      .where((eb) => eb.or([eb('s.state', 'is', null), eb('s.state', '<>', 'SETTLED')]))
      .executeTakeFirst();
    if (open === undefined) await own.updateTable('settlement_windows').set({ state: 'SETTLED', changed_at_ms: nowMs }).where('id', '=', windowId).execute();
  }
}

/** Locks a settlement for a change; refuses one that is over. */
async function lockSettlement(tx: Tx, engine: Engine, settlementId: number): Promise<FspiopResult<Settlement>> {
  const settlement = await forUpdate(settlementTables(tx).selectFrom('settlements').selectAll().where('id', '=', settlementId), engine).executeTakeFirst();
  if (settlement === undefined) return err(failure('3100', `settlement ${settlementId} does not exist`));
  if (settlement.state === 'SETTLED' || settlement.state === 'ABORTED') return err(failure('3100', `settlement ${settlementId} is ${settlement.state}: nothing more can change`));
  return ok(settlement);
}

/** One account of the request, checked against the settlement as central-settlement checks it. */
function accountCheck(settlement: Settlement, accounts: ReadonlyMap<number, SettlementAccount>, seen: Set<number>, update: AccountUpdate, step: SettlementStep): Failure | 'same' | 'move' {
  const account = accounts.get(update.accountId);
  if (account === undefined) return failure('3000', `account ${update.accountId} is not in settlement ${settlement.id}`);
  if (account.participant_id !== update.participantId) return failure('3000', `account ${update.accountId} is not participant ${update.participantId}'s`);
  if (seen.has(update.accountId)) return failure('3000', `account ${update.accountId} is named twice in the request`);
  seen.add(update.accountId);
  if (update.state !== step) return failure('3100', `one request moves accounts to one state: ${update.state} is not ${step}`);
  if (account.state === step) return 'same';
  const base = settlement.state === 'SETTLING' ? 'PS_TRANSFERS_COMMITTED' : settlement.state;
  if (account.state !== base || nextStep(base) !== step) {
    return failure('3100', `state change not allowed: account ${update.accountId} is ${account.state}, next ${nextStep(base) ?? 'none'}`);
  }
  return 'move';
}

/**
 * Moves the named accounts to `step` (a PUT). Accounts already there keep their state (their reason and
 * reference are updated); an account that cannot move is answered with why, as central-settlement does, and
 * the others move; a ledger refusal (a sender whose funds do not cover its net amount) stops the whole request.
 */
async function advance({ db, engine, clock }: Deps, settlementId: number, step: SettlementStep, updates: readonly AccountUpdate[], actor: string): Promise<FspiopResult<StepOutcome>> {
  return runRefusable(db, engine, async (tx) => {
    const own = settlementTables(tx);
    const locked = await lockSettlement(tx, engine, settlementId);
    if (!locked.ok) return locked;
    const settlement = locked.value;
    const rows = await own.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlementId).execute();
    const accounts = new Map(rows.map((row) => [row.account_id, row]));
    const nowMs = clock.nowMs();
    const seen = new Set<number>();
    const outcomes: AccountOutcome[] = [];
    const moved: ReturnType<typeof auditAccount>[] = [];
    for (const update of updates) {
      const check = accountCheck(settlement, accounts, seen, update, step);
      const account = accounts.get(update.accountId);
      if (typeof check !== 'string') {
        outcomes.push({ participantId: update.participantId, accountId: update.accountId, ...(account === undefined ? {} : { account }), error: check });
        continue;
      }
      assert.ok(account !== undefined, 'an account that passed its check exists');
      let transferId = account.transfer_id;
      if (check === 'move') {
        const moved = await moveMoney(tx, engine, account, step, update, actor, nowMs);
        if (!moved.ok) return moved;
        transferId = moved.value;
      }
      const changed = await own.updateTable('settlement_accounts')
        .set({ state: step, reason: update.reason, external_reference: update.externalReference ?? null, transfer_id: transferId, changed_at_ms: nowMs })
        .where('settlement_id', '=', settlementId).where('account_id', '=', update.accountId).returningAll().executeTakeFirstOrThrow();
      accounts.set(update.accountId, changed);
      await history(tx, settlementId, update.accountId, step, update.reason, update.externalReference ?? null, actor, nowMs);
      outcomes.push({ participantId: update.participantId, accountId: update.accountId, account: changed });
      if (check === 'move') moved.push(auditAccount(changed));
    }
    attachToCommit(tx, { settlementId, step, accounts: moved });
    const state = settlementStateOf([...accounts.values()].map((a) => a.state));
    let current = settlement;
    if (state !== settlement.state) {
      const reason = state === 'SETTLING' ? 'some settlement accounts are SETTLED' : `all settlement accounts are ${state}`;
      current = await own.updateTable('settlements').set({ state, reason, changed_at_ms: nowMs }).where('id', '=', settlementId).returningAll().executeTakeFirstOrThrow();
      await history(tx, settlementId, null, state, reason, null, actor, nowMs);
      if (state === 'SETTLED') await settleWindows(tx, settlementId, nowMs);
    }
    return ok({ detail: await detailOf(tx, current), outcomes });
  });
}

/** Aborts a settlement before any account is PS_TRANSFERS_COMMITTED: reservations are voided and the windows can be settled again. */
async function abort({ db, engine, clock }: Deps, settlementId: number, reason: string, actor: string): Promise<FspiopResult<SettlementWithDetail>> {
  return runRefusable(db, engine, async (tx) => {
    const own = settlementTables(tx);
    const locked = await lockSettlement(tx, engine, settlementId);
    if (!locked.ok) return locked;
    const accounts = await own.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlementId).execute();
    if (!mayAbort(accounts.map((a) => a.state))) {
      return err(failure('3100', `settlement ${settlementId} cannot be aborted: money has moved for good (accounts are PS_TRANSFERS_COMMITTED or SETTLED)`));
    }
    const nowMs = clock.nowMs();
    for (const account of accounts) {
      if (account.state === 'PS_TRANSFERS_RESERVED' && account.transfer_id !== null && account.net_minor !== 0n) {
        const voided = await resolveSettlementMovement(tx, engine, account.transfer_id, 'VOID', actor, reason, nowMs);
        if (!voided.ok) return err(ledgerRefusal(voided.error));
      }
      await history(tx, settlementId, account.account_id, 'ABORTED', reason, null, actor, nowMs);
    }
    await own.updateTable('settlement_accounts').set({ state: 'ABORTED', reason, changed_at_ms: nowMs }).where('settlement_id', '=', settlementId).execute();
    const settlement = await own.updateTable('settlements').set({ state: 'ABORTED', reason, changed_at_ms: nowMs }).where('id', '=', settlementId).returningAll().executeTakeFirstOrThrow();
    await history(tx, settlementId, null, 'ABORTED', reason, null, actor, nowMs);
    attachToCommit(tx, { settlementId, step: 'ABORTED', voided: accounts.filter((a) => a.state === 'PS_TRANSFERS_RESERVED').map(auditAccount) });
    await own.updateTable('settlement_window_content').set({ settlement_id: null }).where('settlement_id', '=', settlementId).execute();
    const links = await own.selectFrom('settlement_window_links').select('window_id').where('settlement_id', '=', settlementId).execute();
    for (const { window_id: windowId } of links) {
      const stillTaken = await own.selectFrom('settlement_window_content').select('account_id').where('window_id', '=', windowId).where('settlement_id', 'is not', null).executeTakeFirst();
      if (stillTaken === undefined) await own.updateTable('settlement_windows').set({ state: 'ABORTED', changed_at_ms: nowMs }).where('id', '=', windowId).execute();
    }
    return ok(await detailOf(tx, settlement));
  });
}

async function get(db: Db, settlementId: number): Promise<SettlementWithDetail | undefined> {
  const settlement = await settlementTables(db).selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirst();
  return settlement === undefined ? undefined : detailOf(db, settlement);
}

/** Settlements matching `filter`, newest first, at most SETTLEMENT_LIST_LENGTH_MAX. */
async function list(db: Db, filter: SettlementFilter): Promise<SettlementWithDetail[]> {
  let query = settlementTables(db).selectFrom('settlements').selectAll().orderBy('id', 'desc').limit(SETTLEMENT_LIST_LENGTH_MAX);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.fromMs !== undefined) query = query.where('created_at_ms', '>=', filter.fromMs);
  if (filter.toMs !== undefined) query = query.where('created_at_ms', '<=', filter.toMs);
  if (filter.windowId !== undefined) {
    const windowId = filter.windowId;
    query = query.where('id', 'in', (eb) => eb.selectFrom('settlement_window_links').select('settlement_id').where('window_id', '=', windowId));
  }
  const { participantId, accountId, currency } = filter;
  if (participantId !== undefined || accountId !== undefined || currency !== undefined) {
    query = query.where('id', 'in', (eb) => {
      let accounts = eb.selectFrom('settlement_accounts').select('settlement_id');
      if (participantId !== undefined) accounts = accounts.where('participant_id', '=', participantId);
      if (accountId !== undefined) accounts = accounts.where('account_id', '=', accountId);
      if (currency !== undefined) accounts = accounts.where('currency', '=', currency);
      return accounts;
    });
  }
  const settlements = await query.execute();
  return Promise.all(settlements.map((s) => detailOf(db, s)));
}

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
}

export function createSettlements(deps: Deps) {
  const stepOf = (step: SettlementStep) => (settlementId: number, updates: readonly AccountUpdate[], actor: string) => advance(deps, settlementId, step, updates, actor);
  return {
    create: (input: CreateSettlement, createdBy: string) => create(deps, input, createdBy),
    /** PS_TRANSFERS_RECORDED: the settlement transfers are recorded (no money moves). */
    record: stepOf('PS_TRANSFERS_RECORDED'),
    /** PS_TRANSFERS_RESERVED: each account's movement is reserved (maker-checker). */
    reserve: stepOf('PS_TRANSFERS_RESERVED'),
    /** PS_TRANSFERS_COMMITTED: each account's movement is posted and its position reset (maker-checker). */
    commit: stepOf('PS_TRANSFERS_COMMITTED'),
    /** SETTLED: the settlement bank confirmed the funds moved (no money moves in the hub). */
    confirm: stepOf('SETTLED'),
    abort: (settlementId: number, reason: string, actor: string) => abort(deps, settlementId, reason, actor),
    get: (settlementId: number) => get(deps.db, settlementId),
    list: (filter: SettlementFilter) => list(deps.db, filter),
  };
}

export type Settlements = ReturnType<typeof createSettlements>;

// The reports a finance team reads: what each participant sent and received in
// a settlement window and what it owes; the same over a settlement, with where
// each settlement movement stands in the journal and the settlement's history;
// and a participant's settlement account reconciled against its settlements
// over a period. Pure data in minor units (bigint); the admin API renders it.
//
// Each report reads one consistent snapshot (a repeatable-read transaction),
// so its figures agree with each other even while transfers commit.
import assert from 'node:assert/strict';
import { fail, type Failure, type FspiopResult } from '../fspiop/index.ts';
import { accountEntries, findAccount, postedTotalsAt, settlementMovementPhases, windowTotals, type JournalEntry, type JournalKind, type JournalPhase, type Tx, type WindowAccountTotal } from '../ledger/index.ts';
import { findParticipant, participantNames } from '../participants/index.ts';
import { err, formatAmount, ok } from '../support/index.ts';
import { inSnapshot, type Db } from '../storage/index.ts';
import type { AccountState } from './states.ts';
import { settlementTables, type Settlement, type SettlementAccount, type SettlementWindow } from './tables.ts';

/** Most journal entries one reconciliation lists: a longer period is refused with how to narrow it. */
export const RECONCILIATION_ROWS_MAX = 10_000;

/** One participant's POSITION account in one currency. */
export interface ReportLine {
  participantId: number;
  participantName: string;
  currency: string;
  positionAccountId: number;
  /** Sent, as payer, in committed transfers. */
  sentMinor: bigint;
  /** Received, as payee. */
  receivedMinor: bigint;
  /** Committed transfers the account took part in. */
  transferCount: number;
  /** Positive: the participant owes (sent more than it received); negative: it is owed. */
  netMinor: bigint;
}

/** A currency's totals: what was sent is what was received, and the net amounts sum to zero. */
export interface CurrencyTotals {
  currency: string;
  sentMinor: bigint;
  receivedMinor: bigint;
  netMinor: bigint;
  transferCount: number;
}

export interface WindowReport {
  window: SettlementWindow;
  /** The content frozen when the window closed, or (the open window) the journal as it stands. */
  source: 'frozen' | 'journal';
  lines: ReportLine[];
  totals: CurrencyTotals[];
}

export type MovementPhase = 'none' | Exclude<JournalPhase, 'SINGLE'>;

export interface SettlementReportLine extends ReportLine {
  state: AccountState;
  reason: string | null;
  externalReference: string | null;
  /** The journal's transfer id of the account's settlement movement (from PS_TRANSFERS_RECORDED on). */
  settlementTransferId: string | null;
  /** Where that movement stands in the journal: none yet, reserved (PENDING), posted (POST) or released (VOID). */
  movementPhase: MovementPhase;
}

export interface StateChange {
  atMs: number;
  state: string;
  /** Null: the settlement's own state; else one participant account's. */
  positionAccountId: number | null;
  participantId: number | null;
  participantName: string | null;
  reason: string | null;
  externalReference: string | null;
  createdBy: string;
}

export interface SettlementReport {
  settlement: Settlement;
  windows: SettlementWindow[];
  lines: SettlementReportLine[];
  totals: CurrencyTotals[];
  history: StateChange[];
  /** Where the settlement's figures disagree with its windows' content (none in a sound database). */
  problems: string[];
}

export interface ReconciliationQuery {
  participantName: string;
  currency: string;
  fromMs: number;
  toMs: number;
}

/** One journal entry on the participant's SETTLEMENT account. */
export interface StatementRow {
  entryId: number;
  transferId: string;
  kind: JournalKind;
  phase: JournalPhase;
  /** How the entry moves the participant's funds: positive in (a credit), negative out (a debit). */
  amountMinor: bigint;
  /** Its change to the posted balance: the amount for SINGLE and POST entries; PENDING and VOID change none. */
  postedChangeMinor: bigint;
  /** The posted balance after this entry. */
  balanceMinor: bigint;
  reason: string | null;
  externalReference: string | null;
  createdBy: string;
  createdAtMs: number;
  /** For a settlement movement: the settlement whose account names its transfer id. */
  settlementId: number | null;
}

export interface Reconciliation {
  participantId: number;
  participantName: string;
  currency: string;
  settlementAccountId: number;
  fromMs: number;
  toMs: number;
  /** Funds held (posted credits less debits) from entries before fromMs. */
  openingBalanceMinor: bigint;
  movements: StatementRow[];
  /** Funds held from entries up to toMs, summed by the journal independently of the rows. */
  closingBalanceMinor: bigint;
  /** Posted changes in the period by kind. */
  postedByKind: Partial<Record<JournalKind, bigint>>;
  /** opening + the rows' posted changes = closing, and every settlement movement is its settlement's net amount. */
  problems: string[];
}

const failure = (code: '3100' | '3200', detail: string): Failure => fail(code, detail).error;


/** One POSITION account's sent and received figures, as the journal's window totals give them. */
type AccountFigures = WindowAccountTotal;

const byLine = (a: ReportLine, b: ReportLine) =>
  a.currency.localeCompare(b.currency) || a.participantName.localeCompare(b.participantName) || a.positionAccountId - b.positionAccountId;

/** Figures per POSITION account, named, net computed, ordered by currency then participant name. */
async function linesOf(tx: Tx, figures: readonly AccountFigures[]): Promise<ReportLine[]> {
  const names = await participantNames(tx, figures.map((f) => f.participantId));
  return figures.map((f) => ({
    participantId: f.participantId,
    participantName: names.get(f.participantId) ?? `participant ${f.participantId}`,
    currency: f.currency,
    positionAccountId: f.accountId,
    sentMinor: f.debitsMinor,
    receivedMinor: f.creditsMinor,
    transferCount: f.transferCount,
    netMinor: f.debitsMinor - f.creditsMinor,
  })).sort(byLine);
}

/**
 * Per currency: the sums, asserted to balance. Every committed transfer debits one POSITION account and credits
 * another of its currency, so sent equals received, the nets sum to zero and each transfer is counted twice.
 */
export function totalsOf(lines: readonly ReportLine[]): CurrencyTotals[] {
  const totals = new Map<string, CurrencyTotals & { counted: number }>();
  for (const line of lines) {
    const t = totals.get(line.currency) ?? { currency: line.currency, sentMinor: 0n, receivedMinor: 0n, netMinor: 0n, transferCount: 0, counted: 0 };
    t.sentMinor += line.sentMinor;
    t.receivedMinor += line.receivedMinor;
    t.netMinor += line.netMinor;
    t.counted += line.transferCount;
    totals.set(line.currency, t);
  }
  return [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)).map(({ counted, ...t }) => {
    assert.equal(t.sentMinor, t.receivedMinor, `${t.currency}: what was sent equals what was received`);
    assert.equal(t.netMinor, 0n, `${t.currency}: the net amounts sum to zero`);
    assert.equal(counted % 2, 0, `${t.currency}: each transfer has a payer and a payee`);
    return { ...t, transferCount: counted / 2 };
  });
}

async function windowReport(db: Db, windowId: number): Promise<WindowReport | undefined> {
  return inSnapshot(db, async (tx) => {
    const own = settlementTables(tx);
    const window = await own.selectFrom('settlement_windows').selectAll().where('id', '=', windowId).executeTakeFirst();
    if (window === undefined) return undefined;
    const open = window.state === 'OPEN';
    const figures: AccountFigures[] = open
      ? await windowTotals(tx, windowId)
      : (await own.selectFrom('settlement_window_content').selectAll().where('window_id', '=', windowId).execute()).map((c) => ({
        accountId: c.account_id, participantId: c.participant_id, currency: c.currency, debitsMinor: c.debits_minor, creditsMinor: c.credits_minor, transferCount: c.transfer_count,
      }));
    const lines = await linesOf(tx, figures);
    return { window, source: open ? 'journal' : 'frozen', lines, totals: totalsOf(lines) };
  });
}

/** What each settlement account took from the settlement's windows (its own POSITION account's content there). */
async function settledFigures(tx: Tx, settlementId: number, accounts: readonly SettlementAccount[]): Promise<AccountFigures[]> {
  const content = await settlementTables(tx).selectFrom('settlement_window_content').selectAll()
    .where('window_id', 'in', (eb) => eb.selectFrom('settlement_window_links').select('window_id').where('settlement_id', '=', settlementId))
    .where('account_id', 'in', (eb) => eb.selectFrom('settlement_accounts').select('account_id').where('settlement_id', '=', settlementId))
    .execute();
  return accounts.map((account) => {
    const rows = content.filter((c) => c.account_id === account.account_id);
    return {
      accountId: account.account_id, participantId: account.participant_id, currency: account.currency,
      debitsMinor: rows.reduce((sum, r) => sum + r.debits_minor, 0n),
      creditsMinor: rows.reduce((sum, r) => sum + r.credits_minor, 0n),
      transferCount: rows.reduce((n, r) => n + r.transfer_count, 0),
    };
  });
}

async function historyOf(tx: Tx, settlementId: number, lines: readonly ReportLine[]): Promise<StateChange[]> {
  const changes = await settlementTables(tx).selectFrom('settlement_state_changes').selectAll().where('settlement_id', '=', settlementId).orderBy('id').execute();
  const byAccount = new Map(lines.map((l) => [l.positionAccountId, l]));
  return changes.map((c) => {
    const line = c.account_id === null ? undefined : byAccount.get(c.account_id);
    return {
      atMs: c.created_at_ms, state: c.state, positionAccountId: c.account_id,
      participantId: line?.participantId ?? null, participantName: line?.participantName ?? null,
      reason: c.reason, externalReference: c.external_reference, createdBy: c.created_by,
    };
  });
}

async function settlementReport(db: Db, settlementId: number): Promise<SettlementReport | undefined> {
  return inSnapshot(db, async (tx) => {
    const own = settlementTables(tx);
    const settlement = await own.selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirst();
    if (settlement === undefined) return undefined;
    const windows = await own.selectFrom('settlement_windows').selectAll()
      .where('id', 'in', (eb) => eb.selectFrom('settlement_window_links').select('window_id').where('settlement_id', '=', settlementId)).orderBy('id').execute();
    const accounts = await own.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlementId).execute();
    const contentLines = await linesOf(tx, await settledFigures(tx, settlementId, accounts));
    const phases = await settlementMovementPhases(tx, accounts.flatMap((a) => (a.transfer_id === null ? [] : [a.transfer_id])));
    const problems: string[] = [];
    const lines = contentLines.map((line): SettlementReportLine => {
      const account = accounts.find((a) => a.account_id === line.positionAccountId);
      assert.ok(account !== undefined, 'each line is one of the settlement\'s accounts');
      if (account.net_minor !== line.netMinor) {
        problems.push(`account ${account.account_id} (${line.participantName} ${line.currency}): net amount ${formatAmount(account.net_minor, line.currency)} in the settlement, but its windows' content gives ${formatAmount(line.netMinor, line.currency)}`);
      }
      return {
        ...line, netMinor: account.net_minor, state: account.state, reason: account.reason, externalReference: account.external_reference,
        settlementTransferId: account.transfer_id, movementPhase: account.transfer_id === null ? 'none' : phases.get(account.transfer_id) ?? 'none',
      };
    });
    return { settlement, windows, lines, totals: totalsOf(lines), history: await historyOf(tx, settlementId, lines), problems };
  });
}

/** The entry as it moves the account's funds: a credit adds, a debit takes away. */
function statementRow(entry: JournalEntry, accountId: number, balanceBeforeMinor: bigint, settlementId: number | null): StatementRow {
  const amountMinor = entry.credit_account_id === accountId ? entry.amount_minor : -entry.amount_minor;
  const postedChangeMinor = entry.phase === 'SINGLE' || entry.phase === 'POST' ? amountMinor : 0n;
  return {
    entryId: entry.id, transferId: entry.transfer_id, kind: entry.kind, phase: entry.phase, amountMinor, postedChangeMinor,
    balanceMinor: balanceBeforeMinor + postedChangeMinor, reason: entry.reason, externalReference: entry.external_reference,
    createdBy: entry.created_by, createdAtMs: entry.created_at_ms, settlementId,
  };
}

/** Each settlement movement against the net amount of the settlement account that names its transfer id. */
async function checkSettlementMovements(tx: Tx, participantId: number, currency: string, rows: StatementRow[], problems: string[]): Promise<StatementRow[]> {
  const ids = [...new Set(rows.filter((r) => r.kind === 'SETTLEMENT').map((r) => r.transferId))];
  const accounts = new Map<string, SettlementAccount>();
  for (let i = 0; i < ids.length; i += 500) {
    const found = await settlementTables(tx).selectFrom('settlement_accounts').selectAll().where('transfer_id', 'in', ids.slice(i, i + 500)).execute();
    for (const account of found) if (account.transfer_id !== null) accounts.set(account.transfer_id, account);
  }
  return rows.map((row) => {
    if (row.kind !== 'SETTLEMENT') return row;
    const account = accounts.get(row.transferId);
    const where = `entry ${row.entryId} (settlement transfer ${row.transferId}, ${row.phase})`;
    if (account === undefined) {
      problems.push(`${where}: no settlement account names this transfer`);
      return row;
    }
    if (account.participant_id !== participantId || account.currency !== currency) {
      problems.push(`${where}: belongs to participant ${account.participant_id} in ${account.currency} in settlement ${account.settlement_id}`);
    } else if (row.amountMinor !== -account.net_minor) {
      problems.push(`${where}: moved ${formatAmount(row.amountMinor, currency)}, but the participant's net amount in settlement ${account.settlement_id} is ${formatAmount(account.net_minor, currency)} (funds move by its opposite)`);
    }
    return { ...row, settlementId: account.settlement_id };
  });
}

async function reconciliation(db: Db, query: ReconciliationQuery, rowsMax: number): Promise<FspiopResult<Reconciliation>> {
  return inSnapshot(db, async (tx) => {
    const { participantName, currency, fromMs, toMs } = query;
    const participant = await findParticipant(tx, participantName);
    if (participant === undefined) return err(failure('3200', `participant ${participantName} does not exist`));
    const account = await findAccount(tx, participant.id, currency, 'SETTLEMENT');
    if (account === undefined) return err(failure('3100', `participant ${participantName} has no ${currency} settlement account`));
    const entries = await accountEntries(tx, account.id, { fromMs, toMs, limit: rowsMax + 1 });
    if (entries.length > rowsMax) {
      const lastMs = entries[rowsMax - 1]?.created_at_ms ?? toMs;
      return err(failure('3100', `the period holds more than ${rowsMax} entries on ${participantName}'s ${currency} settlement account: narrow it, e.g. toDateTime=${new Date(lastMs).toISOString()} for the first ${rowsMax} or fewer, then fromDateTime from just after it`));
    }
    const funds = (t: { debitsMinor: bigint; creditsMinor: bigint }) => t.creditsMinor - t.debitsMinor;
    const openingBalanceMinor = funds(await postedTotalsAt(tx, account.id, fromMs - 1));
    const closingBalanceMinor = funds(await postedTotalsAt(tx, account.id, toMs));
    let balance = openingBalanceMinor;
    const rows = entries.map((entry) => {
      const row = statementRow(entry, account.id, balance, null);
      balance = row.balanceMinor;
      return row;
    });
    const problems: string[] = [];
    if (balance !== closingBalanceMinor) {
      problems.push(`opening ${formatAmount(openingBalanceMinor, currency)} and the period's posted movements give ${formatAmount(balance, currency)}, but the journal's closing balance is ${formatAmount(closingBalanceMinor, currency)}`);
    }
    const movements = await checkSettlementMovements(tx, participant.id, currency, rows, problems);
    const postedByKind: Partial<Record<JournalKind, bigint>> = {};
    for (const row of movements) if (row.postedChangeMinor !== 0n) postedByKind[row.kind] = (postedByKind[row.kind] ?? 0n) + row.postedChangeMinor;
    return ok({
      participantId: participant.id, participantName: participant.name, currency, settlementAccountId: account.id, fromMs, toMs,
      openingBalanceMinor, movements, closingBalanceMinor, postedByKind, problems,
    });
  });
}

export function createSettlementReports({ db, reconciliationRowsMax = RECONCILIATION_ROWS_MAX }: { db: Db; reconciliationRowsMax?: number }) {
  return {
    /** GET /settlementWindows/:id/report; undefined when there is no such window. */
    windowReport: (windowId: number) => windowReport(db, windowId),
    /** GET /settlements/:id/report; undefined when there is no such settlement. */
    settlementReport: (settlementId: number) => settlementReport(db, settlementId),
    /** GET /participants/:name/settlementReconciliation. */
    reconciliation: (query: ReconciliationQuery) => reconciliation(db, query, reconciliationRowsMax),
  };
}

export type SettlementReports = ReturnType<typeof createSettlementReports>;

// Settlement windows. Exactly one window is OPEN (a partial unique index says
// so); every transfer commits into it. A transfer's commit holds the open
// window's row shared until its transaction ends (windowForCommit), and
// closing takes the row exclusively: a close waits for the commits already
// inside the window, and a commit that starts during the close waits for it,
// then finds the next window. So each transfer falls in exactly one window,
// with any number of hub processes on one PostgreSQL; on SQLite, transactions
// run one at a time.
//
// Closing freezes the window's content (per participant POSITION account:
// what it sent and received, from the journal) and opens the next window, in
// one transaction.
import { fail, type Failure, type FspiopResult } from '../fspiop/index.ts';
import { windowTotals, type Tx, type WindowRule } from '../ledger/index.ts';
import { err, ok, type Clock } from '../support/index.ts';
import { attachToCommit, forShare, forUpdate, runRefusable, type Db, type Engine } from '../storage/index.ts';
import { WINDOW_STATES, type WindowState } from './states.ts';
import { settlementTables, type SettlementWindow, type WindowContent } from './tables.ts';

/** Rows per INSERT when a window's content is frozen (well under SQLite's bound variables). */
const CONTENT_ROWS_PER_INSERT = 500;
/** A commit that finds no open window (a close committing meanwhile) looks again this many times. */
const OPEN_WINDOW_ATTEMPTS = 5;
/** Most windows one list answers: filter by time or state for more. */
export const WINDOW_LIST_LENGTH_MAX = 1000;

export interface WindowWithContent {
  window: SettlementWindow;
  content: WindowContent[];
}

export interface WindowFilter {
  state?: WindowState;
  participantId?: number;
  currency?: string;
  fromMs?: number;
  toMs?: number;
}

const failure = (code: '3100' | '3200', detail: string): Failure => fail(code, detail).error;

/** The rule the ledger's commit asks: the open window, held shared until the committing transaction ends. */
export function windowForCommit(engine: Engine): WindowRule {
  return async (tx: Tx): Promise<number> => {
    for (let attempt = 1; attempt <= OPEN_WINDOW_ATTEMPTS; attempt++) {
      // On PostgreSQL a close holding the row makes this wait; when the close commits, the row no longer
      // matches state = 'OPEN' and the next statement sees the window that replaced it.
      const open = await forShare(settlementTables(tx).selectFrom('settlement_windows').select('id').where('state', '=', 'OPEN'), engine).executeTakeFirst();
      if (open !== undefined) return open.id;
    }
    throw new Error('no open settlement window: the settlement_windows table must always hold one OPEN window');
  };
}

async function insertContent(tx: Tx, windowId: number): Promise<number> {
  const totals = await windowTotals(tx, windowId);
  for (let i = 0; i < totals.length; i += CONTENT_ROWS_PER_INSERT) {
    await settlementTables(tx).insertInto('settlement_window_content').values(totals.slice(i, i + CONTENT_ROWS_PER_INSERT).map((t) => ({
      window_id: windowId,
      account_id: t.accountId,
      participant_id: t.participantId,
      currency: t.currency,
      debits_minor: t.debitsMinor,
      credits_minor: t.creditsMinor,
      transfer_count: t.transferCount,
      settlement_id: null,
    }))).execute();
  }
  return totals.length;
}

export function createWindows({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  const tables = settlementTables(db);

  /** Closes the open window `windowId` and opens the next; answers the closed window and the new one. */
  async function close(windowId: number, reason: string, closedBy: string): Promise<FspiopResult<{ closed: SettlementWindow; opened: SettlementWindow }>> {
    return runRefusable(db, engine, async (tx) => {
      const own = settlementTables(tx);
      const window = await forUpdate(own.selectFrom('settlement_windows').selectAll().where('id', '=', windowId), engine).executeTakeFirst();
      if (window === undefined) return err(failure('3100', `settlement window ${windowId} does not exist`));
      if (window.state !== 'OPEN') return err(failure('3100', `settlement window ${windowId} is ${window.state}: only the open window can be closed`));
      const nowMs = clock.nowMs();
      const accounts = await insertContent(tx, windowId);
      const closed = await own.updateTable('settlement_windows')
        .set({ state: 'CLOSED', reason, closed_at_ms: nowMs, closed_by: closedBy, changed_at_ms: nowMs })
        .where('id', '=', windowId).returningAll().executeTakeFirstOrThrow();
      const opened = await own.insertInto('settlement_windows')
        .values({ state: 'OPEN', reason: null, created_at_ms: nowMs, closed_at_ms: null, closed_by: null, changed_at_ms: nowMs })
        .returningAll().executeTakeFirstOrThrow();
      attachToCommit(tx, { windowId, state: 'CLOSED', accounts, nextWindowId: opened.id });
      return ok({ closed, opened });
    });
  }

  /** The open window. */
  async function open(): Promise<SettlementWindow> {
    return tables.selectFrom('settlement_windows').selectAll().where('state', '=', 'OPEN').executeTakeFirstOrThrow();
  }

  /**
   * Closes the open window if it has been open for `intervalMs` or longer (the scheduled close). Any number of
   * hub processes may call it: the one that closes a window makes the next one young, and the others find it so.
   */
  async function closeIfDue(intervalMs: number, closedBy: string): Promise<SettlementWindow | undefined> {
    const current = await open();
    if (clock.nowMs() - current.created_at_ms < intervalMs) return undefined;
    const closed = await close(current.id, `scheduled close after ${Math.round(intervalMs / 1000)} s`, closedBy);
    return closed.ok ? closed.value.closed : undefined;
  }

  async function get(windowId: number): Promise<WindowWithContent | undefined> {
    const window = await tables.selectFrom('settlement_windows').selectAll().where('id', '=', windowId).executeTakeFirst();
    if (window === undefined) return undefined;
    const content = await tables.selectFrom('settlement_window_content').selectAll().where('window_id', '=', windowId).orderBy('account_id').execute();
    return { window, content };
  }

  /** Windows matching `filter`, newest first, at most WINDOW_LIST_LENGTH_MAX, each with its content. */
  async function list(filter: WindowFilter): Promise<WindowWithContent[]> {
    let query = tables.selectFrom('settlement_windows').selectAll().orderBy('id', 'desc').limit(WINDOW_LIST_LENGTH_MAX);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.fromMs !== undefined) query = query.where('created_at_ms', '>=', filter.fromMs);
    if (filter.toMs !== undefined) query = query.where('created_at_ms', '<=', filter.toMs);
    if (filter.participantId !== undefined || filter.currency !== undefined) {
      const { participantId, currency } = filter;
      query = query.where('id', 'in', (eb) => {
        let content = eb.selectFrom('settlement_window_content').select('window_id');
        if (participantId !== undefined) content = content.where('participant_id', '=', participantId);
        if (currency !== undefined) content = content.where('currency', '=', currency);
        return content;
      });
    }
    const windows = await query.execute();
    if (windows.length === 0) return [];
    const content = await tables.selectFrom('settlement_window_content').selectAll().where('window_id', 'in', windows.map((w) => w.id)).orderBy('account_id').execute();
    return windows.map((window) => ({ window, content: content.filter((c) => c.window_id === window.id) }));
  }

  return { close, open, closeIfDue, get, list };
}

export type SettlementWindows = ReturnType<typeof createWindows>;

export function isWindowState(value: string): value is WindowState {
  return (WINDOW_STATES as readonly string[]).includes(value);
}

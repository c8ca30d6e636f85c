// Proves, on a live database, that settlement holds together with the
// journal: every closed window's frozen content is what the journal says
// was committed in it, and balances; every settlement's net amounts sum to
// zero per currency and equal the content it took; and each participant
// account's settlement movement is in the journal exactly as its state says
// (none before RESERVED, PENDING at RESERVED, posted from COMMITTED on, never
// posted once aborted), for its net amount, in the right direction.
import { settlementMovement, windowTotals, type Tx } from '../ledger/index.ts';
import { inSnapshot, type Db } from '../storage/index.ts';
import { settlementTables, type SettlementAccount, type WindowContent } from './tables.ts';

export interface SettlementCheckReport {
  ok: boolean;
  windowsChecked: number;
  settlementsChecked: number;
  problems: string[];
}

const key = (accountId: number) => String(accountId);

async function checkWindow(tx: Tx, windowId: number, content: readonly WindowContent[], problems: string[]): Promise<void> {
  const journal = new Map((await windowTotals(tx, windowId)).map((t) => [key(t.accountId), t]));
  const frozen = new Map(content.map((c) => [key(c.account_id), c]));
  for (const [account, total] of journal) {
    const row = frozen.get(account);
    if (row?.debits_minor !== total.debitsMinor || row.credits_minor !== total.creditsMinor || row.transfer_count !== total.transferCount) {
      problems.push(`window ${windowId}, account ${account}: the journal has sent ${total.debitsMinor}, received ${total.creditsMinor} in ${total.transferCount} transfers, the window's content ${row === undefined ? 'has no row' : `${row.debits_minor}, ${row.credits_minor} in ${row.transfer_count}`}`);
    }
  }
  for (const account of frozen.keys()) {
    if (!journal.has(account)) problems.push(`window ${windowId}, account ${account}: content without any transfer in the journal`);
  }
  const perCurrency = new Map<string, bigint>();
  for (const row of content) perCurrency.set(row.currency, (perCurrency.get(row.currency) ?? 0n) + row.debits_minor - row.credits_minor);
  for (const [currency, sum] of perCurrency) {
    if (sum !== 0n) problems.push(`window ${windowId}: ${currency} sent and received differ by ${sum}`);
  }
}

/** What the journal must hold for an account in its state: the movement's phase, or none. */
async function checkMovement(tx: Tx, settlementId: number, account: SettlementAccount, problems: string[]): Promise<void> {
  const where = `settlement ${settlementId}, account ${account.account_id} (${account.state})`;
  const recorded = account.state !== 'PENDING_SETTLEMENT' && !(account.state === 'ABORTED' && account.transfer_id === null);
  if (account.net_minor === 0n || !recorded) return;
  if (account.transfer_id === null) {
    problems.push(`${where}: recorded without a settlement transfer id`);
    return;
  }
  const movement = await settlementMovement(tx, account.transfer_id);
  const expectsPending = account.state === 'PS_TRANSFERS_RESERVED';
  const expectsPost = account.state === 'PS_TRANSFERS_COMMITTED' || account.state === 'SETTLED';
  if (movement === undefined) {
    if (expectsPending || expectsPost) problems.push(`${where}: no settlement movement ${account.transfer_id} in the journal`);
    return;
  }
  const phase = movement.resolution?.phase ?? 'PENDING';
  if ((expectsPending && phase !== 'PENDING') || (expectsPost && phase !== 'POST') || (account.state === 'ABORTED' && phase === 'POST')
    || account.state === 'PS_TRANSFERS_RECORDED') {
    problems.push(`${where}: the journal's settlement movement ${account.transfer_id} is ${phase}`);
  }
  const amount = account.net_minor > 0n ? account.net_minor : -account.net_minor;
  const { pending } = movement;
  const settlementSide = account.net_minor > 0n ? pending.debit_account_id : pending.credit_account_id;
  const positionSide = account.net_minor > 0n ? pending.credit_account_id : pending.debit_account_id;
  if (pending.amount_minor !== amount || positionSide !== account.account_id || pending.currency !== account.currency || settlementSide === account.account_id) {
    problems.push(`${where}: the journal moved ${pending.amount_minor} ${pending.currency} from account ${pending.debit_account_id} to ${pending.credit_account_id}, not the net amount ${account.net_minor} on position account ${account.account_id}`);
  }
}

async function checkSettlement(tx: Tx, settlementId: number, problems: string[]): Promise<void> {
  const own = settlementTables(tx);
  const settlement = await own.selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirstOrThrow();
  const accounts = await own.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlementId).execute();
  const perCurrency = new Map<string, bigint>();
  for (const account of accounts) {
    perCurrency.set(account.currency, (perCurrency.get(account.currency) ?? 0n) + account.net_minor);
    await checkMovement(tx, settlementId, account, problems);
  }
  for (const [currency, sum] of perCurrency) {
    if (sum !== 0n) problems.push(`settlement ${settlementId}: its ${currency} net amounts sum to ${sum}, not zero`);
  }
  if (settlement.state === 'ABORTED') return;
  const content = await own.selectFrom('settlement_window_content').selectAll().where('settlement_id', '=', settlementId).execute();
  const fromContent = new Map<number, bigint>();
  for (const row of content) fromContent.set(row.account_id, (fromContent.get(row.account_id) ?? 0n) + row.debits_minor - row.credits_minor);
  for (const account of accounts) {
    if ((fromContent.get(account.account_id) ?? 0n) !== account.net_minor) {
      problems.push(`settlement ${settlementId}, account ${account.account_id}: net amount ${account.net_minor}, but its windows' content gives ${fromContent.get(account.account_id) ?? 0n}`);
    }
  }
  for (const accountId of fromContent.keys()) {
    if (!accounts.some((a) => a.account_id === accountId)) problems.push(`settlement ${settlementId}: took window content of account ${accountId} but has no account for it`);
  }
}

export async function checkSettlements(db: Db): Promise<SettlementCheckReport> {
  const problems: string[] = [];
  // One consistent snapshot, as the ledger check takes.
  return inSnapshot(db, async (tx) => {
    const own = settlementTables(tx);
    const windows = await own.selectFrom('settlement_windows').select(['id', 'state']).where('state', '<>', 'OPEN').orderBy('id').execute();
    for (const window of windows) {
      const content = await own.selectFrom('settlement_window_content').selectAll().where('window_id', '=', window.id).execute();
      await checkWindow(tx, window.id, content, problems);
      if (window.state === 'SETTLED') {
        const unsettled = await own.selectFrom('settlement_window_content as c').leftJoin('settlements as s', 's.id', 'c.settlement_id')
          .select('c.account_id').where('c.window_id', '=', window.id)
          .where((eb) => eb.or([eb('s.state', 'is', null), eb('s.state', '<>', 'SETTLED')])).executeTakeFirst();
        if (unsettled !== undefined) problems.push(`window ${window.id} is SETTLED but account ${unsettled.account_id}'s content is not settled`);
      }
    }
    const settlements = await own.selectFrom('settlements').select('id').orderBy('id').execute();
    for (const { id } of settlements) await checkSettlement(tx, id, problems);
    return { ok: problems.length === 0, windowsChecked: windows.length, settlementsChecked: settlements.length, problems };
  });
}

// The demo's payment: party lookup → quote → transfer, from a simulated payer
// FSP through the hub to the payee FSP, with a check after each step. A
// failed check stops the flow with its name.
import { conditionMatches } from '../ilp/index.ts';
import type { SimParty, SimulatedDfsp, TransferStateBody } from '../sim/index.ts';
import { formatAmount, parseAmount } from '../support/index.ts';
import type { AdminClient } from './admin_auth.ts';
import type { Print } from './narration.ts';

export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
  readonly check: string;
  constructor(check: string, detail: string) {
    super(`${check}: ${detail}`);
    this.check = check;
  }
}

/** What `interlock ledger check` proves: the ledger rebuilds from its journal, and every transfer agrees with it. */
export interface LedgerProof {
  ok: boolean;
  accountsChecked: number;
  entriesChecked: number;
  transfersChecked: number;
  problems: string[];
}

export interface FlowOptions {
  payer: SimulatedDfsp;
  /** The party to pay, and what its FSP should answer about it. */
  payee: SimParty & { fspId: string };
  amount: string;
  currency: string;
  /** The hub's admin API, as its automation maker (reads positions). */
  admin: AdminClient;
  print: Print;
  /** The hub's own COMMITTED notice to the payee FSP, when the payee's traffic can be seen (not when it runs elsewhere). */
  payeeNotice?: (transferId: string) => Promise<TransferStateBody>;
  /** The ledger proof on the hub's own storage; undefined when the hub runs elsewhere. */
  ledgerCheck?: () => Promise<LedgerProof>;
}

/** Runs one exchange; its failure (an error callback, a refusal, no callback in time) fails the check named `name`. */
async function attempt<T>(name: string, exchange: () => Promise<T>): Promise<T> {
  try {
    return await exchange();
  } catch (error) {
    if (error instanceof CheckFailed) throw error;
    throw new CheckFailed(name, error instanceof Error ? error.message : String(error));
  }
}

/** Prints a demo check with its outcome; a check that does not hold stops the demo. */
export function check(print: Print, name: string, holds: boolean, detail: string): void {
  print(`  ${holds ? '✓' : '✗'} ${name}: ${detail}`);
  if (!holds) throw new CheckFailed(name, detail);
}

/** A position in minor units, read exactly from the admin API's JSON number (never through a float). */
async function positionMinor(admin: AdminClient, participant: string, currency: string): Promise<bigint> {
  const response = await admin.text(`/participants/${encodeURIComponent(participant)}/positions?currency=${currency}`);
  const text = response.text;
  const match = /"value":(-?)([0-9.]{1,40})[,}]/.exec(text);
  if (response.status !== 200 || match === null) throw new CheckFailed('position readable', `GET /participants/${participant}/positions answered ${response.status} ${text.slice(0, 200)}`);
  const [, sign = '', digits = '0'] = match;
  // The admin API writes amounts as formatAmount does: no trailing zeros, so the FSPIOP pattern holds.
  const parsed = parseAmount(digits, currency, { allowZero: true });
  if (!parsed.ok) throw new CheckFailed('position readable', parsed.error);
  return sign === '-' ? -parsed.value : parsed.value;
}

function formatMinor(minor: bigint, currency: string): string {
  return `${formatAmount(minor, currency)} ${currency}`;
}

export async function runPaymentFlow(options: FlowOptions): Promise<void> {
  const { payer, payee, amount, currency, admin, print } = options;
  const amountMinor = parseAmount(amount, currency);
  if (!amountMinor.ok) throw new Error(`demo amount: ${amountMinor.error}`);

  print('');
  print(`1. Party lookup: ${payer.name} asks the hub who serves ${payee.partyIdType} ${payee.partyIdentifier}`);
  const found = await attempt('party lookup', () => payer.lookup(payee.partyIdType, payee.partyIdentifier));
  const info = found.party.partyIdInfo;
  check(print, 'lookup answered by the party\'s FSP', info.fspId === payee.fspId && info.partyIdType === payee.partyIdType && info.partyIdentifier === payee.partyIdentifier,
    `${String(found.party.name)} is served by ${String(info.fspId)}`);
  check(print, 'party name', found.party.name === payee.name, `"${String(found.party.name)}"`);

  print('');
  print(`2. Quote: ${payer.name} asks ${payee.fspId} for the terms of sending ${amount} ${currency}`);
  const quote = await attempt('quote', () => payer.quote({ payee: { partyIdType: info.partyIdType, partyIdentifier: info.partyIdentifier, fspId: payee.fspId }, amount, currency, note: 'Interlock demo' }));
  const terms = quote.response;
  check(print, 'quoted transfer amount', terms.transferAmount.amount === amount && terms.transferAmount.currency === currency, `${terms.transferAmount.amount} ${terms.transferAmount.currency} (no fees)`);
  check(print, 'ILP condition', Buffer.from(terms.condition, 'base64url').length === 32 && /^[A-Za-z0-9_-]{43}$/.test(terms.condition), `32 bytes, ${terms.condition}`);
  check(print, 'quote still valid', Date.parse(terms.expiration) > Date.now(), `expires ${terms.expiration}`);

  const payerBefore = await positionMinor(admin, payer.name, currency);
  const payeeBefore = await positionMinor(admin, payee.fspId, currency);

  print('');
  print(`3. Transfer: ${payer.name} sends the prepare on those terms; ${payee.fspId} fulfils it`);
  const transfer = await attempt('transfer', () => payer.transfer(quote));
  check(print, 'transfer committed (callback to the payer)', transfer.result.transferState === 'COMMITTED', `transfer ${transfer.transferId} is ${transfer.result.transferState}`);
  check(print, 'fulfilment matches the condition (the payer\'s own ILP check)',
    transfer.fulfilmentMatches && transfer.result.fulfilment !== undefined && conditionMatches(transfer.result.fulfilment, terms.condition),
    `SHA-256(${String(transfer.result.fulfilment)}) = ${terms.condition}`);
  if (options.payeeNotice !== undefined) {
    const notice = options.payeeNotice;
    const told = await attempt('commit notice to the payee', () => notice(transfer.transferId));
    check(print, 'the hub told the payee of the commit', told.transferState === 'COMMITTED', `PUT /transfers/${transfer.transferId} from Hub to ${payee.fspId}: ${told.transferState}`);
  }

  print('');
  print('4. Checks against the hub');
  const state = await attempt('transfer state at the hub', () => payer.getTransfer(transfer.transferId, payee.fspId));
  check(print, 'transfer state at the hub', state.transferState === 'COMMITTED', `GET /transfers/${transfer.transferId} → ${state.transferState}`);
  const payerAfter = await positionMinor(admin, payer.name, currency);
  const payeeAfter = await positionMinor(admin, payee.fspId, currency);
  check(print, `${payer.name} position`, payerAfter - payerBefore === amountMinor.value,
    `${formatMinor(payerBefore, currency)} → ${formatMinor(payerAfter, currency)} (owes ${amount} ${currency} more to the scheme)`);
  check(print, `${payee.fspId} position`, payeeBefore - payeeAfter === amountMinor.value,
    `${formatMinor(payeeBefore, currency)} → ${formatMinor(payeeAfter, currency)} (is owed ${amount} ${currency} more)`);
  if (options.ledgerCheck === undefined) {
    print('  - ledger check: skipped, the hub\'s storage is in another process; run  npx interlock ledger check  beside it');
    return;
  }
  const report = await options.ledgerCheck();
  check(print, 'ledger check', report.ok,
    report.ok
      ? `${report.accountsChecked} accounts rebuilt from ${report.entriesChecked} journal entries, debits = credits in every currency, every transfer (${report.transfersChecked}) agrees with the journal`
      : report.problems.join('; '));
}

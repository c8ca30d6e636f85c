// The demo's settlement step: the finance team closes the settlement window
// that holds the demo's payment, nets it into a settlement, and takes the
// settlement through its states. Recording and confirming run at once;
// reserving and committing move money, so each waits as a change request until
// the checker approves it. At the end the positions are back to zero and the
// net amounts have moved between the participants' settlement accounts.
import { parseAmount, formatAmount } from '../support/index.ts';
import type { AdminCaller, AdminClient } from './admin_auth.ts';
import { check, CheckFailed } from './flow.ts';
import type { Print } from './narration.ts';

export interface SettlementStepOptions {
  admin: AdminClient;
  currency: string;
  print: Print;
  /** The settlement and ledger proofs on the hub's storage (undefined against a remote hub). */
  settlementCheck?: () => Promise<{ ok: boolean; problems: string[] }>;
}

/** A settlement as read exactly: its numbers (ids and amounts) as their source text. */
interface SettlementAnswer {
  id: string;
  state: string;
  participants: { id: string; accounts: { id: string; state: string; netSettlementAmount: { amount: string; currency: string } }[] }[];
}

/** A read whose numbers are kept as their exact source text (amounts never pass through a float). */
async function exact<T>(caller: AdminCaller, path: string): Promise<T> {
  const { status, text } = await caller.text(path);
  if (status !== 200) throw new CheckFailed(`GET ${path}`, `${status} ${text.slice(0, 200)}`);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => (typeof value === 'number' ? context?.source ?? String(value) : value)) as T;
}

/** Each POSITION and SETTLEMENT account's participant name and exact value. */
async function balances(admin: AdminClient, currency: string): Promise<Map<number, { name: string; type: string; value: string; positionId: number }>> {
  const participants = await exact<{ name: string; accounts: { id: string; ledgerAccountType: string; currency: string }[] }[]>(admin, '/participants');
  const found = new Map<number, { name: string; type: string; value: string; positionId: number }>();
  for (const { name } of participants.filter((p) => p.name !== 'Hub')) {
    const accounts = await exact<{ id: string; ledgerAccountType: string; currency: string; value: string }[]>(admin, `/participants/${name}/accounts`);
    const positionId = Number(accounts.find((a) => a.ledgerAccountType === 'POSITION' && a.currency === currency)?.id);
    for (const a of accounts.filter((x) => x.currency === currency)) found.set(Number(a.id), { name, type: a.ledgerAccountType, value: a.value, positionId });
  }
  return found;
}

/** An exact decimal amount, signed, in minor units. */
function signedMinor(text: string, currency: string): bigint {
  const negative = text.startsWith('-');
  const parsed = parseAmount(negative ? text.slice(1) : text, currency, { allowZero: true });
  if (!parsed.ok) throw new CheckFailed('an exact amount', `${text}: ${parsed.error}`);
  return negative ? -parsed.value : parsed.value;
}

/** A money-moving step: the maker's request waits; the checker's approval runs it. */
async function makerThenChecker(admin: AdminClient, print: Print, path: string, body: unknown, step: string): Promise<SettlementAnswer> {
  const made = await admin.maker.call('PUT', path, body);
  const request = made.body as { id?: string; function?: string; state?: string };
  check(print, `${step} waits for a second person`, made.status === 202 && request.state === 'PENDING', `PUT ${path} answered ${made.status}: change request ${request.id ?? '?'} ${request.function ?? ''} ${request.state ?? ''}`);
  const approved = await admin.checker.call('POST', `/changeRequests/${request.id ?? ''}/approve`);
  const result = (approved.body as { state?: string; result?: { status: number; body: SettlementAnswer } }).result;
  check(print, `the checker's approval runs ${step}`, approved.status === 200 && result?.status === 200, `change request ${request.id ?? '?'} is ${(approved.body as { state?: string }).state ?? '?'}; settlement ${result?.body.state ?? '?'}`);
  if (result === undefined) throw new CheckFailed(step, 'no result');
  return result.body;
}

const accountsAt = (settlement: SettlementAnswer, state: string) => ({
  participants: settlement.participants.map((p) => ({ id: Number(p.id), accounts: p.accounts.map((a) => ({ id: Number(a.id), state, reason: `demo: ${state}` })) })),
});

export async function runSettlementStep({ admin, currency, print, settlementCheck }: SettlementStepOptions): Promise<void> {
  const money = (text: string) => `${text} ${currency}`;
  print('');
  print('6. Settlement: the finance team closes the window, nets it, and settles it (the steps that move money through maker-checker)');
  const [open] = await exact<{ id: number }[]>(admin, '/settlementWindows?state=OPEN');
  const windowId = Number(open?.id);
  const closed = await admin.maker.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'demo: end of day' });
  const window = await exact<{ state: string; content: { currencyId: string; transferCount: string; amount: string }[] }>(admin, `/settlementWindows/${windowId}`);
  const content = window.content.find((c) => c.currencyId === currency);
  check(print, 'the window closes and the next opens', closed.status === 200 && window.state === 'CLOSED',
    `window ${windowId} CLOSED with ${content?.transferCount ?? 0} ${currency} transfer(s) of ${money(content?.amount ?? '0')}; window ${(closed.body as { id?: number }).id ?? '?'} is OPEN`);

  const before = await balances(admin, currency);
  const created = await admin.maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'demo: daily settlement', settlementWindows: [{ id: windowId }] });
  if (created.status !== 200) throw new CheckFailed('settlement created', JSON.stringify(created.body));
  const settlement = await exact<SettlementAnswer>(admin, `/settlements/${String((created.body as { id: number }).id)}`);
  const nets = settlement.participants.flatMap((p) => p.accounts.map((a) => ({ name: before.get(Number(a.id))?.name ?? p.id, amount: a.netSettlementAmount.amount })));
  const sum = nets.reduce((total, n) => total + signedMinor(n.amount, currency), 0n);
  check(print, 'the settlement nets the window', settlement.state === 'PENDING_SETTLEMENT' && sum === 0n,
    `settlement ${settlement.id}: ${nets.map((n) => `${n.name} ${n.amount.startsWith('-') ? 'is owed' : 'owes'} ${money(n.amount.replace(/^-/, ''))}`).join(', ')} (the net amounts sum to ${formatAmount(sum, currency)})`);

  const path = `/settlements/${settlement.id}`;
  const recorded = await admin.maker.call('PUT', path, accountsAt(settlement, 'PS_TRANSFERS_RECORDED'));
  check(print, 'the settlement transfers are recorded at once (no money moves)', recorded.status === 200 && (recorded.body as { state: string }).state === 'PS_TRANSFERS_RECORDED', `settlement ${settlement.id} PS_TRANSFERS_RECORDED`);
  await makerThenChecker(admin, print, path, accountsAt(settlement, 'PS_TRANSFERS_RESERVED'), 'reserving the net amounts');
  await makerThenChecker(admin, print, path, accountsAt(settlement, 'PS_TRANSFERS_COMMITTED'), 'committing them');
  const settled = await admin.maker.call('PUT', path, accountsAt(settlement, 'SETTLED'));
  const windowAfter = await exact<{ state: string }>(admin, `/settlementWindows/${windowId}`);
  check(print, 'the settlement bank\'s confirmation closes it', settled.status === 200 && (settled.body as { state: string }).state === 'SETTLED' && windowAfter.state === 'SETTLED',
    `settlement ${settlement.id} ${(settled.body as { state: string }).state}; window ${windowId} ${windowAfter.state}`);

  const after = await balances(admin, currency);
  const lines = [...after.values()].filter((a) => a.type === 'POSITION').map((a) => `${a.name} position ${money(before.get(a.positionId)?.value ?? '?')} → ${money(a.value)}`);
  check(print, 'positions reset by the settlement', [...after.values()].filter((a) => a.type === 'POSITION').every((a) => signedMinor(a.value, currency) === 0n), lines.join(', '));
  const funds = [...after.entries()].filter(([, a]) => a.type === 'SETTLEMENT').map(([id, a]) => `${a.name} settlement ${money(before.get(id)?.value ?? '?')} → ${money(a.value)}`);
  print(`  the net amounts moved between the settlement accounts: ${funds.join(', ')}`);
  if (settlementCheck !== undefined) {
    const proof = await settlementCheck();
    check(print, 'ledger and settlement check', proof.ok, proof.ok ? 'the window\'s content equals the journal, the settlement nets to zero, and each movement is in the journal as its state says' : proof.problems.join('; '));
  }
}

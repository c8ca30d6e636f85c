// The states of settlement windows, settlements and their participant
// accounts, as central-settlement names them, and the one step each PUT may take.

export const WINDOW_STATES = ['OPEN', 'CLOSED', 'PENDING_SETTLEMENT', 'SETTLED', 'ABORTED'] as const;
export type WindowState = (typeof WINDOW_STATES)[number];

/** The steps a participant account takes, in order; a settlement is at the step all its accounts reached. */
export const ACCOUNT_STEPS = ['PENDING_SETTLEMENT', 'PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED', 'SETTLED'] as const;
export type AccountStep = (typeof ACCOUNT_STEPS)[number];
export type AccountState = AccountStep | 'ABORTED';

/** SETTLING: some accounts are SETTLED, the others still PS_TRANSFERS_COMMITTED. */
export type SettlementState = AccountStep | 'SETTLING' | 'ABORTED';
export const SETTLEMENT_STATES: readonly SettlementState[] = [...ACCOUNT_STEPS, 'SETTLING', 'ABORTED'];

/** The step an account at `state` may take next (none from SETTLED or ABORTED). */
export function nextStep(state: AccountState): AccountStep | undefined {
  if (state === 'ABORTED') return undefined;
  return ACCOUNT_STEPS[ACCOUNT_STEPS.indexOf(state) + 1];
}

/** Windows a new settlement may take content from. */
export const SETTLEABLE_WINDOW_STATES: readonly WindowState[] = ['CLOSED', 'ABORTED', 'PENDING_SETTLEMENT'];

/** A settlement may be aborted until money has moved for good: before any account is PS_TRANSFERS_COMMITTED. */
export function mayAbort(accountStates: readonly AccountState[]): boolean {
  return accountStates.every((s) => s === 'PENDING_SETTLEMENT' || s === 'PS_TRANSFERS_RECORDED' || s === 'PS_TRANSFERS_RESERVED');
}

/** A settlement's state from its accounts' (none aborted: an abort ends the settlement with them all). */
export function settlementStateOf(accountStates: readonly AccountState[]): SettlementState {
  const settled = accountStates.filter((s) => s === 'SETTLED').length;
  if (settled > 0 && settled < accountStates.length) return 'SETTLING';
  const lowest = Math.min(...accountStates.map((s) => (s === 'ABORTED' ? -1 : ACCOUNT_STEPS.indexOf(s))));
  const step = ACCOUNT_STEPS[lowest];
  if (step === undefined) throw new Error('a settlement has at least one account');
  return step;
}

// The transfer state machine, written once as a table. The code moves a
// transfer only along these edges (compare-and-set on the current state), and
// a database trigger generated from the same table refuses any other UPDATE.

export const TRANSFER_STATES = ['RESERVED', 'COMMITTED', 'ABORTED_REJECTED', 'ABORTED_ERROR', 'EXPIRED_RESERVED'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

/** States a transfer may be created in: reserved and forwarded, or refused at prepare. */
export const INITIAL_STATES: readonly TransferState[] = ['RESERVED', 'ABORTED_REJECTED'];

/** Each state's legal exits. Terminal states have none. */
export const TRANSITIONS: Readonly<Record<TransferState, readonly TransferState[]>> = {
  RESERVED: ['COMMITTED', 'ABORTED_ERROR', 'EXPIRED_RESERVED'],
  COMMITTED: [],
  ABORTED_REJECTED: [],
  ABORTED_ERROR: [],
  EXPIRED_RESERVED: [],
};

// (RECEIVED joins when a state before the reservation exists, e.g. a risk hold.)
export type ExternalTransferState = 'RESERVED' | 'COMMITTED' | 'ABORTED';

/** The FSPIOP TransferState a participant sees for an internal state. */
export function externalState(state: TransferState): ExternalTransferState {
  switch (state) {
    case 'RESERVED': return 'RESERVED';
    case 'COMMITTED': return 'COMMITTED';
    case 'ABORTED_REJECTED':
    case 'ABORTED_ERROR':
    case 'EXPIRED_RESERVED': return 'ABORTED';
  }
}

export function isTerminal(state: TransferState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: TransferState, to: TransferState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** SQL condition, over a trigger's old/new rows, that is true exactly for the legal transitions (or no change of state). */
export function legalTransitionSql(oldRow: string, newRow: string): string {
  const edges = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `(${oldRow}.state = '${from}' and ${newRow}.state = '${to}')`));
  return `(${oldRow}.state = ${newRow}.state or ${edges.join(' or ')})`;
}

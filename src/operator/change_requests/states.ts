// The change request state machine, written once as a table. The service
// moves a request only along these edges (compare-and-set on the current
// state) and a database trigger generated from the same table refuses any
// other UPDATE.
//
//   PENDING ──approvals reach the policy's number──▶ APPROVED ──▶ EXECUTED | FAILED
//      └──▶ REJECTED | CANCELLED (by its maker) | EXPIRED
//
// APPROVED is claimed by exactly one approval (the transaction that moves the
// row out of PENDING); only that approver's request runs the command.

export const CHANGE_REQUEST_STATES = ['PENDING', 'APPROVED', 'EXECUTED', 'FAILED', 'REJECTED', 'CANCELLED', 'EXPIRED'] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];

export const TRANSITIONS: Readonly<Record<ChangeRequestState, readonly ChangeRequestState[]>> = {
  PENDING: ['APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED'],
  APPROVED: ['EXECUTED', 'FAILED'],
  EXECUTED: [],
  FAILED: [],
  REJECTED: [],
  CANCELLED: [],
  EXPIRED: [],
};

export function canTransition(from: ChangeRequestState, to: ChangeRequestState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** SQL condition over a trigger's old/new rows: true exactly for the legal transitions (or no change of state). */
export function legalTransitionSql(oldRow: string, newRow: string): string {
  const edges = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `(${oldRow}.state = '${from}' and ${newRow}.state = '${to}')`));
  return `(${oldRow}.state = ${newRow}.state or ${edges.join(' or ')})`;
}

// Separation of duties: pairs of privileges no single principal may hold
// together (Mojaloop's MojaloopPermissionExclusions: permissionsA vs
// permissionsB). Checked when a role is defined or granted, and again at
// request time, so that an exclusion added later, or roles changed around the
// checks, still cannot let one person both make and approve.
import { CHANGE_FUNCTIONS, approvePrivilege, requestPrivilege, type Privilege } from './privileges.ts';

export interface Exclusion {
  readonly a: Privilege;
  readonly b: Privilege;
}

/** The same pair whichever way round it was written. */
export function normaliseExclusion(a: Privilege, b: Privilege): Exclusion {
  return a < b ? { a, b } : { a: b, b: a };
}

/** For every maker-checker function: its request and its approve privilege. */
export function defaultExclusions(): Exclusion[] {
  return CHANGE_FUNCTIONS.map((fn) => normaliseExclusion(requestPrivilege(fn), approvePrivilege(fn)));
}

/** The exclusions a set of privileges breaks. */
export function violatedExclusions(held: ReadonlySet<Privilege>, exclusions: readonly Exclusion[]): Exclusion[] {
  return exclusions.filter((e) => held.has(e.a) && held.has(e.b));
}

export function describeExclusion(e: Exclusion): string {
  return `${e.a} with ${e.b}`;
}

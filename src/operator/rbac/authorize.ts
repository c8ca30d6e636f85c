// The decision itself, with no I/O: may this principal use this privilege on
// this participant? Grants may be scoped to one participant; a privilege
// caught in a broken separation-of-duties exclusion is refused even though a
// role grants it (deny wins).
import { err, ok, type Result } from '../../support/index.ts';
import type { Privilege } from './privileges.ts';
import { violatedExclusions, type Exclusion } from './sod.ts';

export type PrincipalKind = 'operator' | 'client' | 'external';

/** One role held by a principal, optionally for one participant only. */
export interface Grant {
  readonly role: string;
  /** null: every participant and the hub-wide actions; otherwise that participant only. */
  readonly participant: string | null;
  readonly privileges: ReadonlySet<Privilege>;
}

/** Who calls, as the admin API knows them after checking the token. */
export interface Principal {
  readonly kind: PrincipalKind;
  /** Operator id, client id, or issuer#subject for an external issuer's user. */
  readonly id: string;
  /** Username or client id, for people reading audit events. */
  readonly name: string;
  readonly grants: readonly Grant[];
}

export type Refusal = 'missing-privilege' | 'out-of-scope' | 'separation-of-duties';

/** Why a privilege is refused, for the caller (detail) and the audit log (refusal). */
export interface Denial { readonly refusal: Refusal; readonly detail: string }

export type Decision = Result<undefined, Denial>;

const denied = (refusal: Refusal, detail: string): Decision => err({ refusal, detail });

export function heldPrivileges(principal: Pick<Principal, 'grants'>): Set<Privilege> {
  const held = new Set<Privilege>();
  for (const grant of principal.grants) for (const privilege of grant.privileges) held.add(privilege);
  return held;
}

/**
 * `participant` undefined: an action that is not about one participant (a
 * list, a settlement model), which only an unscoped grant allows.
 */
export function decide(principal: Pick<Principal, 'grants'>, privilege: Privilege, participant: string | undefined, exclusions: readonly Exclusion[]): Decision {
  const broken = violatedExclusions(heldPrivileges(principal), exclusions).filter((e) => e.a === privilege || e.b === privilege);
  if (broken.length > 0) {
    return denied('separation-of-duties', `${privilege} is held together with ${broken.map((e) => (e.a === privilege ? e.b : e.a)).join(', ')}, which separation of duties forbids`);
  }
  const granting = principal.grants.filter((g) => g.privileges.has(privilege));
  if (granting.length === 0) return denied('missing-privilege', `${privilege} is needed`);
  if (granting.some((g) => g.participant === null || g.participant === participant)) return ok(undefined);
  return denied('out-of-scope', participant === undefined ? `${privilege} is held for one participant only` : `${privilege} is not held for participant ${participant}`);
}

/** Whether any of `privileges` is allowed: the gate at the route, before the body names the exact action. */
export function decideAny(principal: Pick<Principal, 'grants'>, privileges: readonly Privilege[], participant: string | undefined, exclusions: readonly Exclusion[]): Decision {
  let first: Decision | undefined;
  for (const privilege of privileges) {
    const decision = decide(principal, privilege, participant, exclusions);
    if (decision.ok) return decision;
    first ??= decision;
  }
  return first ?? denied('missing-privilege', 'no privilege allows this');
}

// The second check, at the domain boundary. The admin API's routes get the
// domain services (registry, ledger funds and limits, settlement models,
// signing keys, PKI) only through these guards, which ask the authority of
// the request being served — kept in an AsyncLocalStorage for the duration of
// its handler — whether the call is allowed:
//
//   read          any principal the route let in (reads are gated exactly at the route)
//   privilege P   the principal holds P (for the request's participant)
//   function F    only while an approved change request of function F is being
//                 executed: a maker's own request can never reach these directly
//   public        also with no principal (CRLs and the like)
//
// A call the request's authority does not allow means a route declared less
// than it does: a programmer error, so it throws (the admin API answers 2001
// and logs it), and a test walks every route to keep it from happening.
import { AsyncLocalStorage } from 'node:async_hooks';
import { withCommitHook, type CommitHook } from '../../storage/index.ts';
import { decide, type Principal } from './authorize.ts';
import type { ChangeFunction, Privilege } from './privileges.ts';
import type { Exclusion } from './sod.ts';

export interface Authority {
  /** Undefined on a public route. */
  readonly principal: Principal | undefined;
  /** The participant the route is about (its :name), for scoped grants. */
  readonly participant: string | undefined;
  readonly exclusions: readonly Exclusion[];
  /** Set while an approved change request runs its command. */
  readonly execution?: { readonly changeRequestId: string; readonly fn: ChangeFunction };
  /**
   * Records the request's action in a transaction of a state-changing call (`call` is "service.method"): every
   * transaction such a call runs carries the entry, last, and commits with it or not at all (access.ts).
   */
  readonly recordChange?: (tx: Parameters<CommitHook>[0], call: string, facts: readonly unknown[]) => Promise<void>;
}

export type GuardRule = 'read' | 'public' | { readonly privilege: Privilege } | { readonly fn: ChangeFunction } | { readonly anyOf: readonly GuardRule[] };

export class GuardViolation extends Error {
  override readonly name = 'GuardViolation';
}

const current = new AsyncLocalStorage<Authority>();

/** Runs `work` (a route handler) with `authority` as the one the guards ask. */
export function withAuthority<T>(authority: Authority, work: () => T): T {
  return current.run(authority, work);
}

export function currentAuthority(): Authority | undefined {
  return current.getStore();
}

/** Whether `authority` allows a call under `rule`; a reason when it does not. */
export function ruleRefusal(rule: GuardRule, authority: Authority | undefined): string | undefined {
  if (authority === undefined) return 'no admin request is being served';
  if (rule === 'public') return undefined;
  if (typeof rule === 'object' && 'anyOf' in rule) {
    const refusals = rule.anyOf.map((r) => ruleRefusal(r, authority));
    return refusals.includes(undefined) ? undefined : refusals.join('; ');
  }
  if (authority.execution !== undefined) {
    if (rule === 'read') return undefined;
    if ('fn' in rule) return rule.fn === authority.execution.fn ? undefined : `the approved change request is ${authority.execution.fn}, not ${rule.fn}`;
    return `a ${authority.execution.fn} change request does not carry ${rule.privilege}`;
  }
  if (authority.principal === undefined) return 'a public route reached a guarded service';
  if (rule === 'read') return undefined;
  if ('fn' in rule) return `${rule.fn} runs only as an approved change request`;
  const decision = decide(authority.principal, rule.privilege, authority.participant, authority.exclusions);
  return decision.ok ? undefined : decision.error.detail;
}

/**
 * `service` with each of its methods checked against `rules`. A method with
 * no rule cannot be called through the guard at all (deny by default);
 * non-function members pass through.
 */
export function guarded<T extends object>(name: string, service: T, rules: Readonly<Partial<Record<keyof T & string, GuardRule>>>): T {
  return new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const rule = (rules as Partial<Record<string, GuardRule>>)[property];
      return (...args: unknown[]): unknown => {
        const refusal = rule === undefined ? `${name}.${property} is not open to the admin API` : ruleRefusal(rule, current.getStore());
        if (refusal !== undefined) throw new GuardViolation(`guard: ${name}.${property}: ${refusal}`);
        const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
        const recordChange = current.getStore()?.recordChange;
        if (rule === 'read' || rule === 'public' || recordChange === undefined) return call();
        return withCommitHook((tx, facts) => recordChange(tx, `${name}.${property}`, facts), call);
      };
    },
  });
}

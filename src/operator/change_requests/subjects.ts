// Whom a change request is about, when it is about a principal: a role grant
// or revocation names one (operator username or client id), an operator's
// status or credential reset names its id, a client's status its client id.
// Nobody may ask for their own role grant, and nobody may approve a request
// about themselves: a person never widens their own access, with or without
// a second person's help (service.ts at request and approval; the grant
// command checks once more when it runs, rbac/routes.ts).
import type { Principal } from '../rbac/authorize.ts';
import type { ChangeFunction } from '../rbac/privileges.ts';
import type { StoredRequest } from './service.ts';

const PRINCIPAL_IN_BODY: readonly ChangeFunction[] = ['ROLE_GRANT', 'ROLE_REVOKE'];
const PRINCIPAL_IN_PATH: readonly ChangeFunction[] = ['OPERATOR_STATUS', 'OPERATOR_CREDENTIAL_RESET', 'CLIENT_STATUS'];

export function subjectsOf(fn: ChangeFunction, request: StoredRequest): string[] {
  if (PRINCIPAL_IN_BODY.includes(fn)) {
    const principal = (request.body as { principal?: unknown } | undefined)?.principal;
    return typeof principal === 'string' ? [principal] : [];
  }
  if (PRINCIPAL_IN_PATH.includes(fn)) {
    const id = /^\/(?:operators|clients)\/([^/]+)/.exec(request.url)?.[1];
    return id === undefined ? [] : [decodeURIComponent(id)];
  }
  return [];
}

/** Whether `principal` is one of `subjects`: by id, or by its username or client id (an external user's name is not unique here). */
export function isSubject(principal: Pick<Principal, 'kind' | 'id' | 'name'>, subjects: readonly string[]): boolean {
  // Usernames are looked up case-insensitively (operators.ts), so "ADMIN" names admin.
  const names = subjects.map((s) => s.toLowerCase());
  return names.includes(principal.id.toLowerCase()) || (principal.kind !== 'external' && names.includes(principal.name.toLowerCase()));
}

/** Whether the request is about `principal`: names it, or redefines a role it holds (which would change its own access). */
export function isAbout(principal: Principal, fn: ChangeFunction, request: StoredRequest): boolean {
  if (fn === 'ROLE_DEFINE') {
    const role = /^\/roles\/([^/]+)$/.exec(request.url)?.[1];
    return role !== undefined && principal.grants.some((g) => g.role === decodeURIComponent(role));
  }
  return isSubject(principal, subjectsOf(fn, request));
}

export const OWN_GRANT_REFUSAL = 'nobody may request their own role grant: another person must request it, and a third approve it';
export const ABOUT_ONESELF_REFUSAL = 'this change request is about the approver themselves (names them, or redefines a role they hold): someone else must approve it';

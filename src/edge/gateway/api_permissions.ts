// Per-participant API permissions: which FSPIOP APIs (lookup, quotes,
// transfers, and the Interlock extension's risk) a participant may call, and
// in which role (fspiop/apis.ts): a DFSP set up only as a payee cannot send
// transfer prepares. Stored through
// maker-checker (policy_store.ts), held in memory here, checked on every
// request by its operation.
//
// A participant with no stored permissions has every API in both roles, so
// that the DFSPs a scheme ran before permissions existed keep working; once
// an operator stores a participant's permissions, exactly those hold (an API
// with no roles is refused altogether). An operation both parties may call
// (role 'either': GET /quotes/{ID}, GET /transfers/{ID}) passes with any role
// of its API.
import type { OperationKey } from '../../fspiop/index.ts';
import { API_ROLES, FSPIOP_APIS, OPERATION_USES, scopeOf, type ApiRole, type FspiopApi } from '../../fspiop/index.ts';
import { err, ok, type Result } from '../../support/index.ts';
import type { GatewayPolicyStore } from './policy_store.ts';
import { createPolicyCache } from './policy_store_cache.ts';
import type { GatewayRefusal } from './refusal.ts';

/** The roles granted in each API; every API is named, an empty list grants none. */
export type ApiGrants = Readonly<Record<FspiopApi, readonly ApiRole[]>>;

/** The default of a participant with no stored permissions. */
export const ALL_API_GRANTS: ApiGrants = Object.freeze({
  lookup: Object.freeze([...API_ROLES]),
  quotes: Object.freeze([...API_ROLES]),
  transfers: Object.freeze([...API_ROLES]),
  risk: Object.freeze([...API_ROLES]),
});

/**
 * APIs an operator's permissions may leave out, granting them no role: the Interlock extension's, so that
 * permissions written before it existed still parse, and a participant whose permissions were set by hand
 * gains no new API without an operator granting it.
 */
export const OPTIONAL_APIS: readonly FspiopApi[] = ['risk'];

/**
 * Permissions as an operator sends them ({lookup: ['payer', 'payee'], …}):
 * every API named, roles from API_ROLES, none twice, nothing else. Roles come
 * back in API_ROLES order.
 */
export function parseApiGrants(value: unknown): Result<ApiGrants, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('permissions must be an object naming each API');
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !(FSPIOP_APIS as readonly string[]).includes(key));
  if (unknown !== undefined) return err(`permissions/${unknown.slice(0, 32)} is not an FSPIOP API (${FSPIOP_APIS.join(', ')})`);
  const grants = {} as Record<FspiopApi, readonly ApiRole[]>;
  for (const api of FSPIOP_APIS) {
    const roles = record[api] === undefined && OPTIONAL_APIS.includes(api) ? [] : record[api];
    if (!Array.isArray(roles)) return err(`permissions/${api} must be a list of roles (${API_ROLES.join(', ')}), empty for none`);
    for (const role of roles as unknown[]) {
      if (!(API_ROLES as readonly unknown[]).includes(role)) return err(`permissions/${api}: roles are ${API_ROLES.join(' and ')}`);
    }
    if (new Set(roles).size !== roles.length) return err(`permissions/${api} names a role twice`);
    grants[api] = API_ROLES.filter((role) => roles.includes(role));
  }
  return ok(grants);
}

/** Each granted API with its roles, for a summary: "lookup payer+payee, quotes payer, transfers none". */
export function describeApiGrants(grants: ApiGrants): string {
  return FSPIOP_APIS.map((api) => `${api} ${grants[api].length === 0 ? 'none' : grants[api].join('+')}`).join(', ');
}

function refusal(api: FspiopApi, role: ApiRole | 'either', participant: string, operation: OperationKey): GatewayRefusal {
  const as = role === 'either' ? '' : ` as ${role}`;
  return {
    failure: { code: '3000', detail: `the participant is not permitted to use the ${api} API${as}`, httpStatus: 403 },
    httpStatus: 403,
    event: { kind: 'api-not-permitted', reason: `${participant} is not permitted the ${api} API${as} (${operation})` },
  };
}

export interface ApiPermissionsCheck {
  /** The stored version the permissions in memory come from. */
  readonly version: number;
  /** The participant's grants: stored, or ALL_API_GRANTS when it has none stored. */
  grantsOf(participant: string): ApiGrants;
  /** Undefined when `participant` may call `operation`; otherwise the refusal (3000, HTTP 403, event 'api-not-permitted'). */
  check(participant: string, operation: OperationKey): GatewayRefusal | undefined;
  /** The OAuth2 scopes (scopeOf) of every API the participant has in any role, in FSPIOP_APIS order. */
  grantedScopes(participant: string): string[];
  /** Reads every participant's permissions again now. */
  reload(): Promise<void>;
  /** Reads them again only if the stored version moved; true when it reloaded. */
  refresh(): Promise<boolean>;
}

export interface ApiPermissionsOptions {
  readonly store: Pick<GatewayPolicyStore, 'apiPermissionsSnapshot' | 'version'>;
}

/** Loads every participant's permissions, then answers checks from memory. */
export async function loadApiPermissions(options: ApiPermissionsOptions): Promise<ApiPermissionsCheck> {
  const { store } = options;
  const cache = await createPolicyCache('api-permissions', store, async () => {
    const snapshot = await store.apiPermissionsSnapshot();
    return { version: snapshot.version, value: snapshot.grants };
  });

  const grantsOf = (participant: string): ApiGrants => cache.current().get(participant) ?? ALL_API_GRANTS;

  return {
    get version() { return cache.version(); },
    grantsOf,
    check(participant, operation) {
      const use = OPERATION_USES[operation] as (typeof OPERATION_USES)[OperationKey] | undefined;
      // Every operation key has its use (a Record over the union); anything else is refused, never let through.
      if (use === undefined) {
        return {
          failure: { code: '3000', detail: 'the participant is not permitted this operation', httpStatus: 403 },
          httpStatus: 403,
          event: { kind: 'api-not-permitted', reason: `${participant}: ${JSON.stringify(operation.slice(0, 64))} is not an FSPIOP operation` },
        };
      }
      const granted = grantsOf(participant)[use.api];
      const allowed = use.role === 'either' ? granted.length > 0 : granted.includes(use.role);
      return allowed ? undefined : refusal(use.api, use.role, participant, operation);
    },
    grantedScopes(participant) {
      const grants = grantsOf(participant);
      return FSPIOP_APIS.filter((api) => grants[api].length > 0).map(scopeOf);
    },
    reload: cache.reload,
    refresh: cache.refresh,
  };
}

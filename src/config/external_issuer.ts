// The configuration of an external OpenID Connect issuer, parsed and checked
// when the hub's configuration is loaded (config.ts), with no I/O.
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { isParticipantName, isLoopbackHost, ok } from '../support/index.ts';

const ROLE_MAP_ENTRIES_MAX = 64;

export interface ExternalIssuerConfig {
  /** The issuer identifier: https, or http on loopback (development and tests). */
  readonly issuer: string;
  /** The audience its access tokens carry for the admin API. */
  readonly audience: string;
  /** Where the roles are in its tokens, a dotted path: Keycloak's realm roles are realm_access.roles. */
  readonly rolesClaim: string;
  /** External role → local role, optionally for one participant. */
  readonly roleMap: ReadonlyMap<string, { readonly role: string; readonly participant: string | null }>;
}

/**
 * Parses "external=local[@participant],…", e.g.
 * "hub-ops-maker=operations-maker,hub-ops-checker=operations-checker,dfsp-a-audit=auditor@dfspa".
 */
export function parseRoleMap(text: string): FspiopResult<ExternalIssuerConfig['roleMap']> {
  const map = new Map<string, { role: string; participant: string | null }>();
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [external = '', local = '', ...extra] = entry.split('=');
    const [role = '', participant, ...more] = local.split('@');
    const valid = extra.length === 0 && more.length === 0 && /^[A-Za-z0-9._:/-]{1,128}$/.test(external) && /^[a-z0-9][a-z0-9._-]{1,63}$/.test(role)
      && (participant === undefined || isParticipantName(participant));
    if (!valid) return fail('3100', `role map entry ${JSON.stringify(entry)}: expected external=local or external=local@participant`);
    map.set(external, { role, participant: participant ?? null });
  }
  if (map.size > ROLE_MAP_ENTRIES_MAX) return fail('3100', `a role map has at most ${ROLE_MAP_ENTRIES_MAX} entries`);
  return ok(map);
}

export function issuerUrlProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname) ? undefined : 'an external issuer must be https (http only on loopback)';
}


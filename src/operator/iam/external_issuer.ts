// An external OpenID Connect issuer (Keycloak, say) whose users may call the
// admin API instead of, or beside, the hub's own operators. Its metadata is
// read by discovery (oauth4webapi, which checks the issuer it names is the
// one asked for), its keys from its jwks_uri (jose's remote JWK set: cached,
// with a cool-down so a flood of unknown kids cannot make the hub hammer it),
// and its users' roles from a claim, mapped to local roles by configuration.
// Nothing is granted by default: a role not in the map gives nothing.
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, type JWTPayload } from 'jose';
import type { Grant } from '../rbac/authorize.ts';
import { isPrivilege } from '../rbac/privileges.ts';
import type { RbacStore } from '../rbac/store.ts';
import type { ExternalIssuer } from './iam.ts';
import { issuerUrlProblem, type ExternalIssuerConfig } from '../../config/index.ts';

/** Signature algorithms accepted from an external issuer: asymmetric only, never "none" or HMAC. */
export const EXTERNAL_ALGORITHMS = ['RS256', 'PS256', 'ES256'] as const;
const JWKS_TIMEOUT_MS = 5_000;
/** At most one JWKS fetch per this long when tokens name kids the cache lacks. */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

/** The roles at a dotted path of the claims, if they are a list of strings. */
export function rolesAt(claims: JWTPayload, path: string): string[] {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[part];
  }
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export async function discoverExternalIssuer(config: ExternalIssuerConfig, rbac: RbacStore): Promise<ExternalIssuer> {
  const problem = issuerUrlProblem(config.issuer);
  if (problem !== undefined) throw new Error(`external issuer ${config.issuer}: ${problem}`);
  const issuerUrl = new URL(config.issuer);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- only for an issuer on loopback (issuerUrlProblem refuses plain http elsewhere)
  const options = issuerUrl.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { ...options, algorithm: 'oidc' }));
  if (as.jwks_uri === undefined) throw new Error(`external issuer ${config.issuer} publishes no jwks_uri`);
  const jwksUri = new URL(as.jwks_uri);
  const jwksProblem = issuerUrlProblem(jwksUri.href);
  if (jwksProblem !== undefined) throw new Error(`external issuer ${config.issuer}: its jwks_uri: ${jwksProblem}`);
  const keys = createRemoteJWKSet(jwksUri, { timeoutDuration: JWKS_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_CACHE_MAX_AGE_MS });
  return {
    trusted: {
      name: `external:${as.issuer}`,
      issuer: as.issuer,
      audience: config.audience,
      keys,
      algorithms: [...EXTERNAL_ALGORITHMS],
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
    },
    async grantsOf(claims) {
      const mapped = rolesAt(claims, config.rolesClaim).map((r) => config.roleMap.get(r)).filter((m) => m !== undefined);
      if (mapped.length === 0) return [];
      const roles = new Map((await rbac.listRoles()).map((r) => [r.name, r.privileges]));
      return mapped.flatMap((m): Grant[] => {
        const privileges = roles.get(m.role);
        return privileges === undefined ? [] : [{ role: m.role, participant: m.participant, privileges: new Set(privileges.filter(isPrivilege)) }];
      });
    },
  };
}

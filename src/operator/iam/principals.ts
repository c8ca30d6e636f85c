// From a verified access token to the principal the admin API authorizes:
// an automation client (client credentials: sub = client_id), an operator
// (authorization code through the portal: sub = operator id, client_id = the
// portal), or a user of an external issuer (roles mapped from its claims).
// Grants are read from the database on every request, so a revoked role or a
// deactivated operator loses access at once, not when the token expires.
import type { JWTPayload } from 'jose';
import type { Clock } from '../../support/index.ts';
import { err, ok, type Result } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import type { Grant, Principal } from '../rbac/authorize.ts';
import type { RbacStore } from '../rbac/store.ts';
import { GRANT_ID_CLAIM, PORTAL_CLIENT_ID } from './authorization_server.ts';
import type { ClientStore } from './clients.ts';
import { grantIsLive } from './oidc_adapter.ts';
import type { OperatorStore } from './operators.ts';
import type { SecretBox } from './secret_box.ts';
import type { TrustedIssuer } from './token_verifier.ts';

export type PrincipalResult = Result<Principal, string>;

/** Maps an external issuer's claims to grants of local roles. */
export type ExternalGrants = (claims: JWTPayload) => Promise<Grant[]>;

export interface PrincipalDeps {
  db: Db;
  clock: Clock;
  operators: OperatorStore;
  clients: ClientStore;
  rbac: RbacStore;
  /** Opens nothing here: it keys the authorization server's rows (oidc_adapter.ts). */
  secretBox: SecretBox;
  externalGrants: (issuerName: string) => ExternalGrants | undefined;
}

export async function resolvePrincipal(deps: PrincipalDeps, issuer: TrustedIssuer, claims: JWTPayload): Promise<PrincipalResult> {
  const sub = claims.sub;
  const clientId = claims['client_id'];
  if (typeof sub !== 'string' || sub === '') return err('the token names no subject');
  if (issuer.name !== 'local') {
    const mapping = deps.externalGrants(issuer.name);
    if (mapping === undefined) return err('the token\'s issuer has no role mapping');
    const name = typeof claims['preferred_username'] === 'string' ? claims['preferred_username'] : sub;
    return ok({ kind: 'external', id: `${issuer.issuer}#${sub}`, name, grants: await mapping(claims) });
  }
  if (typeof clientId !== 'string') return err('the token names no client');
  if (sub === clientId) {
    const client = await deps.clients.find(clientId);
    if (client?.is_active !== 1) return err('the client is not active');
    return ok({ kind: 'client', id: client.client_id, name: client.client_id, grants: await deps.rbac.grantsOf(client.client_id) });
  }
  // Operators sign in through the portal only.
  if (clientId !== PORTAL_CLIENT_ID) return err('operator tokens come from the portal');
  const operator = await deps.operators.find(sub);
  if (operator?.is_active !== 1) return err('the operator is not active');
  const grantId = claims[GRANT_ID_CLAIM];
  if (typeof grantId !== 'string' || !(await grantIsLive(deps.db, deps.clock, deps.secretBox, grantId))) return err('the session was ended');
  return ok({ kind: 'operator', id: operator.id, name: operator.username, grants: await deps.rbac.grantsOf(operator.id) });
}

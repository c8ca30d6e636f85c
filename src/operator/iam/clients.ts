// Automation clients: programs that call the admin API with the client
// credentials grant. They authenticate to the token endpoint with
// private_key_jwt (RFC 7523): the hub stores only their public keys, so no
// client secret can leak from its database.
//
// DFSPs are clients too, of the FSPIOP API, and are not registered here: each
// active DFSP participant is the client fsp:<fspId>, which authenticates with
// its scheme TLS certificate (RFC 8705 tls_client_auth: the certificate's
// urn:mojaloop:fspid SAN must name the same fspId) and gets access tokens
// bound to that certificate. Deactivating the participant ends its client.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { fspIdOfClientId, IAM_SIGNING_ALG, PARTICIPANT_CLIENT_PREFIX, participantClientId } from '../../identity/index.ts';
import { ok } from '../../support/index.ts';
import { fspIdUri } from '../../pki/index.ts';
import { findActiveFsp } from '../../participants/index.ts';
import type { Clock } from '../../support/index.ts';
import { runRefusable, type Db, type Engine } from '../../storage/index.ts';
import { iamTables, type IamClient } from './tables.ts';

const CLIENT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;
/** A client rolls its key over by holding two for a while. */
const CLIENT_KEYS_MAX = 2;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID_PATTERN.test(value);
}

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid?: string;
}

/** The client's public keys, checked: P-256 only (ES256), no private members. */
export function publicKeysProblem(jwks: unknown): string | undefined {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) return 'jwks must be a JWK Set {"keys": [...]}';
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > CLIENT_KEYS_MAX) return `jwks must hold 1 to ${CLIENT_KEYS_MAX} keys`;
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) return 'each key must be a JWK object';
    const jwk = key as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'a key must be public: it has private members';
    if (jwk['kty'] !== 'EC' || jwk['crv'] !== 'P-256' || typeof jwk['x'] !== 'string' || typeof jwk['y'] !== 'string') return 'each key must be an EC P-256 public key (ES256)';
  }
  return undefined;
}

export function clientView(client: IamClient) {
  return {
    clientId: client.client_id,
    displayName: client.display_name,
    isActive: client.is_active === 1,
    keys: (JSON.parse(client.public_jwks) as { keys: PublicJwk[] }).keys.map((k) => ({ kid: k.kid ?? null, kty: k.kty, crv: k.crv })),
    createdAt: new Date(client.created_at_ms).toISOString(),
    createdBy: client.created_by,
  };
}

export function createClientStore({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  const find = (clientId: string) => iamTables(db).selectFrom('iam_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();

  async function create(input: { clientId: string; displayName: string; jwks: unknown }, createdBy: string): Promise<FspiopResult<IamClient>> {
    if (!isClientId(input.clientId)) return fail('3100', 'clientId must be 3..64 lower-case letters, digits, ".", "_" or "-"');
    const problem = publicKeysProblem(input.jwks);
    if (problem !== undefined) return fail('3100', problem);
    const keys = (input.jwks as { keys: Record<string, unknown>[] }).keys.map((k) => ({ kty: k['kty'], crv: k['crv'], x: k['x'], y: k['y'], ...(typeof k['kid'] === 'string' ? { kid: k['kid'] } : {}) }));
    const nowMs = clock.nowMs();
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<IamClient>> => {
      const created = await iamTables(tx).insertInto('iam_clients').values({
        client_id: input.clientId, display_name: input.displayName, public_jwks: JSON.stringify({ keys }), is_active: 1,
        created_at_ms: nowMs, created_by: createdBy, changed_at_ms: nowMs,
      }).onConflict((oc) => oc.column('client_id').doNothing()).returningAll().executeTakeFirst();
      return created === undefined ? fail('3000', `client ${input.clientId} already exists`) : ok(created);
    });
  }

  async function setActive(clientId: string, isActive: boolean): Promise<FspiopResult<IamClient>> {
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<IamClient>> => {
      const updated = await iamTables(tx).updateTable('iam_clients').set({ is_active: isActive ? 1 : 0, changed_at_ms: clock.nowMs() }).where('client_id', '=', clientId).returningAll().executeTakeFirst();
      return updated === undefined ? fail('3200', `client ${clientId} does not exist`) : ok(updated);
    });
  }

  /**
   * oidc-provider's metadata for a DFSP client: client credentials only, RFC 8705 tls_client_auth by the
   * participant's certificate SAN, tokens bound to that certificate. The FSPIOP scopes it may be granted are
   * decided per token request (authorization_server.ts): oidc-provider allows only its OpenID scopes in `scope`.
   */
  async function participantMetadata(fspId: string): Promise<Record<string, unknown> | undefined> {
    const participant = await findActiveFsp(db, fspId);
    if (participant === undefined) return undefined;
    return {
      client_id: participantClientId(participant.name),
      client_name: participant.name,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_san_uri: fspIdUri(participant.name),
      tls_client_certificate_bound_access_tokens: true,
    };
  }

  /** oidc-provider's metadata for an active client: automation clients (client credentials, private_key_jwt with ES256), and DFSPs. */
  async function metadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    if (clientId.startsWith(PARTICIPANT_CLIENT_PREFIX)) {
      const fspId = fspIdOfClientId(clientId);
      return fspId === undefined ? undefined : participantMetadata(fspId);
    }
    if (!isClientId(clientId)) return undefined;
    const client = await find(clientId);
    if (client?.is_active !== 1) return undefined;
    return {
      client_id: client.client_id,
      client_name: client.display_name,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: IAM_SIGNING_ALG,
      jwks: JSON.parse(client.public_jwks) as unknown,
    };
  }

  const list = () => iamTables(db).selectFrom('iam_clients').selectAll().orderBy('client_id').execute();

  return { create, find, list, setActive, metadata };
}

export type ClientStore = ReturnType<typeof createClientStore>;

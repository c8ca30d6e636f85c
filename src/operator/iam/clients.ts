// Automation clients: programs that call the admin API with the client
// credentials grant. They authenticate to the token endpoint with
// private_key_jwt (RFC 7523): the hub stores only their public keys, so no
// client secret can leak from its database.
import { fail, ok, type Result } from '../../fspiop/errors.ts';
import type { Clock } from '../../support/clock.ts';
import type { Db } from '../../storage/index.ts';
import { IAM_SIGNING_ALG } from './keys.ts';
import type { IamClient } from './tables.ts';

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

export function createClientStore({ db, clock }: { db: Db; clock: Clock }) {
  const find = (clientId: string) => db.selectFrom('iam_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();

  async function create(input: { clientId: string; displayName: string; jwks: unknown }, createdBy: string): Promise<Result<IamClient>> {
    if (!isClientId(input.clientId)) return fail('3100', 'clientId must be 3..64 lower-case letters, digits, ".", "_" or "-"');
    const problem = publicKeysProblem(input.jwks);
    if (problem !== undefined) return fail('3100', problem);
    const keys = (input.jwks as { keys: Record<string, unknown>[] }).keys.map((k) => ({ kty: k['kty'], crv: k['crv'], x: k['x'], y: k['y'], ...(typeof k['kid'] === 'string' ? { kid: k['kid'] } : {}) }));
    const nowMs = clock.nowMs();
    const created = await db.insertInto('iam_clients').values({
      client_id: input.clientId, display_name: input.displayName, public_jwks: JSON.stringify({ keys }), is_active: 1,
      created_at_ms: nowMs, created_by: createdBy, changed_at_ms: nowMs,
    }).onConflict((oc) => oc.column('client_id').doNothing()).returningAll().executeTakeFirst();
    return created === undefined ? fail('3000', `client ${input.clientId} already exists`) : ok(created);
  }

  async function setActive(clientId: string, isActive: boolean): Promise<Result<IamClient>> {
    const updated = await db.updateTable('iam_clients').set({ is_active: isActive ? 1 : 0, changed_at_ms: clock.nowMs() }).where('client_id', '=', clientId).returningAll().executeTakeFirst();
    return updated === undefined ? fail('3200', `client ${clientId} does not exist`) : ok(updated);
  }

  /** oidc-provider's metadata for an active client: client credentials only, private_key_jwt with ES256. */
  async function metadata(clientId: string): Promise<Record<string, unknown> | undefined> {
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

  const list = () => db.selectFrom('iam_clients').selectAll().orderBy('client_id').execute();

  return { create, find, list, setActive, metadata };
}

export type ClientStore = ReturnType<typeof createClientStore>;

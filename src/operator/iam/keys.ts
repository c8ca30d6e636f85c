// The authorization server's keys: the ES256 key that signs access and ID
// tokens, the keys that sign its cookies, and the operator portal's own
// client key (the portal authenticates to the token endpoint with
// private_key_jwt). They live in the database so that every hub process on
// one database signs and verifies alike; the first process to start makes
// them (insert-if-absent, then everyone reads what won).
//
// Anyone who can read this table can mint admin tokens: it is as sensitive as
// the ledger itself. (Wrapping with a key-encryption key or an HSM is future work.)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../../support/clock.ts';
import type { Db } from '../../storage/index.ts';

/** The one signature algorithm of this authorization server: short keys, fast, FAPI 2.0's choice. */
export const IAM_SIGNING_ALG = 'ES256';

export interface KeyPairJwk {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export interface IamKeys {
  readonly signing: KeyPairJwk;
  /** For oidc-provider's signed cookies (Keygrip); the first signs, all verify. */
  readonly cookieKeys: readonly string[];
  readonly portalClient: KeyPairJwk;
}

async function newKeyPair(): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK);
  return JSON.stringify({ ...jwk, kid, alg: IAM_SIGNING_ALG, use: 'sig' });
}

function keyPairOf(material: string): KeyPairJwk {
  const privateJwk = JSON.parse(material) as JWK & { kid: string };
  const { d: _private, ...publicJwk } = privateJwk;
  return { kid: privateJwk.kid, privateJwk, publicJwk };
}

async function ensure(db: Db, name: string, make: () => Promise<string> | string, nowMs: number): Promise<string> {
  await db.insertInto('iam_keys').values({ name, material: await make(), created_at_ms: nowMs })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
  return (await db.selectFrom('iam_keys').select('material').where('name', '=', name).executeTakeFirstOrThrow()).material;
}

export async function loadIamKeys(db: Db, clock: Clock): Promise<IamKeys> {
  const nowMs = clock.nowMs();
  return {
    signing: keyPairOf(await ensure(db, 'as-signing-es256', newKeyPair, nowMs)),
    cookieKeys: [await ensure(db, 'as-cookies', () => randomBytes(32).toString('base64url'), nowMs)],
    portalClient: keyPairOf(await ensure(db, 'portal-client-es256', newKeyPair, nowMs)),
  };
}

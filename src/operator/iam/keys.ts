// The authorization server's keys: the ES256 key that signs access and ID
// tokens, the keys that sign its cookies, and the operator portal's own
// client key (the portal authenticates to the token endpoint with
// private_key_jwt). They live in the database so that every hub process on
// one database signs and verifies alike; the first process to start makes
// them (insert-if-absent, then everyone reads what won).
//
// Whoever holds these keys can mint admin tokens, so the database holds them
// sealed (secret_box.ts), each for its own row ("iam_keys:<name>"), with the
// key file every hub process on the database shares. Values stored in clear by
// an earlier version are sealed at start (sealIamKeysAtRest).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { IAM_SIGNING_ALG } from '../../identity/index.ts';
import type { Clock } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import { inMemorySecretBox, sealStoredSecrets, type SealedAtRest, type SecretBox } from './secret_box.ts';
import { iamTables } from './tables.ts';

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

/** Where a key's material is sealed for: its row. */
export function iamKeyContext(name: string): string {
  return `iam_keys:${name}`;
}

async function ensure(db: Db, box: SecretBox, name: string, make: () => Promise<string> | string, nowMs: number): Promise<string> {
  await iamTables(db).insertInto('iam_keys').values({ name, material: box.seal(await make(), iamKeyContext(name)), created_at_ms: nowMs })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
  const { material } = await iamTables(db).selectFrom('iam_keys').select('material').where('name', '=', name).executeTakeFirstOrThrow();
  return box.open(material, iamKeyContext(name));
}

/** The authorization server's keys, made if absent; `box` opens them (this process's in-memory box when absent: tests). */
export async function loadIamKeys(db: Db, clock: Clock, box: SecretBox = inMemorySecretBox()): Promise<IamKeys> {
  const nowMs = clock.nowMs();
  return {
    signing: keyPairOf(await ensure(db, box, 'as-signing-es256', newKeyPair, nowMs)),
    cookieKeys: [await ensure(db, box, 'as-cookies', () => randomBytes(32).toString('base64url'), nowMs)],
    portalClient: keyPairOf(await ensure(db, box, 'portal-client-es256', newKeyPair, nowMs)),
  };
}

/**
 * At start: seals every key stored in clear (by a version before sealing), each only if it is still the
 * value read, so that hub processes starting together seal it once; and tells which sealed keys do not open.
 */
export async function sealIamKeysAtRest(db: Db, box: SecretBox): Promise<SealedAtRest> {
  const rows = await iamTables(db).selectFrom('iam_keys').select(['name', 'material']).orderBy('name').execute();
  return sealStoredSecrets(box, rows.map(({ name, material }) => ({ label: name, context: iamKeyContext(name), stored: material })), async ({ label, stored }, sealed) =>
    Number((await iamTables(db).updateTable('iam_keys').set({ material: sealed }).where('name', '=', label).where('material', '=', stored).executeTakeFirst()).numUpdatedRows));
}

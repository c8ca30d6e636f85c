// The hub's public keys as a JWK Set (RFC 7517), for DFSPs to verify what the
// hub signs. Only public members are ever written: a private KeyObject is a
// programmer error here, since exporting it as a JWK would publish it.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import type { SigningAlg } from '../participants/index.ts';

export interface PublicSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicKey: KeyObject;
}

export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly use: 'sig';
  readonly [member: string]: string;
}

/** Members a public RSA or EC JWK has (RFC 7518 §6.2.1, §6.3.1); anything else is left out. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'];

export function publicJwkOf(key: PublicSigningKey): PublicJwk {
  assert.equal(key.publicKey.type, 'public', `publicJwkOf: key ${key.kid} is not a public key`);
  const exported = key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const jwk: Record<string, string> = {};
  for (const member of PUBLIC_MEMBERS) {
    const value = exported[member];
    if (typeof value === 'string') jwk[member] = value;
  }
  return { ...jwk, kty: jwk['kty'] ?? '', kid: key.kid, alg: key.alg, use: 'sig' };
}

export function jwksOf(keys: readonly PublicSigningKey[]): { keys: PublicJwk[] } {
  return { keys: keys.map(publicJwkOf) };
}

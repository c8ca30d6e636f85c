// The scheme CA's key types and the signature each one makes.
//
// The root is ECDSA P-384: it lives ten years, and its key is used only at
// the few ceremonies that sign an intermediate or the root CRL. The issuing
// (intermediate) CA is ECDSA P-256: every peer verifies its signature at each
// TLS handshake, and P-256 verifies several times faster than P-384 with the
// same 128-bit security margin as the leaves it signs.
import type { CryptoKey } from './x509.ts';

export const ROOT_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-384' } as const;
export const INTERMEDIATE_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The ECDSA signature a CA key makes: the hash matched to its curve (RFC 5480 §4). */
export function signingAlgorithmOf(key: CryptoKey): { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' } {
  const { name, namedCurve } = key.algorithm as { name: string; namedCurve?: string };
  if (name !== 'ECDSA' || (namedCurve !== 'P-256' && namedCurve !== 'P-384')) {
    throw new Error(`a scheme CA key must be ECDSA P-256 or P-384, not ${name} ${namedCurve ?? ''}`);
  }
  return { name: 'ECDSA', hash: namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' };
}

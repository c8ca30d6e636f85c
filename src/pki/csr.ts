// A participant's certificate signing request (PKCS#10), checked before the CA
// signs anything: one PEM block, parsed with resource limits, a key the scheme
// accepts, a strong hash, and a valid self-signature (proof that the requester
// holds the private key). Nothing else in the CSR is used: its subject and any
// extensions it asks for are ignored, because the CA decides the profile.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import { CSR_PARSE_OPTIONS, CSR_PEM_CHARS_MAX, RSA_MODULUS_BITS_MAX, RSA_MODULUS_BITS_MIN, RSA_PUBLIC_EXPONENT } from './limits.ts';
import { nodeCrypto, x509 } from './x509.ts';

/**
 * The keys the scheme certifies: ECDSA P-256 and P-384, and RSA (PKCS#1 v1.5
 * or PSS signatures by the key holder) of 2048 to 8192 bits. Ed25519 is
 * refused: Mojaloop DFSP stacks and many TLS 1.2 clients cannot use an
 * Ed25519 certificate, and a certificate a peer cannot verify is an outage.
 * P-521 and other curves are refused for the same reason.
 */
export type KeyKind = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa';

export interface CheckedCsr {
  readonly publicKey: x509.PublicKey;
  readonly keyKind: KeyKind;
  /** e.g. "ECDSA P-256", "RSA 3072": for listings and messages. */
  readonly keyDescription: string;
}

const CSR_PEM_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
/** SHA-1 is refused even for a CSR's proof of possession: nothing new should be signed with it. */
const CSR_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

const ACCEPTED_KEYS = `ECDSA P-256 or P-384, or RSA of ${RSA_MODULUS_BITS_MIN} bits or more`;

function keyOf(spki: KeyObject): FspiopResult<{ keyKind: KeyKind; keyDescription: string }> {
  const details = spki.asymmetricKeyDetails ?? {};
  if (spki.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return ok({ keyKind: 'ecdsa-p256', keyDescription: 'ECDSA P-256' });
    if (details.namedCurve === 'secp384r1') return ok({ keyKind: 'ecdsa-p384', keyDescription: 'ECDSA P-384' });
    return fail('3100', `the CSR's key is on curve ${details.namedCurve ?? 'unknown'}; the scheme accepts ${ACCEPTED_KEYS}`);
  }
  if (spki.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < RSA_MODULUS_BITS_MIN) return fail('3100', `the CSR's RSA key has ${bits} bits; the scheme accepts ${RSA_MODULUS_BITS_MIN} bits or more`);
    if (bits > RSA_MODULUS_BITS_MAX) return fail('3100', `the CSR's RSA key has ${bits} bits; the scheme accepts at most ${RSA_MODULUS_BITS_MAX}`);
    if (details.publicExponent !== BigInt(RSA_PUBLIC_EXPONENT)) return fail('3100', `the CSR's RSA key must have public exponent ${RSA_PUBLIC_EXPONENT}`);
    return ok({ keyKind: 'rsa', keyDescription: `RSA ${bits}` });
  }
  // Ed25519, RSA-PSS-only keys (id-RSASSA-PSS), DSA, post-quantum keys: see KeyKind.
  return fail('3100', `the CSR's key is ${spki.asymmetricKeyType ?? 'of an unknown type'}; the scheme accepts ${ACCEPTED_KEYS}`);
}

export async function checkCsr(pem: unknown): Promise<FspiopResult<CheckedCsr>> {
  if (typeof pem !== 'string' || pem.length === 0 || pem.length > CSR_PEM_CHARS_MAX) {
    return fail('3100', `the CSR must be PEM text of at most ${CSR_PEM_CHARS_MAX} characters`);
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    const blocks = x509.PemConverter.decodeWithHeaders(pem);
    const [block] = blocks;
    if (blocks.length !== 1 || block === undefined || !CSR_PEM_LABELS.has(block.type)) {
      return fail('3101', 'the CSR must be exactly one PEM block labelled CERTIFICATE REQUEST');
    }
    csr = new x509.Pkcs10CertificateRequest(block.rawData, CSR_PARSE_OPTIONS);
  } catch {
    return fail('3101', 'the CSR is not a well-formed PKCS#10 request');
  }

  let spki: KeyObject;
  try {
    spki = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    return fail('3100', 'the CSR carries a public key of a type the scheme does not accept');
  }
  const key = keyOf(spki);
  if (!key.ok) return key;

  let signatureValid: boolean;
  try {
    // The library types the hash with DOM declarations this project does not load.
    const hash: unknown = (csr.signatureAlgorithm.hash as { name?: unknown } | undefined)?.name;
    if (typeof hash !== 'string' || !CSR_HASHES.has(hash)) {
      return fail('3100', `the CSR is signed with ${typeof hash === 'string' ? hash : 'an unknown algorithm'}; the scheme accepts SHA-256, SHA-384 or SHA-512`);
    }
    signatureValid = await csr.verify(nodeCrypto);
  } catch {
    // An algorithm the library or WebCrypto does not know, or a malformed signature value.
    signatureValid = false;
  }
  if (!signatureValid) return fail('3105', "the CSR's signature does not verify with its own public key");
  return ok({ publicKey: csr.publicKey, ...key.value });
}

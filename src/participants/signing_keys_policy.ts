// Which keys Interlock accepts for FSPIOP signatures: one rule for the key
// registry (a DFSP's public key), the hub's own key and every verification,
// so that a key refused at registration can never be used some other way.
//
// Algorithms are the two Mojaloop's SDK validator accepts (RS256, ES256); the
// FSPIOP specification also names RS384/RS512, which no SDK peer can verify.
// HMAC (a shared secret cannot attribute a message to one sender), PS256 (no
// Mojaloop peer signs or verifies it) and `none` are never accepted.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { err, ok, type Err, type Result } from '../support/index.ts';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

export const SIGNING_KEY_LIMITS = {
  /** FSPIOP (Signature v1.1) and NIST SP 800-57: RSA below 2048 bits is refused. */
  rsaModulusBitsMin: 2048,
  /** Verification cost grows with the modulus; 8192 bits covers every key schemes issue and bounds the work an attacker's key can cause. */
  rsaModulusBitsMax: 8192,
  /** Exponent 3 keys are where PKCS#1 v1.5 forgeries against lax verifiers (Bleichenbacher 2006) start; every current tool makes 65537. */
  rsaPublicExponentMin: 65_537n,
  /** A key as text (PEM, or JWK as JSON): an 8192-bit RSA SPKI PEM is about 1.5k characters. */
  publicKeyTextLengthMax: 8_192,
  /** Keys a participant may hold at once, not revoked and not expired: two for a rollover, with room for a staged third; also bounds the verifications one request can cost. */
  keysPerParticipantMax: 4,
} as const;

/** The one ES256 curve (RFC 7518 §3.4): P-256, as OpenSSL names it. */
const ES256_CURVE = 'prime256v1';

/** Why a key is refused; `weak` marks keys of a usable type that are too small. */
export interface KeyRefusal {
  readonly weak: boolean;
  readonly reason: string;
}

export type KeyPolicyVerdict = Result<SigningAlg, KeyRefusal>;

function refuse(reason: string, weak = false): Err<KeyRefusal> {
  return err({ weak, reason });
}

/**
 * The algorithm a key (public or private) signs with, or why Interlock
 * refuses it. `weak` marks keys of a usable type that are too small, as
 * distinct from keys of a type or curve Interlock does not use at all.
 */
export function signingAlgOf(key: KeyObject): KeyPolicyVerdict {
  if (key.type === 'secret') return refuse('a symmetric (HMAC) key cannot sign FSPIOP messages');
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < SIGNING_KEY_LIMITS.rsaModulusBitsMin) return refuse(`an RSA key of ${bits} bits is too weak; at least ${SIGNING_KEY_LIMITS.rsaModulusBitsMin} bits are required`, true);
    if (bits > SIGNING_KEY_LIMITS.rsaModulusBitsMax) return refuse(`an RSA key of ${bits} bits is larger than the ${SIGNING_KEY_LIMITS.rsaModulusBitsMax} bits accepted`);
    const exponent = details.publicExponent ?? 0n;
    if (exponent < SIGNING_KEY_LIMITS.rsaPublicExponentMin) return refuse(`an RSA public exponent of ${exponent} is too small; 65537 is required`, true);
    return ok('RS256');
  }
  if (type === 'ec') {
    if (details.namedCurve !== ES256_CURVE) return refuse(`an EC key on ${details.namedCurve ?? 'an unnamed curve'} cannot sign ES256, which needs P-256`);
    return ok('ES256');
  }
  // RSASSA-PSS ('rsa-pss': no Mojaloop peer verifies PS256), EdDSA, DSA, key agreement and post-quantum types alike.
  return refuse(`a ${type ?? 'unknown'} key cannot sign RS256 or ES256`);
}

export type ParsedPublicKey = Result<{ readonly publicKey: KeyObject; readonly alg: SigningAlg }, KeyRefusal>;

const PEM_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{1,40})-----/g;
/** JWK members only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function isPrivateKeyText(text: string): boolean {
  // createPublicKey derives a public key from a private one without a word, so
  // a private key sent by mistake must be caught before it is parsed.
  try {
    createPrivateKey({ key: text, format: 'pem' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A participant's public key from an SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC
 * KEY") PEM, or a public JWK. Private keys are refused (the sender should
 * treat such a key as disclosed), as are certificates (the registry holds
 * keys; certificates belong to the scheme PKI) and anything signingAlgOf refuses.
 */
export function parsePublicKey(input: unknown): ParsedPublicKey {
  let publicKey: KeyObject;
  if (typeof input === 'string') {
    if (input.length > SIGNING_KEY_LIMITS.publicKeyTextLengthMax) return refuse(`the key is longer than ${SIGNING_KEY_LIMITS.publicKeyTextLengthMax} characters`);
    const labels = [...input.matchAll(PEM_BEGIN)].map((m) => m[1] ?? '');
    if (labels.some((label) => label.includes('PRIVATE')) || isPrivateKeyText(input)) {
      return refuse('this is a private key: send only the public key, and treat this private key as disclosed');
    }
    const [label] = labels;
    if (labels.length !== 1 || label === undefined || !PEM_LABELS.has(label)) {
      return refuse('the key must be one PEM block, "PUBLIC KEY" (SPKI) or "RSA PUBLIC KEY" (PKCS#1), or a public JWK');
    }
    try {
      publicKey = createPublicKey({ key: input, format: 'pem' });
    } catch {
      return refuse('the PEM does not hold a readable public key');
    }
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const jwk = input as Record<string, unknown>;
    if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
      return refuse('this JWK holds private or symmetric key material: send only the public key, and treat the private key as disclosed');
    }
    // A JWK that names its own use or algorithm must name this one; a key meant for encryption is not a signing key.
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return refuse('the JWK "use" must be "sig"');
    try {
      publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      return refuse('the JWK is not a readable RSA or EC public key');
    }
  } else {
    return refuse('the key must be a PEM string or a JWK object');
  }
  const verdict = signingAlgOf(publicKey);
  if (!verdict.ok) return verdict;
  const named = typeof input === 'object' ? (input as Record<string, unknown>)['alg'] : undefined;
  if (named !== undefined && named !== verdict.value) return refuse(`the JWK names alg ${JSON.stringify(named)}, but this key signs ${verdict.value}`);
  return ok({ publicKey, alg: verdict.value });
}

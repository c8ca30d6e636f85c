// A key pair and a PKCS#10 CSR for it, as a participant makes them (and as
// the hub makes them for its own TLS certificate): keys from node's WebCrypto,
// the CSR from @peculiar/x509. The options that make bad keys or bad CSRs are
// for tests of the CA's refusals.
import type { webcrypto } from 'node:crypto';
import { privateKeyPem } from './pem.ts';
import { nodeCrypto, x509, type CryptoKeyPair } from './x509.ts';

export type TestKeyType = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-1024' | 'rsa-2048' | 'ed25519';

const RSA_EXPONENT_65537 = new Uint8Array([1, 0, 1]);
const USAGES: ['sign', 'verify'] = ['sign', 'verify'];

async function generateKeys(keyType: TestKeyType): Promise<{ keys: CryptoKeyPair; sign: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams }> {
  const { subtle } = nodeCrypto;
  switch (keyType) {
    case 'ec-p256': return { keys: await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, USAGES), sign: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'ec-p384': return { keys: await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, USAGES), sign: { name: 'ECDSA', hash: 'SHA-384' } };
    case 'ec-p521': return { keys: await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, USAGES), sign: { name: 'ECDSA', hash: 'SHA-512' } };
    case 'rsa-1024':
    case 'rsa-2048': {
      const modulusLength = keyType === 'rsa-1024' ? 1024 : 2048;
      const keys = await subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: RSA_EXPONENT_65537, hash: 'SHA-256' }, true, USAGES);
      return { keys, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    }
    case 'ed25519': return { keys: await subtle.generateKey('Ed25519', true, USAGES) as CryptoKeyPair, sign: { name: 'Ed25519' } };
  }
}

export interface TestCsr {
  readonly csrPem: string;
  /** PKCS#8 PEM, as node:tls's `key` option takes it. */
  readonly keyPem: string;
  readonly keys: CryptoKeyPair;
}

export interface CsrOptions {
  readonly keyType?: TestKeyType;
  /** The subject the requester asks for; the CA ignores it. */
  readonly subject?: string;
  /** Extensions the requester asks for; the CA ignores them. */
  readonly extensions?: x509.Extension[];
  /** Sign the CSR with this key instead of its own: a CSR whose signature does not verify. */
  readonly signWith?: CryptoKeyPair;
}

/** A key pair (ECDSA P-256 unless told) and a CSR for it. */
export async function makeCsr(options: CsrOptions = {}): Promise<TestCsr> {
  const { keys, sign } = await generateKeys(options.keyType ?? 'ec-p256');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject ?? 'CN=test',
    keys: { publicKey: keys.publicKey, privateKey: (options.signWith ?? keys).privateKey },
    signingAlgorithm: sign,
    extensions: options.extensions ?? [],
  }, nodeCrypto);
  const keyPem = privateKeyPem(await nodeCrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { csrPem: `${csr.toString('pem')}\n`, keyPem, keys };
}


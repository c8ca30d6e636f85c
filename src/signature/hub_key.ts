// The hub's own signing key: a PKCS#8 PEM file the operator provides, or one
// the hub makes at first start in its data directory. The file must be
// readable by its owner only; the hub refuses to use a key others could have
// read, since whoever reads it can sign as the hub.
//
// Several hub processes on one database must share one key (DFSPs verify the
// hub's messages with the key published for "Hub"): give them the same file,
// rather than letting each make its own in a data directory of its own.
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { signingAlgOf, type SigningAlg } from '../participants/index.ts';
import { KeyFileError, isMissingKeyFile, readOwnerOnlyPrivateKey, writeNewKeyFile } from '../support/index.ts';
import type { SigningKey } from './sign_message.ts';

export interface HubSigningKey extends SigningKey {
  readonly publicKey: KeyObject;
}

/** The file the hub makes in its data directory when no key file is configured. */
export const HUB_KEY_FILE_NAME = 'hub_signing_key.pem';

/** A PKCS#8 PEM of an RSA 8192 key is about 6.3k characters. */
const KEY_FILE_BYTES_MAX = 16_384;
/** RSA for a generated key: 3072 bits (NIST SP 800-57 for use past 2030); the hub signs only what it originates, so the cost is small. */
const GENERATED_RSA_MODULUS_BITS = 3072;

/** A key file the hub will not use, and why (the message never contains key material). */
export class HubKeyError extends KeyFileError {
  override readonly name: string = 'HubKeyError';
}

async function hubKeyOf(privateKey: KeyObject, where: string): Promise<HubSigningKey> {
  const verdict = signingAlgOf(privateKey);
  if (!verdict.ok) throw new HubKeyError(`hub signing key ${where}: ${verdict.error.reason}`);
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');
  return { kid, alg: verdict.value, privateKey, publicKey };
}

/** Reads the hub's key from a PKCS#8 PEM file readable and writable by its owner only. */
export async function loadHubSigningKey(path: string): Promise<HubSigningKey> {
  return hubKeyOf(readOwnerOnlyPrivateKey(path, 'hub signing key', KEY_FILE_BYTES_MAX, (message, options) => new HubKeyError(message, options)), path);
}

/**
 * Makes a new key and stores it as `dir`/hub_signing_key.pem (or `fileName`), mode 0600, without ever
 * replacing a file there (support/key_file.ts): of two processes starting at once, one key wins and both use it.
 */
export async function createHubSigningKey(dir: string, options: { readonly alg: SigningAlg; readonly fileName?: string }): Promise<HubSigningKey> {
  const path = join(dir, options.fileName ?? HUB_KEY_FILE_NAME);
  const { privateKey } = options.alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: GENERATED_RSA_MODULUS_BITS, publicExponent: 0x10001 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const linked = writeNewKeyFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  // Another process made one first: its key is the hub's.
  return linked ? hubKeyOf(privateKey, path) : loadHubSigningKey(path);
}

/**
 * The hub's key: from `keyFile` when one is configured (it must exist),
 * else from the data directory (`fileName` there, hub_signing_key.pem unless
 * given), made there at first start. A simulated DFSP keeps its own key the same way.
 */
export async function loadOrCreateHubSigningKey(options: { readonly keyFile?: string | undefined; readonly dataDir: string; readonly alg: SigningAlg; readonly fileName?: string }): Promise<HubSigningKey> {
  if (options.keyFile !== undefined) return loadHubSigningKey(options.keyFile);
  const fileName = options.fileName ?? HUB_KEY_FILE_NAME;
  try {
    return await loadHubSigningKey(join(options.dataDir, fileName));
  } catch (error) {
    if (!isMissingKeyFile(error)) throw error;
  }
  return createHubSigningKey(options.dataDir, { alg: options.alg, fileName });
}

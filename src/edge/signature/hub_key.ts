// The hub's own signing key: a PKCS#8 PEM file the operator provides, or one
// the hub makes at first start in its data directory. The file must be
// readable by its owner only; the hub refuses to use a key others could have
// read, since whoever reads it can sign as the hub.
//
// Several hub processes on one database must share one key (DFSPs verify the
// hub's messages with the key published for "Hub"): give them the same file,
// rather than letting each make its own in a data directory of its own.
import { generateKeyPairSync, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, openSync, closeSync, fstatSync, readFileSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { signingAlgOf, type SigningAlg } from '../../participants/index.ts';
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
const OWNER_ONLY = 0o600;

/** A key file the hub will not use, and why (the message never contains key material). */
export class HubKeyError extends Error {
  override readonly name = 'HubKeyError';
}

async function hubKeyOf(privateKey: KeyObject, where: string): Promise<HubSigningKey> {
  const verdict = signingAlgOf(privateKey);
  if (!verdict.ok) throw new HubKeyError(`hub signing key ${where}: ${verdict.reason}`);
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');
  return { kid, alg: verdict.alg, privateKey, publicKey };
}

/** Reads the hub's key from a PKCS#8 PEM file readable and writable by its owner only. */
export async function loadHubSigningKey(path: string): Promise<HubSigningKey> {
  let fd: number;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the key file
    fd = openSync(path, 'r');
  } catch (error) {
    throw new HubKeyError(`hub signing key ${path} cannot be opened: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  let text: string;
  try {
    // Checked on the open file, so the file read is the file checked (a symbolic link, as a mounted secret is, is followed).
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new HubKeyError(`hub signing key ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new HubKeyError(`hub signing key ${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: group or others may read or write it; make it 0600 (chmod 600) and consider the key exposed if others could read it`);
    }
    if (stat.size > KEY_FILE_BYTES_MAX) throw new HubKeyError(`hub signing key ${path} is larger than ${KEY_FILE_BYTES_MAX} bytes`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a descriptor, opened above
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if (!/^-----BEGIN PRIVATE KEY-----$/m.test(text)) {
    throw new HubKeyError(`hub signing key ${path} is not an unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"); convert it with: openssl pkcs8 -topk8 -nocrypt`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new HubKeyError(`hub signing key ${path} cannot be read as a private key`, { cause: error });
  }
  return hubKeyOf(privateKey, path);
}

/**
 * Makes a new key and stores it as `dir`/hub_signing_key.pem, mode 0600,
 * without ever replacing a file there: it is written under a temporary name
 * and linked into place, so a crash leaves no half-written key and, of two
 * processes starting at once, one key wins and both use it.
 */
export async function createHubSigningKey(dir: string, options: { readonly alg: SigningAlg; readonly fileName?: string }): Promise<HubSigningKey> {
  const fileName = options.fileName ?? HUB_KEY_FILE_NAME;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the data directory
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = options.alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: GENERATED_RSA_MODULUS_BITS, publicExponent: 0x10001 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const path = join(dir, fileName);
  const temporary = join(dir, `.${fileName}.${randomBytes(8).toString('hex')}`);
  // 'wx' (O_CREAT | O_EXCL) never opens an existing file or follows a link planted at the name.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a new name in the data directory
  const fd = openSync(temporary, 'wx', OWNER_ONLY);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let linked = true;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- names in the data directory
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    linked = false;
  } finally {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the temporary name made above
    unlinkSync(temporary);
  }
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
    const missing = error instanceof HubKeyError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (!missing) throw error;
  }
  return createHubSigningKey(options.dataDir, { alg: options.alg, fileName });
}

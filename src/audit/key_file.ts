// Ed25519 keys in PKCS#8 PEM files: the hub's audit log key (which signs
// checkpoints) and a witness's key (which cosigns them). The file must be
// readable by its owner only: whoever reads the log key can sign a fork of
// the log. A missing file is made, mode 0600, without ever replacing one that
// exists (edge/signature/hub_key.ts does the same for the JWS key).
//
// Several hub processes on one database must share one log key: give them
// the same file (audit.keyFile). The log refuses to sign on top of a
// checkpoint another key signed (sequencer.ts).
import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export const AUDIT_KEY_FILE_NAME = 'audit_key.pem';

/** A PKCS#8 PEM of an Ed25519 key is 119 bytes; anything much larger is not one. */
const KEY_FILE_BYTES_MAX = 4096;
const OWNER_ONLY = 0o600;

export interface Ed25519Key {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly path: string;
}

/** A key file that cannot be used, and why (never with key material in the message). */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** Reads an Ed25519 private key from a PKCS#8 PEM file readable and writable by its owner only. */
export function loadEd25519Key(path: string, what: string): Ed25519Key {
  let fd: number;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the key file
    fd = openSync(path, 'r');
  } catch (error) {
    throw new KeyFileError(`${what} ${path} cannot be opened: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  let text: string;
  try {
    // Checked on the open file, so the file read is the file checked.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KeyFileError(`${what} ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new KeyFileError(`${what} ${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: group or others may read or write it; make it 0600 (chmod 600) and consider the key exposed if others could read it`);
    }
    if (stat.size > KEY_FILE_BYTES_MAX) throw new KeyFileError(`${what} ${path} is larger than ${KEY_FILE_BYTES_MAX} bytes`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a descriptor, opened above
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if (!/^-----BEGIN PRIVATE KEY-----$/m.test(text)) throw new KeyFileError(`${what} ${path} is not an unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY")`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem', type: 'pkcs8' });
  } catch (error) {
    throw new KeyFileError(`${what} ${path} cannot be read as a private key`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyFileError(`${what} ${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey), path };
}

/**
 * Makes a new Ed25519 key at `path` (mode 0600), written under a temporary name and linked into place: a
 * crash leaves no half-written key, and of two processes starting at once, one key wins and both use it.
 */
export function createEd25519Key(path: string, what: string): Ed25519Key {
  const dir = dirname(path);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the directory
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const temporary = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}`);
  // 'wx' (O_CREAT | O_EXCL) never opens an existing file or follows a link planted at the name.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a new name beside the key file
  const fd = openSync(temporary, 'wx', OWNER_ONLY);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let linked = true;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- names beside the key file
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    linked = false;
  } finally {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the temporary name made above
    unlinkSync(temporary);
  }
  return linked ? { privateKey, publicKey: createPublicKey(privateKey), path } : loadEd25519Key(path, what);
}

/** The key at `path`, made there if there is no file yet. */
export function loadOrCreateEd25519Key(path: string, what: string): Ed25519Key & { readonly created: boolean } {
  try {
    return { ...loadEd25519Key(path, what), created: false };
  } catch (error) {
    const missing = error instanceof KeyFileError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (!missing) throw error;
  }
  return { ...createEd25519Key(path, what), created: true };
}

/**
 * The hub's audit log key: `keyFile` when configured (it must exist: a configured key that silently became a
 * new one would start a second log), else `<dataDir>/audit_key.pem`, made at first start.
 */
export function loadOrCreateAuditKey(options: { readonly keyFile?: string | undefined; readonly dataDir: string }): Ed25519Key & { readonly created: boolean } {
  if (options.keyFile !== undefined) return { ...loadEd25519Key(options.keyFile, 'audit log key'), created: false };
  return loadOrCreateEd25519Key(join(options.dataDir, AUDIT_KEY_FILE_NAME), 'audit log key');
}

// Private keys in PKCS#8 PEM files that the operator controls: read only when
// the file is its owner's alone, and made without ever replacing a file that
// exists. Used for the hub's JWS key (signature/hub_key.ts), the audit
// log's and witnesses' Ed25519 keys (audit/key_file.ts), and simulated DFSPs'
// signing keys; the owner-only reading and the writer also for the key that
// seals the operator IAM's secrets (operator/iam/secret_box.ts).
import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const OWNER_ONLY = 0o600;

/** A key file that cannot be used, and why (never with key material in the message). */
export class KeyFileError extends Error {
  override readonly name: string = 'KeyFileError';
}

/**
 * The text of the key file at `path`, which must be a regular file readable and writable by its owner only,
 * of at most `bytesMax` bytes. A missing file is a KeyFileError whose cause has code ENOENT. `refuse` makes
 * the errors (a subclass, for callers that name their own).
 */
export function readOwnerOnlyKeyFile(path: string, what: string, bytesMax: number, refuse: (message: string, options?: ErrorOptions) => KeyFileError = (m, o) => new KeyFileError(m, o)): string {
  let fd: number;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the key file
    fd = openSync(path, 'r');
  } catch (error) {
    throw refuse(`${what} ${path} cannot be opened: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  try {
    // Checked on the open file, so the file read is the file checked (a symbolic link, as a mounted secret is, is followed).
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse(`${what} ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw refuse(`${what} ${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: group or others may read or write it; make it 0600 (chmod 600) and consider the key exposed if others could read it`);
    }
    if (stat.size > bytesMax) throw refuse(`${what} ${path} is larger than ${bytesMax} bytes`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a descriptor, opened above
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The private key in the unencrypted PKCS#8 PEM file at `path`, which must be a regular file readable and
 * writable by its owner only, of at most `bytesMax` bytes. A missing file is a KeyFileError whose cause has
 * code ENOENT. `refuse` makes the errors (a subclass, for callers that name their own).
 */
export function readOwnerOnlyPrivateKey(path: string, what: string, bytesMax: number, refuse: (message: string, options?: ErrorOptions) => KeyFileError = (m, o) => new KeyFileError(m, o)): KeyObject {
  const text = readOwnerOnlyKeyFile(path, what, bytesMax, refuse);
  if (!/^-----BEGIN PRIVATE KEY-----$/m.test(text)) {
    throw refuse(`${what} ${path} is not an unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"); convert it with: openssl pkcs8 -topk8 -nocrypt`);
  }
  try {
    return createPrivateKey({ key: text, format: 'pem', type: 'pkcs8' });
  } catch (error) {
    throw refuse(`${what} ${path} cannot be read as a private key`, { cause: error });
  }
}

/** Whether a KeyFileError says the file does not exist (so it may be made). */
export function isMissingKeyFile(error: unknown): boolean {
  return error instanceof KeyFileError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Writes `pem` at `path` (mode 0600, directory made 0700), under a temporary name linked into place: a
 * crash leaves no half-written key, and an existing file is never replaced. False when another process
 * made the file first: its key is the one to use.
 */
export function writeNewKeyFile(path: string, pem: string): boolean {
  const dir = dirname(path);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the directory
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- names beside the key file
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the temporary name made above
    unlinkSync(temporary);
  }
}

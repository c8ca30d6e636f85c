// Where the scheme CA keeps its files, and how they are written: a directory
// only the hub's user can enter (0700), private keys only it can read (0600),
// and every file created exclusively, so that nothing is ever overwritten.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CA_FILE_NAMES = {
  /** The root's private key: needed only to sign an intermediate or the root CRL, so it belongs offline. */
  rootKey: 'root-ca.key.pem',
  rootCertificate: 'root-ca.cert.pem',
  rootCrl: 'root-ca.crl.pem',
  intermediateKey: 'issuing-ca.key.pem',
  intermediateCertificate: 'issuing-ca.cert.pem',
} as const;

export type CaFile = keyof typeof CA_FILE_NAMES;
export type CaPaths = Record<CaFile, string>;

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Certificates and CRLs are public, but live in the private directory all the same. */
export const PUBLIC_FILE_MODE = 0o644;

export function caPaths(dir: string): CaPaths {
  return {
    rootKey: join(dir, CA_FILE_NAMES.rootKey),
    rootCertificate: join(dir, CA_FILE_NAMES.rootCertificate),
    rootCrl: join(dir, CA_FILE_NAMES.rootCrl),
    intermediateKey: join(dir, CA_FILE_NAMES.intermediateKey),
    intermediateCertificate: join(dir, CA_FILE_NAMES.intermediateCertificate),
  };
}

// The paths below are the operator's configured PKI directory and the fixed
// names above; the security plugin cannot see that, hence each disable.

/** Creates `dir` if needed and makes it 0700 (mkdir's mode is masked by the umask, and not applied to a directory that exists). */
export function ensurePrivateDirectory(dir: string): void {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the configured PKI directory
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the configured PKI directory
  chmodSync(dir, PRIVATE_DIRECTORY_MODE);
}

/** Writes a file that must not exist yet ('wx' fails if it does, even if it appeared a moment ago). */
export function writeNewFile(path: string, text: string, mode: number): void {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the configured PKI directory, or an --out path the operator named
  writeFileSync(path, text, { mode, flag: 'wx' });
  // The umask can only have narrowed the mode; make it exact so that a listing shows what was meant.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
  chmodSync(path, mode);
}

export function fileExists(path: string): boolean {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the configured PKI directory
  return existsSync(path);
}

export function readText(path: string): string {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the configured PKI directory, or a CSR the operator named
  return readFileSync(path, 'utf8');
}

/** The permission bits of `path`. */
export function modeOf(path: string): number {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the configured PKI directory
  return statSync(path).mode & 0o777;
}

/** The scheme's root certificate (public): what a client of the hub trusts, and nothing else. */
export function readRootCertificate(dir: string): string {
  return readText(caPaths(dir).rootCertificate);
}

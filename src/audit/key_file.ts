// Ed25519 keys in PKCS#8 PEM files: the hub's audit log key (which signs
// checkpoints) and a witness's key (which cosigns them). The file must be
// readable by its owner only: whoever reads the log key can sign a fork of
// the log. A missing file is made, mode 0600, without ever replacing one that
// exists (support/key_file.ts, shared with the hub's JWS key).
//
// Several hub processes on one database must share one log key: give them
// the same file (audit.keyFile). The log refuses to sign on top of a
// checkpoint another key signed (sequencer.ts).
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { KeyFileError, isMissingKeyFile, readOwnerOnlyPrivateKey, writeNewKeyFile } from '../support/index.ts';

export const AUDIT_KEY_FILE_NAME = 'audit_key.pem';

/** A PKCS#8 PEM of an Ed25519 key is 119 bytes; anything much larger is not one. */
const KEY_FILE_BYTES_MAX = 4096;

export interface Ed25519Key {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly path: string;
}

export { KeyFileError };

/** Reads an Ed25519 private key from a PKCS#8 PEM file readable and writable by its owner only. */
export function loadEd25519Key(path: string, what: string): Ed25519Key {
  const privateKey = readOwnerOnlyPrivateKey(path, what, KEY_FILE_BYTES_MAX);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyFileError(`${what} ${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey), path };
}

/**
 * Makes a new Ed25519 key at `path` (mode 0600), never replacing a file there: of two processes starting
 * at once, one key wins and both use it (support/key_file.ts).
 */
export function createEd25519Key(path: string, what: string): Ed25519Key {
  const { privateKey } = generateKeyPairSync('ed25519');
  const linked = writeNewKeyFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return linked ? { privateKey, publicKey: createPublicKey(privateKey), path } : loadEd25519Key(path, what);
}

/** The key at `path`, made there if there is no file yet. */
export function loadOrCreateEd25519Key(path: string, what: string): Ed25519Key & { readonly created: boolean } {
  try {
    return { ...loadEd25519Key(path, what), created: false };
  } catch (error) {
    if (!isMissingKeyFile(error)) throw error;
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

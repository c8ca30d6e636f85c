// The operator IAM's secrets at rest: operators' TOTP secrets and the
// authorization server's private keys are sealed before they reach the
// database, so that whoever reads it (a DBA, a backup, a replica) gets
// neither. AES-256-GCM (node:crypto), a random 96-bit IV per value, and the
// value's place (table, column, row) as additional authenticated data: a
// sealed value copied to another row does not open there.
//
//   v1.<iv, base64url>.<ciphertext, base64url>.<tag, base64url>
//
// The key is 32 random bytes (base64) in a file the operator controls,
// readable by its owner only, made at first start and never replaced
// (support/key_file.ts). Several hub processes on one database must share one
// key file, as they share the audit log's key; the IAM refuses to start on a
// database whose sealed values do not open with the key it was given.
//
// The same key, through HKDF (RFC 5869) with its own label, also keys an
// HMAC-SHA-256 of bearer values (a session id, a refresh token) that rows are
// looked up by: the database holds the digest, which only the key file's
// holder can compute from a value, and from which nobody gets the value back.
//
// Random IVs under one key are safe for far more values than the IAM seals
// (NIST SP 800-38D: 2^32).
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { decodeCanonicalBase64url, KeyFileError, isMissingKeyFile, readOwnerOnlyKeyFile, writeNewKeyFile } from '../../support/index.ts';

/** The file the hub makes in its data directory when no key file is configured. */
export const IAM_SECRETS_KEY_FILE_NAME = 'iam_secrets.key';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';
/** 32 bytes in base64 are 44 characters; a newline or two besides. */
const KEY_FILE_BYTES_MAX = 128;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;
/** HKDF label of the lookup-digest key: another use of the key file, so another key. */
const DIGEST_KEY_INFO = 'interlock secret box: lookup digest v1';

/** A sealed value that does not open, or is not a sealed value at all (never with the value in the message). */
export class SecretBoxError extends Error {
  override readonly name: string = 'SecretBoxError';
}

/** A key file for the IAM's secrets that cannot be used, and why. */
export class SecretsKeyFileError extends KeyFileError {
  override readonly name: string = 'SecretsKeyFileError';
}

/** Whether a stored value is sealed (else it is a clear value from before sealing, to be sealed at start). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${VERSION}.`);
}

/** Strict base64url: only its alphabet, no padding, and the one spelling of the bytes (no stray low bits in the last character). */
function decoded(part: string | undefined, what: string, context: string): Buffer {
  // An empty part is the empty ciphertext of an empty value.
  const bytes = part === '' ? Buffer.alloc(0) : part === undefined ? undefined : decodeCanonicalBase64url(part);
  if (bytes === undefined) throw new SecretBoxError(`sealed value for ${context}: its ${what} is not base64url`);
  return bytes;
}

export class SecretBox {
  readonly #key: KeyObject;
  readonly #digestKey: KeyObject;
  /** Where the key comes from (a file path, or "an in-memory key"): for messages. */
  readonly keySource: string;
  /** True for a key that lives in this process's memory only: it seals nothing that was already stored. */
  readonly ephemeral: boolean;

  /** A box over `key` (32 bytes, copied: the caller may wipe its buffer). */
  constructor(key: Uint8Array, options: { readonly keySource: string; readonly ephemeral?: boolean }) {
    if (key.length !== KEY_BYTES) throw new SecretBoxError(`a secret box key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.#key = createSecretKey(Buffer.from(key));
    this.#digestKey = createSecretKey(Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), DIGEST_KEY_INFO, KEY_BYTES)));
    this.keySource = options.keySource;
    this.ephemeral = options.ephemeral === true;
  }

  /** `plaintext` sealed for `context` (the value's place, e.g. "operators.totp_secret:<id>"). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /**
   * The keyed digest (HMAC-SHA-256, base64url) a bearer value is stored and looked up by, for `purpose`
   * (e.g. "oidc_payloads"): the same value gives the same digest under the same key and purpose only.
   */
  digest(value: string, purpose: string): string {
    return createHmac('sha256', this.#digestKey).update(`${purpose}\0${value}`, 'utf8').digest('base64url');
  }

  /** The plaintext of a value sealed for `context` with this key; a SecretBoxError for anything else. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError(`the value for ${context} is not sealed (${VERSION}.<iv>.<ciphertext>.<tag>)`);
    const iv = decoded(parts[1], 'IV', context);
    const ciphertext = decoded(parts[2], 'ciphertext', context);
    const tag = decoded(parts[3], 'tag', context);
    if (iv.length !== IV_BYTES) throw new SecretBoxError(`sealed value for ${context}: its IV is ${iv.length} bytes, not ${IV_BYTES}`);
    if (tag.length !== TAG_BYTES) throw new SecretBoxError(`sealed value for ${context}: its tag is ${tag.length} bytes, not ${TAG_BYTES}`);
    const decipher = createDecipheriv(CIPHER, this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw new SecretBoxError(`sealed value for ${context} does not open with ${this.keySource}: sealed with another key, for another place, or altered`, { cause: error });
    }
    return plaintext.toString('utf8');
  }

  /**
   * A clear value already in the database, sealed for `context`. Refused with an in-memory key: the value
   * would be lost when the process ends.
   */
  sealStored(plaintext: string, context: string): string {
    if (this.ephemeral) {
      throw new SecretBoxError(`refusing to seal the clear value stored for ${context} with an in-memory key that ends with this process: give the IAM a key file (loadOrCreateSecretBox, admin.secretsKeyFile)`);
    }
    return this.seal(plaintext, context);
  }
}

let inMemory: SecretBox | undefined;

/**
 * This process's in-memory box (one random key per process, so that every part of a test sees the same):
 * for tests, and what the IAM uses when it is given no box. Whatever it seals cannot be opened after the
 * process ends, and it never seals values that were already stored.
 */
export function inMemorySecretBox(): SecretBox {
  if (inMemory === undefined) {
    const key = randomBytes(KEY_BYTES);
    inMemory = new SecretBox(key, { keySource: 'an in-memory key', ephemeral: true });
    key.fill(0);
  }
  return inMemory;
}

/** The box over the key in `path`: 32 bytes in base64, in a file readable and writable by its owner only. */
export function loadSecretBox(path: string): SecretBox {
  const what = 'IAM secrets key';
  const text = readOwnerOnlyKeyFile(path, what, KEY_FILE_BYTES_MAX, (message, options) => new SecretsKeyFileError(message, options)).trim();
  if (!BASE64_KEY.test(text)) {
    throw new SecretsKeyFileError(`${what} ${path} is not ${KEY_BYTES} bytes in base64; make one with: (umask 077; openssl rand -base64 ${KEY_BYTES} > ${path})`);
  }
  const key = Buffer.from(text, 'base64');
  try {
    return new SecretBox(key, { keySource: `the IAM secrets key ${path}` });
  } finally {
    key.fill(0);
  }
}

export interface LoadedSecretBox {
  readonly box: SecretBox;
  readonly path: string;
  /** True when this start made the key: it is to be backed up, since without it the sealed secrets are lost. */
  readonly created: boolean;
}

/** Makes a new key at `path` (mode 0600), never replacing a file there: of two processes starting at once, one key wins and both use it. */
export function createSecretBox(path: string): LoadedSecretBox {
  const key = randomBytes(KEY_BYTES);
  try {
    const linked = writeNewKeyFile(path, `${key.toString('base64')}\n`);
    return linked ? { box: new SecretBox(key, { keySource: `the IAM secrets key ${path}` }), path, created: true } : { box: loadSecretBox(path), path, created: false };
  } finally {
    key.fill(0);
  }
}

/**
 * The box of the IAM's secrets: over `keyFile` when configured (it must exist: a configured key that silently
 * became a new one would leave every sealed secret unopenable), else over `<dataDir>/iam_secrets.key`, made
 * at first start.
 */
export function loadOrCreateSecretBox(options: { readonly keyFile?: string | undefined; readonly dataDir: string }): LoadedSecretBox {
  if (options.keyFile !== undefined) return { box: loadSecretBox(options.keyFile), path: options.keyFile, created: false };
  const path = join(options.dataDir, IAM_SECRETS_KEY_FILE_NAME);
  try {
    return { box: loadSecretBox(path), path, created: false };
  } catch (error) {
    if (!isMissingKeyFile(error)) throw error;
  }
  return createSecretBox(path);
}

/** What the start-up pass over one table's secrets did: how many clear values it sealed, and which sealed ones do not open. */
export interface SealedAtRest {
  readonly sealed: number;
  /** Names of the values (a key's name, an operator's username; never a secret) that do not open with the box's key. */
  readonly unopenable: readonly string[];
}

/** A secret as stored: what names it in a report, the context it is sealed under, and its stored text. */
export interface StoredSecret {
  readonly label: string;
  readonly context: string;
  readonly stored: string;
}

/**
 * At start: each secret stored in clear (by a version before sealing) is sealed through `replace`,
 * which must write it only where the stored text is still the one read, so that hub processes
 * starting together seal it once (it answers the rows it changed); each sealed one is opened, and
 * those that do not open with this key are named.
 */
export async function sealStoredSecrets<S extends StoredSecret>(box: SecretBox, secrets: readonly S[], replace: (secret: S, sealed: string) => Promise<number>): Promise<SealedAtRest> {
  let sealed = 0;
  const unopenable: string[] = [];
  for (const secret of secrets) {
    if (!isSealed(secret.stored)) {
      sealed += await replace(secret, box.sealStored(secret.stored, secret.context));
      continue;
    }
    try {
      box.open(secret.stored, secret.context);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      unopenable.push(secret.label);
    }
  }
  return { sealed, unopenable };
}

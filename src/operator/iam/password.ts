// Password hashing with argon2id from node:crypto (Node ≥ 24.7), stored as a
// PHC string so that each hash carries its own parameters. Verification
// compares in constant time, and a sign-in for an unknown username still
// spends one hash (dummyVerify), so timing does not tell which names exist.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { ARGON2, ONE_TIME_PASSWORD_BYTES, PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from './limits.ts';

interface Argon2Parameters {
  memoryKib: number;
  passes: number;
  parallelism: number;
}

function derive(password: string, salt: Buffer, parameters: Argon2Parameters, tagBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', {
      message: Buffer.from(password.normalize('NFC'), 'utf8'),
      nonce: salt,
      parallelism: parameters.parallelism,
      tagLength: tagBytes,
      memory: parameters.memoryKib,
      passes: parameters.passes,
    }, (error, derived) => {
      if (error === null) resolve(derived);
      else reject(error);
    });
  });
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(ARGON2.saltBytes);
  const tag = await derive(password, salt, ARGON2, ARGON2.tagBytes);
  return `$argon2id$v=19$m=${ARGON2.memoryKib},t=${ARGON2.passes},p=${ARGON2.parallelism}$${b64(salt)}$${b64(tag)}`;
}

const PHC = /^\$argon2id\$v=19\$m=([0-9]{1,8}),t=([0-9]{1,3}),p=([0-9]{1,3})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{22,172})$/;

export interface PasswordCheck {
  matches: boolean;
  /** The hash was made with weaker parameters than today's: store a new one. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const match = PHC.exec(stored);
  // A malformed stored hash is a programmer or storage error, not a wrong password.
  if (match === null) throw new Error('stored password hash is not an argon2id PHC string');
  const [, m = '', t = '', p = '', salt = '', tag = ''] = match;
  const parameters = { memoryKib: Number(m), passes: Number(t), parallelism: Number(p) };
  const expected = Buffer.from(tag, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), parameters, expected.length);
  return {
    matches: actual.length === expected.length && timingSafeEqual(actual, expected),
    needsRehash: parameters.memoryKib < ARGON2.memoryKib || parameters.passes < ARGON2.passes || expected.length < ARGON2.tagBytes,
  };
}

let dummyHash: Promise<string> | undefined;

/** Spends the time of one verification, for a username that does not exist. */
export async function dummyVerify(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(password, await dummyHash);
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { username: string }): string | undefined {
  if (password.length < PASSWORD_LENGTH_MIN) return `a password has at least ${PASSWORD_LENGTH_MIN} characters`;
  if (password.length > PASSWORD_LENGTH_MAX) return `a password has at most ${PASSWORD_LENGTH_MAX} characters`;
  if (password.toLowerCase().includes(context.username.toLowerCase())) return 'a password must not contain the username';
  if (new Set(password).size < 4) return 'a password needs more than three distinct characters';
  return undefined;
}

/** A random one-time credential, to be shown once and changed at first sign-in. */
export function oneTimePassword(): string {
  return randomBytes(ONE_TIME_PASSWORD_BYTES).toString('base64url');
}

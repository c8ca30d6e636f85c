// Every bound of operator sign-in and tokens, with its unit and why. The
// relations between them are asserted once, at the bottom.
import assert from 'node:assert/strict';
import { ACCESS_TOKEN_AGE_S_MAX } from '../../identity/index.ts';

/**
 * argon2id parameters: OWASP Password Storage Cheat Sheet's first
 * configuration (m=19 MiB, t=2, p=1), about 50 ms on the build machines.
 * Hashes carry their parameters (PHC string), so raising these later rehashes
 * each password at its owner's next sign-in.
 */
export const ARGON2 = {
  memoryKib: 19_456,
  passes: 2,
  parallelism: 1,
  saltBytes: 16,
  tagBytes: 32,
} as const;

/** NIST SP 800-63B: at least 15 characters for a single-factor password, 8 with a second factor; we ask 12 of everyone. */
export const PASSWORD_LENGTH_MIN = 12;
/** Bounds argon2's input and a form's size; long passphrases still fit. */
export const PASSWORD_LENGTH_MAX = 256;
/** A one-time credential's random bytes (base64url: 32 characters). */
export const ONE_TIME_PASSWORD_BYTES = 24;

/** Consecutive failed steps (password or TOTP) before an operator is locked out. */
export const LOCKOUT_FAILURES_MAX = 5;
/** How long a lock-out lasts. OWASP: long enough to defeat guessing, short enough not to make a denial of service. */
export const LOCKOUT_MS = 15 * 60_000;

/** Sign-in attempts one source address may make per window, whatever the usernames (password spraying). */
export const SIGNIN_ATTEMPTS_PER_SOURCE_MAX = 20;
export const SIGNIN_WINDOW_MS = 5 * 60_000;

/** RFC 6238 defaults, which every authenticator app supports (SHA-1 in HMAC is not the weakness SHA-1 has in signatures). */
export const TOTP = { digits: 6, periodS: 30, algorithm: 'SHA1', secretBytes: 20, windowSteps: 1 } as const;

/** Access tokens are short so that a stolen one is worth little; the admin API also checks the grant is still alive. */
export const ACCESS_TOKEN_TTL_S = 5 * 60;
export const AUTHORIZATION_CODE_TTL_S = 60;
export const ID_TOKEN_TTL_S = 5 * 60;
/** An operator's session, absolute: a working day. Refresh tokens rotate on each use and die with it. */
export const SESSION_TTL_S = 8 * 3_600;
export const REFRESH_TOKEN_TTL_S = SESSION_TTL_S;
/** From the authorization request to the end of the password, TOTP and any password change or enrolment. */
export const INTERACTION_TTL_S = 10 * 60;

/**
 * DFSPs' access tokens for the FSPIOP API (client credentials, bound to the
 * DFSP's TLS certificate): as short as the admin API's, and a DFSP asks again
 * over its mutual-TLS connection whenever it needs one.
 */
export const FSPIOP_ACCESS_TOKEN_TTL_S = 5 * 60;

/** Largest sign-in form body. */
export const SIGNIN_FORM_BYTES_MAX = 4_096;
/** How often expired authorization-server artefacts and sign-in counters are deleted. */
export const IAM_PRUNE_INTERVAL_MS = 60_000;

assert.ok(ACCESS_TOKEN_TTL_S <= ACCESS_TOKEN_AGE_S_MAX, 'a fresh access token is never refused for its age');
assert.ok(FSPIOP_ACCESS_TOKEN_TTL_S <= ACCESS_TOKEN_AGE_S_MAX, 'a fresh FSPIOP access token is never refused for its age');
assert.ok(REFRESH_TOKEN_TTL_S <= SESSION_TTL_S, 'a refresh token never outlives its session');
assert.ok((LOCKOUT_FAILURES_MAX as number) < SIGNIN_ATTEMPTS_PER_SOURCE_MAX, 'one source can lock one account before its own limit stops it');
assert.ok(PASSWORD_LENGTH_MIN <= ONE_TIME_PASSWORD_BYTES * 4 / 3, 'one-time credentials meet the password policy');

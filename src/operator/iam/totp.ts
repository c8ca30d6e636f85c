// TOTP second factor (RFC 6238) through otpauth. A code is accepted for the
// current time step or one step either side (clock drift), and never twice:
// the caller stores the accepted step and passes it back as `lastCounter`, so
// a code seen over someone's shoulder cannot be replayed within its window.
import { Secret, TOTP } from 'otpauth';
import { TOTP as LIMITS } from './limits.ts';

const CODE_PATTERN = /^[0-9]{6}$/;

function totpOf(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: 'Interlock',
    label,
    algorithm: LIMITS.algorithm,
    digits: LIMITS.digits,
    period: LIMITS.periodS,
    secret: Secret.fromBase32(secretBase32),
  });
}

export function newTotpSecret(): string {
  return new Secret({ size: LIMITS.secretBytes }).base32;
}

/** The otpauth:// URI an authenticator app reads (as a QR code or typed in). */
export function totpUri(secretBase32: string, username: string): string {
  return totpOf(secretBase32, username).toString();
}

/** The time step a code was accepted for, or undefined when it is wrong, malformed or already used. */
export function acceptTotp(secretBase32: string, code: string, lastCounter: number | null, nowMs: number): number | undefined {
  if (!CODE_PATTERN.test(code)) return undefined;
  const totp = totpOf(secretBase32, 'check');
  const delta = totp.validate({ token: code, timestamp: nowMs, window: LIMITS.windowSteps });
  if (delta === null) return undefined;
  const counter = totp.counter({ timestamp: nowMs }) + delta;
  if (lastCounter !== null && counter <= lastCounter) return undefined;
  return counter;
}

/** The code for `nowMs`: for tests and the demo, which play the operator's authenticator app. */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totpOf(secretBase32, 'code').generate({ timestamp: nowMs });
}

// Access-token verification with jose, with every option spelled out: the
// algorithms accepted (never "none", never HMAC: a public key must not verify
// a MAC), the issuer, the audience, the token type (RFC 9068's at+jwt for our
// own), the claims that must be present, the largest age and the clock
// tolerance. The issuer is read from the unverified token only to choose
// which trusted issuer's keys and rules apply; the verification then checks it.
import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ACCESS_TOKEN_AGE_S_MAX, TOKEN_CLOCK_TOLERANCE_S } from '../../identity/index.ts';
import { err, ok, type Result } from '../../support/index.ts';

export interface TrustedIssuer {
  /** 'local' for the hub's own authorization server; the configured name of an external one. */
  readonly name: string;
  readonly issuer: string;
  readonly audience: string;
  readonly keys: JWTVerifyGetKey;
  readonly algorithms: readonly string[];
  /** The JWT "typ" header required, when the issuer sets one (RFC 9068: at+jwt). */
  readonly typ?: string;
  readonly requiredClaims: readonly string[];
}

export type TokenRefusal = 'malformed' | 'foreign-issuer' | 'expired' | 'invalid';

export interface VerifiedToken {
  readonly issuer: TrustedIssuer;
  readonly claims: JWTPayload;
}

export interface TokenRejection {
  readonly reason: TokenRefusal;
  readonly detail: string;
}

export type TokenCheck = Result<VerifiedToken, TokenRejection>;

export async function verifyAccessToken(token: string, issuers: readonly TrustedIssuer[], nowMs: number): Promise<TokenCheck> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    return err({ reason: 'malformed', detail: 'the bearer token is not a JWT' });
  }
  const issuer = issuers.find((i) => i.issuer === unverified.iss);
  if (issuer === undefined) return err({ reason: 'foreign-issuer', detail: 'the token\'s issuer is not trusted' });
  try {
    const { payload } = await jwtVerify(token, issuer.keys, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: [...issuer.algorithms],
      ...(issuer.typ === undefined ? {} : { typ: issuer.typ }),
      requiredClaims: [...issuer.requiredClaims],
      maxTokenAge: ACCESS_TOKEN_AGE_S_MAX,
      clockTolerance: TOKEN_CLOCK_TOLERANCE_S,
      currentDate: new Date(nowMs),
    });
    return ok({ issuer, claims: payload });
  } catch (error) {
    if (error instanceof errors.JWTExpired) return err({ reason: 'expired', detail: 'the token has expired' });
    if (error instanceof errors.JOSEError) return err({ reason: 'invalid', detail: `the token is not valid (${error.code})` });
    throw error;
  }
}

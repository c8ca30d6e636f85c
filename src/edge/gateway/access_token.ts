// The FSPIOP API as an OAuth2 resource server: each DFSP request may carry
// (scheme setting 'optional') or must carry ('required') an access token from
// the hub's own authorization server, issued to that DFSP by client
// credentials over its mutual-TLS connection (token_endpoint.ts). The check,
// with jose and every rule spelled out:
//
//   - the Authorization header is bounded before it is read, and is exactly
//     "Bearer <compact JWS>";
//   - ES256 only, typ at+jwt (RFC 9068), the hub's issuer and keys, the
//     FSPIOP API's audience (an admin-API token is refused here, as an FSPIOP
//     token is refused at the admin API), exp/nbf/iat with a small clock
//     tolerance and a largest age;
//   - client_id is fsp:<the participant of the connection's certificate>:
//     DFSP A's token on DFSP B's connection is refused;
//   - cnf.x5t#S256 (RFC 8705) is the SHA-256 of the connection's client
//     certificate, compared in constant time: a token lifted from one
//     connection is worthless on another with another certificate;
//   - the scope names the API called (fspiop/apis.ts scopeOf).
//
// Refusals say nothing internal to the DFSP (FSPIOP 3000 with RFC 6750's
// WWW-Authenticate); the security event says exactly why, never the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { ACCESS_TOKEN_AGE_S_MAX, BEARER_TOKEN_LENGTH_MAX, FSPIOP_API_AUDIENCE, IAM_SIGNING_ALG, participantClientId, TOKEN_CLOCK_TOLERANCE_S, type ParticipantTokenTrust } from '../../identity/index.ts';
import type { Clock } from '../../support/index.ts';
import { err, ok, type Result } from '../../support/index.ts';
import { scopeOf, type FspiopApi } from '../../fspiop/index.ts';
import type { GatewayRefusal } from './refusal.ts';
import type { AccessTokenMode } from '../../config/index.ts';

export interface ParticipantTokenCheckOptions {
  /** The issuer and keys trusted (Iam.participantTokenTrust); asked at each check, so it may be built lazily. */
  readonly trust: () => Promise<ParticipantTokenTrust> | ParticipantTokenTrust;
  /** Default FSPIOP_API_AUDIENCE. */
  readonly audience?: string;
  readonly clock: Clock;
  readonly mode: AccessTokenMode;
}

export interface ParticipantTokenRequest {
  /** The fspId of the connection's verified client certificate. */
  readonly participant: string;
  /** The connection's client certificate, DER (TLSSocket.getPeerX509Certificate().raw); undefined without TLS. */
  readonly peerCertificateDer: Buffer | undefined;
  /** The Authorization header as received (repeated headers joined), if any. */
  readonly authorization: string | undefined;
  readonly api: FspiopApi;
}

export interface ParticipantTokenCheck {
  readonly mode: AccessTokenMode;
  /** Undefined when the request may go on; otherwise its refusal (3000; HTTP 401 'token-invalid' or 403 'token-scope-missing'). */
  check(request: ParticipantTokenRequest): Promise<GatewayRefusal | undefined>;
}

/** Verified tokens kept (one or two live tokens per DFSP; a scheme has hundreds of DFSPs). */
const VERIFIED_TOKENS_MAX = 10_000;

/** "Bearer" (any case, RFC 7235), one space, a compact JWS: three base64url parts. */
const BEARER_JWT = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
const INVALID_DETAIL = 'the access token is missing or not valid';

function invalid(reason: string, headerValue = 'Bearer error="invalid_token"'): GatewayRefusal {
  return {
    failure: { code: '3000', detail: INVALID_DETAIL, httpStatus: 401 },
    httpStatus: 401,
    headers: { 'WWW-Authenticate': headerValue },
    event: { kind: 'token-invalid', reason },
  };
}

function scopeMissing(api: FspiopApi, reason: string): GatewayRefusal {
  const scope = scopeOf(api);
  return {
    failure: { code: '3000', detail: `the access token does not grant the ${api} API`, httpStatus: 403 },
    httpStatus: 403,
    headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    event: { kind: 'token-scope-missing', reason },
  };
}

/** RFC 8705 §3.1: base64url(SHA-256(DER)), as the authorization server put it in cnf. */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why jose refused a token, in words for the security event (its codes and claim names only, nothing from the token). */
function refusalReason(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? `claim iat: the token is older than ${ACCESS_TOKEN_AGE_S_MAX} s` : 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not valid (${error.reason})`;
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed by no key of the hub\'s authorization server';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token\'s algorithm is not allowed (ES256 only)';
  return `the token is not valid (${error.code})`;
}

type Verified = Result<JWTPayload, GatewayRefusal>;

/** The token's signature and claims against the hub's authorization server (issuer, audience, algorithm, type, age). */
async function verifyToken(token: string, trust: ParticipantTokenTrust, audience: string, nowMs: number): Promise<Verified> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    return err(invalid('the bearer token is not a JWT'));
  }
  // Only to name the refusal: the verification below checks the issuer again.
  if (unverified.iss !== trust.issuer) return err(invalid('the token\'s issuer is not the hub\'s authorization server'));
  try {
    const { payload } = await jwtVerify(token, trust.keys, {
      issuer: trust.issuer,
      audience,
      algorithms: [IAM_SIGNING_ALG],
      typ: 'at+jwt',
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      maxTokenAge: ACCESS_TOKEN_AGE_S_MAX,
      clockTolerance: TOKEN_CLOCK_TOLERANCE_S,
      currentDate: new Date(nowMs),
    });
    return ok(payload);
  } catch (error) {
    if (error instanceof errors.JOSEError) return err(invalid(refusalReason(error)));
    throw error;
  }
}

/** What a verified token must say of this request: issued to its participant, bound to its certificate, with the API's scope. */
function claimsRefusal(claims: JWTPayload, request: ParticipantTokenRequest): GatewayRefusal | undefined {
  const expected = participantClientId(request.participant);
  const clientId = claims['client_id'];
  if (clientId !== expected || (claims.sub !== undefined && claims.sub !== expected)) {
    // A verified claim of the hub's own issuing: safe to name.
    return invalid(`the token was issued to ${typeof clientId === 'string' ? clientId.slice(0, 40) : 'no client'}, not to ${expected}`);
  }

  const cnf = claims['cnf'];
  const bound = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (typeof bound !== 'string') return invalid('the token is not bound to a certificate (cnf.x5t#S256)');
  if (request.peerCertificateDer === undefined) return invalid('the token is bound to a certificate and the connection presented none');
  if (!sameText(bound, certificateThumbprint(request.peerCertificateDer))) return invalid('the token is bound to another certificate than the connection\'s');

  const scope = claims['scope'];
  const scopes = typeof scope === 'string' ? scope.split(' ') : [];
  if (!scopes.includes(scopeOf(request.api))) return scopeMissing(request.api, `the token lacks the scope ${scopeOf(request.api)}`);
  return undefined;
}

export function createParticipantTokenCheck(options: ParticipantTokenCheckOptions): ParticipantTokenCheck {
  const { clock, mode } = options;
  const audience = options.audience ?? FSPIOP_API_AUDIENCE;

  /**
   * Tokens whose signature and claims verified, until they expire: a DFSP sends the same token with
   * every request for its lifetime, and an ES256 verification costs ~200 µs (npm run bench:gateway).
   * Everything that depends on the request (participant, certificate binding, scope) and the time is
   * checked on every request all the same; only the signature is not computed again. Bounded; the
   * oldest entry goes first.
   */
  const verifiedTokens = new Map<string, { claims: JWTPayload; validUntilMs: number }>();

  async function verified(token: string): Promise<Verified> {
    const cached = verifiedTokens.get(token);
    if (cached !== undefined) {
      if (clock.nowMs() <= cached.validUntilMs) return ok(cached.claims);
      verifiedTokens.delete(token);
    }
    const result = await verifyToken(token, await options.trust(), audience, clock.nowMs());
    if (result.ok) {
      const { exp = 0, iat = 0 } = result.value;
      if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) verifiedTokens.delete(verifiedTokens.keys().next().value ?? '');
      // The same bounds jwtVerify applies (exp, and iat + the longest token age), with its tolerance.
      verifiedTokens.set(token, { claims: result.value, validUntilMs: (Math.min(exp, iat + ACCESS_TOKEN_AGE_S_MAX) + TOKEN_CLOCK_TOLERANCE_S) * 1000 });
    }
    return result;
  }

  async function check(request: ParticipantTokenRequest): Promise<GatewayRefusal | undefined> {
    if (mode === 'off') return undefined;
    const { authorization } = request;
    if (authorization === undefined) return mode === 'optional' ? undefined : invalid('no access token', 'Bearer');
    if (authorization.length > BEARER_TOKEN_LENGTH_MAX) return invalid(`the Authorization header exceeds ${BEARER_TOKEN_LENGTH_MAX} characters`);
    const compact = BEARER_JWT.exec(authorization)?.[1];
    if (compact === undefined) return invalid('the Authorization header is not a bearer JWT');
    const result = await verified(compact);
    return result.ok ? claimsRefusal(result.value, request) : result.error;
  }

  return { mode, check };
}

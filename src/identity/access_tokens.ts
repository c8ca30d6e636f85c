// What the authorization server that issues access tokens and the resource
// servers that check them (the FSPIOP gateway, the admin API) must agree on:
// the algorithm, the FSPIOP API's audience, the issuer and keys to trust, and
// the bounds a token is held to.
import type { JWTVerifyGetKey } from 'jose';

/** The one signature algorithm of the hub's authorization server: short keys, fast, FAPI 2.0's choice. */
export const IAM_SIGNING_ALG = 'ES256';

/** The FSPIOP API as a resource server: the audience of DFSPs' access tokens, and of no one else's. */
export const FSPIOP_API_AUDIENCE = 'urn:interlock:fspiop-api';

/** What the FSPIOP API needs to verify the DFSPs' access tokens the hub's authorization server issues. */
export interface ParticipantTokenTrust {
  readonly issuer: string;
  readonly keys: JWTVerifyGetKey;
}

/** A token older than this (iat) is refused whatever its exp says. */
export const ACCESS_TOKEN_AGE_S_MAX = 10 * 60;
/** Clock difference tolerated between the token issuer and the API checking the token. */
export const TOKEN_CLOCK_TOLERANCE_S = 5;
/** Largest Authorization header value read (a JWT access token is about 800 bytes). */
export const BEARER_TOKEN_LENGTH_MAX = 4_096;
/** Largest token request body the FSPIOP listener's token endpoint reads (a client-credentials request is under 100 bytes). */
export const PARTICIPANT_TOKEN_REQUEST_BYTES_MAX = 4_096;

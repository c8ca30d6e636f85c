// Who is calling: what both the FSPIOP edge and the operator side know of the
// hub's OAuth2 clients and access tokens, below both.
export { PARTICIPANT_CLIENT_PREFIX, participantClientId, fspIdOfClientId } from './clients.ts';
export { IAM_SIGNING_ALG, FSPIOP_API_AUDIENCE, ACCESS_TOKEN_AGE_S_MAX, TOKEN_CLOCK_TOLERANCE_S, BEARER_TOKEN_LENGTH_MAX, PARTICIPANT_TOKEN_REQUEST_BYTES_MAX, type ParticipantTokenTrust } from './access_tokens.ts';

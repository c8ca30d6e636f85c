// Who a DFSP is to the hub's authorization server: each active DFSP
// participant is the OAuth2 client fsp:<fspId>. The authorization server
// issues tokens to that client id, and the FSPIOP gateway checks that a
// token's client id names the participant of the connection's certificate.
import { isParticipantName } from '../support/index.ts';

/** DFSP clients' ids: fsp:<fspId>. No automation client id can take this form (":" is not allowed in theirs). */
export const PARTICIPANT_CLIENT_PREFIX = 'fsp:';

export function participantClientId(fspId: string): string {
  return PARTICIPANT_CLIENT_PREFIX + fspId;
}

/** The fspId of a DFSP client id, or undefined when `clientId` is not one. */
export function fspIdOfClientId(clientId: string): string | undefined {
  if (!clientId.startsWith(PARTICIPANT_CLIENT_PREFIX)) return undefined;
  const fspId = clientId.slice(PARTICIPANT_CLIENT_PREFIX.length);
  return isParticipantName(fspId) ? fspId : undefined;
}

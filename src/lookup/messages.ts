// The callbacks account lookup causes, as outbox messages. Subjects name the
// party type only: identifiers are personal data (phone numbers, emails) and
// subjects go to logs. The identifiers travel in the template values.
import type { OutboundMessage } from '../delivery/index.ts';
import { errorInformation, type Failure, forwardableHeaders, hubHeaders, type Inbound } from '../fspiop/index.ts';
import type { EndpointType } from '../participants/index.ts';
import { canonicalJson } from '../support/index.ts';
import { partyTemplateValues, partyUri, type PartyKey } from './party.ts';

type Callback = 'participants-put' | 'participants-error' | 'parties-get' | 'parties-put' | 'parties-error';

/** The endpoint each callback uses, without and with a sub-identifier. */
const ENDPOINTS: Record<Callback, readonly [EndpointType, EndpointType]> = {
  'participants-put': ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT'],
  'participants-error': ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR'],
  'parties-get': ['FSPIOP_CALLBACK_URL_PARTIES_GET', 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET'],
  'parties-put': ['FSPIOP_CALLBACK_URL_PARTIES_PUT', 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT'],
  'parties-error': ['FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR'],
};

export function endpointFor(callback: Callback, key: PartyKey): EndpointType {
  return ENDPOINTS[callback][key.partySubIdOrType === undefined ? 0 : 1];
}

/** PUT /participants/{Type}/{ID}[/{SubId}] from the hub: the answer to a registration, a query or a deletion. */
export function participantsAnswer(key: PartyKey, recipient: string, fspId: string, version: string, nowMs: number): OutboundMessage {
  return {
    recipient, endpointType: endpointFor('participants-put', key), templateValues: partyTemplateValues(key), method: 'PUT',
    headers: hubHeaders('participants', recipient, 'PUT', partyUri('participants', key), version, nowMs),
    body: canonicalJson({ fspId }), subject: `participants ${key.partyIdType} answer from hub`,
  };
}

/** PUT /participants/{Type}/{ID}[/{SubId}]/error from the hub. */
export function participantsError(key: PartyKey, recipient: string, failure: Failure, version: string, nowMs: number): OutboundMessage {
  return {
    recipient, endpointType: endpointFor('participants-error', key), templateValues: partyTemplateValues(key), method: 'PUT',
    headers: hubHeaders('participants', recipient, 'PUT', partyUri('participants', key, '/error'), version, nowMs),
    body: canonicalJson(errorInformation(failure)), subject: `participants ${key.partyIdType} error ${failure.code} from hub`,
  };
}

/**
 * The requester's GET /parties, forwarded to the FSP asked. FSPIOP-Destination is set to that FSP
 * (the requester may have left it out); a GET carries no body and no signature, so this changes
 * nothing a signature covers.
 */
export function forwardLookup(key: PartyKey, asked: string, inbound: Inbound): OutboundMessage {
  return {
    recipient: asked, endpointType: endpointFor('parties-get', key), templateValues: partyTemplateValues(key), method: 'GET',
    headers: { ...forwardableHeaders(inbound.headers), 'fspiop-destination': asked }, body: null,
    subject: `parties ${key.partyIdType} lookup forwarded`,
  };
}

/** The asked FSP's PUT /parties (or …/error), forwarded to the requester with its own headers and bytes. */
export function forwardAnswer(key: PartyKey, requester: string, inbound: Inbound, kind: 'answer' | 'error'): OutboundMessage {
  return {
    recipient: requester, endpointType: endpointFor(kind === 'answer' ? 'parties-put' : 'parties-error', key),
    templateValues: partyTemplateValues(key), method: 'PUT', headers: forwardableHeaders(inbound.headers), body: inbound.rawBody,
    subject: `parties ${key.partyIdType} ${kind} forwarded`,
  };
}

/** PUT /parties/{Type}/{ID}[/{SubId}]/error from the hub. */
export function partiesError(key: PartyKey, recipient: string, failure: Failure, version: string, nowMs: number): OutboundMessage {
  return {
    recipient, endpointType: endpointFor('parties-error', key), templateValues: partyTemplateValues(key), method: 'PUT',
    headers: hubHeaders('parties', recipient, 'PUT', partyUri('parties', key, '/error'), version, nowMs),
    body: canonicalJson(errorInformation(failure)), subject: `parties ${key.partyIdType} error ${failure.code} from hub`,
  };
}

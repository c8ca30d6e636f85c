// The callback endpoints a scheme operator registers for a simulated DFSP: one
// for every callback the hub's switching sends (participants, parties, quotes,
// transfers, with their sub-id and error forms), as central-ledger's templates.
// Bulk, FX, transaction-request, authorization and batch-lookup endpoints are
// left out: the hub sends none of those today, the simulator does not serve
// them, and an endpoint that points at a receiver unable to answer would turn
// a clear 3201 ("no endpoint") into a silent failure.
import type { EndpointType } from '../participants/index.ts';

const PARTY = '{{partyIdType}}/{{partyIdentifier}}';
const SUB_ID = `${PARTY}/{{partySubIdOrType}}`;

const TEMPLATES: readonly (readonly [EndpointType, string])[] = [
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', `/participants/${PARTY}`],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', `/participants/${PARTY}/error`],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT', `/participants/${SUB_ID}`],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR', `/participants/${SUB_ID}/error`],
  ['FSPIOP_CALLBACK_URL_PARTIES_GET', `/parties/${PARTY}`],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT', `/parties/${PARTY}`],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', `/parties/${PARTY}/error`],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET', `/parties/${SUB_ID}`],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT', `/parties/${SUB_ID}`],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR', `/parties/${SUB_ID}/error`],
  // A base URL: the hub appends /quotes, /quotes/{ID} or /quotes/{ID}/error.
  ['FSPIOP_CALLBACK_URL_QUOTES', ''],
  ['FSPIOP_CALLBACK_URL_TRANSFER_POST', '/transfers'],
  ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', '/transfers/{{transferId}}'],
  ['FSPIOP_CALLBACK_URL_TRANSFER_ERROR', '/transfers/{{transferId}}/error'],
];

/** The endpoints (type and value) that send every switching callback to a simulator at `baseUrl`. */
export function simulatorEndpoints(baseUrl: string): { type: EndpointType; value: string }[] {
  const base = baseUrl.replace(/\/+$/, '');
  return TEMPLATES.map(([type, path]) => ({ type, value: base + path }));
}

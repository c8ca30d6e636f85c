// What the switching domains (lookup, quotes, transfers) receive from the
// edge, and the headers of what they send: forwarded messages keep the
// sender's own FSPIOP headers and bytes; messages the hub originates come from
// "Hub" with sorted-key compact JSON bodies (the form Mojaloop's SDK verifies
// signatures over).
import { HUB_PARTICIPANT_NAME } from './hub.ts';
import { hubHeaders as fspiopHubHeaders } from './headers.ts';
import type { FspiopMethod, FspiopResource } from './resources.ts';

/** What the domain knows of an incoming FSPIOP request, after the edge has checked headers and schema. */
export interface Inbound {
  source: string;
  destination: string | undefined;
  /** Content version of the request, "1.0", "1.1" or "2.0". */
  contentVersion: string;
  /** The request's headers (lower-case names), as received. */
  headers: Readonly<Record<string, string>>;
  /** The request body exactly as received ('' for none). */
  rawBody: string;
  /** For a request with a body: what its verified FSPIOP-Signature binds, kept as evidence (transfers/evidence.ts). */
  signed?: SignedFacts;
}

export interface SignedFacts {
  /** The operation, e.g. "POST /transfers". */
  readonly operation: string;
  readonly method: string;
  /** The path the signature was verified against. */
  readonly fspiopUri: string;
  /** The registered key that verified it, and its algorithm. */
  readonly kid: string;
  readonly alg: string;
}

/** FSPIOP headers that travel with a forwarded message; anything else (host, authorization, proxies') stays behind. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'date', 'fspiop-source', 'fspiop-destination', 'fspiop-signature', 'fspiop-uri', 'fspiop-http-method', 'fspiop-encryption'];

export function forwardableHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/** Headers of a message the hub originates, in the content version `version` ("1.1"). */
export function hubHeaders(resource: FspiopResource, recipient: string, method: FspiopMethod, uri: string, version: string, nowMs: number): Record<string, string> {
  const [major = 1, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return fspiopHubHeaders({ resource, version: { major, minor }, source: HUB_PARTICIPANT_NAME, destination: recipient, method, uri, nowMs });
}

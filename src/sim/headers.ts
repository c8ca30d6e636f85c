// The headers of a request a DFSP sends to the hub (FSPIOP v1.1 §3.2, Table 1).
// FSPIOP-URI and FSPIOP-HTTP-Method are set on every request, so that the
// message can be signed (JWS covers them) without changing its headers.
import assert from 'node:assert/strict';
import { formatImfFixdate } from '../fspiop/index.ts';
import type { FspiopMethod, FspiopResource } from '../fspiop/index.ts';

/** The content version the simulator writes and asks for. */
export const SIM_CONTENT_VERSION = '1.1';

export interface DfspRequest {
  readonly resource: FspiopResource;
  readonly method: FspiopMethod;
  /** The path from the resource on, e.g. "/transfers/{ID}", percent-encoded, no query. */
  readonly uri: string;
  readonly source: string;
  /** Absent only where FSPIOP allows it (GET /parties: the hub finds the FSP). */
  readonly destination: string | undefined;
  readonly nowMs: number;
}

/** Methods that expect a callback, and so say in Accept which versions they read. */
const ASKING_METHODS: ReadonlySet<FspiopMethod> = new Set(['GET', 'POST', 'DELETE']);

export function dfspHeaders(request: DfspRequest): Record<string, string> {
  const { resource, method, uri, source, destination, nowMs } = request;
  assert.ok(uri === `/${resource}` || uri.startsWith(`/${resource}/`), `dfspHeaders: ${uri} is not under /${resource}`);
  assert.ok(!/[\s?#]/.test(uri), 'dfspHeaders: FSPIOP-URI must be a bare path');
  const mediaType = `application/vnd.interoperability.${resource}+json`;
  return {
    // Content-Type is required on every method, GET included (Mojaloop answers 3102 without it).
    'content-type': `${mediaType};version=${SIM_CONTENT_VERSION}`,
    ...(ASKING_METHODS.has(method) ? { accept: `${mediaType};version=${SIM_CONTENT_VERSION}` } : {}),
    date: formatImfFixdate(nowMs),
    'fspiop-source': source,
    ...(destination === undefined ? {} : { 'fspiop-destination': destination }),
    'fspiop-uri': uri,
    'fspiop-http-method': method,
  };
}

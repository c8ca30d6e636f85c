// The client for external oracles (ALS's oracle API: GET, POST and DELETE
// /participants/{Type}/{ID}). An oracle is outside the hub's trust boundary:
// every call is bounded in time and size, redirects are not followed (an
// oracle must not be able to point the hub at another host), and its answer
// is parsed as hostile input. Whether the FSPs it names exist is for the
// caller to check against the participant registry.
//
// An oracle call is an outbound connection like a callback, so the same
// network policy holds (delivery/callback_addresses.ts, delivery.callbackNetworks
// and delivery.allowLoopbackCallbacks): never link-local (cloud metadata) nor the
// hub's own listeners, checked on the address connected to. An oracle is
// registered by operators, not DFSPs, but a mistaken or hostile endpoint must
// not turn the lookup service into a way to reach what the hub alone can reach.
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import { AddressRefused, guardedLookup, ipLiteralOf, portOf, type CallbackAddressPolicy } from '../delivery/index.ts';
import { HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import { describeFailure, outboundAgentOptions, sendRequest, type OutboundFailure, isParticipantName, parseStrictJson, isSupportedCurrency, err, ok, type Result } from '../support/index.ts';
import { DEFAULT_LOOKUP_LIMITS } from './limits.ts';
import { identifierProblem, type PartyKey } from './party.ts';

/** One entry of an oracle's partyList that passed the checks. */
export interface OracleEntry {
  fspId: string;
  currency: string | undefined;
  partySubIdOrType: string | undefined;
}

/** An error is an oracle that could not be asked or answered nonsense; "not registered" is ok with no entries. */
export type OracleLookup = Result<OracleEntry[], string>;
export type OracleWrite = Result<undefined, string>;

export interface OracleClient {
  lookup(endpoint: string, key: PartyKey, currency: string | undefined): Promise<OracleLookup>;
  register(endpoint: string, key: PartyKey, fspId: string, currency: string | undefined): Promise<OracleWrite>;
  remove(endpoint: string, key: PartyKey, currency: string | undefined): Promise<OracleWrite>;
}

export interface OracleClientOptions {
  /** Where oracle calls may connect: the callback network policy. */
  addresses: CallbackAddressPolicy;
  timeoutMs?: number;
  responseBytesMax?: number;
  partyListLengthMax?: number;
  clock?: Clock;
}

type Reply = Result<{ status: number; text: string }, string>;

const own = (object: object, name: string): unknown => (Object.hasOwn(object, name) ? (object as Record<string, unknown>)[name] : undefined);

/** Checks an oracle's GET answer: `{partyList: [{fspId, currency?, partySubIdOrType?}]}`. Entries that fail are dropped. */
export function parsePartyList(value: unknown, lengthMax: number): OracleLookup {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('the answer is not a JSON object');
  const list = own(value, 'partyList');
  if (!Array.isArray(list)) return err('the answer has no partyList array');
  if (list.length > lengthMax) return err(`the partyList has more than ${lengthMax} entries`);
  const entries: OracleEntry[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const fspId = own(item, 'fspId');
    const currency = own(item, 'currency') ?? undefined;
    const subId = own(item, 'partySubIdOrType') ?? undefined;
    if (!isParticipantName(fspId)) continue;
    if (currency !== undefined && (typeof currency !== 'string' || !isSupportedCurrency(currency))) continue;
    if (subId !== undefined && identifierProblem(subId, 'partySubIdOrType') !== undefined) continue;
    entries.push({ fspId, currency, partySubIdOrType: subId as string | undefined });
  }
  return ok(entries);
}

function describeError(failure: OutboundFailure): string {
  if (failure.kind === 'network' && failure.cause instanceof AddressRefused) return `not called: ${failure.cause.message}`;
  if (failure.kind === 'network' || failure.kind === 'unsendable') return `unreachable (${failure.code})`;
  return describeFailure(failure);
}

/** Connections kept open to oracles at once, per scheme (an oracle answers from an index: a few suffice). */
const ORACLE_CONNECTIONS_MAX = 16;

/** What every call of one oracle client shares. */
interface OracleCallContext {
  timeoutMs: number;
  responseBytesMax: number;
  partyListLengthMax: number;
  nowMs: () => number;
  addresses: CallbackAddressPolicy;
  agents: { readonly http: http.Agent; readonly https: https.Agent };
}

export function createOracleClient(options: OracleClientOptions): OracleClient {
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const context: OracleCallContext = {
    timeoutMs: options.timeoutMs ?? DEFAULT_LOOKUP_LIMITS.oracleTimeoutMs,
    responseBytesMax: options.responseBytesMax ?? DEFAULT_LOOKUP_LIMITS.oracleResponseBytesMax,
    partyListLengthMax: options.partyListLengthMax ?? DEFAULT_LOOKUP_LIMITS.oraclePartyListLengthMax,
    nowMs: () => clock.nowMs(),
    addresses: options.addresses,
    agents: { http: new http.Agent(outboundAgentOptions(ORACLE_CONNECTIONS_MAX)), https: new https.Agent(outboundAgentOptions(ORACLE_CONNECTIONS_MAX)) },
  };
  return {
    lookup: (endpoint, key, currency) => lookupParty(context, endpoint, key, currency),
    register: (endpoint, key, fspId, currency) => registerParty(context, endpoint, key, fspId, currency),
    remove: (endpoint, key, currency) => removeParty(context, endpoint, key, currency),
  };
}

function urlOf(endpoint: string, key: PartyKey, query: Record<string, string | undefined>): string {
  const base = endpoint.replace(/\/+$/, '');
  const path = `/participants/${encodeURIComponent(key.partyIdType)}/${encodeURIComponent(key.partyIdentifier)}`;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, value);
  const text = search.toString();
  return base + path + (text === '' ? '' : `?${text}`);
}

async function call(context: OracleCallContext, method: 'GET' | 'POST' | 'DELETE', url: string, body: unknown): Promise<Reply> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.interoperability.participants+json;version=1',
    // FSPIOP asks for Content-Type even on a GET; ALS sends it to its oracles too.
    'content-type': 'application/vnd.interoperability.participants+json;version=1.1',
    date: new Date(context.nowMs()).toUTCString(),
    'fspiop-source': HUB_PARTICIPANT_NAME,
  };
  const target = new URL(url);
  const port = portOf(target);
  const literal = ipLiteralOf(target);
  const literalRefusal = literal === undefined ? undefined : context.addresses.refusal(literal, port);
  if (literalRefusal !== undefined) return err(`not called: ${literalRefusal}`);
  // One deadline for the whole exchange, the body included (the outbound client's); redirects are never followed.
  const sent = await sendRequest(target, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    agent: target.protocol === 'https:' ? context.agents.https : context.agents.http,
    timeoutMs: context.timeoutMs, answerBytesMax: context.responseBytesMax, answerBody: 'whole',
    connection: { lookup: guardedLookup(context.addresses, port) },
  });
  if (!sent.ok) return err(describeError(sent.error));
  const { status, body: bytes } = sent.value;
  if (status >= 300 && status < 400) return err(`answered ${status}; redirects are not followed`);
  if (!isUtf8(bytes)) return err('answer is not UTF-8');
  return ok({ status, text: bytes.toString('utf8') });
}

async function lookupParty(context: OracleCallContext, endpoint: string, key: PartyKey, currency: string | undefined): Promise<OracleLookup> {
  const reply = await call(context, 'GET', urlOf(endpoint, key, { currency, partySubIdOrType: key.partySubIdOrType }), undefined);
  if (!reply.ok) return reply;
  // ALS's oracles answer an unknown party with 404 (error 3204).
  if (reply.value.status === 404) return ok([]);
  if (reply.value.status !== 200) return err(`answered ${reply.value.status}`);
  const parsed = parseStrictJson(reply.value.text);
  if (!parsed.ok) return err(parsed.error.problem === 'not-json' ? 'the answer is not JSON' : `the answer is ambiguous: ${parsed.error.detail}`);
  return parsePartyList(parsed.value, context.partyListLengthMax);
}

async function registerParty(context: OracleCallContext, endpoint: string, key: PartyKey, fspId: string, currency: string | undefined): Promise<OracleWrite> {
  // ALS writes this body to its oracles, not the FSP's {fspId} (src/domain/participants/participants.js).
  const body = {
    partyList: [{
      partyIdType: key.partyIdType, partyIdentifier: key.partyIdentifier, fspId,
      ...(key.partySubIdOrType === undefined ? {} : { partySubIdOrType: key.partySubIdOrType }),
    }],
    ...(currency === undefined ? {} : { currency }),
  };
  const reply = await call(context, 'POST', urlOf(endpoint, key, {}), body);
  if (!reply.ok) return reply;
  return reply.value.status === 201 ? ok(undefined) : err(`answered ${reply.value.status}, not 201`);
}

async function removeParty(context: OracleCallContext, endpoint: string, key: PartyKey, currency: string | undefined): Promise<OracleWrite> {
  const reply = await call(context, 'DELETE', urlOf(endpoint, key, { currency, partySubIdOrType: key.partySubIdOrType }), undefined);
  if (!reply.ok) return reply;
  return reply.value.status === 204 || reply.value.status === 200 ? ok(undefined) : err(`answered ${reply.value.status}, not 204`);
}

// The simulated DFSP as payer (and as the FSP that registers its parties):
// each request is sent to the hub and its promise settled by the matching
// callback, its error callback, the hub's synchronous refusal, or a deadline.
import { randomUUID } from 'node:crypto';
import { conditionMatches } from '../ilp/index.ts';
import type { OperationKey } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import type { HubAnswer, HubRequest } from './hub_client.ts';
import type { SimLimits } from './limits.ts';
import { fspiopErrorOf, type Pending } from './pending.ts';
import type { Arrival } from './server.ts';
import type { Money, PartyAnswer, PartyIdInfo, PrepareBody, QuoteRequestBody, QuoteResponseBody, SimParty, TransferStateBody } from './types.ts';

export interface QuoteInput {
  /** The payee as the lookup found it: fspId is where the quote goes. */
  readonly payee: PartyIdInfo;
  readonly amount: string;
  readonly currency: string;
  readonly amountType?: 'SEND' | 'RECEIVE';
  /** The paying party; the simulator's first party when absent. */
  readonly payer?: SimParty;
  readonly note?: string;
}

export interface QuoteResult {
  readonly quoteId: string;
  readonly transactionId: string;
  readonly payeeFsp: string;
  readonly request: QuoteRequestBody;
  readonly response: QuoteResponseBody;
}

export interface TransferResult {
  readonly transferId: string;
  readonly prepare: PrepareBody;
  /** The PUT /transfers/{ID} the payer received. */
  readonly result: TransferStateBody;
  /** The payer's own ILP check: SHA-256 of the fulfilment it received is the condition it agreed. */
  readonly fulfilmentMatches: boolean;
}

export interface PayerDeps {
  readonly name: string;
  readonly parties: readonly SimParty[];
  readonly currency: string | undefined;
  readonly limits: SimLimits;
  readonly clock: Clock;
  readonly pending: Pending;
  readonly send: (request: HubRequest) => Promise<HubAnswer>;
}

const enc = encodeURIComponent;

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function partyPath(type: string, id: string, subId?: string): string {
  return `${enc(type)}/${enc(id)}${subId === undefined ? '' : `/${enc(subId)}`}`;
}

/** The waiter key a callback settles: its resource and the identifiers in its path (decoded). */
export function callbackKey(arrival: Arrival): { key: string; error: boolean } | undefined {
  const { type = '', id = '', subId } = arrival.operation.params;
  const party = `${type} ${id}${subId === undefined ? '' : ` ${subId}`}`;
  const keys: Partial<Record<OperationKey, { key: string; error: boolean }>> = {
    'PUT /participants/{Type}/{ID}': { key: `participants ${party}`, error: false },
    'PUT /participants/{Type}/{ID}/{SubId}': { key: `participants ${party}`, error: false },
    'PUT /participants/{Type}/{ID}/error': { key: `participants ${party}`, error: true },
    'PUT /participants/{Type}/{ID}/{SubId}/error': { key: `participants ${party}`, error: true },
    'PUT /parties/{Type}/{ID}': { key: `parties ${party}`, error: false },
    'PUT /parties/{Type}/{ID}/{SubId}': { key: `parties ${party}`, error: false },
    'PUT /parties/{Type}/{ID}/error': { key: `parties ${party}`, error: true },
    'PUT /parties/{Type}/{ID}/{SubId}/error': { key: `parties ${party}`, error: true },
    'PUT /quotes/{ID}': { key: `quotes ${id}`, error: false },
    'PUT /quotes/{ID}/error': { key: `quotes ${id}`, error: true },
    'PUT /transfers/{ID}': { key: `transfers ${id}`, error: false },
    'PUT /transfers/{ID}/error': { key: `transfers ${id}`, error: true },
  };
  return keys[arrival.operation.key];
}

/** Sends `request` and waits for the callback `key`; a synchronous refusal fails it at once. */
async function ask<T>(deps: PayerDeps, key: string, what: string, request: HubRequest): Promise<T> {
  const waiting = deps.pending.wait<T>(key, what);
  try {
    const answer = await deps.send(request);
    if (answer.status !== 202) waiting.cancel(fspiopErrorOf(parseAnswer(answer.body), answer.status));
  } catch (error) {
    waiting.cancel(error instanceof Error ? error : new Error(String(error)));
  }
  return waiting.promise;
}

/** Settles the waiter a callback answers; false when none was waiting. */
function settle({ pending }: PayerDeps, arrival: Arrival): boolean {
  const found = callbackKey(arrival);
  if (found === undefined) return false;
  return found.error ? pending.reject(found.key, fspiopErrorOf(arrival.body)) : pending.resolve(found.key, arrival.body);
}

/** POST /participants/{Type}/{ID} for each party: the hub's oracle learns that this FSP serves it. */
async function registerParties(deps: PayerDeps): Promise<void> {
  await Promise.all(deps.parties.map((party) => ask<unknown>(deps,
    `participants ${party.partyIdType} ${party.partyIdentifier}`,
    `the registration of ${party.partyIdType} ${party.partyIdentifier}`,
    {
      resource: 'participants', method: 'POST', uri: `/participants/${partyPath(party.partyIdType, party.partyIdentifier)}`, destination: undefined,
      body: { fspId: deps.name, ...(deps.currency === undefined ? {} : { currency: deps.currency }) },
    },
  )));
}

/** GET /parties/{Type}/{ID} without FSPIOP-Destination: the hub finds the FSP that serves the party. */
function lookup(deps: PayerDeps, partyIdType: string, partyIdentifier: string): Promise<PartyAnswer> {
  return ask<PartyAnswer>(deps, `parties ${partyIdType} ${partyIdentifier}`, `the lookup of ${partyIdType} ${partyIdentifier}`, {
    resource: 'parties', method: 'GET', uri: `/parties/${partyPath(partyIdType, partyIdentifier)}`, destination: undefined,
  });
}

/** The POST /quotes body: from `payer` (a party of the FSP `name`) to the payee the lookup found at `payeeFsp`. */
function quoteRequest(input: QuoteInput, name: string, payer: SimParty, payeeFsp: string): QuoteRequestBody {
  const amount: Money = { amount: input.amount, currency: input.currency };
  return {
    quoteId: randomUUID(), transactionId: randomUUID(),
    // Only PartyIdInfo's own fields: a lookup answer or a party record may carry more (a name), which the schema refuses here.
    payee: { partyIdInfo: {
      partyIdType: input.payee.partyIdType, partyIdentifier: input.payee.partyIdentifier, fspId: payeeFsp,
      ...(input.payee.partySubIdOrType === undefined ? {} : { partySubIdOrType: input.payee.partySubIdOrType }),
    } },
    payer: { partyIdInfo: { partyIdType: payer.partyIdType, partyIdentifier: payer.partyIdentifier, fspId: name }, name: payer.name },
    amountType: input.amountType ?? 'SEND',
    amount,
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    ...(input.note === undefined ? {} : { note: input.note }),
  };
}

async function quote(deps: PayerDeps, input: QuoteInput): Promise<QuoteResult> {
  const payeeFsp = input.payee.fspId;
  if (payeeFsp === undefined) throw new Error('quote: the payee has no fspId; look the party up first');
  const payer = input.payer ?? deps.parties[0];
  if (payer === undefined) throw new Error(`quote: ${deps.name} has no party to pay from`);
  const request = quoteRequest(input, deps.name, payer, payeeFsp);
  const { quoteId, transactionId } = request;
  const response = await ask<QuoteResponseBody>(deps, `quotes ${quoteId}`, `quote ${quoteId}`, {
    resource: 'quotes', method: 'POST', uri: '/quotes', destination: payeeFsp, body: request,
  });
  return { quoteId, transactionId, payeeFsp, request, response };
}

/** POST /transfers on a quote's terms; `overrides` replace fields of the prepare (tests send altered terms). */
async function transfer(deps: PayerDeps, accepted: QuoteResult, overrides: Partial<PrepareBody> = {}): Promise<TransferResult> {
  const prepare: PrepareBody = {
    transferId: randomUUID(),
    payerFsp: deps.name,
    payeeFsp: accepted.payeeFsp,
    amount: accepted.response.transferAmount,
    ilpPacket: accepted.response.ilpPacket,
    condition: accepted.response.condition,
    expiration: new Date(deps.clock.nowMs() + deps.limits.transferExpiryMs).toISOString(),
    ...overrides,
  };
  const result = await ask<TransferStateBody>(deps, `transfers ${prepare.transferId}`, `transfer ${prepare.transferId}`, {
    resource: 'transfers', method: 'POST', uri: '/transfers', destination: prepare.payeeFsp, body: prepare,
  });
  const fulfilmentMatches = result.fulfilment !== undefined && conditionMatches(result.fulfilment, prepare.condition);
  return { transferId: prepare.transferId, prepare, result, fulfilmentMatches };
}

/** GET /transfers/{ID}: the hub answers with the transfer's state. */
function getTransfer(deps: PayerDeps, transferId: string, payeeFsp?: string): Promise<TransferStateBody> {
  return ask<TransferStateBody>(deps, `transfers ${transferId}`, `the state of transfer ${transferId}`, {
    resource: 'transfers', method: 'GET', uri: `/transfers/${enc(transferId)}`, destination: payeeFsp,
  });
}

export function createPayer(deps: PayerDeps) {
  return {
    settle: (arrival: Arrival) => settle(deps, arrival),
    registerParties: () => registerParties(deps),
    lookup: (partyIdType: string, partyIdentifier: string) => lookup(deps, partyIdType, partyIdentifier),
    quote: (input: QuoteInput) => quote(deps, input),
    transfer: (accepted: QuoteResult, overrides: Partial<PrepareBody> = {}) => transfer(deps, accepted, overrides),
    getTransfer: (transferId: string, payeeFsp?: string) => getTransfer(deps, transferId, payeeFsp),
  };
}

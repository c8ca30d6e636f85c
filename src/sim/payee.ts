// The simulated DFSP as payee: it answers the hub's lookup of a party it
// serves, quotes for that party, and fulfils a prepare, but only a prepare
// whose condition it can fulfil: the fulfilment is derived again from the
// ILP packet and the DFSP's secret, and a prepare whose condition it does not
// match (terms this DFSP never issued, or altered) is refused, not guessed at.
import { conditionMatches, fulfilmentOf, quoteResponseIlp } from '../ilp/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { err, ok, type Result } from '../support/index.ts';
import type { HubRequest } from './hub_client.ts';
import type { SimLimits } from './limits.ts';
import type { Arrival } from './server.ts';
import type { IlpVersion, Money, PartyAnswer, PrepareBody, QuoteRequestBody, QuoteResponseBody, SimParty } from './types.ts';

export interface PayeeDeps {
  readonly name: string;
  readonly parties: readonly SimParty[];
  readonly ilpSecret: string;
  readonly ilpVersion: IlpVersion;
  readonly currency: string | undefined;
  readonly limits: SimLimits;
  readonly clock: Clock;
  readonly log: Logger;
  /** Sends a request to the hub; resolves with its HTTP status. */
  readonly send: (request: HubRequest) => Promise<number>;
}

/** The FSPIOP error body a payee sends. */
function errorBody(errorCode: string, errorDescription: string) {
  return { errorInformation: { errorCode, errorDescription } };
}

const enc = encodeURIComponent;

interface PayeeContext {
  readonly deps: PayeeDeps;
  /** Terms this DFSP quoted, by condition, so that a prepare's amount can be held to its quote; oldest forgotten first. */
  readonly issued: Map<string, { quoteId: string; transferAmount: Money }>;
}

function remember({ deps, issued }: PayeeContext, condition: string, quoteId: string, transferAmount: Money): void {
  issued.delete(condition);
  issued.set(condition, { quoteId, transferAmount });
  while (issued.size > deps.limits.issuedQuotesMax) {
    const oldest = issued.keys().next();
    if (oldest.done === true) break;
    issued.delete(oldest.value);
  }
}

function findParty(parties: readonly SimParty[], type: string | undefined, id: string | undefined, subId: string | undefined): SimParty | undefined {
  if (subId !== undefined) return undefined;
  return parties.find((p) => p.partyIdType === type && p.partyIdentifier === id);
}

async function reply({ deps }: PayeeContext, request: HubRequest, what: string): Promise<void> {
  const status = await deps.send(request);
  if (status !== 200) deps.log.warn({ dfsp: deps.name, status, uri: request.uri }, `the hub refused ${what}`);
}

/** GET /parties/{Type}/{ID}[/{SubId}]: the party's name, or 3204. */
async function answerLookup(ctx: PayeeContext, arrival: Arrival): Promise<void> {
  const { name } = ctx.deps;
  const { type, id, subId } = arrival.operation.params;
  const path = `/parties/${enc(type ?? '')}/${enc(id ?? '')}${subId === undefined ? '' : `/${enc(subId)}`}`;
  const party = findParty(ctx.deps.parties, type, id, subId);
  if (party === undefined) {
    await reply(ctx, { resource: 'parties', method: 'PUT', uri: `${path}/error`, destination: arrival.source, body: errorBody('3204', 'Party not found') }, 'a party error');
    return;
  }
  const body: PartyAnswer = { party: { partyIdInfo: { partyIdType: party.partyIdType, partyIdentifier: party.partyIdentifier, fspId: name }, name: party.name } };
  await reply(ctx, { resource: 'parties', method: 'PUT', uri: path, destination: arrival.source, body }, 'a party answer');
}

/** Why this DFSP will not quote the request, as an FSPIOP error, or undefined. */
function quoteProblem(deps: PayeeDeps, request: QuoteRequestBody): [string, string] | undefined {
  const { name } = deps;
  const payee = request.payee.partyIdInfo;
  if (payee.fspId !== undefined && payee.fspId !== name) return ['3100', `payee.partyIdInfo.fspId is not ${name}`];
  if (findParty(deps.parties, payee.partyIdType, payee.partyIdentifier, payee.partySubIdOrType) === undefined) return ['3204', 'Party not found'];
  if (deps.currency !== undefined && request.amount.currency !== deps.currency) return ['5106', `Payee unsupported currency ${request.amount.currency}`];
  return undefined;
}

/**
 * POST /quotes: no fees, so the transfer amount is the amount asked (SEND:
 * what the payer sends; RECEIVE: what the payee receives). The ILP packet and
 * condition bind the terms; the fulfilment stays here until the prepare.
 */
async function answerQuote(ctx: PayeeContext, arrival: Arrival): Promise<void> {
  const { ilpVersion, ilpSecret, limits, clock } = ctx.deps;
  const request = arrival.body as QuoteRequestBody;
  const uri = `/quotes/${enc(request.quoteId)}`;
  const problem = quoteProblem(ctx.deps, request);
  if (problem !== undefined) {
    await reply(ctx, { resource: 'quotes', method: 'PUT', uri: `${uri}/error`, destination: arrival.source, body: errorBody(...problem) }, 'a quote error');
    return;
  }
  const transferAmount = { amount: request.amount.amount, currency: request.amount.currency };
  const expiration = new Date(clock.nowMs() + limits.quoteExpiryMs).toISOString();
  let terms: { ilpPacket: string; condition: string };
  try {
    terms = quoteResponseIlp(ilpVersion, ilpSecret, request as unknown as Record<string, unknown>, { transferAmount, expiration });
  } catch (error) {
    // The ILP packet cannot carry these terms (an amount finer than the packet's scale, say).
    await reply(ctx, { resource: 'quotes', method: 'PUT', uri: `${uri}/error`, destination: arrival.source, body: errorBody('5103', `Payee FSP rejected quote: ${(error as Error).message}`.slice(0, 128)) }, 'a quote error');
    return;
  }
  remember(ctx, terms.condition, request.quoteId, transferAmount);
  const body: QuoteResponseBody = { transferAmount, payeeReceiveAmount: transferAmount, expiration, ilpPacket: terms.ilpPacket, condition: terms.condition };
  await reply(ctx, { resource: 'quotes', method: 'PUT', uri, destination: arrival.source, body }, 'a quote');
}

/** Why this DFSP will not fulfil the prepare, or its fulfilment. */
function fulfil({ deps, issued }: PayeeContext, prepare: PrepareBody): Result<string, string> {
  const { name, ilpVersion, ilpSecret } = deps;
  if (prepare.payeeFsp !== name) return err(`payeeFsp is not ${name}`);
  let fulfilment: string;
  try {
    fulfilment = fulfilmentOf(ilpVersion, ilpSecret, prepare.ilpPacket);
  } catch {
    return err('the ILP packet cannot be read');
  }
  if (!conditionMatches(fulfilment, prepare.condition)) return err('the condition is not one this FSP can fulfil: these are not terms it quoted');
  const quoted = issued.get(prepare.condition);
  if (quoted !== undefined && (quoted.transferAmount.amount !== prepare.amount.amount || quoted.transferAmount.currency !== prepare.amount.currency)) {
    return err(`the amount is not the ${quoted.transferAmount.amount} ${quoted.transferAmount.currency} quoted`);
  }
  return ok(fulfilment);
}

/**
 * POST /transfers: COMMITTED with the fulfilment, or PUT …/error 5105
 * (Payee FSP rejected transaction: the FSP, not its customer, declines).
 */
async function answerPrepare(ctx: PayeeContext, arrival: Arrival): Promise<void> {
  const { name, clock, log } = ctx.deps;
  const prepare = arrival.body as PrepareBody;
  const uri = `/transfers/${enc(prepare.transferId)}`;
  const outcome = fulfil(ctx, prepare);
  if (!outcome.ok) {
    log.warn({ dfsp: name, transferId: prepare.transferId, reason: outcome.error }, 'simulator refused a prepare');
    await reply(ctx, { resource: 'transfers', method: 'PUT', uri: `${uri}/error`, destination: arrival.source, body: errorBody('5105', `Payee FSP rejected transaction - ${outcome.error}`.slice(0, 128)) }, 'a transfer error');
    return;
  }
  const body = { transferState: 'COMMITTED', fulfilment: outcome.value, completedTimestamp: new Date(clock.nowMs()).toISOString() };
  await reply(ctx, { resource: 'transfers', method: 'PUT', uri, destination: arrival.source, body }, 'a fulfil');
}

export function createPayee(deps: PayeeDeps) {
  const ctx: PayeeContext = { deps, issued: new Map() };
  return {
    answerLookup: (arrival: Arrival) => answerLookup(ctx, arrival),
    answerQuote: (arrival: Arrival) => answerQuote(ctx, arrival),
    answerPrepare: (arrival: Arrival) => answerPrepare(ctx, arrival),
  };
}

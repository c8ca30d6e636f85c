// Quotes: routed by FSPIOP-Destination between payer and payee FSP, persisted
// with duplicate checks, so that a repeated request is answered with the
// payee's own response and a changed one under the same quoteId is 3106.
// Only the two FSPs of a quote may answer, fail or query it.
import type { OutboundMessage } from '../delivery/index.ts';
import { errorInformation, type Failure, forwardableHeaders, hubHeaders, type Inbound } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { canonicalHash, canonicalJson, err, ok, parseAmount, type Result } from '../support/index.ts';
import { RISK_REFUSAL, type RiskAssessor } from '../risk/index.ts';
import type { Clock } from '../support/index.ts';
import { forUpdate, runTransaction, type Db, type Engine } from '../storage/index.ts';
import { callbackEndpoint, findActiveFsp, type Participant } from '../participants/index.ts';
import { quoteTables, type Quote } from './tables.ts';

export interface QuoteRequestBody {
  quoteId: string;
  payer: { partyIdInfo: { fspId?: string } };
  payee: { partyIdInfo: { fspId?: string } };
  amount: { amount: string; currency: string };
}

export interface QuoteDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
  /** The FRMS (risk/): an early signal at the quote, which may refuse it; none: every quote goes on. */
  riskAssessor?: RiskAssessor;
}

export type QuoteOutcome =
  | { kind: 'forwarded' | 'answered' | 'duplicate-resent' | 'duplicate-ignored' }
  | { kind: 'refused'; failure: Failure };

const fail = (code: Failure['code'], detail: string): Failure => ({ code, detail });

/** One request about one quote, inside the transaction that handles it. */
interface Handling {
  readonly deps: QuoteDeps;
  readonly tx: Tx;
  readonly inbound: Inbound;
  readonly quoteId: string;
  readonly nowMs: number;
}

const ENDPOINT = 'FSPIOP_CALLBACK_URL_QUOTES';

function forward(recipient: string, method: 'POST' | 'PUT' | 'GET', pathSuffix: string, headers: Record<string, string>, body: string | null, subject: string): OutboundMessage {
  return { recipient, endpointType: ENDPOINT, templateValues: {}, pathSuffix, method, headers, body, subject };
}

async function hasQuotesEndpoint(tx: Tx, participant: Participant): Promise<boolean> {
  return (await callbackEndpoint(tx, participant.id, ENDPOINT)) !== undefined;
}

async function refuse(h: Handling, failure: Failure): Promise<QuoteOutcome> {
  const { inbound, quoteId, nowMs } = h;
  if ((await findActiveFsp(h.tx, inbound.source)) !== undefined) {
    await h.deps.enqueue(h.tx, forward(inbound.source, 'PUT', `/quotes/${quoteId}/error`,
      hubHeaders('quotes', inbound.source, 'PUT', `/quotes/${quoteId}/error`, inbound.contentVersion, nowMs),
      canonicalJson(errorInformation(failure)), `quote ${quoteId} error ${failure.code} from hub`), nowMs);
  }
  return { kind: 'refused', failure };
}

async function load(h: Handling): Promise<Quote | undefined> {
  return forUpdate(quoteTables(h.tx).selectFrom('quotes').selectAll().where('quote_id', '=', h.quoteId), h.deps.engine).executeTakeFirst();
}

/** Sends the payee's stored response to the payer again, with its own headers and bytes. */
async function resendResponse(h: Handling, quote: Quote): Promise<void> {
  if (quote.response_headers === null || quote.response_body === null) return;
  const headers = JSON.parse(quote.response_headers) as Record<string, string>;
  await h.deps.enqueue(h.tx, forward(quote.payer_fsp, 'PUT', `/quotes/${quote.quote_id}`, headers, quote.response_body, `quote ${quote.quote_id} response resent`), h.nowMs);
}

/** Runs `unit` for one quote in its own transaction. */
function handle(deps: QuoteDeps, inbound: Inbound, quoteId: string, unit: (h: Handling) => Promise<QuoteOutcome>): Promise<QuoteOutcome> {
  return runTransaction(deps.db, deps.engine, (tx) => unit({ deps, tx, inbound, quoteId, nowMs: deps.clock.nowMs() }));
}

/**
 * A new request's routing: a destination, two different FSPs, party fspIds that
 * match the headers, a payee that can be called. Ok with the destination.
 */
async function route(h: Handling, body: QuoteRequestBody): Promise<Result<string, Failure>> {
  const { inbound } = h;
  if (inbound.destination === undefined) return err(fail('3102', 'FSPIOP-Destination is required'));
  if (inbound.destination === inbound.source) return err(fail('3100', 'payer and payee FSP are the same'));
  const payerFsp = body.payer.partyIdInfo.fspId;
  const payeeFsp = body.payee.partyIdInfo.fspId;
  if (payerFsp !== undefined && payerFsp !== inbound.source) return err(fail('3100', 'payer.partyIdInfo.fspId does not match FSPIOP-Source'));
  if (payeeFsp !== undefined && payeeFsp !== inbound.destination) return err(fail('3100', 'payee.partyIdInfo.fspId does not match FSPIOP-Destination'));
  const payee = await findActiveFsp(h.tx, inbound.destination);
  if (payee === undefined) return err(fail('3201', 'the destination FSP is not an active participant'));
  if (!(await hasQuotesEndpoint(h.tx, payee))) return err(fail('3201', 'the destination FSP has no quotes endpoint'));
  return ok(inbound.destination);
}

/** The FRMS's early signal on a quote request: a BLOCK (or HOLD: a quote cannot be held) refuses it with 4400. */
async function assessQuote(h: Handling, body: QuoteRequestBody, payeeFsp: string): Promise<Result<void, Failure>> {
  const assess = h.deps.riskAssessor;
  if (assess === undefined) return ok(undefined);
  const amount = parseAmount(body.amount.amount, body.amount.currency);
  // The schema checked the amount's shape; one its currency cannot carry is left to the payee to refuse.
  if (!amount.ok) return ok(undefined);
  const decision = await assess(h.tx, {
    stage: 'quote', id: h.quoteId, payerFsp: h.inbound.source, payeeFsp, message: body,
    currency: body.amount.currency, amountMinor: amount.value, sourceAddress: null, nowMs: h.nowMs,
  });
  return decision.verdict === 'BLOCK' || decision.verdict === 'HOLD' ? err(fail('4400', RISK_REFUSAL)) : ok(undefined);
}

/** POST /quotes from the payer FSP to the payee FSP named in FSPIOP-Destination. */
async function request(deps: QuoteDeps, inbound: Inbound, body: QuoteRequestBody): Promise<QuoteOutcome> {
  const requestHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
  return handle(deps, inbound, body.quoteId, async (h) => {
    const { quoteId, nowMs } = h;
    const existing = await load(h);
    if (existing !== undefined) {
      if (existing.payer_fsp !== inbound.source || existing.request_hash !== requestHash) return refuse(h, fail('3106', 'a different quote request was received with this quoteId'));
      if (existing.state !== 'RESPONDED') return { kind: 'duplicate-ignored' };
      await resendResponse(h, existing);
      return { kind: 'duplicate-resent' };
    }
    const routed = await route(h, body);
    if (!routed.ok) return refuse(h, routed.error);
    const destination = routed.value;
    const risk = await assessQuote(h, body, destination);
    if (!risk.ok) return refuse(h, risk.error);
    await quoteTables(h.tx).insertInto('quotes').values({
      quote_id: quoteId, payer_fsp: inbound.source, payee_fsp: destination, state: 'PENDING', request_hash: requestHash,
      response_hash: null, response_headers: null, response_body: null, error_hash: null, content_version: inbound.contentVersion,
      created_at_ms: nowMs, changed_at_ms: nowMs,
    }).execute();
    await deps.enqueue(h.tx, forward(destination, 'POST', '/quotes', forwardableHeaders(inbound.headers), inbound.rawBody, `quote ${quoteId} request`), nowMs);
    return { kind: 'forwarded' };
  });
}

/** PUT /quotes/{ID} from the payee FSP: kept and forwarded to the payer FSP. */
async function respond(deps: QuoteDeps, inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
  const responseHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
  return handle(deps, inbound, quoteId, async (h) => {
    const quote = await load(h);
    if (quote?.payee_fsp !== inbound.source) return refuse(h, fail('3205', 'no such quote'));
    if (inbound.destination !== undefined && inbound.destination !== quote.payer_fsp) return refuse(h, fail('3100', 'FSPIOP-Destination does not match the payer FSP'));
    if (quote.state === 'RESPONDED') {
      if (quote.response_hash !== responseHash) return refuse(h, fail('3106', 'a different response was received for this quote'));
      await resendResponse(h, quote);
      return { kind: 'duplicate-resent' };
    }
    if (quote.state !== 'PENDING') return refuse(h, fail('3100', 'the quote has failed'));
    const headers = forwardableHeaders(inbound.headers);
    await quoteTables(h.tx).updateTable('quotes').set({ state: 'RESPONDED', response_hash: responseHash, response_headers: JSON.stringify(headers), response_body: inbound.rawBody, changed_at_ms: h.nowMs })
      .where('quote_id', '=', quoteId).where('state', '=', 'PENDING').execute();
    await deps.enqueue(h.tx, forward(quote.payer_fsp, 'PUT', `/quotes/${quoteId}`, headers, inbound.rawBody, `quote ${quoteId} response`), h.nowMs);
    return { kind: 'forwarded' };
  });
}

/** PUT /quotes/{ID}/error from either FSP of the quote: forwarded to the other. */
async function error(deps: QuoteDeps, inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
  const errorHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
  return handle(deps, inbound, quoteId, async (h) => {
    const quote = await load(h);
    if (quote === undefined || (inbound.source !== quote.payee_fsp && inbound.source !== quote.payer_fsp)) return refuse(h, fail('3205', 'no such quote'));
    const other = inbound.source === quote.payee_fsp ? quote.payer_fsp : quote.payee_fsp;
    if (quote.state === 'ERRORED') {
      if (quote.error_hash !== errorHash) return refuse(h, fail('3106', 'a different error was received for this quote'));
      return { kind: 'duplicate-ignored' };
    }
    if (quote.state !== 'PENDING') return refuse(h, fail('3100', 'the quote has been answered'));
    await quoteTables(h.tx).updateTable('quotes').set({ state: 'ERRORED', error_hash: errorHash, changed_at_ms: h.nowMs }).where('quote_id', '=', quoteId).where('state', '=', 'PENDING').execute();
    await deps.enqueue(h.tx, forward(other, 'PUT', `/quotes/${quoteId}/error`, forwardableHeaders(inbound.headers), inbound.rawBody, `quote ${quoteId} error forwarded`), h.nowMs);
    return { kind: 'forwarded' };
  });
}

/** GET /quotes/{ID}: the payee's stored response when there is one, else the question goes on to the payee. */
async function query(deps: QuoteDeps, inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
  return handle(deps, inbound, quoteId, async (h) => {
    const quote = await quoteTables(h.tx).selectFrom('quotes').selectAll().where('quote_id', '=', quoteId).executeTakeFirst();
    if (quote?.payer_fsp !== inbound.source) return refuse(h, fail('3205', 'no such quote'));
    if (quote.state === 'RESPONDED') {
      await resendResponse(h, quote);
      return { kind: 'answered' };
    }
    if (quote.state === 'ERRORED') return refuse(h, fail('3100', 'the quote has failed'));
    await deps.enqueue(h.tx, forward(quote.payee_fsp, 'GET', `/quotes/${quoteId}`, { ...forwardableHeaders(inbound.headers), 'fspiop-destination': quote.payee_fsp }, null, `quote ${quoteId} query`), h.nowMs);
    return { kind: 'forwarded' };
  });
}

export function createQuoteService(deps: QuoteDeps) {
  return {
    request: (inbound: Inbound, body: QuoteRequestBody) => request(deps, inbound, body),
    respond: (inbound: Inbound, quoteId: string) => respond(deps, inbound, quoteId),
    error: (inbound: Inbound, quoteId: string) => error(deps, inbound, quoteId),
    query: (inbound: Inbound, quoteId: string) => query(deps, inbound, quoteId),
  };
}

export type QuoteService = ReturnType<typeof createQuoteService>;

// Quotes: routed by FSPIOP-Destination between payer and payee FSP, persisted
// with duplicate checks, so that a repeated request is answered with the
// payee's own response and a changed one under the same quoteId is 3106.
// Only the two FSPs of a quote may answer, fail or query it.
import type { OutboundMessage } from '../delivery/message.ts';
import { errorInformation, type Failure } from '../fspiop/errors.ts';
import { forwardableHeaders, hubHeaders, type Inbound } from '../fspiop/inbound.ts';
import type { Tx } from '../ledger/index.ts';
import { canonicalHash, canonicalJson } from '../support/canonical_json.ts';
import type { Clock } from '../support/clock.ts';
import { runTransaction, type Db, type Engine, type Participant } from '../storage/index.ts';
import { callbackEndpoint, findActiveFsp } from '../participants/index.ts';
import type { Quote } from './tables.ts';

export interface QuoteRequestBody {
  quoteId: string;
  payer: { partyIdInfo: { fspId?: string } };
  payee: { partyIdInfo: { fspId?: string } };
}

export interface QuoteDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
}

export type QuoteOutcome =
  | { kind: 'forwarded' | 'answered' | 'duplicate-resent' | 'duplicate-ignored' }
  | { kind: 'refused'; failure: Failure };

const fail = (code: Failure['code'], detail: string): Failure => ({ code, detail });

const ENDPOINT = 'FSPIOP_CALLBACK_URL_QUOTES';

function forward(recipient: string, method: 'POST' | 'PUT' | 'GET', pathSuffix: string, headers: Record<string, string>, body: string | null, subject: string): OutboundMessage {
  return { recipient, endpointType: ENDPOINT, templateValues: {}, pathSuffix, method, headers, body, subject };
}

export function createQuoteService({ db, engine, clock, enqueue }: QuoteDeps) {
  async function hasQuotesEndpoint(tx: Tx, participant: Participant): Promise<boolean> {
    return (await callbackEndpoint(tx, participant.id, ENDPOINT)) !== undefined;
  }

  async function refuse(tx: Tx, quoteId: string, inbound: Inbound, failure: Failure, nowMs: number): Promise<QuoteOutcome> {
    if ((await findActiveFsp(tx, inbound.source)) !== undefined) {
      await enqueue(tx, forward(inbound.source, 'PUT', `/quotes/${quoteId}/error`,
        hubHeaders('quotes', inbound.source, 'PUT', `/quotes/${quoteId}/error`, inbound.contentVersion, nowMs),
        canonicalJson(errorInformation(failure)), `quote ${quoteId} error ${failure.code} from hub`), nowMs);
    }
    return { kind: 'refused', failure };
  }

  async function load(tx: Tx, quoteId: string): Promise<Quote | undefined> {
    let query = tx.selectFrom('quotes').selectAll().where('quote_id', '=', quoteId);
    if (engine === 'postgres') query = query.forUpdate();
    return query.executeTakeFirst();
  }

  /** Sends the payee's stored response to the payer again, with its own headers and bytes. */
  async function resendResponse(tx: Tx, quote: Quote, nowMs: number): Promise<void> {
    if (quote.response_headers === null || quote.response_body === null) return;
    const headers = JSON.parse(quote.response_headers) as Record<string, string>;
    await enqueue(tx, forward(quote.payer_fsp, 'PUT', `/quotes/${quote.quote_id}`, headers, quote.response_body, `quote ${quote.quote_id} response resent`), nowMs);
  }

  /** POST /quotes from the payer FSP to the payee FSP named in FSPIOP-Destination. */
  async function request(inbound: Inbound, body: QuoteRequestBody): Promise<QuoteOutcome> {
    const requestHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const { quoteId } = body;
      const existing = await load(tx, quoteId);
      if (existing !== undefined) {
        if (existing.payer_fsp !== inbound.source || existing.request_hash !== requestHash) return refuse(tx, quoteId, inbound, fail('3106', 'a different quote request was received with this quoteId'), nowMs);
        if (existing.state !== 'RESPONDED') return { kind: 'duplicate-ignored' };
        await resendResponse(tx, existing, nowMs);
        return { kind: 'duplicate-resent' };
      }
      if (inbound.destination === undefined) return refuse(tx, quoteId, inbound, fail('3102', 'FSPIOP-Destination is required'), nowMs);
      if (inbound.destination === inbound.source) return refuse(tx, quoteId, inbound, fail('3100', 'payer and payee FSP are the same'), nowMs);
      const payerFsp = body.payer.partyIdInfo.fspId;
      const payeeFsp = body.payee.partyIdInfo.fspId;
      if (payerFsp !== undefined && payerFsp !== inbound.source) return refuse(tx, quoteId, inbound, fail('3100', 'payer.partyIdInfo.fspId does not match FSPIOP-Source'), nowMs);
      if (payeeFsp !== undefined && payeeFsp !== inbound.destination) return refuse(tx, quoteId, inbound, fail('3100', 'payee.partyIdInfo.fspId does not match FSPIOP-Destination'), nowMs);
      const payee = await findActiveFsp(tx, inbound.destination);
      if (payee === undefined) return refuse(tx, quoteId, inbound, fail('3201', 'the destination FSP is not an active participant'), nowMs);
      if (!(await hasQuotesEndpoint(tx, payee))) return refuse(tx, quoteId, inbound, fail('3201', 'the destination FSP has no quotes endpoint'), nowMs);
      await tx.insertInto('quotes').values({
        quote_id: quoteId, payer_fsp: inbound.source, payee_fsp: inbound.destination, state: 'PENDING', request_hash: requestHash,
        response_hash: null, response_headers: null, response_body: null, error_hash: null, content_version: inbound.contentVersion,
        created_at_ms: nowMs, changed_at_ms: nowMs,
      }).execute();
      await enqueue(tx, forward(inbound.destination, 'POST', '/quotes', forwardableHeaders(inbound.headers), inbound.rawBody, `quote ${quoteId} request`), nowMs);
      return { kind: 'forwarded' };
    });
  }

  /** PUT /quotes/{ID} from the payee FSP: kept and forwarded to the payer FSP. */
  async function respond(inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
    const responseHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const quote = await load(tx, quoteId);
      if (quote?.payee_fsp !== inbound.source) return refuse(tx, quoteId, inbound, fail('3205', 'no such quote'), nowMs);
      if (inbound.destination !== undefined && inbound.destination !== quote.payer_fsp) return refuse(tx, quoteId, inbound, fail('3100', 'FSPIOP-Destination does not match the payer FSP'), nowMs);
      if (quote.state === 'RESPONDED') {
        if (quote.response_hash !== responseHash) return refuse(tx, quoteId, inbound, fail('3106', 'a different response was received for this quote'), nowMs);
        await resendResponse(tx, quote, nowMs);
        return { kind: 'duplicate-resent' };
      }
      if (quote.state !== 'PENDING') return refuse(tx, quoteId, inbound, fail('3100', 'the quote has failed'), nowMs);
      const headers = forwardableHeaders(inbound.headers);
      await tx.updateTable('quotes').set({ state: 'RESPONDED', response_hash: responseHash, response_headers: JSON.stringify(headers), response_body: inbound.rawBody, changed_at_ms: nowMs })
        .where('quote_id', '=', quoteId).where('state', '=', 'PENDING').execute();
      await enqueue(tx, forward(quote.payer_fsp, 'PUT', `/quotes/${quoteId}`, headers, inbound.rawBody, `quote ${quoteId} response`), nowMs);
      return { kind: 'forwarded' };
    });
  }

  /** PUT /quotes/{ID}/error from either FSP of the quote: forwarded to the other. */
  async function error(inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
    const errorHash = canonicalHash(JSON.parse(inbound.rawBody) as unknown);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const quote = await load(tx, quoteId);
      if (quote === undefined || (inbound.source !== quote.payee_fsp && inbound.source !== quote.payer_fsp)) return refuse(tx, quoteId, inbound, fail('3205', 'no such quote'), nowMs);
      const other = inbound.source === quote.payee_fsp ? quote.payer_fsp : quote.payee_fsp;
      if (quote.state === 'ERRORED') {
        if (quote.error_hash !== errorHash) return refuse(tx, quoteId, inbound, fail('3106', 'a different error was received for this quote'), nowMs);
        return { kind: 'duplicate-ignored' };
      }
      if (quote.state !== 'PENDING') return refuse(tx, quoteId, inbound, fail('3100', 'the quote has been answered'), nowMs);
      await tx.updateTable('quotes').set({ state: 'ERRORED', error_hash: errorHash, changed_at_ms: nowMs }).where('quote_id', '=', quoteId).where('state', '=', 'PENDING').execute();
      await enqueue(tx, forward(other, 'PUT', `/quotes/${quoteId}/error`, forwardableHeaders(inbound.headers), inbound.rawBody, `quote ${quoteId} error forwarded`), nowMs);
      return { kind: 'forwarded' };
    });
  }

  /** GET /quotes/{ID}: the payee's stored response when there is one, else the question goes on to the payee. */
  async function query(inbound: Inbound, quoteId: string): Promise<QuoteOutcome> {
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const quote = await tx.selectFrom('quotes').selectAll().where('quote_id', '=', quoteId).executeTakeFirst();
      if (quote?.payer_fsp !== inbound.source) return refuse(tx, quoteId, inbound, fail('3205', 'no such quote'), nowMs);
      if (quote.state === 'RESPONDED') {
        await resendResponse(tx, quote, nowMs);
        return { kind: 'answered' };
      }
      if (quote.state === 'ERRORED') return refuse(tx, quoteId, inbound, fail('3100', 'the quote has failed'), nowMs);
      await enqueue(tx, forward(quote.payee_fsp, 'GET', `/quotes/${quoteId}`, { ...forwardableHeaders(inbound.headers), 'fspiop-destination': quote.payee_fsp }, null, `quote ${quoteId} query`), nowMs);
      return { kind: 'forwarded' };
    });
  }

  return { request, respond, error, query };
}

export type QuoteService = ReturnType<typeof createQuoteService>;

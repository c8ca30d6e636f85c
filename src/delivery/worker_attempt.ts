// One attempt at a claimed outbox row (worker.ts claims and schedules): the
// recipient's current endpoint, the request, the send, and the outcome
// recorded while the claim is still this worker's.
import type { Updateable } from 'kysely';
import { formatImfFixdate, HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import { callbackEndpointOf } from '../participants/index.ts';
import type { Db, Engine } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import type { SecurityEvents } from '../audit/index.ts';
import { backoffMs, outcomeOfNoAnswer, outcomeOfStatus, shortReason, type AttemptOutcome } from './attempt_outcome.ts';
import { buildEndpointUrl } from './endpoint_url.ts';
import type { HttpRequest, HttpSend } from './http_send.ts';
import type { DeliveryLimits } from './limits.ts';
import { releaseClaim, updateClaimed } from './outbox_store.ts';
import { OUTBOUND_METHODS, type OutboxRow, type OutboxState, type OutboxTable } from './outbox_table.ts';

/** What the worker counts (its metrics), as the attempts and the claims change them. */
export interface DeliveryCounters {
  /** Looks at the outbox for due rows (each claim query counts once, whatever it found). */
  looks: number;
  /** Rows claimed (each claim of a row counts once). */
  claimed: number;
  delivered: number;
  /** Attempts that failed and left the message PENDING for a later attempt. */
  retried: number;
  failed: number;
  /** Claimed rows handed back unsent (stop() before or during their send, or a claim too near its end). */
  released: number;
  /** Outcomes not recorded because the claim had run out and another worker held the row. */
  claimsLost: number;
  /** Rows not sent because their claim would have run out during the send. */
  leaseTooShortToSend: number;
  /** Database or other unexpected errors in the worker's own steps (the row waits for its lease to run out). */
  errors: number;
}

/**
 * Signs a message the hub originates (FSPIOP-Source: Hub, with a body) just before each attempt,
 * with a fresh Date; answers the headers to send. Forwarded messages keep their sender's signature.
 */
export type SignHubMessage = (message: { readonly method: string; readonly headers: Record<string, string>; readonly body: string }) => Promise<Record<string, string>>;

/** What an attempt needs of its worker. */
export interface AttemptContext {
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: DeliveryLimits;
  readonly workerId: string;
  readonly send: HttpSend;
  readonly securityEvents: SecurityEvents;
  readonly signHubMessage: SignHubMessage | undefined;
  readonly counters: DeliveryCounters;
}

interface Settlement {
  readonly state: OutboxState;
  readonly change: Updateable<OutboxTable>;
  readonly nextAttemptInMs: number | undefined;
  readonly reason: string | undefined;
}

type Prepared = { ok: true; request: Omit<HttpRequest, 'signal'> } | { ok: false; outcome: AttemptOutcome };

const refused = (reason: string): Prepared => ({ ok: false, outcome: { kind: 'refused', status: null, reason } });

/** A stored JSON object of strings (template values, headers), or undefined if it is not one. */
function parseStringMap(text: string): Map<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') return undefined;
    map.set(key, value);
  }
  return map;
}

async function prepare(context: AttemptContext, row: OutboxRow): Promise<Prepared> {
  const { db, clock, signHubMessage } = context;
  const template = await callbackEndpointOf(db, row.recipient, row.endpoint_type);
  if (template === undefined) return refused(`${row.recipient} has no ${row.endpoint_type} endpoint`);
  const values = parseStringMap(row.template_values);
  const headers = parseStringMap(row.headers);
  if (values === undefined || headers === undefined || !OUTBOUND_METHODS.includes(row.method)) {
    return refused('stored message is malformed');
  }
  const url = buildEndpointUrl(template, values, row.path_suffix);
  if (!url.ok) return refused(url.error);
  let sent = Object.fromEntries(headers);
  if (signHubMessage !== undefined && row.body !== null && sent['fspiop-source'] === HUB_PARTICIPANT_NAME) {
    sent = await signHubMessage({ method: row.method, headers: { ...sent, date: formatImfFixdate(clock.nowMs()) }, body: row.body });
  }
  return {
    ok: true,
    request: {
      url: url.value,
      recipient: row.recipient,
      method: row.method,
      headers: sent,
      body: row.body === null ? null : Buffer.from(row.body, 'utf8'),
    },
  };
}


/** What an outcome makes of the row: its next state, the change to store, and for the log the retry's delay and the reason. */
function settlementOf(row: OutboxRow, outcome: AttemptOutcome, limits: DeliveryLimits, nowMs: number): Settlement {
  const settled = { claimed_by: null, claimed_until_ms: null, last_attempt_at_ms: nowMs, last_status: outcome.status };
  switch (outcome.kind) {
    case 'delivered':
      return { state: 'DELIVERED', change: { ...settled, state: 'DELIVERED', delivered_at_ms: nowMs, last_error: null }, nextAttemptInMs: undefined, reason: undefined };
    case 'retry': {
      if (row.attempts >= limits.attemptsMax) {
        const reason = shortReason(`${outcome.reason}; gave up after ${row.attempts} attempts`);
        return { state: 'FAILED', change: { ...settled, state: 'FAILED', last_error: reason }, nextAttemptInMs: undefined, reason };
      }
      const nextAttemptInMs = backoffMs(row.attempts, limits, outcome.retryAfterMs);
      const reason = shortReason(outcome.reason);
      return { state: 'PENDING', change: { ...settled, state: 'PENDING', next_attempt_at_ms: nowMs + nextAttemptInMs, last_error: reason }, nextAttemptInMs, reason };
    }
    case 'refused': {
      const reason = shortReason(outcome.reason);
      return { state: 'FAILED', change: { ...settled, state: 'FAILED', last_error: reason }, nextAttemptInMs: undefined, reason };
    }
  }
}

/** Stores an attempt's outcome, if the claim is still this worker's, and counts and logs it. */
async function record(context: AttemptContext, row: OutboxRow, outcome: AttemptOutcome, attemptCounted = true): Promise<void> {
  const { db, engine, clock, log, limits, workerId, counters } = context;
  const logged = { workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, endpointType: row.endpoint_type, attempt: row.attempts, status: outcome.status };
  const { state, change, nextAttemptInMs, reason } = settlementOf(row, outcome, limits, clock.nowMs());
  if (!attemptCounted) change.attempts = row.attempts - 1;
  if (!(await updateClaimed(db, engine, row, workerId, change))) {
    counters.claimsLost += 1;
    log.warn({ ...logged, outcome: state, reason }, 'claim ran out before the outcome was recorded; the row is another worker\'s now');
    return;
  }
  switch (state) {
    case 'DELIVERED':
      counters.delivered += 1;
      log.info({ ...logged, outcome: 'DELIVERED' }, 'callback delivered');
      break;
    case 'PENDING':
      counters.retried += 1;
      log.warn({ ...logged, outcome: 'RETRY', reason, nextAttemptInMs }, 'callback attempt failed; will retry');
      break;
    case 'FAILED':
      counters.failed += 1;
      log.error({ ...logged, outcome: 'FAILED', reason }, 'callback FAILED');
      break;
  }
}

/** Settles a row that must not be sent now (no attempt left, a claim too short, lapsed); false when it may be sent. */
async function settledUnsent(context: AttemptContext, row: OutboxRow): Promise<boolean> {
  const { db, engine, clock, log, limits, workerId, counters } = context;
  if (row.attempts > limits.attemptsMax) {
    // The holder of the last attempt never recorded its outcome (it died or stalled mid-send).
    await record(context, row, { kind: 'refused', status: null, reason: `no outcome recorded for attempt ${row.attempts - 1}, the last allowed` }, false);
    return true;
  }
  if (clock.nowMs() + limits.requestTimeoutMs + limits.clockSkewMsMax >= (row.claimed_until_ms ?? 0)) {
    // The send could outlast the claim (on another process's clock too) and overlap the next
    // holder's. Unsent, the row is handed back (if it is still ours) to be claimed afresh.
    counters.leaseTooShortToSend += 1;
    const handedBack = await releaseClaim(db, engine, row, workerId, clock.nowMs());
    if (handedBack) counters.released += 1;
    log.warn({ workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, handedBack }, 'claim too close to its end to send; not sent');
    return true;
  }
  if (row.not_after_ms !== null && clock.nowMs() >= row.not_after_ms) {
    await record(context, row, { kind: 'refused', status: null, reason: `lapsed unsent: not to be sent after ${new Date(row.not_after_ms).toISOString()}` }, false);
    return true;
  }
  return false;
}

/** One attempt at a claimed row: sent unless it must not be, and its outcome recorded. */
export async function deliver(context: AttemptContext, row: OutboxRow, signal: AbortSignal): Promise<void> {
  const { db, engine, clock, log, limits, workerId, counters } = context;
  if (await settledUnsent(context, row)) return;
  const prepared = await prepare(context, row);
  if (!prepared.ok) {
    await record(context, row, prepared.outcome);
    return;
  }
  const answer = await context.send({ ...prepared.request, signal });
  switch (answer.kind) {
    case 'aborted':
      if (await releaseClaim(db, engine, row, workerId, clock.nowMs())) counters.released += 1;
      log.info({ workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, attempt: row.attempts }, 'send interrupted by stop; row handed back');
      return;
    case 'answer':
      await record(context, row, outcomeOfStatus(answer.status, answer.retryAfter));
      return;
    case 'refused':
      context.securityEvents.record({
        kind: answer.control === 'address' ? 'callback-address-refused' : 'callback-certificate-refused',
        reason: answer.reason, claimed: row.recipient, operation: `${row.method} callback ${row.endpoint_type}`,
      });
      await record(context, row, outcomeOfNoAnswer(answer, limits.requestTimeoutMs));
      return;
    case 'timeout':
    case 'network':
    case 'unsendable':
      await record(context, row, outcomeOfNoAnswer(answer, limits.requestTimeoutMs));
      return;
  }
}


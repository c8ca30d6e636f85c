// The delivery worker: claims due outbox rows, sends each to the recipient's
// current endpoint, and records the outcome. Any number of workers, in any
// number of hub processes on one database, can run together: a row is held by
// one claim at a time, and a claim whose lease ran out (its process died
// mid-send) is taken again, so delivery is at least once. FSPIOP receivers
// take a repeated callback as the same one (PUTs are idempotent).
//
// Memory is bounded: a claim takes only as many rows as the in-memory queue
// has room for, and at most sendsConcurrentMax of them are in flight.
//
// Logs name the message (subject, recipient, endpoint type, attempt, outcome,
// status) and never its headers, URL or body: they carry signatures and
// personal data (a party's identifier is part of the URL).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Updateable } from 'kysely';
import { formatImfFixdate } from '../fspiop/headers.ts';
import type { SecurityEvents } from '../support/security_events.ts';
import { callbackEndpointOf, HUB_PARTICIPANT_NAME } from '../participants/index.ts';
import type { Db, Engine } from '../storage/index.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/logger.ts';
import type { CallbackAddressPolicy } from './callback_addresses.ts';
import { backoffMs, outcomeOfNoAnswer, outcomeOfStatus, shortReason, type AttemptOutcome } from './attempt_outcome.ts';
import { buildEndpointUrl } from './endpoint_url.ts';
import { createHttpSender, type DeliveryTls, type HttpRequest, type HttpSend, type HttpSender } from './http_send.ts';
import { assertDeliveryLimits, type DeliveryLimits } from './limits.ts';
import { claimDue, releaseClaim, updateClaimed } from './outbox_store.ts';
import { OUTBOUND_METHODS, type OutboxRow, type OutboxState, type OutboxTable } from './outbox_table.ts';

export interface DeliveryWorkerDeps {
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: DeliveryLimits;
  /** How a request is sent; node:http/https (http_send.ts) unless given. */
  readonly send?: HttpSend;
  /** TLS for the default sender; ignored when `send` is given. */
  readonly tls?: DeliveryTls;
  /** Where the default sender may connect (callback_addresses.ts); required unless `send` is given. */
  readonly callbackAddresses?: CallbackAddressPolicy;
  /** Callbacks the hub's controls refused to send (address policy, the receiver's certificate) are security events. */
  readonly securityEvents: SecurityEvents;
  /** The name this worker claims rows under; unique per worker unless given. */
  readonly workerId?: string;
  /**
   * Signs a message the hub originates (FSPIOP-Source: Hub, with a body) just before each attempt,
   * with a fresh Date; answers the headers to send. Forwarded messages keep their sender's signature.
   */
  readonly signHubMessage?: (message: { readonly method: string; readonly headers: Record<string, string>; readonly body: string }) => Promise<Record<string, string>>;
}

export interface DeliveryCounters {
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

export interface DeliveryMetrics extends DeliveryCounters {
  /** Claimed rows waiting for a sender. */
  queued: number;
  inFlight: number;
}

export interface DeliveryWorker {
  readonly workerId: string;
  /** Starts polling for due rows. */
  start(): void;
  /**
   * Stops claiming, hands back claimed rows not yet sent, waits up to stopWaitMs for sends in
   * flight, then aborts the rest and waits up to stopAbortGraceMs for them to be handed back.
   */
  stop(): Promise<void>;
  /** Looks for due rows now rather than at the next poll (after a commit that enqueued messages). */
  wake(): void;
  /** New TLS material for the default sender (the hub's renewed certificate); ignored with a given `send`. */
  updateTls(tls: DeliveryTls): void;
  /** One claim, and every row it took sent and recorded. For tests and tools; not while started. */
  runOnce(): Promise<{ claimed: number }>;
  metrics(): DeliveryMetrics;
}

interface InFlight {
  readonly controller: AbortController;
  done: Promise<void>;
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

function errorSummary(error: unknown): { error: string; code?: string } {
  // The message only: a driver's error object can carry the statement's parameters (message bodies).
  const message = error instanceof Error ? error.message.slice(0, 200) : 'non-Error thrown';
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? { error: message, code } : { error: message };
}

async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { db, engine, clock, log, limits } = deps;
  assertDeliveryLimits(limits);
  const workerId = deps.workerId ?? `${hostname()}/${process.pid}/${randomUUID()}`;
  // The worker closes the connections of a sender it made itself; a given one is its giver's.
  let sender: HttpSender | undefined;
  let send: HttpSend;
  if (deps.send === undefined) {
    assert.ok(deps.callbackAddresses !== undefined, 'the default sender needs the callback network policy');
    sender = createHttpSender(limits, deps.tls ?? {}, deps.callbackAddresses);
    send = sender.send;
  } else {
    send = deps.send;
  }

  const counters: DeliveryCounters = { claimed: 0, delivered: 0, retried: 0, failed: 0, released: 0, claimsLost: 0, leaseTooShortToSend: 0, errors: 0 };
  const queue: OutboxRow[] = [];
  const inFlight = new Set<InFlight>();
  let running = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;
  /** The last claim was full: more rows may be due than it could take. */
  let moreDue = false;

  /** Programmer errors crash the process; anything else (the database, mostly) is logged and outlived. */
  function onStepError(error: unknown): void {
    if (error instanceof assert.AssertionError) throw error;
    counters.errors += 1;
    log.error({ workerId, ...errorSummary(error) }, 'delivery step failed; a row it held is sent again when its lease runs out');
  }

  async function prepare(row: OutboxRow): Promise<Prepared> {
    const template = await callbackEndpointOf(db, row.recipient, row.endpoint_type);
    if (template === undefined) return refused(`${row.recipient} has no ${row.endpoint_type} endpoint`);
    const values = parseStringMap(row.template_values);
    const headers = parseStringMap(row.headers);
    if (values === undefined || headers === undefined || !OUTBOUND_METHODS.includes(row.method)) {
      return refused('stored message is malformed');
    }
    const url = buildEndpointUrl(template, values, row.path_suffix);
    if (!url.ok) return refused(url.reason);
    let sent = Object.fromEntries(headers);
    if (deps.signHubMessage !== undefined && row.body !== null && sent['fspiop-source'] === HUB_PARTICIPANT_NAME) {
      sent = await deps.signHubMessage({ method: row.method, headers: { ...sent, date: formatImfFixdate(clock.nowMs()) }, body: row.body });
    }
    return {
      ok: true,
      request: {
        url: url.url,
        recipient: row.recipient,
        method: row.method,
        headers: sent,
        body: row.body === null ? null : Buffer.from(row.body, 'utf8'),
      },
    };
  }

  async function record(row: OutboxRow, outcome: AttemptOutcome, attemptCounted = true): Promise<void> {
    const nowMs = clock.nowMs();
    const context = { workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, endpointType: row.endpoint_type, attempt: row.attempts, status: outcome.status };
    const settled = { claimed_by: null, claimed_until_ms: null, last_attempt_at_ms: nowMs, last_status: outcome.status };
    let state: OutboxState;
    let change: Updateable<OutboxTable>;
    let nextAttemptInMs: number | undefined;
    let reason: string | undefined;
    switch (outcome.kind) {
      case 'delivered':
        state = 'DELIVERED';
        change = { ...settled, state, delivered_at_ms: nowMs, last_error: null };
        break;
      case 'retry':
        if (row.attempts < limits.attemptsMax) {
          state = 'PENDING';
          nextAttemptInMs = backoffMs(row.attempts, limits, outcome.retryAfterMs);
          reason = shortReason(outcome.reason);
          change = { ...settled, state, next_attempt_at_ms: nowMs + nextAttemptInMs, last_error: reason };
        } else {
          state = 'FAILED';
          reason = shortReason(`${outcome.reason}; gave up after ${row.attempts} attempts`);
          change = { ...settled, state, last_error: reason };
        }
        break;
      case 'refused':
        state = 'FAILED';
        reason = shortReason(outcome.reason);
        change = { ...settled, state, last_error: reason };
        break;
    }
    if (!attemptCounted) change.attempts = row.attempts - 1;
    if (!(await updateClaimed(db, engine, row, workerId, change))) {
      counters.claimsLost += 1;
      log.warn({ ...context, outcome: state, reason }, 'claim ran out before the outcome was recorded; the row is another worker\'s now');
      return;
    }
    switch (state) {
      case 'DELIVERED':
        counters.delivered += 1;
        log.info({ ...context, outcome: 'DELIVERED' }, 'callback delivered');
        break;
      case 'PENDING':
        counters.retried += 1;
        log.warn({ ...context, outcome: 'RETRY', reason, nextAttemptInMs }, 'callback attempt failed; will retry');
        break;
      case 'FAILED':
        counters.failed += 1;
        log.error({ ...context, outcome: 'FAILED', reason }, 'callback FAILED');
        break;
    }
  }

  async function deliver(row: OutboxRow, signal: AbortSignal): Promise<void> {
    if (row.attempts > limits.attemptsMax) {
      // The holder of the last attempt never recorded its outcome (it died or stalled mid-send).
      await record(row, { kind: 'refused', status: null, reason: `no outcome recorded for attempt ${row.attempts - 1}, the last allowed` }, false);
      return;
    }
    if (clock.nowMs() + limits.requestTimeoutMs + limits.clockSkewMsMax >= (row.claimed_until_ms ?? 0)) {
      // The send could outlast the claim (on another process's clock too) and overlap the next
      // holder's. Unsent, the row is handed back (if it is still ours) to be claimed afresh.
      counters.leaseTooShortToSend += 1;
      const handedBack = await releaseClaim(db, engine, row, workerId, clock.nowMs());
      if (handedBack) counters.released += 1;
      log.warn({ workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, handedBack }, 'claim too close to its end to send; not sent');
      return;
    }
    if (row.not_after_ms !== null && clock.nowMs() >= row.not_after_ms) {
      await record(row, { kind: 'refused', status: null, reason: `lapsed unsent: not to be sent after ${new Date(row.not_after_ms).toISOString()}` }, false);
      return;
    }
    const prepared = await prepare(row);
    if (!prepared.ok) {
      await record(row, prepared.outcome);
      return;
    }
    const answer = await send({ ...prepared.request, signal });
    switch (answer.kind) {
      case 'aborted':
        if (await releaseClaim(db, engine, row, workerId, clock.nowMs())) counters.released += 1;
        log.info({ workerId, outboxId: row.id, subject: row.subject, recipient: row.recipient, attempt: row.attempts }, 'send interrupted by stop; row handed back');
        return;
      case 'answer':
        await record(row, outcomeOfStatus(answer.status, answer.retryAfter));
        return;
      case 'refused':
        deps.securityEvents.record({
          kind: answer.control === 'address' ? 'callback-address-refused' : 'callback-certificate-refused',
          reason: answer.reason, claimed: row.recipient, operation: `${row.method} callback ${row.endpoint_type}`,
        });
        await record(row, outcomeOfNoAnswer(answer, limits.requestTimeoutMs));
        return;
      case 'timeout':
      case 'network':
      case 'unsendable':
        await record(row, outcomeOfNoAnswer(answer, limits.requestTimeoutMs));
        return;
    }
  }

  function dispatch(): void {
    while (!stopping && inFlight.size < limits.sendsConcurrentMax) {
      const row = queue.shift();
      if (row === undefined) return;
      const entry: InFlight = { controller: new AbortController(), done: Promise.resolve() };
      inFlight.add(entry);
      entry.done = deliver(row, entry.controller.signal)
        .catch(onStepError)
        .finally(() => {
          inFlight.delete(entry);
          dispatch();
          if (running && moreDue && room() >= limits.claimBatchRowsMax) pump();
        });
    }
  }

  /** Rows the queue can still take. */
  function room(): number {
    return limits.queuedRowsMax - queue.length - inFlight.size;
  }

  async function claimInto(rowsMax: number): Promise<number> {
    const rows = await claimDue(db, engine, workerId, clock.nowMs(), rowsMax, limits.claimLeaseMs);
    counters.claimed += rows.length;
    if (stopping) {
      await releaseAll(rows);
      return rows.length;
    }
    queue.push(...rows);
    dispatch();
    return rows.length;
  }

  async function releaseAll(rows: OutboxRow[]): Promise<void> {
    const nowMs = clock.nowMs();
    const released = await Promise.allSettled(rows.map((row) => releaseClaim(db, engine, row, workerId, nowMs)));
    counters.released += released.filter((r) => r.status === 'fulfilled' && r.value).length;
    const firstError = released.find((r) => r.status === 'rejected');
    if (firstError !== undefined) onStepError(firstError.reason);
  }

  /** Claims until the queue is full or nothing more is due, again if woken meanwhile. */
  async function claimWhileDue(): Promise<void> {
    do {
      pumpAgain = false;
      for (;;) {
        const space = room();
        if (!running || space <= 0) break;
        const rowsMax = Math.min(limits.claimBatchRowsMax, space);
        moreDue = (await claimInto(rowsMax)) === rowsMax;
        if (!moreDue) break;
      }
    } while (wokenMeanwhile() && running);
  }

  // A function, so that the check reads the flag as wake() left it during the awaits above.
  function wokenMeanwhile(): boolean {
    return pumpAgain;
  }

  function pump(): void {
    if (!running) return;
    if (pumping !== undefined) {
      pumpAgain = true;
      return;
    }
    clearTimeout(pollTimer);
    pollTimer = undefined;
    pumping = claimWhileDue().catch(onStepError).finally(() => {
      pumping = undefined;
      if (running) pollTimer = setTimeout(pump, limits.pollIntervalMs);
    });
  }

  async function stop(): Promise<void> {
    if (stopped !== undefined) return stopped;
    running = false;
    stopping = true;
    clearTimeout(pollTimer);
    pollTimer = undefined;
    stopped = (async () => {
      if (pumping !== undefined) await settledWithin([pumping], limits.stopWaitMs);
      await releaseAll(queue.splice(0));
      await settledWithin([...inFlight].map((e) => e.done), limits.stopWaitMs);
      if (inFlight.size > 0) {
        for (const entry of inFlight) entry.controller.abort();
        await settledWithin([...inFlight].map((e) => e.done), limits.stopAbortGraceMs);
      }
      sender?.close();
      if (inFlight.size > 0) {
        log.warn({ workerId, inFlight: inFlight.size }, 'delivery stopped with sends not handed back; their rows are sent again when their leases run out');
      }
    })();
    return stopped;
  }

  return {
    workerId,
    start() {
      assert.ok(!running && !stopping, 'a delivery worker starts once');
      running = true;
      pump();
    },
    stop,
    wake: pump,
    updateTls: (tls) => { sender?.updateTls(tls); },
    async runOnce() {
      assert.ok(!running && !stopping, 'runOnce() is not for a started or stopped worker');
      const claimed = await claimInto(Math.min(limits.claimBatchRowsMax, room()));
      while (inFlight.size > 0) await Promise.race([...inFlight].map((e) => e.done));
      return { claimed };
    },
    metrics: () => ({ ...counters, queued: queue.length, inFlight: inFlight.size }),
  };
}

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
import type { Db, Engine } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import type { SecurityEvents } from '../audit/index.ts';
import type { CallbackAddressPolicy } from './callback_addresses.ts';
import { createHttpSender, type DeliveryTls, type HttpSend, type HttpSender } from './http_send.ts';
import { assertDeliveryLimits, type DeliveryLimits } from './limits.ts';
import { claimDue, releaseClaim } from './outbox_store.ts';
import type { OutboxRow } from './outbox_table.ts';
import { deliver, type AttemptContext, type DeliveryCounters, type SignHubMessage } from './worker_attempt.ts';

export type { DeliveryCounters } from './worker_attempt.ts';

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
  /** Signs a message the hub originates just before each attempt (worker_attempt.ts SignHubMessage). */
  readonly signHubMessage?: SignHubMessage;
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

/** A worker's state between its steps: the attempt's context, the queue of claimed rows, the sends in flight, the polling. */
interface WorkerState extends AttemptContext {
  /** The sender the worker made itself, whose connections it closes; a given one is its giver's. */
  readonly sender: HttpSender | undefined;
  readonly queue: OutboxRow[];
  readonly inFlight: Set<InFlight>;
  running: boolean;
  stopping: boolean;
  stopped: Promise<void> | undefined;
  pumping: Promise<void> | undefined;
  pumpAgain: boolean;
  pollTimer: NodeJS.Timeout | undefined;
  /** The last claim was full: more rows may be due than it could take. */
  moreDue: boolean;
}

/** Programmer errors crash the process; anything else (the database, mostly) is logged and outlived. */
function onStepError(state: WorkerState, error: unknown): void {
  if (error instanceof assert.AssertionError) throw error;
  state.counters.errors += 1;
  state.log.error({ workerId: state.workerId, ...errorSummary(error) }, 'delivery step failed; a row it held is sent again when its lease runs out');
}

/** Starts sends from the queue up to sendsConcurrentMax; each, once done, makes room for the next (and a claim, if more are due). */
function dispatch(state: WorkerState): void {
  while (!state.stopping && state.inFlight.size < state.limits.sendsConcurrentMax) {
    const row = state.queue.shift();
    if (row === undefined) return;
    const entry: InFlight = { controller: new AbortController(), done: Promise.resolve() };
    state.inFlight.add(entry);
    entry.done = deliver(state, row, entry.controller.signal)
      .catch((error: unknown) => { onStepError(state, error); })
      .finally(() => {
        state.inFlight.delete(entry);
        dispatch(state);
        if (state.running && state.moreDue && room(state) >= state.limits.claimBatchRowsMax) pump(state);
      });
  }
}

/** Rows the queue can still take. */
function room(state: WorkerState): number {
  return state.limits.queuedRowsMax - state.queue.length - state.inFlight.size;
}

async function claimInto(state: WorkerState, rowsMax: number): Promise<number> {
  const { db, engine, clock, limits, workerId } = state;
  const rows = await claimDue(db, engine, workerId, clock.nowMs(), rowsMax, limits.claimLeaseMs);
  state.counters.looks += 1;
  state.counters.claimed += rows.length;
  if (state.stopping) {
    await releaseAll(state, rows);
    return rows.length;
  }
  state.queue.push(...rows);
  dispatch(state);
  return rows.length;
}

async function releaseAll(state: WorkerState, rows: OutboxRow[]): Promise<void> {
  const nowMs = state.clock.nowMs();
  const released = await Promise.allSettled(rows.map((row) => releaseClaim(state.db, state.engine, row, state.workerId, nowMs)));
  state.counters.released += released.filter((r) => r.status === 'fulfilled' && r.value).length;
  const firstError = released.find((r) => r.status === 'rejected');
  if (firstError !== undefined) onStepError(state, firstError.reason);
}

/** Claims until the queue is full or nothing more is due, again if woken meanwhile. */
async function claimWhileDue(state: WorkerState): Promise<void> {
  do {
    state.pumpAgain = false;
    for (;;) {
      const space = room(state);
      if (!state.running || space <= 0) break;
      const rowsMax = Math.min(state.limits.claimBatchRowsMax, space);
      state.moreDue = (await claimInto(state, rowsMax)) === rowsMax;
      if (!state.moreDue) break;
    }
  } while (wokenMeanwhile(state) && state.running);
}

// A function, so that the check reads the flag as wake() left it during the awaits above.
function wokenMeanwhile(state: WorkerState): boolean {
  return state.pumpAgain;
}

function pump(state: WorkerState): void {
  if (!state.running) return;
  if (state.pumping !== undefined) {
    state.pumpAgain = true;
    return;
  }
  clearTimeout(state.pollTimer);
  state.pollTimer = undefined;
  state.pumping = claimWhileDue(state).catch((error: unknown) => { onStepError(state, error); }).finally(() => {
    state.pumping = undefined;
    if (state.running) state.pollTimer = setTimeout(() => { pump(state); }, state.limits.pollIntervalMs);
  });
}

function stop(state: WorkerState): Promise<void> {
  if (state.stopped !== undefined) return state.stopped;
  state.running = false;
  state.stopping = true;
  clearTimeout(state.pollTimer);
  state.pollTimer = undefined;
  state.stopped = (async () => {
    const { limits, inFlight } = state;
    if (state.pumping !== undefined) await settledWithin([state.pumping], limits.stopWaitMs);
    await releaseAll(state, state.queue.splice(0));
    await settledWithin([...inFlight].map((e) => e.done), limits.stopWaitMs);
    if (inFlight.size > 0) {
      for (const entry of inFlight) entry.controller.abort();
      await settledWithin([...inFlight].map((e) => e.done), limits.stopAbortGraceMs);
    }
    state.sender?.close();
    if (inFlight.size > 0) {
      state.log.warn({ workerId: state.workerId, inFlight: inFlight.size }, 'delivery stopped with sends not handed back; their rows are sent again when their leases run out');
    }
  })();
  return state.stopped;
}

/** The sender the worker uses: the given one, or its own on node:http/https under the callback network policy. */
function senderOf(deps: DeliveryWorkerDeps): { send: HttpSend; sender: HttpSender | undefined } {
  if (deps.send !== undefined) return { send: deps.send, sender: undefined };
  assert.ok(deps.callbackAddresses !== undefined, 'the default sender needs the callback network policy');
  const sender = createHttpSender(deps.limits, deps.tls ?? {}, deps.callbackAddresses);
  return { send: sender.send, sender };
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { limits } = deps;
  assertDeliveryLimits(limits);
  const state: WorkerState = {
    db: deps.db, engine: deps.engine, clock: deps.clock, log: deps.log, limits,
    workerId: deps.workerId ?? `${hostname()}/${process.pid}/${randomUUID()}`,
    ...senderOf(deps),
    securityEvents: deps.securityEvents,
    signHubMessage: deps.signHubMessage,
    counters: { looks: 0, claimed: 0, delivered: 0, retried: 0, failed: 0, released: 0, claimsLost: 0, leaseTooShortToSend: 0, errors: 0 },
    queue: [],
    inFlight: new Set<InFlight>(),
    running: false,
    stopping: false,
    stopped: undefined,
    pumping: undefined,
    pumpAgain: false,
    pollTimer: undefined,
    moreDue: false,
  };
  return {
    workerId: state.workerId,
    start() {
      assert.ok(!state.running && !state.stopping, 'a delivery worker starts once');
      state.running = true;
      pump(state);
    },
    stop: () => stop(state),
    wake: () => { pump(state); },
    updateTls: (tls) => { state.sender?.updateTls(tls); },
    async runOnce() {
      assert.ok(!state.running && !state.stopping, 'runOnce() is not for a started or stopped worker');
      const claimed = await claimInto(state, Math.min(limits.claimBatchRowsMax, room(state)));
      while (state.inFlight.size > 0) await Promise.race([...state.inFlight].map((e) => e.done));
      return { claimed };
    },
    metrics: () => ({ ...state.counters, queued: state.queue.length, inFlight: state.inFlight.size }),
  };
}

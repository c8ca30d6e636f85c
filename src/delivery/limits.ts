// Every bound of callback delivery, with its unit and the reason for its
// value, and the relations between them checked once when a worker is made.
import assert from 'node:assert/strict';

export interface DeliveryLimits {
  /** Rows one claim takes at most: bounds the rows locked by one claim transaction and read into memory at once. */
  readonly claimBatchRowsMax: number;
  /**
   * Claimed rows a worker holds in memory (waiting for a sender or being sent): the in-memory queue's bound.
   * A claim takes no more than the room left, so memory never holds more than this many messages.
   */
  readonly queuedRowsMax: number;
  /** Requests in flight at once: bounds sockets and memory, and the load one hub process puts on receivers. */
  readonly sendsConcurrentMax: number;
  /**
   * One attempt, from connecting to the response's status and headers. A receiver answers a callback
   * at once (200, empty body) and does its work afterwards, so a slow answer is a fault to retry.
   * The response body is never read.
   */
  readonly requestTimeoutMs: number;
  /** The receiver's status line and headers: an answer to a callback is a status and a few headers. */
  readonly responseHeadersBytesMax: number;
  /**
   * Answer body read (and thrown away) so that the connection can carry the next callback; a longer
   * one closes the connection instead. An FSPIOP receiver answers 200 with an empty body.
   */
  readonly responseBodyBytesMax: number;
  /** Attempts per message, the first included; after the last a retryable failure becomes FAILED. */
  readonly attemptsMax: number;
  /** Wait before the second attempt; it doubles after each attempt up to backoffMaxMs. */
  readonly backoffBaseMs: number;
  /** Longest wait between two attempts. */
  readonly backoffMaxMs: number;
  /**
   * Part of each wait taken off at random, so that the retries of messages that failed together
   * (a receiver's outage) do not all arrive together when it comes back.
   */
  readonly backoffJitterPercent: number;
  /** How long an idle worker sleeps before it looks for due rows again (rows enqueued by other processes wait at most this long). */
  readonly pollIntervalMs: number;
  /**
   * How long a claim is held. When it runs out (the process died or stalled mid-send), any worker may
   * claim the row again: delivery is at least once. Must outlast the wait in the queue plus one send
   * (asserted below), so that a live worker's claim never runs out under it.
   */
  readonly claimLeaseMs: number;
  /**
   * The most the clocks of two hub processes may differ. Leases are times on the claimer's clock and
   * are read on another's, so a worker stops sending this long before its lease ends by its own clock.
   */
  readonly clockSkewMsMax: number;
  /** How long stop() waits for sends in flight before it aborts them. More than one request, so a send in flight normally ends on its own. */
  readonly stopWaitMs: number;
  /**
   * After stop() aborts the sends still in flight, how long it waits for each to hand its row back.
   * A row not handed back in time (the database is slow or gone) waits for its lease to run out.
   */
  readonly stopAbortGraceMs: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = {
  claimBatchRowsMax: 32,
  queuedRowsMax: 64,
  sendsConcurrentMax: 16,
  requestTimeoutMs: 10_000,
  responseHeadersBytesMax: 16 * 1024,
  responseBodyBytesMax: 64 * 1024,
  attemptsMax: 8,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  backoffJitterPercent: 50,
  pollIntervalMs: 500,
  claimLeaseMs: 60_000,
  clockSkewMsMax: 2_000,
  stopWaitMs: 15_000,
  stopAbortGraceMs: 2_000,
};

/**
 * The longest a claimed row can wait before its send ends: every row ahead of it in the queue sent
 * `sendsConcurrentMax` at a time, each taking at most `requestTimeoutMs`, then its own send.
 */
export function claimHeldMsMax(limits: DeliveryLimits): number {
  return (Math.ceil(limits.queuedRowsMax / limits.sendsConcurrentMax) + 1) * limits.requestTimeoutMs;
}

/** Crashes on limits that cannot work together: a programmer's or operator's error, found at start. */
export function assertDeliveryLimits(limits: DeliveryLimits): void {
  const positiveIntegers: (keyof DeliveryLimits)[] = [
    'claimBatchRowsMax', 'queuedRowsMax', 'sendsConcurrentMax', 'requestTimeoutMs', 'attemptsMax',
    'responseHeadersBytesMax', 'responseBodyBytesMax', 'backoffBaseMs', 'backoffMaxMs', 'pollIntervalMs',
    'claimLeaseMs', 'stopWaitMs', 'stopAbortGraceMs',
  ];
  assert.ok(Number.isSafeInteger(limits.clockSkewMsMax) && limits.clockSkewMsMax >= 0, 'delivery limit clockSkewMsMax must be an integer >= 0');
  for (const key of positiveIntegers) {
    assert.ok(Number.isSafeInteger(limits[key]) && limits[key] > 0, `delivery limit ${key} must be a positive integer, got ${limits[key]}`);
  }
  assert.ok(Number.isInteger(limits.backoffJitterPercent) && limits.backoffJitterPercent >= 0 && limits.backoffJitterPercent <= 100,
    'delivery limit backoffJitterPercent must be an integer in 0..100');
  assert.ok(limits.claimBatchRowsMax <= limits.queuedRowsMax, 'a claim batch must fit in the in-memory queue (claimBatchRowsMax <= queuedRowsMax)');
  assert.ok(limits.sendsConcurrentMax <= limits.queuedRowsMax, 'every sender must be able to hold a row (sendsConcurrentMax <= queuedRowsMax)');
  assert.ok(limits.backoffBaseMs <= limits.backoffMaxMs, 'backoffBaseMs <= backoffMaxMs');
  // A live worker's claim must never run out while it still holds the row, or a second worker
  // could send the same row at the same time.
  assert.ok(limits.claimLeaseMs > claimHeldMsMax(limits) + limits.clockSkewMsMax,
    `claimLeaseMs (${limits.claimLeaseMs}) must exceed the longest a claimed row is held plus clockSkewMsMax, ` +
    `${claimHeldMsMax(limits) + limits.clockSkewMsMax} ms ((ceil(queuedRowsMax / sendsConcurrentMax) + 1) * requestTimeoutMs + clockSkewMsMax)`);
  assert.ok(limits.stopWaitMs > limits.requestTimeoutMs, 'stopWaitMs must exceed requestTimeoutMs, so that stop() normally lets sends in flight end');
}

/**
 * Bounds on the messages themselves, checked by enqueue(): they are the FSPIOP specification's own
 * (API Definition v1.1 §3.1: a body of at most 5 MiB, headers of at most 64 KiB) or sizes for logs.
 */
export const OUTBOX_MESSAGE_LIMITS = {
  /** FSPIOP's largest body; the hub never forwards more than it accepted. */
  bodyBytesMax: 5 * 1024 * 1024,
  /** FSPIOP's largest header block, names and values together. */
  headersBytesMax: 64 * 1024,
  /** A subject is a short label for logs and operators. */
  subjectLengthMax: 200,
  /** One template value (a transferId, partyIdentifier, …); FSPIOP's longest identifiers are 128 characters. */
  templateValueLengthMax: 512,
  /**
   * The path a message appends to its endpoint: "/error", or for the endpoint types that are a base
   * URL only (quotes, transaction requests, authorizations) the resource, its id and "/error".
   */
  pathSuffixLengthMax: 128,
  /** The stored reason of the last failure: short, for operators. */
  lastErrorLengthMax: 200,
} as const;

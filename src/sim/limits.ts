// Every bound of a simulated DFSP, with its unit and the reason for its value,
// and the relations between them checked once when a simulator is made.
import assert from 'node:assert/strict';

export interface SimLimits {
  /** Largest request body the simulator reads from the hub: the hub's own default FSPIOP bound (fspiop.bodyBytesMax). */
  readonly bodyBytesMax: number;
  /** Time allowed to receive one whole request from the hub: a slow sender must not hold a socket forever. */
  readonly receiveTimeoutMs: number;
  /** One request to the hub, from connecting to its answer: the hub answers 202/200 at once and works afterwards. */
  readonly sendTimeoutMs: number;
  /** Largest synchronous answer read from the hub (an errorInformation is a few hundred bytes). */
  readonly answerBytesMax: number;
  /** Connections to the hub at once: bounds sockets, and the load one simulator puts on the hub. */
  readonly socketsMax: number;
  /** How long a lookup, quote or transfer waits for its callback before it fails. */
  readonly callbackTimeoutMs: number;
  /** Requests waiting for their callbacks at once: beyond this a new one fails at once instead of growing memory. */
  readonly pendingMax: number;
  /** Quotes this simulator issued and still remembers (to check a prepare's amount against); the oldest are forgotten first. */
  readonly issuedQuotesMax: number;
  /** The expiration the simulator puts in its quotes, ms from now. */
  readonly quoteExpiryMs: number;
  /** The expiration the simulator puts in its prepares, ms from now (well inside the hub's transfers.expiryMsMax). */
  readonly transferExpiryMs: number;
  /** Largest distance between a hub request's Date header and this simulator's clock (the hub's own default window). */
  readonly dateSkewMsMax: number;
}

export const DEFAULT_SIM_LIMITS: SimLimits = {
  bodyBytesMax: 65_536,
  receiveTimeoutMs: 10_000,
  sendTimeoutMs: 10_000,
  answerBytesMax: 16_384,
  socketsMax: 64,
  callbackTimeoutMs: 30_000,
  pendingMax: 10_000,
  issuedQuotesMax: 10_000,
  quoteExpiryMs: 60_000,
  transferExpiryMs: 60_000,
  dateSkewMsMax: 300_000,
};

export function assertSimLimits(limits: SimLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    assert.ok(Number.isSafeInteger(value) && value > 0, `sim limits: ${name} must be a positive integer`);
  }
  // A callback cannot come before the request that causes it has been answered.
  assert.ok(limits.callbackTimeoutMs > limits.sendTimeoutMs, 'sim limits: callbackTimeoutMs must exceed sendTimeoutMs');
  // A transfer must be able to finish (prepare, fulfil, both callbacks) before it expires.
  assert.ok(limits.transferExpiryMs >= limits.callbackTimeoutMs, 'sim limits: transferExpiryMs must be at least callbackTimeoutMs');
  // The hub accepts no Date skew window under one second (its Date has one-second resolution).
  assert.ok(limits.dateSkewMsMax >= 1000, 'sim limits: dateSkewMsMax must be at least 1000 ms');
}

// Bounds of `interlock assess`: what it sends, waits for and keeps.

export const ASSESS_LIMITS = {
  /** One FSPIOP or admin request; a hub that has not answered by then counts as not answering. */
  requestTimeoutMs: 10_000,
  /** Largest answer read (an errorInformation or a transfer is under a kilobyte). */
  answerBytesMax: 65_536,
  /** Connections per certificate (the rate-limit burst needs a few in parallel). */
  socketsMax: 16,
  /** Characters of an answer kept as evidence in the report. */
  evidenceTextMax: 600,
  /** Longest wait for a callback from the hub after it accepted a request (its delivery retries within seconds). */
  callbackWaitMs: 15_000,
  /** Requests of the rate-limit probe at most, however high the hub's limit: past this the probe reports what it saw. */
  rateBurstRequestsMax: 20_000,
  /** And for this long at most. */
  rateBurstMs: 20_000,
  /** Connections the burst is sent on at once. */
  rateBurstSockets: 32,
  /** The slow-client probe waits this long at most for the hub to cut a request that never finishes its head. */
  slowClientWaitMs: 40_000,
  /**
   * Longest wait for the security events this run caused to be in the log. A hub appends the first event of a
   * source and kind at once and counts the rest into a summary entry at the end of its interval
   * (audit.securityEventIntervalMs, 60 s by default): this covers one default interval and the append.
   */
  securityEventWaitMs: 75_000,
  /** How often the log is read again while waiting for them. */
  securityEventPollMs: 1_000,
  /** Callbacks kept per test participant. */
  arrivalsMax: 1_000,
} as const;

// The FSPIOP listener's connection limits as configuration (fspiop.*TimeoutMs,
// fspiop.headerBytesMax): their defaults, bounds and the one relation between
// them. edge/gateway/connection_limits.ts enforces them on the listener.

export interface ConnectionLimits {
  /** TLS: from the TCP connection to the end of the handshake. */
  readonly handshakeTimeoutMs: number;
  /** From a request's first byte (for a connection's first request, from the connection) to its last header byte. */
  readonly headersTimeoutMs: number;
  /** Likewise to the last byte of its body; at least headersTimeoutMs. */
  readonly requestTimeoutMs: number;
  /** How long a connection may stay open with no request, between two. */
  readonly keepAliveTimeoutMs: number;
  /** A connection with no byte sent or read for this long during a request is closed; 0: no such limit. */
  readonly idleSocketTimeoutMs: number;
  /** The largest request head (request line and headers), bytes. */
  readonly headerBytesMax: number;
}

/** Recommended limits for the FSPIOP listener. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 60_000,
  idleSocketTimeoutMs: 30_000,
  headerBytesMax: 16_384,
};

export const TIMEOUT_MS_MIN = 50;
export const TIMEOUT_MS_MAX = 600_000;
export const HEADER_BYTES_MIN = 1_024;
export const HEADER_BYTES_MAX = 1_048_576;

/** The reason the limits are not valid, or undefined. */
export function connectionLimitsProblem(limits: ConnectionLimits): string | undefined {
  const timeouts = ['handshakeTimeoutMs', 'headersTimeoutMs', 'requestTimeoutMs', 'keepAliveTimeoutMs'] as const;
  for (const name of timeouts) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < TIMEOUT_MS_MIN || value > TIMEOUT_MS_MAX) return `${name} must be an integer from ${TIMEOUT_MS_MIN} to ${TIMEOUT_MS_MAX}`;
  }
  const idle = limits.idleSocketTimeoutMs;
  if (!Number.isSafeInteger(idle) || (idle !== 0 && (idle < TIMEOUT_MS_MIN || idle > TIMEOUT_MS_MAX))) return `idleSocketTimeoutMs must be 0 or an integer from ${TIMEOUT_MS_MIN} to ${TIMEOUT_MS_MAX}`;
  // Node refuses a server whose headers may take longer than the whole request.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) return 'headersTimeoutMs must not exceed requestTimeoutMs';
  const bytes = limits.headerBytesMax;
  if (!Number.isSafeInteger(bytes) || bytes < HEADER_BYTES_MIN || bytes > HEADER_BYTES_MAX) return `headerBytesMax must be an integer from ${HEADER_BYTES_MIN} to ${HEADER_BYTES_MAX}`;
  return undefined;
}

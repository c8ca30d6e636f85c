// Security events: every refusal by a security control (a TLS handshake that
// failed, a certificate that does not speak for FSPIOP-Source, a bad
// signature, a callback not sent, …) is recorded with its reason, through the
// sink declared here. The audit log implements it (security_events.ts); the
// edge and delivery record into it.
//
// An event names what was refused and why, never secrets or message bodies.
import type { Logger } from '../support/index.ts';

export const SECURITY_EVENT_KINDS = [
  /**
   * A TLS handshake the listener refused; the reason is what the certificate examination found
   * (edge/tls/client_certificate_refusal.ts: no client certificate, self-signed, not the scheme CA's, not
   * yet valid, expired, revoked), or TLS's own code for protocol and cipher failures.
   */
  'tls-handshake-refused',
  /** A verified client certificate that names no participant the hub can bind. */
  'tls-identity-missing',
  /** A request whose FSPIOP-Source is not the participant of its client certificate. */
  'tls-identity-mismatch',
  /** A live connection closed because its certificate was revoked or expired after the handshake. */
  'tls-connection-revoked',
  /** A request whose FSPIOP-Signature is missing, malformed, made with no registered key, or does not verify. */
  'signature-invalid',
  /** A request from an address outside its participant's IP allow-list (after trusted proxy hops). */
  'ip-not-allowed',
  /** A request whose OAuth2 access token is missing, malformed, forged, expired, foreign, or bound to another certificate. */
  'token-invalid',
  /** A valid access token without the scope of the API called. */
  'token-scope-missing',
  /** A participant calling an API, or in a role, it is not permitted. */
  'api-not-permitted',
  /** A request over its participant's rate limit for the API. */
  'rate-limited',
  /** A request over a size limit: body, headers, or JSON nesting and counts. */
  'request-too-large',
  /** A client too slow to complete its handshake, headers or body within the time allowed. */
  'slow-client',
  /** A request that two readers could take for different things: a JSON member name given twice, or an identifier with characters outside its ASCII set (look-alikes). */
  'request-ambiguous',
  /** A request refused for its Date header: missing, not an IMF-fixdate, or outside fspiop.dateSkewMsMax (the skew is in the reason). */
  'request-date-refused',
  /** A callback not sent: its endpoint's address (literal or resolved) is outside the callback network policy. */
  'callback-address-refused',
  /** A callback not sent: the receiver's TLS certificate does not name the recipient (the hub's, another DFSP's, none). */
  'callback-certificate-refused',
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

export interface SecurityEvent {
  readonly kind: SecurityEventKind;
  /** Short, free of secrets and personal data. */
  readonly reason: string;
  /** The participant the control established (its certificate), if any. */
  readonly participant?: string;
  /** The participant the request claimed to be (FSPIOP-Source), or the recipient of a callback the hub refused to send. */
  readonly claimed?: string;
  readonly sourceAddress?: string;
  /** The client certificate's serial (hex), when there was one. */
  readonly certificateSerial?: string;
  /** The FSPIOP operation (e.g. "POST /transfers"), when the request got that far. */
  readonly operation?: string;
}

export interface SecurityEvents {
  record(event: SecurityEvent): void;
}

/** Security events as structured log lines at warn level (beside the audit log, which stores them). */
export function loggedSecurityEvents(log: Logger): SecurityEvents {
  const events = log.child({ component: 'security' });
  return {
    record(event) {
      events.warn({ securityEvent: event.kind, ...event }, `security event: ${event.kind}`);
    },
  };
}

/** Records each event in every sink, in order (e.g. the log line, then the tamper-evident log). */
export function fanOutSecurityEvents(...sinks: readonly SecurityEvents[]): SecurityEvents {
  return {
    record(event) {
      for (const sink of sinks) sink.record(event);
    },
  };
}

/** Keeps every event in memory: for tests. */
export function capturedSecurityEvents(): SecurityEvents & { readonly events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return { events, record: (event) => { events.push(event); } };
}

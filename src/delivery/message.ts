// What the hub asks the delivery module to send: one HTTP request to a
// participant, written to the outbox in the same database transaction as the
// state change that caused it, and delivered later (at least once).
import type { EndpointType } from '../participants/index.ts';

export type OutboundMethod = 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE';

export interface OutboundMessage {
  /** Participant (FSP) name the request goes to; its endpoint of `endpointType` gives the URL. */
  recipient: string;
  endpointType: EndpointType;
  /** Values for the endpoint template's {{placeholders}} (transferId, partyIdType, …). */
  templateValues: Record<string, string>;
  /** Appended to the filled template, e.g. "/error" for an error callback when the endpoint type has no error variant. */
  pathSuffix?: string;
  method: OutboundMethod;
  /** Header names in lower case, values exactly as they must be sent (FSPIOP-Signature of a forwarded message is kept untouched). */
  headers: Record<string, string>;
  /** The exact body bytes (as UTF-8 text) to send, or null for none. Forwarded bodies are the sender's own bytes. */
  body: string | null;
  /** What the message is about, for logs and operators (e.g. "transfer 0f…/PUT"). Never secrets. */
  subject: string;
  /**
   * Epoch ms after which the message must not be sent (it lapses, FAILED, unsent): a transfer
   * prepare that reached its payee only after the transfer expired could only mislead it.
   */
  notAfterMs?: number;
}

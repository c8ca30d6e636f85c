// What one attempt's result means for the message, and when the next attempt
// is due. The table of HTTP answers is written once, here:
//
//   2xx                          delivered
//   408, 429, 5xx                retry (the receiver is busy or failing; it may recover)
//   network error, timeout       retry
//   a request Node cannot make   FAILED (a stored header it refuses, say)
//   refused by the hub's own     FAILED: an address outside the callback network policy, or a
//   callback controls            receiver whose certificate is not the recipient's; not sent
//   3xx                          FAILED: redirects are never followed, a callback goes where the
//                                recipient's endpoint says and nowhere else
//   any other 4xx                FAILED at once: the receiver refused this message, and
//                                sending the same bytes again will not change its mind
//   anything else                FAILED (not an HTTP answer a receiver should give)
import { randomInt } from 'node:crypto';
import type { HttpAnswer } from './http_send.ts';
import { OUTBOX_MESSAGE_LIMITS, type DeliveryLimits } from './limits.ts';

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'retry'; readonly status: number | null; readonly reason: string; readonly retryAfterMs: number | null }
  /** Final: the message becomes FAILED whatever attempts are left. */
  | { readonly kind: 'refused'; readonly status: number | null; readonly reason: string };

/** Retry-After in seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored and the backoff applies. */
function retryAfterMs(header: string | null): number | null {
  if (header === null || !/^[0-9]{1,9}$/.test(header.trim())) return null;
  return Number(header.trim()) * 1000;
}

export function outcomeOfStatus(status: number, retryAfter: string | null): AttemptOutcome {
  if (status >= 200 && status <= 299) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return { kind: 'retry', status, reason: `HTTP ${status}`, retryAfterMs: retryAfterMs(retryAfter) };
  }
  if (status >= 300 && status <= 399) return { kind: 'refused', status, reason: `HTTP ${status}: redirect not followed` };
  if (status >= 400 && status <= 499) return { kind: 'refused', status, reason: `HTTP ${status}: refused by the receiver` };
  return { kind: 'refused', status: null, reason: `unexpected HTTP status ${status}` };
}

/** A request that got no answer; stop() aborting it is not an attempt's outcome and is handled by the worker. */
export function outcomeOfNoAnswer(answer: Exclude<HttpAnswer, { kind: 'answer' } | { kind: 'aborted' }>, timeoutMs: number): AttemptOutcome {
  switch (answer.kind) {
    case 'timeout':
      return { kind: 'retry', status: null, reason: `no answer within ${timeoutMs} ms`, retryAfterMs: null };
    case 'network':
      return { kind: 'retry', status: null, reason: `network error ${answer.code}`, retryAfterMs: null };
    case 'unsendable':
      return { kind: 'refused', status: null, reason: `request could not be made (${answer.code})` };
    case 'refused':
      return { kind: 'refused', status: null, reason: `not sent: callback ${answer.control} refused: ${answer.reason}` };
  }
}

/** The reason as stored: short, one line. */
export function shortReason(reason: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const oneLine = reason.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const max = OUTBOX_MESSAGE_LIMITS.lastErrorLengthMax;
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/**
 * The wait after attempt number `attempts` (1 for the first): backoffBaseMs doubled per attempt,
 * at most backoffMaxMs, less a random part of up to backoffJitterPercent. A Retry-After from the
 * receiver lengthens it, still within backoffMaxMs.
 */
export function backoffMs(attempts: number, limits: DeliveryLimits, retryAfter: number | null = null): number {
  const doublings = Math.min(Math.max(attempts - 1, 0), 40);
  const capped = Math.min(limits.backoffBaseMs * 2 ** doublings, limits.backoffMaxMs);
  const jitterMs = Math.floor((capped * limits.backoffJitterPercent) / 100);
  const waitMs = capped - (jitterMs > 0 ? randomInt(0, jitterMs + 1) : 0);
  return retryAfter === null ? waitMs : Math.min(Math.max(waitMs, retryAfter), limits.backoffMaxMs);
}

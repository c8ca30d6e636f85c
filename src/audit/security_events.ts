// Security events (edge/security_events.ts: refused handshakes, identities
// that do not match, revoked connections, …) as audit log entries of kind
// 'security-event'.
//
// `record` is called on the request path, so it never waits and never
// throws: the entry is appended in the background. Events in flight are
// bounded (SECURITY_EVENTS_IN_FLIGHT_MAX), because anyone on the network can
// cause refused handshakes, and a flood of them must neither fill the log's
// queue (operator actions need it) nor grow memory without end. An event past
// the bound, or one the log refused or could not store, is dropped, counted,
// and reported at error level (at once, then at most once per
// SECURITY_EVENT_DROP_REPORT_INTERVAL_MS with the count since).
import { isIP } from 'node:net';
import type { SecurityEvent, SecurityEvents } from '../edge/security_events.ts';
import { systemClock, type Clock } from '../support/clock.ts';
import type { Logger } from '../support/logger.ts';
import type { AuditLog } from './audit_log.ts';
import type { AppendResult } from './sequencer.ts';
import { auditText, type AuditEntry, type AuditText, type AuditValue } from './entry.ts';
import { ENTRY_IDENTIFIER_LENGTH_MAX, SECURITY_EVENT_DROP_REPORT_INTERVAL_MS, SECURITY_EVENT_TEXT_LENGTH_MAX, SECURITY_EVENTS_IN_FLIGHT_MAX } from './limits.ts';

export interface AuditFeed<E> {
  record(event: E): void;
  /** Events not stored: past the in-flight bound, refused by the log, or lost to a storage failure. */
  dropped(): number;
  /** Settles once every event recorded so far is stored or dropped (for shutdown and tests). */
  drained(): Promise<void>;
}

export type AuditedSecurityEvents = SecurityEvents & AuditFeed<SecurityEvent>;

export interface SecurityEventLimits {
  readonly inFlightMax: number;
  readonly dropReportIntervalMs: number;
}

const DEFAULT_LIMITS: SecurityEventLimits = { inFlightMax: SECURITY_EVENTS_IN_FLIGHT_MAX, dropReportIntervalMs: SECURITY_EVENT_DROP_REPORT_INTERVAL_MS };

// Printable ASCII without spaces: what an entry's identifiers may hold (entry.ts).
const IDENTIFIER = /^[\x21-\x7e]+$/;

/** Attacker-chosen text (a claimed FSPIOP-Source, a reason quoting input) is bounded before it is kept. */
function clipped(text: string): AuditText {
  return auditText(text.length > SECURITY_EVENT_TEXT_LENGTH_MAX ? `${text.slice(0, SECURITY_EVENT_TEXT_LENGTH_MAX)}…` : text);
}

function identifier(text: string | undefined, otherwise: string): string {
  return text !== undefined && text.length <= ENTRY_IDENTIFIER_LENGTH_MAX && IDENTIFIER.test(text) ? text : otherwise;
}

/** The entry of one security event: the established participant (if any) acted, the hub refused. */
export function securityEventEntry(event: SecurityEvent, timeMs: number): AuditEntry {
  const details: Record<string, AuditValue> = { kind: auditText(event.kind) };
  if (event.participant !== undefined) details['participant'] = clipped(event.participant);
  if (event.claimed !== undefined) details['claimed'] = clipped(event.claimed);
  if (event.certificateSerial !== undefined) details['certificateSerial'] = clipped(event.certificateSerial);
  return {
    kind: 'security-event',
    actor: identifier(event.participant, event.participant === undefined ? 'unauthenticated' : 'unnamed-participant'),
    actorRole: event.participant === undefined ? 'anonymous' : 'participant',
    action: `security.${event.kind}`,
    target: event.claimed !== undefined ? { type: 'participant', id: clipped(event.claimed) } : { type: 'fspiop-api', id: auditText('hub') },
    before: null,
    after: details,
    result: { outcome: 'refused', reason: clipped(event.reason) },
    sourceAddress: event.sourceAddress !== undefined && isIP(event.sourceAddress) !== 0 ? event.sourceAddress : null,
    timeMs,
  };
}

/**
 * Appends each event `record`ed to the audit log as `toEntry` makes it, in the background: the caller
 * never waits and is never failed; what cannot be stored is dropped, counted and reported loudly.
 */
export function createAuditFeed<E>(auditLog: Pick<AuditLog, 'append'>, log: Logger, what: string, toEntry: (event: E, nowMs: number) => AuditEntry,
  clock: Clock = systemClock, limits: SecurityEventLimits = DEFAULT_LIMITS): AuditFeed<E> {
  const events = log.child({ component: `audit-${what.replaceAll(' ', '-')}` });
  let inFlight = 0;
  let droppedTotal = 0;
  let droppedUnreported = 0;
  let lastReason = '';
  let reportedAtMs = -Infinity;
  let reportTimer: NodeJS.Timeout | undefined;
  const pending = new Set<Promise<void>>();

  function reportNow(): void {
    if (droppedUnreported === 0) return;
    events.error({ dropped: droppedUnreported, droppedTotal, reason: lastReason },
      `${what.toUpperCase()} NOT AUDITED: ${droppedUnreported} of them were dropped (${droppedTotal} in all): ${lastReason}`);
    droppedUnreported = 0;
    reportedAtMs = clock.nowMs();
  }

  function drop(reason: string): void {
    droppedTotal += 1;
    droppedUnreported += 1;
    lastReason = reason;
    if (clock.nowMs() - reportedAtMs >= limits.dropReportIntervalMs) {
      reportNow();
    } else {
      // The rest of a burst is reported once the interval is over, so that no drop goes unsaid.
      reportTimer ??= setTimeout(() => { reportTimer = undefined; reportNow(); }, limits.dropReportIntervalMs).unref();
    }
  }

  return {
    record(event) {
      if (inFlight >= limits.inFlightMax) {
        drop(`${limits.inFlightMax} events were already waiting to be stored`);
        return;
      }
      let appended: Promise<AppendResult>;
      try {
        appended = auditLog.append(toEntry(event, clock.nowMs()));
      } catch (error) {
        // The request path is never failed by the audit: even a bug here is reported, not thrown.
        drop(`it could not be made into an entry: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      inFlight += 1;
      const done: Promise<void> = appended.then(
        (result) => { if (!result.ok) drop(`the audit log refused it (${result.problem}: ${result.reason})`); },
        (error: unknown) => { drop(`storing it failed: ${error instanceof Error ? error.message : String(error)}`); },
      ).finally(() => {
        inFlight -= 1;
        pending.delete(done);
      });
      pending.add(done);
    },
    dropped: () => droppedTotal,
    async drained() {
      while (pending.size > 0) await Promise.all([...pending]);
      if (reportTimer !== undefined) clearTimeout(reportTimer);
      reportTimer = undefined;
      reportNow();
    },
  };
}

/** A SecurityEvents sink that appends each event to the audit log, without ever holding up the caller. */
export function auditSecurityEvents(auditLog: Pick<AuditLog, 'append'>, log: Logger, clock: Clock = systemClock, limits: SecurityEventLimits = DEFAULT_LIMITS): AuditedSecurityEvents {
  return createAuditFeed<SecurityEvent>(auditLog, log, 'security events', securityEventEntry, clock, limits);
}

// Security events (security_event.ts: refused handshakes, identities
// that do not match, revoked connections, …) as audit log entries of kind
// 'security-event'.
//
// `record` is called on the request path, so it never waits and never
// throws: the entry is appended in the background. Security events are not
// employee actions (those are never appended in the background: see
// operator_actions.ts).
//
// Repeats are counted, not appended one by one: within an interval
// (SECURITY_EVENT_COALESCE_INTERVAL_MS), the first event of a source (the
// participant the control established, or else the address) and kind is
// appended at once, so an attack shows in the log promptly; the rest are
// counted, and one summary entry per source and kind (how many, first and
// last time, a sample of reasons) is appended when the interval ends, or at
// shutdown. Sources tracked per interval are bounded
// (SECURITY_EVENT_SOURCES_MAX); events from sources past the bound are counted
// into one summary entry per kind. So a flood of refusals costs a bounded
// number of entries, whatever its size.
//
// Events in flight are bounded (SECURITY_EVENTS_IN_FLIGHT_MAX), because anyone
// on the network can cause refused handshakes, and a flood of them must
// neither fill the log's queue (operator actions need it) nor grow memory
// without end. An entry past the bound, or one the log refused or could not
// store, is dropped, counted, and reported at error level (at once, then at
// most once per SECURITY_EVENT_DROP_REPORT_INTERVAL_MS with the count since).
// A crash loses the counts of the interval under way and the entries in
// flight: nothing else.
import { isIP } from 'node:net';
import { SECURITY_EVENT_COALESCE_INTERVAL_MS } from '../config/index.ts';
import { systemClock, type Clock } from '../support/index.ts';
import type { Logger } from '../support/index.ts';
import type { AuditLog } from './audit_log.ts';
import type { SecurityEvent, SecurityEventKind, SecurityEvents } from './security_event.ts';
import type { AppendResult } from './sequencer.ts';
import { type AuditEntry, auditText, type AuditText, type AuditValue, ENTRY_IDENTIFIER_LENGTH_MAX } from '../translog/index.ts';
import {
  SECURITY_EVENT_DROP_REPORT_INTERVAL_MS,
  SECURITY_EVENT_REASON_SAMPLES_MAX,
  SECURITY_EVENT_SOURCES_MAX,
  SECURITY_EVENT_TEXT_LENGTH_MAX,
  SECURITY_EVENTS_IN_FLIGHT_MAX,
} from './limits.ts';

export interface AuditFeed<E> {
  record(event: E): void;
  /** Events not stored: past the in-flight bound, refused by the log, or lost to a storage failure. */
  dropped(): number;
  /** Settles once every event recorded so far is stored or dropped (for shutdown and tests). */
  drained(): Promise<void>;
}

export interface AuditedSecurityEvents extends SecurityEvents, AuditFeed<SecurityEvent> {
  /** Events counted into summary entries rather than appended one by one, in all. */
  coalesced(): number;
  /** Appends the summaries of the interval under way, stops the interval timer, and waits for what is in flight (shutdown). */
  close(): Promise<void>;
}

export interface FeedLimits {
  readonly inFlightMax: number;
  readonly dropReportIntervalMs: number;
}

export interface SecurityEventLimits extends FeedLimits {
  readonly coalesceIntervalMs: number;
  readonly sourcesMax: number;
  readonly reasonSamplesMax: number;
}

export const SECURITY_EVENT_LIMITS: SecurityEventLimits = {
  inFlightMax: SECURITY_EVENTS_IN_FLIGHT_MAX,
  dropReportIntervalMs: SECURITY_EVENT_DROP_REPORT_INTERVAL_MS,
  coalesceIntervalMs: SECURITY_EVENT_COALESCE_INTERVAL_MS,
  sourcesMax: SECURITY_EVENT_SOURCES_MAX,
  reasonSamplesMax: SECURITY_EVENT_REASON_SAMPLES_MAX,
};

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
function detailsOf(event: SecurityEvent): Record<string, AuditValue> {
  const details: Record<string, AuditValue> = { kind: auditText(event.kind) };
  if (event.participant !== undefined) details['participant'] = clipped(event.participant);
  if (event.claimed !== undefined) details['claimed'] = clipped(event.claimed);
  if (event.certificateSerial !== undefined) details['certificateSerial'] = clipped(event.certificateSerial);
  return details;
}

export function securityEventEntry(event: SecurityEvent, timeMs: number): AuditEntry {
  const details = detailsOf(event);
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
  clock: Clock = systemClock, limits: FeedLimits = SECURITY_EVENT_LIMITS): AuditFeed<E> {
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
        (result) => { if (!result.ok) drop(`the audit log refused it (${result.error.problem}: ${result.error.reason})`); },
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

/** Events of one source and kind (or, past the bound on sources, of one kind) in the interval under way. */
interface Repeats {
  readonly first: SecurityEvent;
  /** Events after the first (per source), or every event (past the bound on sources). */
  count: number;
  firstMs: number;
  lastMs: number;
  readonly reasons: string[];
}

function sourceOf(event: SecurityEvent): string {
  return event.participant !== undefined ? `participant ${event.participant}` : `address ${event.sourceAddress ?? 'unknown'}`;
}

/** The summary entry of counted repeats: how many, first and last time, a sample of reasons. */
export function repeatsEntry(repeats: Repeats, scope: 'source' | 'many-sources', intervalMs: number): AuditEntry {
  const base = securityEventEntry(repeats.first, repeats.lastMs);
  const summary: Record<string, AuditValue> = {
    ...detailsOf(repeats.first),
    repeated: repeats.count,
    firstTimeMs: repeats.firstMs,
    lastTimeMs: repeats.lastMs,
    intervalMs,
    reasons: repeats.reasons.map(clipped),
  };
  if (scope === 'source') {
    return { ...base, after: summary, result: { outcome: 'refused', reason: clipped(`${repeats.count} more ${repeats.first.kind} events from this source in the interval`) } };
  }
  // Past the bound on sources: many sources, none named (each one's first event was not appended either).
  const { participant: _participant, claimed: _claimed, certificateSerial: _serial, ...unnamed } = summary;
  return {
    ...base, actor: 'many-sources', actorRole: 'anonymous', target: { type: 'fspiop-api', id: auditText('hub') }, sourceAddress: null, after: unnamed,
    result: { outcome: 'refused', reason: clipped(`${repeats.count} ${repeats.first.kind} events from sources past the ${SECURITY_EVENT_SOURCES_MAX}-source bound in the interval`) },
  };
}

/**
 * A SecurityEvents sink that appends to the audit log, without ever holding up the caller: the first event of a
 * source and kind in each interval at once, the rest counted into one summary entry at the interval's end.
 */
export function auditSecurityEvents(auditLog: Pick<AuditLog, 'append'>, log: Logger, clock: Clock = systemClock, limits: SecurityEventLimits = SECURITY_EVENT_LIMITS): AuditedSecurityEvents {
  const feed = createAuditFeed<AuditEntry>(auditLog, log, 'security events', (entry) => entry, clock, limits);
  let sources = new Map<string, Repeats>();
  let pastBound = new Map<SecurityEventKind, Repeats>();
  let intervalStartMs = clock.nowMs();
  let coalescedTotal = 0;

  function count(repeats: Repeats, event: SecurityEvent, nowMs: number): void {
    repeats.count += 1;
    repeats.lastMs = nowMs;
    coalescedTotal += 1;
    if (repeats.reasons.length < limits.reasonSamplesMax && !repeats.reasons.includes(event.reason)) repeats.reasons.push(event.reason);
  }

  function flush(): void {
    for (const repeats of sources.values()) if (repeats.count > 0) feed.record(repeatsEntry(repeats, 'source', limits.coalesceIntervalMs));
    for (const repeats of pastBound.values()) feed.record(repeatsEntry(repeats, 'many-sources', limits.coalesceIntervalMs));
    sources = new Map();
    pastBound = new Map();
    intervalStartMs = clock.nowMs();
  }

  const timer = setInterval(flush, limits.coalesceIntervalMs);
  timer.unref();

  return {
    record(event) {
      const nowMs = clock.nowMs();
      if (nowMs - intervalStartMs >= limits.coalesceIntervalMs) flush();
      const key = `${event.kind}\n${sourceOf(event)}`;
      const seen = sources.get(key);
      if (seen !== undefined) {
        count(seen, event, nowMs);
      } else if (sources.size < limits.sourcesMax) {
        sources.set(key, { first: event, count: 0, firstMs: nowMs, lastMs: nowMs, reasons: [] });
        feed.record(securityEventEntry(event, nowMs));
      } else {
        let repeats = pastBound.get(event.kind);
        if (repeats === undefined) {
          repeats = { first: event, count: 0, firstMs: nowMs, lastMs: nowMs, reasons: [] };
          pastBound.set(event.kind, repeats);
        }
        count(repeats, event, nowMs);
      }
    },
    dropped: () => feed.dropped(),
    coalesced: () => coalescedTotal,
    drained: () => feed.drained(),
    async close() {
      clearInterval(timer);
      flush();
      await feed.drained();
    },
  };
}

// Security events as structured log lines at warn level, until the audit log
// stores them (the event and its sink are src/audit/security_event.ts).
import type { SecurityEvent, SecurityEvents } from '../audit/index.ts';
import type { Logger } from '../support/logger.ts';

export type { SecurityEvent, SecurityEventKind, SecurityEvents } from '../audit/index.ts';

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

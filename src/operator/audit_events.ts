// Admin audit events: every admin action, allowed or refused, and every
// sign-in step, as one structured event (src/audit/admin_event.ts). The
// tamper-evident log plugs in as a sink; until it does, events are structured log lines.
//
// Nothing is recorded in the background. A state change is recorded in its own
// transaction (recordInTransaction: both commit or neither does); an action that
// changed nothing (a refusal, a read) is recorded before it is answered
// (record settles once the entry is durable), and if it cannot be, the caller
// is answered with an error instead (AUDIT_UNAVAILABLE, HTTP 503).
//
// `before` / `after` are views built for the purpose (operatorView and the
// like), never raw rows or request bodies.
import type { AdminAuditEvent, AdminAuditSink, AuditActor, AuditTransaction } from '../audit/index.ts';
import type { Logger } from '../support/index.ts';
import type { Principal } from './rbac/authorize.ts';

export type { AdminAuditEvent, AdminAuditSink, AuditActor, AuditActorKind, AuditResult, AuditTransaction } from '../audit/index.ts';

/** Who acted, as an audit event names them: the principal with the roles it held. */
export function actorOf(principal: Principal | undefined): AuditActor {
  if (principal === undefined) return { kind: 'anonymous' };
  return { kind: principal.kind, id: principal.id, name: principal.name, roles: principal.grants.map((g) => (g.participant === null ? g.role : `${g.role}@${g.participant}`)) };
}

/** The code of AuditUnavailableError, for the edges that answer it (HTTP 503). */
export const AUDIT_UNAVAILABLE = 'AUDIT_UNAVAILABLE';

/** An action was not done, or not answered, because its audit entry could not be recorded. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
  readonly code = AUDIT_UNAVAILABLE;
  constructor(cause: unknown) {
    super(`the audit log could not record the action, so it was not done: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

const auditFailures = new WeakSet<object>();

/**
 * Marks an error thrown while recording an action in its transaction, without changing it: the storage layer
 * still sees its code (a PostgreSQL serialisation failure is run again), and the admin API answers 503.
 */
export function markedAuditFailure(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) auditFailures.add(error);
  return error;
}

/** Whether an action failed because its audit entry could not be recorded. */
export function isAuditFailure(error: unknown): boolean {
  return error instanceof AuditUnavailableError || (typeof error === 'object' && error !== null && auditFailures.has(error));
}

/** `recordInTransaction` whose failure is marked as the audit's (markedAuditFailure). */
export async function recordInTransactionOrFail(audit: AdminAuditSink, tx: AuditTransaction, event: AdminAuditEvent): Promise<void> {
  try {
    await audit.recordInTransaction(tx, event);
  } catch (error) {
    throw markedAuditFailure(error);
  }
}

/** `record` that turns a failure into AuditUnavailableError, which the admin API answers with 503. */
export async function recordOrRefuse(audit: AdminAuditSink, event: AdminAuditEvent): Promise<void> {
  try {
    await audit.record(event);
  } catch (error) {
    throw new AuditUnavailableError(error);
  }
}

function logLine(audit: Logger, event: AdminAuditEvent, how: string): void {
  const line = { auditEvent: event.action, ...event, time: new Date(event.timeMs).toISOString() };
  if (event.result === 'refused') audit.warn(line, `admin audit: ${event.action} refused${how}`);
  else audit.info(line, `admin audit: ${event.action} ${event.result}${how}`);
}

/**
 * The default sink: one JSON log line per event (info when it went through, warn when refused). A line for a
 * state change is written as its transaction runs: it may still roll back (the tamper-evident log says what
 * committed).
 */
export function loggedAdminAudit(log: Logger): AdminAuditSink {
  const audit = log.child({ component: 'admin-audit' });
  return {
    record(event) {
      logLine(audit, event, '');
      return Promise.resolve();
    },
    recordInTransaction(_tx, event) {
      logLine(audit, event, ' (in its transaction)');
      return Promise.resolve();
    },
  };
}

/** Keeps every event in memory (one recorded in a transaction even if that transaction then rolled back): for tests. */
export function capturedAdminAudit(): AdminAuditSink & { readonly events: AdminAuditEvent[] } {
  const events: AdminAuditEvent[] = [];
  return {
    events,
    record(event) {
      events.push(event);
      return Promise.resolve();
    },
    recordInTransaction(_tx, event) {
      events.push(event);
      return Promise.resolve();
    },
  };
}

/** Records each event in every sink, in order (e.g. the log line, then the tamper-evident log). */
export function fanOutAdminAudit(...sinks: readonly AdminAuditSink[]): AdminAuditSink {
  return {
    async record(event) {
      for (const sink of sinks) await sink.record(event);
    },
    async recordInTransaction(tx, event) {
      for (const sink of sinks) await sink.recordInTransaction(tx, event);
    },
  };
}

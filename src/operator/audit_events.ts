// Admin audit events: every admin action, allowed or refused, and every
// sign-in step, as one structured event. The tamper-evident log (src/audit/)
// plugs in as a sink; until it does, events are structured log lines.
//
// An event says who did what to what, with which result, from where and when.
// It never carries a password, a TOTP code or secret, a token, a cookie, or a
// one-time credential: the fields below are the whole of it, and `before` /
// `after` are views built for the purpose (operatorView and the like), never
// raw rows or request bodies.
import type { Logger } from '../support/logger.ts';

export type AuditActorKind = 'operator' | 'client' | 'external' | 'anonymous' | 'system';

export interface AuditActor {
  readonly kind: AuditActorKind;
  /** Operator id, client id, issuer#subject; absent for anonymous. */
  readonly id?: string;
  /** Username or client id as people read it; for a failed sign-in, the username tried. */
  readonly name?: string;
  /** The roles held when acting. */
  readonly roles?: readonly string[];
}

export type AuditResult =
  /** Allowed and done (a direct action, or a change request executed). */
  | 'succeeded'
  /** Allowed, but the action itself failed (its FSPIOP error code is in `detail`). */
  | 'failed'
  /** A change request was recorded and waits for approval. */
  | 'pending-approval'
  /** Refused by authentication or authorization (no token, bad token, missing privilege, separation of duties, maker = checker). */
  | 'refused';

export interface AdminAuditEvent {
  readonly timeMs: number;
  readonly actor: AuditActor;
  /** The privilege exercised (FUNDS_IN_REQUEST, …) or the event name (SIGN_IN, SIGN_IN_TOTP, CHANGE_REQUEST_APPROVE, …). */
  readonly action: string;
  readonly target?: {
    /** The admin API route, e.g. "POST /participants/:name/accounts/:id". */
    readonly route?: string;
    readonly participant?: string;
    readonly changeRequestId?: string;
    /** Another resource: an operator, a role, a client. */
    readonly resource?: string;
  };
  readonly result: AuditResult;
  /** Why, for refusals and failures: short and free of secrets. */
  readonly detail?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly sourceAddress?: string;
}

export interface AdminAuditSink {
  emit(event: AdminAuditEvent): void;
}

/** The default sink: one JSON log line per event (info when it went through, warn when refused). */
export function loggedAdminAudit(log: Logger): AdminAuditSink {
  const audit = log.child({ component: 'admin-audit' });
  return {
    emit(event) {
      const line = { auditEvent: event.action, ...event, time: new Date(event.timeMs).toISOString() };
      if (event.result === 'refused') audit.warn(line, `admin audit: ${event.action} refused`);
      else audit.info(line, `admin audit: ${event.action} ${event.result}`);
    },
  };
}

/** Keeps every event in memory: for tests. */
export function capturedAdminAudit(): AdminAuditSink & { readonly events: AdminAuditEvent[] } {
  const events: AdminAuditEvent[] = [];
  return { events, emit: (event) => { events.push(event); } };
}

/** Sends each event to every sink (e.g. the log and the tamper-evident log). */
export function fanOutAdminAudit(...sinks: readonly AdminAuditSink[]): AdminAuditSink {
  return { emit: (event) => { for (const sink of sinks) sink.emit(event); } };
}

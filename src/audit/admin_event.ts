// Admin audit events: every admin action, allowed or refused, and every
// sign-in step, as one structured event, and the sink they are recorded
// through. The audit log implements it (operator_actions.ts); the operator
// API and the portal record into it (src/operator/audit_events.ts says how).
//
// An event says who did what to what, with which result, from where and when.
// It never carries a password, a TOTP code or secret, a token, a cookie, or a
// one-time credential: the fields below are the whole of it, and `before` /
// `after` are views built for the purpose, never raw rows or request bodies.
import type { Transaction } from 'kysely';

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

/** A transaction of the hub's database, whatever its schema (the sink only appends to it). */
export type AuditTransaction = Transaction<never>;

export interface AdminAuditSink {
  /** Records an action that changed nothing; settles once it is durable, and rejects if it cannot be recorded. */
  record(event: AdminAuditEvent): Promise<void>;
  /**
   * Records a state change in the transaction `tx` that makes it, last in that transaction: the entry commits
   * with the change or neither does. Rejects if it cannot be recorded, and the transaction must then roll back.
   */
  recordInTransaction(tx: AuditTransaction, event: AdminAuditEvent): Promise<void>;
}

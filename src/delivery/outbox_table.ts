// The outbox table as Kysely sees it, and its state machine, written once:
// migration 0002 turns the same table into CHECK constraints and a trigger.
//
// The table's type lives here, not in storage/schema.ts, so that only the
// delivery module can read or write the outbox; it reaches the table through
// `db.$extendTables<OutboxSchema>()`.
import type { Generated, Selectable } from 'kysely';
import type { Db } from '../storage/index.ts';
import type { OutboundMethod } from './message.ts';

export const OUTBOX_STATES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** Each state's legal next states. DELIVERED and FAILED are final: a row in them never changes again. */
export const OUTBOX_TRANSITIONS: Readonly<Record<OutboxState, readonly OutboxState[]>> = {
  PENDING: ['PENDING', 'DELIVERED', 'FAILED'],
  DELIVERED: [],
  FAILED: [],
};

export const OUTBOUND_METHODS: readonly OutboundMethod[] = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];

export interface OutboxTable {
  id: Generated<number>;
  recipient: string;
  endpoint_type: string;
  /** JSON object of strings: values for the endpoint template's {{placeholders}}. */
  template_values: string;
  /** Appended to the filled template; '' for none. */
  path_suffix: string;
  method: OutboundMethod;
  /** JSON object of strings, header names in lower case. */
  headers: string;
  body: string | null;
  subject: string;
  state: OutboxState;
  /** Attempts started: counted when a row is claimed, so a process that dies mid-send still uses one up. */
  attempts: number;
  next_attempt_at_ms: number;
  /** Why the last attempt failed, short and free of secrets and personal data. */
  last_error: string | null;
  /** The HTTP status of the last answer, when there was one. */
  last_status: number | null;
  last_attempt_at_ms: number | null;
  created_at_ms: number;
  delivered_at_ms: number | null;
  /** The worker holding the row; with `attempts`, names one claim. */
  claimed_by: string | null;
  claimed_until_ms: number | null;
  /** Past this, the row is not sent: it lapses (see OutboundMessage.notAfterMs). */
  not_after_ms: number | null;
}

// A type alias, not an interface: Kysely's $extendTables() needs a type with an index signature.
export type OutboxSchema = Record<'outbox', OutboxTable>;

export type OutboxRow = Selectable<OutboxTable>;

/** The same connection or transaction, seeing the outbox table too. */
export function outboxOf(db: Db) {
  return db.$extendTables<OutboxSchema>();
}

export type OutboxDb = ReturnType<typeof outboxOf>;

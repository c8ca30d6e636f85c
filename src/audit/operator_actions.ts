// Operator actions (admin_event.ts: every admin call, allowed or
// refused, every sign-in step, every change request made, approved, rejected
// or executed) as audit log entries of kind 'operator-action'. Never in the
// background and never dropped: a state change's entry is appended in the
// transaction that makes it (appendInTransaction), and any other action's is
// durable before the action is answered (append); when either fails, the
// action fails with it.
//
// The event's before/after views are made for the purpose by the admin API
// (never raw rows or bodies); here they are only bounded and made into audit
// values: text, numbers, booleans, lists and objects, to a fixed depth.
import { isIP } from 'node:net';
import type { AdminAuditEvent, AdminAuditSink } from './admin_event.ts';
import type { AuditLog } from './audit_log.ts';
import { type AuditEntry, auditText, type AuditText, type AuditValue, ENTRY_IDENTIFIER_LENGTH_MAX } from '../translog/index.ts';
import { SECURITY_EVENT_TEXT_LENGTH_MAX } from './limits.ts';
import { AuditAppendError } from './sequencer.ts';
import type { AuditDb } from './store.ts';

/** How deep a before/after view is kept; deeper parts are replaced by a marker. */
const VIEW_DEPTH_MAX = 6;
/** Members or items of one object or list kept; the rest are counted, not kept. */
const VIEW_WIDTH_MAX = 64;
const IDENTIFIER = /^[\x21-\x7e]+$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function text(value: string): AuditText {
  return auditText(value.length > SECURITY_EVENT_TEXT_LENGTH_MAX ? `${value.slice(0, SECURITY_EVENT_TEXT_LENGTH_MAX)}…` : value);
}

function identifier(value: string | undefined, otherwise: string): string {
  return value !== undefined && value.length <= ENTRY_IDENTIFIER_LENGTH_MAX && IDENTIFIER.test(value) ? value : otherwise;
}

/** A view as an audit value: JSON-like data only, bounded in depth and width. */
export function auditValueOf(value: unknown, depth = 0): AuditValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return text(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : text(String(value));
  if (typeof value === 'bigint') return text(value.toString());
  if (depth >= VIEW_DEPTH_MAX) return text('[deeper parts not kept]');
  if (Array.isArray(value)) {
    const items = value.slice(0, VIEW_WIDTH_MAX).map((item) => auditValueOf(item, depth + 1));
    return value.length > VIEW_WIDTH_MAX ? [...items, text(`[${value.length - VIEW_WIDTH_MAX} more]`)] : items;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([key]) => !FORBIDDEN_KEYS.has(key));
    const kept: Record<string, AuditValue> = {};
    for (const [key, item] of entries.slice(0, VIEW_WIDTH_MAX)) kept[text(key)] = auditValueOf(item, depth + 1);
    if (entries.length > VIEW_WIDTH_MAX) kept['…'] = text(`${entries.length - VIEW_WIDTH_MAX} more members`);
    return kept;
  }
  return text(`[${typeof value}]`);
}

/** The entry of one admin action: who (by account id), in which roles, did what to what, with which result. */
export function operatorActionEntry(event: AdminAuditEvent): AuditEntry {
  const target = event.target;
  const [targetType, targetId] = target?.changeRequestId !== undefined ? ['change-request', target.changeRequestId]
    : target?.participant !== undefined ? ['participant', target.participant]
      : target?.resource !== undefined ? ['resource', target.resource]
        : ['admin-api', target?.route ?? 'hub'];
  const outcome = event.result === 'refused' ? 'refused' : event.result === 'failed' ? 'failed' : 'succeeded';
  const after = event.result === 'pending-approval'
    ? { state: text('pending-approval'), ...(event.after === undefined ? {} : { view: auditValueOf(event.after) }) }
    : auditValueOf(event.after);
  return {
    kind: 'operator-action',
    actor: identifier(event.actor.id ?? event.actor.name, event.actor.kind === 'anonymous' ? 'anonymous' : `unnamed-${event.actor.kind}`),
    actorRole: identifier(event.actor.roles?.join(','), event.actor.kind),
    action: identifier(event.action, 'unnamed-action'),
    target: { type: targetType, id: text(targetId) },
    before: auditValueOf(event.before),
    after,
    result: { outcome, reason: event.detail === undefined ? (outcome === 'succeeded' ? null : text(event.result)) : text(event.detail) },
    sourceAddress: event.sourceAddress !== undefined && isIP(event.sourceAddress) !== 0 ? event.sourceAddress : null,
    timeMs: event.timeMs,
  };
}

/** The admin audit sink of the tamper-evident log: every operator action is in it, or the action fails. */
export function auditOperatorActions(auditLog: Pick<AuditLog, 'append' | 'appendInTransaction'>): AdminAuditSink {
  return {
    async record(event) {
      const appended = await auditLog.append(operatorActionEntry(event));
      if (!appended.ok) throw new AuditAppendError(`the audit log refused the entry (${appended.error.problem}: ${appended.error.reason})`);
    },
    async recordInTransaction(tx, event) {
      // Any schema's transaction on the hub's database: the audit tables are in every one of them.
      await auditLog.appendInTransaction(tx as unknown as AuditDb, operatorActionEntry(event));
    },
  };
}

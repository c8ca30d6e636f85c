// The scheduled close (settlement.windowCloseIntervalMs): the open window is
// closed once it has been open that long, by whichever hub process looks
// first, and the close is in the audit log like an operator's, with the
// system as its actor.
import type { AdminAuditSink } from '../audit/index.ts';
import type { Clock } from '../support/index.ts';
import { withCommitHook } from '../storage/index.ts';
import type { SettlementWindow } from './tables.ts';
import type { SettlementWindows } from './windows.ts';

export const SCHEDULED_CLOSE_ACTOR = 'settlement-schedule';
/** How often a hub process looks whether the open window is due: often enough to close within a minute of its time. */
export const SCHEDULE_CHECK_INTERVAL_MS = 30_000;

export async function closeDueWindow(deps: { windows: SettlementWindows; audit: AdminAuditSink; clock: Clock }, intervalMs: number): Promise<SettlementWindow | undefined> {
  const record = (tx: Parameters<AdminAuditSink['recordInTransaction']>[0], facts: readonly unknown[]) => deps.audit.recordInTransaction(tx, {
    timeMs: deps.clock.nowMs(),
    actor: { kind: 'system', id: SCHEDULED_CLOSE_ACTOR, name: 'scheduled settlement window close' },
    action: 'SETTLEMENT_WINDOW_CLOSE',
    target: { resource: 'settlementWindow' },
    result: 'succeeded',
    after: facts,
  });
  return withCommitHook(record, () => deps.windows.closeIfDue(intervalMs, SCHEDULED_CLOSE_ACTOR));
}

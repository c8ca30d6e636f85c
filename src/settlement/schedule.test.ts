// The scheduled close: nothing before the window's time; at its time one
// close, recorded in the audit log with the system as its actor and what
// closed; a second hub process looking at the same moment closes nothing more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdminAuditEvent, AdminAuditSink } from '../audit/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { closeDueWindow, createWindows } from './index.ts';

describeOnEachEngine('scheduled settlement window close', (ctx) => {
  test('closes the window once it is due, once, audited as the system', async () => {
    let nowMs = Date.now();
    const clock = { nowMs: () => nowMs };
    const events: AdminAuditEvent[] = [];
    const audit: AdminAuditSink = {
      record: (event) => { events.push(event); return Promise.resolve(); },
      recordInTransaction: (_tx, event) => { events.push(event); return Promise.resolve(); },
    };
    const { db, engine } = ctx.storage;
    const windows = createWindows({ db, engine, clock });
    const otherProcess = createWindows({ db, engine, clock });
    const first = await windows.open();
    const hourMs = 3_600_000;
    nowMs = first.created_at_ms + hourMs - 1;
    assert.equal(await closeDueWindow({ windows, audit, clock }, hourMs), undefined, 'not yet due');
    assert.equal(events.length, 0);
    nowMs = first.created_at_ms + hourMs;
    const [closed, again] = await Promise.all([
      closeDueWindow({ windows, audit, clock }, hourMs),
      closeDueWindow({ windows: otherProcess, audit, clock }, hourMs),
    ]);
    const closedIds = [closed?.id, again?.id].filter((id) => id !== undefined);
    assert.deepEqual(closedIds, [first.id], 'exactly one of the two processes closed it');
    assert.equal((await windows.get(first.id))?.window.state, 'CLOSED');
    assert.notEqual((await windows.open()).id, first.id);
    const [event, ...more] = events;
    assert.ok(event !== undefined && more.length === 0, 'one audit entry');
    assert.equal(event.actor.kind, 'system');
    assert.equal(event.action, 'SETTLEMENT_WINDOW_CLOSE');
    assert.deepEqual((event.after as { windowId: number }[])[0]?.windowId, first.id);
    assert.equal(await closeDueWindow({ windows, audit, clock }, hourMs), undefined, 'the next window is young');
  });
});

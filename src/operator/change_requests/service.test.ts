// Maker-checker rules on both engines, at the service: maker ≠ checker (in
// code and in the database), the approve privilege and its scope, N of M,
// duplicates, expiry, and exactly one claim among concurrent approvals.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeOnEachEngine } from '../../testing/engines.ts';
import { capturedAdminAudit } from '../audit_events.ts';
import type { Grant, Principal } from '../rbac/authorize.ts';
import { approvePrivilege, requestPrivilege, type ChangeFunction, type Privilege } from '../rbac/privileges.ts';
import { createRbacStore, type RbacStore } from '../rbac/store.ts';
import { EXECUTION_STALE_MS, PENDING_MS_MIN } from './limits.ts';
import { createChangeRequests, INTERRUPTED_REASON, type ChangeRequests, type StoredRequest } from './service.ts';
import { testTables } from '../../testing/tables.ts';

const grant = (privileges: Privilege[], participant: string | null = null): Grant => ({ role: 'test', participant, privileges: new Set(privileges) });
const principal = (id: string, grants: Grant[]): Principal => ({ kind: 'client', id, name: id, grants });
const maker = principal('maker', [grant([requestPrivilege('FUNDS_IN'), requestPrivilege('NDC_CHANGE')])]);
const checkers = Array.from({ length: 8 }, (_, i) => principal(`checker-${i}`, [grant([approvePrivilege('FUNDS_IN'), approvePrivilege('NDC_CHANGE')])]));
const checker = checkers[0]!;
let n = 0;
const fundsIn = (amount = '10'): StoredRequest => ({ method: 'POST', url: '/participants/payerfsp/accounts/3', body: { action: 'recordFundsIn', amount: { amount, currency: 'USD' }, n: ++n } });

describeOnEachEngine('change requests', (ctx) => {
  let nowMs = Date.parse('2026-03-01T00:00:00Z');
  const clock = { nowMs: () => nowMs };
  let rbac: RbacStore;
  let service: ChangeRequests;

  before(async () => {
    rbac = createRbacStore({ db: ctx.storage.db, engine: ctx.engine, clock });
    await rbac.seedDefaults('test');
    service = createChangeRequests({ db: ctx.storage.db, engine: ctx.engine, clock, rbac, audit: capturedAdminAudit() });
  });

  const submit = (fn: ChangeFunction = 'FUNDS_IN', who: Principal = maker, request = fundsIn(), participant: string | null = 'payerfsp') =>
    service.submit({ fn, request, summary: 'test', participant, maker: who, sourceAddress: '127.0.0.1' });

  test('a maker without the request privilege cannot make one', async () => {
    const refused = await submit('FUNDS_IN', checker);
    assert.equal(refused.ok, false);
    assert.equal(refused.error.httpStatus, 403);
  });

  test('one approval by someone else with the approve privilege claims it, exactly once', async () => {
    const made = await submit();
    assert.ok(made.ok);
    assert.equal(made.value.state, 'PENDING');
    const approved = await service.approve(checker, made.value.id);
    assert.ok(approved.ok && approved.value.claimed);
    assert.equal(approved.value.row.state, 'APPROVED');
    const again = await service.approve(checkers[1]!, made.value.id);
    assert.equal(again.ok, false);
    const done = await service.recordOutcome(made.value.id, { status: 202, bodyText: undefined });
    assert.equal(done.state, 'EXECUTED');
    assert.deepEqual(done.approvals.map((a) => a.approverId), ['checker-0']);
    await assert.rejects(service.recordOutcome(made.value.id, { status: 202, bodyText: undefined }), /not APPROVED/);
  });

  test('the maker cannot approve their own request, even holding the approve privilege', async () => {
    const both = principal('both', [grant([requestPrivilege('NDC_CHANGE'), approvePrivilege('NDC_CHANGE')])]);
    // Separation of duties would refuse this principal at request time: lift the exclusion to reach the maker rule itself.
    assert.ok((await rbac.removeExclusion(requestPrivilege('NDC_CHANGE'), approvePrivilege('NDC_CHANGE'))).ok);
    try {
      const made = await submit('NDC_CHANGE', both);
      assert.ok(made.ok);
      const own = await service.approve(both, made.value.id);
      assert.equal(own.ok, false);
      assert.match(own.error.detail, /maker of a change request cannot approve it/);
      // And the database refuses such an approval row whatever the code does.
      await assert.rejects(testTables(ctx.storage.db).insertInto('change_request_approvals').values({
        change_request_id: made.value.id, approver_id: 'both', approver_kind: 'client', approver_name: 'both', maker_id: 'both', approved_at_ms: nowMs,
      }).execute());
      // Nor can an approval claim another maker than the request's.
      await assert.rejects(testTables(ctx.storage.db).insertInto('change_request_approvals').values({
        change_request_id: made.value.id, approver_id: 'both', approver_kind: 'client', approver_name: 'both', maker_id: 'someone-else', approved_at_ms: nowMs,
      }).execute());
    } finally {
      assert.ok((await rbac.addExclusion(requestPrivilege('NDC_CHANGE'), approvePrivilege('NDC_CHANGE'), 'test')).ok);
    }
  });

  test('separation of duties: a principal holding both sides is refused at request time', async () => {
    const both = principal('both-again', [grant([requestPrivilege('FUNDS_IN'), approvePrivilege('FUNDS_IN')])]);
    const made = await submit('FUNDS_IN', both);
    assert.equal(made.ok, false);
    assert.match(made.error.detail, /separation of duties/);
  });

  test('a checker scoped to another participant cannot approve', async () => {
    const elsewhere = principal('scoped', [grant([approvePrivilege('FUNDS_IN')], 'payeefsp')]);
    const made = await submit();
    assert.ok(made.ok);
    const refused = await service.approve(elsewhere, made.value.id);
    assert.equal(refused.ok, false);
    const here = principal('scoped-here', [grant([approvePrivilege('FUNDS_IN')], 'payerfsp')]);
    assert.ok((await service.approve(here, made.value.id)).ok);
  });

  test('a duplicate of a pending request is refused; after a decision it may be made again', async () => {
    const request = fundsIn('77');
    const first = await submit('FUNDS_IN', maker, request);
    assert.ok(first.ok);
    const duplicate = await submit('FUNDS_IN', maker, request);
    assert.equal(duplicate.ok, false);
    assert.match(duplicate.error.detail, /already pending approval/);
    assert.ok((await service.reject(checker, first.value.id, 'no')).ok);
    assert.ok((await submit('FUNDS_IN', maker, request)).ok);
  });

  test('only its maker cancels a request; a rejected or cancelled request cannot be approved', async () => {
    const made = await submit();
    assert.ok(made.ok);
    assert.equal((await service.cancel(checker, made.value.id, 'not mine')).ok, false);
    assert.equal((await service.reject(maker, made.value.id, 'my own')).ok, false);
    const cancelled = await service.cancel(maker, made.value.id, 'changed my mind');
    assert.ok(cancelled.ok && cancelled.value.state === 'CANCELLED');
    assert.equal((await service.approve(checker, made.value.id)).ok, false);
  });

  test('N of M: with two approvals required, the first leaves it pending and the same checker cannot count twice', async () => {
    assert.ok((await service.setPolicy('NDC_CHANGE', { approvalsRequired: 2, pendingMsMax: PENDING_MS_MIN * 10 }, 'test')).ok);
    const made = await submit('NDC_CHANGE', maker, { method: 'PUT', url: '/participants/payerfsp/limits', body: { n: ++n } });
    assert.ok(made.ok);
    assert.equal(made.value.approvals_required, 2);
    const first = await service.approve(checker, made.value.id);
    assert.ok(first.ok && !first.value.claimed);
    assert.equal((await service.approve(checker, made.value.id)).ok, false);
    const second = await service.approve(checkers[1]!, made.value.id);
    assert.ok(second.ok && second.value.claimed);
  });

  test('a pending request expires: it cannot be approved after its time, and the sweep marks it', async () => {
    const late = await submit();
    const swept = await submit();
    assert.ok(late.ok && swept.ok);
    nowMs += 25 * 3_600_000;
    const refused = await service.approve(checker, late.value.id);
    assert.equal(refused.ok ? undefined : refused.error.code, '3300');
    assert.equal((await service.get(late.value.id))?.state, 'EXPIRED');
    assert.ok((await service.expireDue()) >= 1);
    assert.equal((await service.get(swept.value.id))?.state, 'EXPIRED');
  });

  test('an approval cut off before its outcome (the process stopped) becomes FAILED after a while, never runs twice, and may be made anew', async () => {
    const request = fundsIn('77');
    const made = await submit('FUNDS_IN', maker, request);
    assert.ok(made.ok);
    const approved = await service.approve(checker, made.value.id);
    assert.ok(approved.ok && approved.value.claimed);
    // Still within the longest execution: a live execution is left alone.
    // (Other tests' requests approved without an outcome are swept here too; only this one is looked at.)
    const ours = (rows: { id: string; state: string; reason: string | null }[]) => rows.filter((row) => row.id === made.value.id).map((row) => [row.state, row.reason]);
    nowMs += EXECUTION_STALE_MS - 1;
    assert.deepEqual(ours(await service.failInterrupted()), []);
    nowMs += 1;
    assert.deepEqual(ours(await service.failInterrupted()), [['FAILED', INTERRUPTED_REASON]]);
    assert.deepEqual(ours(await service.failInterrupted()), [], 'once');
    assert.equal((await service.get(made.value.id))?.state, 'FAILED');
    // The execution, were it still running somewhere, can no longer record an outcome: it ran at most once.
    await assert.rejects(service.recordOutcome(made.value.id, { status: 202, bodyText: undefined }), /not APPROVED/);
    const again = await submit('FUNDS_IN', maker, request);
    assert.ok(again.ok, 'the same request may be made again once an operator has checked');
  });

  test('concurrent approvals: exactly one claims the request, whatever the number of checkers', async () => {
    for (const required of [1, 2, 3]) {
      assert.ok((await service.setPolicy('FUNDS_IN', { approvalsRequired: required, pendingMsMax: PENDING_MS_MIN * 10 }, 'test')).ok);
      for (let round = 0; round < 5; round++) {
        const made = await submit();
        assert.ok(made.ok);
        const results = await Promise.all(checkers.map((c) => service.approve(c, made.value.id)));
        const claims = results.filter((r) => r.ok && r.value.claimed);
        assert.equal(claims.length, 1, `${required} required, round ${round}: ${claims.length} claims`);
        const row = await service.get(made.value.id);
        assert.equal(row?.state, 'APPROVED');
        assert.ok(row.approvals.length >= required);
      }
    }
    // The same checker approving many times at once counts once.
    assert.ok((await service.setPolicy('FUNDS_IN', { approvalsRequired: 2, pendingMsMax: PENDING_MS_MIN * 10 }, 'test')).ok);
    const made = await submit();
    assert.ok(made.ok);
    const results = await Promise.all(Array.from({ length: 6 }, () => service.approve(checker, made.value.id)));
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.equal((await service.get(made.value.id))?.approvals.length, 1);
  });

  test('the database refuses an illegal transition, and a change to what was asked', async () => {
    const made = await submit('FUNDS_IN', maker, fundsIn(), 'payerfsp');
    assert.ok(made.ok);
    await assert.rejects(testTables(ctx.storage.db).updateTable('change_requests').set({ state: 'EXECUTED' }).where('id', '=', made.value.id).execute());
    await assert.rejects(testTables(ctx.storage.db).updateTable('change_requests').set({ payload: '{}' }).where('id', '=', made.value.id).execute());
    await assert.rejects(testTables(ctx.storage.db).deleteFrom('change_requests').where('id', '=', made.value.id).execute());
  });
});

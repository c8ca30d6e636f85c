// The FRMS's cases through the admin API, on both engines: analysts read and
// work cases with RISK_CASE_READ / RISK_CASE_WORK; releasing a hold is a
// change request (RISK_HOLD_RELEASE) that its maker cannot approve, refused at
// once when the case is not an open hold or its transfer can no longer be
// released, and checked again when the approval runs it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createHoldScheme } from '../testing/risk_fixture.ts';
import { capturedAdminAudit } from './audit_events.ts';

interface CaseView { id: number; kind: string; state: string; assignee: string | null; outcome: string | null; subjectId: string }
interface CaseDetailView extends CaseView {
  decision: { verdict: string; ruleSet: { name: string }; trace: { rules: { ruleId: string }[] } } | null;
  hold: { state: string; transferState: string } | null;
  events: { kind: string; actor: string; text: string | null }[];
}

describeOnEachEngine('FRMS cases through the admin API', (ctx) => {
  // Real time (the IAM's tokens are checked against it), moved on by the tests that need an expiry.
  let offsetMs = 0;
  const clock = { nowMs: () => Date.now() + offsetMs };
  const audit = capturedAdminAudit();
  let api: TestAdminApi;
  let scheme: Awaited<ReturnType<typeof createHoldScheme>>;
  let analyst: Caller;
  let checker: Caller;
  let auditor: Caller;

  before(async () => {
    api = await createTestAdminApi(ctx.storage, { audit, clock });
    scheme = await createHoldScheme(ctx.storage, clock);
    analyst = await clientCaller(api, 'analyst', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
  });
  after(async () => {
    await api.close();
  });

  async function heldCase(options: { expiresInMs?: number } = {}) {
    const held = await scheme.prepare('150', options);
    assert.deepEqual(held.outcome, { kind: 'held' });
    const found = await scheme.caseOf(held.body.transferId);
    assert.ok(found !== undefined);
    return { ...held, caseId: found.id };
  }
  const forwards = async (transferId: string) => (await scheme.callbacks(transferId)).filter((c) => c.to === scheme.payee.name && c.subject === 'prepare').length;

  test('an analyst reads and works a case; an auditor reads but cannot work it', async () => {
    const held = await heldCase();
    const listed = (await auditor.call('GET', '/risk/cases?state=OPEN&kind=HOLD')).body as CaseView[];
    assert.ok(listed.some((c) => c.id === held.caseId));
    const detail = (await auditor.call('GET', `/risk/cases/${held.caseId}`)).body as CaseDetailView;
    assert.equal(detail.decision?.verdict, 'HOLD');
    assert.ok(detail.decision.trace.rules.some((r) => r.ruleId === 'amount'));
    assert.deepEqual([detail.hold?.state, detail.hold?.transferState], ['HELD', 'RESERVED']);
    assert.equal((await auditor.call('POST', `/risk/cases/${held.caseId}/assignment`, { assignee: 'auditor' })).status, 403);
    assert.equal((await auditor.call('POST', `/risk/cases/${held.caseId}/confirmation`, { reason: 'no' })).status, 403);
    assert.equal((await auditor.call('POST', `/risk/cases/${held.caseId}/release`, { reason: 'no' })).status, 403);
    const assigned = await analyst.call('POST', `/risk/cases/${held.caseId}/assignment`, { assignee: 'analyst-1' });
    assert.equal(assigned.status, 200, assigned.raw);
    assert.equal((assigned.body as CaseView).assignee, 'analyst-1');
    assert.equal((await analyst.call('POST', `/risk/cases/${held.caseId}/notes`, { text: 'called the payer' })).status, 200);
    assert.equal((await analyst.call('POST', `/risk/cases/${held.caseId}/notes`, { text: 'x'.repeat(2001) })).status, 400, 'a note is bounded');
    assert.equal((await analyst.call('POST', `/risk/cases/${held.caseId}/notes`, { text: 'ok', extra: 1 })).status, 400);
    assert.equal((await auditor.call('GET', '/risk/cases?limit=1000')).status, 400, 'a page is bounded');
    assert.equal((await auditor.call('GET', '/risk/cases/999999')).status, 400);
    const mine = (await auditor.call('GET', '/risk/cases?assignee=analyst-1')).body as CaseView[];
    assert.deepEqual(mine.map((c) => c.id), [held.caseId]);
    // Each action committed with its audit entry, naming the guarded call.
    const entries = audit.events.filter((e) => e.action === 'RISK_CASE_WORK' && e.result === 'succeeded').map((e) => e.detail);
    assert.ok(entries.includes('riskCases.assign') && entries.includes('riskCases.note'), JSON.stringify(entries));
  });

  test('an analyst cannot release a hold alone: the release is a change request its maker cannot approve; a second person\'s approval forwards the prepare', async () => {
    const held = await heldCase();
    const made = await analyst.call('POST', `/risk/cases/${held.caseId}/release`, { reason: 'the payer confirmed' });
    assert.equal(made.status, 202, made.raw);
    const requestId = (made.body as { id: string }).id;
    assert.equal(await forwards(held.body.transferId), 0, 'a request alone forwards nothing');
    assert.equal((await analyst.call('POST', `/changeRequests/${requestId}/approve`)).status, 403, 'the maker cannot approve their own release');
    assert.equal(await forwards(held.body.transferId), 0);
    const approved = await checker.call('POST', `/changeRequests/${requestId}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    assert.equal((approved.body as { result: { status: number } }).result.status, 200);
    assert.equal(await forwards(held.body.transferId), 1, 'forwarded once approved');
    const detail = (await auditor.call('GET', `/risk/cases/${held.caseId}`)).body as CaseDetailView;
    assert.equal(detail.state, 'RELEASED');
    assert.equal(detail.hold?.state, 'RELEASED');
    assert.ok(audit.events.some((e) => e.action === 'RISK_HOLD_RELEASE_EXECUTE' && e.result === 'succeeded' && e.detail === 'riskCases.release'));
    const twice = await analyst.call('POST', `/risk/cases/${held.caseId}/release`, { reason: 'again' });
    assert.equal(twice.status, 400, 'already released: refused at request time');
    assert.match(twice.raw, /RELEASED/);
  });

  test('a release is refused at once for an ALERT, after a confirmation, and after the expiry; one approved too late forwards nothing', async () => {
    const alert = await scheme.prepare('60');
    const alertCase = await scheme.caseOf(alert.body.transferId);
    assert.equal(alertCase?.kind, 'ALERT');
    const refusedAlert = await analyst.call('POST', `/risk/cases/${alertCase.id}/release`, { reason: 'x' });
    assert.equal(refusedAlert.status, 400);
    assert.match(refusedAlert.raw, /ALERT, not a held transfer/);

    const confirmed = await heldCase();
    const confirmation = await analyst.call('POST', `/risk/cases/${confirmed.caseId}/confirmation`, { reason: 'account takeover' });
    assert.equal(confirmation.status, 200, confirmation.raw);
    assert.equal((confirmation.body as CaseView).state, 'CONFIRMED');
    const afterConfirm = await analyst.call('POST', `/risk/cases/${confirmed.caseId}/release`, { reason: 'x' });
    assert.equal(afterConfirm.status, 400);
    assert.match(afterConfirm.raw, /CONFIRMED/);
    assert.equal(await forwards(confirmed.body.transferId), 0);

    const expiring = await heldCase({ expiresInMs: 60_000 });
    const requested = await analyst.call('POST', `/risk/cases/${expiring.caseId}/release`, { reason: 'in time?' });
    assert.equal(requested.status, 202);
    offsetMs += 60_000;
    const late = await makeAndApprove(analyst, checker, 'POST', `/risk/cases/${expiring.caseId}/release`, { reason: 'too late' });
    assert.equal(late.status, 400, 'requested after the expiration: refused at once');
    const approvedLate = await checker.call('POST', `/changeRequests/${(requested.body as { id: string }).id}/approve`);
    assert.equal(approvedLate.status, 200, approvedLate.raw);
    assert.equal((approvedLate.body as { result: { status: number } }).result.status, 400, 'the execution refuses: the expiration has passed');
    assert.equal(await forwards(expiring.body.transferId), 0, 'nothing forwarded');
    assert.equal(await scheme.service.expireDue(100), 1);
    assert.deepEqual((await scheme.callbacks(expiring.body.transferId)).map((c) => [c.to, c.subject]), [[scheme.payer.name, 'error 3303 from hub']]);
  });

  test('closing a case records its outcome; a closed case takes no release', async () => {
    const held = await heldCase();
    const closed = await analyst.call('POST', `/risk/cases/${held.caseId}/closure`, { outcome: 'FALSE_POSITIVE' });
    assert.equal(closed.status, 200, closed.raw);
    assert.deepEqual([(closed.body as CaseView).state, (closed.body as CaseView).outcome], ['CLOSED', 'FALSE_POSITIVE']);
    assert.equal((await analyst.call('POST', `/risk/cases/${held.caseId}/closure`, { outcome: 'MAYBE' })).status, 400);
    assert.equal((await analyst.call('POST', `/risk/cases/${held.caseId}/release`, { reason: 'x' })).status, 400);
    const falsePositives = (await auditor.call('GET', '/risk/cases?outcome=FALSE_POSITIVE&kind=HOLD')).body as CaseView[];
    assert.ok(falsePositives.some((c) => c.id === held.caseId), 'false positives on holds are there for tuning');
  });
});

// Maker-checker through the admin API, on both engines: a funds-in answers
// 202 with a change request and moves nothing; its maker cannot approve it;
// a second person's approval runs the central-ledger endpoint once, and
// concurrent approvals still run it once. IAM changes go the same way, and
// the one-time credential of a new operator reaches only its approver.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { describeOnEachEngine } from '../../testing/engines.ts';
import { capturedAdminAudit } from '../audit_events.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../../testing/admin_api.ts';
import { testTables } from '../../testing/tables.ts';

describeOnEachEngine('maker-checker through the admin API', (ctx) => {
  let api: TestAdminApi;
  const audit = capturedAdminAudit();
  let maker: Caller;
  let checker: Caller;
  let checker2: Caller;
  let securityAdmin: Caller;
  let securityApprover: Caller;
  let accountId: number;

  before(async () => {
    api = await createTestAdminApi(ctx.storage, { audit });
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    checker2 = await clientCaller(api, 'checker2', [{ role: 'operations-checker' }]);
    securityAdmin = await clientCaller(api, 'secadmin', [{ role: 'security-admin' }]);
    securityApprover = await clientCaller(api, 'secapprover', [{ role: 'security-approver' }]);
    for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
      assert.equal((await maker.call('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
    }
    assert.equal((await makeAndApprove(maker, checker, 'POST', '/participants', { name: 'payerfsp', currency: 'USD' })).status, 201);
    const accounts = (await maker.call('GET', '/participants/payerfsp/accounts')).body as { id: number; ledgerAccountType: string }[];
    accountId = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
  });
  after(async () => {
    await api.close();
  });

  const settlementValue = async () => ((await maker.call('GET', '/participants/payerfsp/accounts')).body as { ledgerAccountType: string; value: number }[])
    .find((a) => a.ledgerAccountType === 'SETTLEMENT')?.value;
  const fundsIn = (amount: string) => ({ transferId: randomUUID(), externalReference: 'mc', action: 'recordFundsIn', reason: 'maker-checker test', amount: { amount, currency: 'USD' } });

  test('funds in: 202 with a change request, nothing moves until a second person approves, then it moves once', async () => {
    const before = await settlementValue();
    const made = await maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('250'));
    assert.equal(made.status, 202);
    const cr = made.body as { id: string; state: string; function: string; summary: string };
    assert.equal(cr.state, 'PENDING');
    assert.equal(cr.function, 'FUNDS_IN');
    assert.match(cr.summary, /recordFundsIn 250 USD into payerfsp/);
    assert.equal(made.headers['location'], `/changeRequests/${cr.id}`);
    assert.equal(await settlementValue(), before);
    const approved = await checker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    assert.equal((approved.body as { state: string }).state, 'EXECUTED');
    assert.deepEqual((approved.body as { result: unknown }).result, { status: 202, body: null });
    assert.equal(await settlementValue(), (before ?? 0) - 250);
    // The record of who did what.
    const read = (await maker.call('GET', `/changeRequests/${cr.id}`)).body as { maker: { name: string }; approvals: { approverName: string }[] };
    assert.equal(read.maker.name, maker.clientId);
    assert.deepEqual(read.approvals.map((a) => a.approverName), [checker.clientId]);
    const journal = await testTables(ctx.storage.db).selectFrom('journal_entries').select('created_by').where('kind', '=', 'FUNDS_IN').orderBy('id', 'desc').executeTakeFirst();
    assert.equal(journal?.created_by, maker.clientId);
  });

  test('the maker cannot approve their own request', async () => {
    const made = await maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('1'));
    assert.equal(made.status, 202);
    const own = await maker.call('POST', `/changeRequests/${(made.body as { id: string }).id}/approve`);
    assert.equal(own.status, 403);
    assert.ok((await checker.call('POST', `/changeRequests/${(made.body as { id: string }).id}/reject`, { reason: 'test' })).status === 200);
  });

  test('concurrent approvals by two checkers run the command once', async () => {
    for (let round = 0; round < 4; round++) {
      const before = await settlementValue();
      const made = await maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('10'));
      const id = (made.body as { id: string }).id;
      const answers = await Promise.all([checker, checker2, checker, checker2].map((c) => c.call('POST', `/changeRequests/${id}/approve`)));
      const executed = answers.filter((a) => a.status === 200 && (a.body as { state?: string }).state === 'EXECUTED');
      assert.equal(executed.length, 1, answers.map((a) => `${a.status} ${a.raw.slice(0, 120)}`).join('\n'));
      assert.equal(await settlementValue(), (before ?? 0) - 10);
      assert.equal(audit.events.filter((e) => e.action === 'FUNDS_IN_EXECUTE' && e.target?.changeRequestId === id).length, 1);
    }
  });

  test('a refused command is recorded as FAILED with the endpoint\'s own answer', async () => {
    const request = fundsIn('5');
    assert.equal((await makeAndApprove(maker, checker, 'POST', `/participants/payerfsp/accounts/${accountId}`, request)).status, 202);
    const changed = await makeAndApprove(maker, checker, 'POST', `/participants/payerfsp/accounts/${accountId}`, { ...request, amount: { amount: '6', currency: 'USD' } });
    assert.equal(changed.status, 400);
    assert.equal((changed.body as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3106');
    const failed = (await maker.call('GET', '/changeRequests?state=FAILED')).body as { result: { status: number } }[];
    assert.ok(failed.some((cr) => cr.result.status === 400));
  });

  test('a change request about a participant that does not exist is refused at once', async () => {
    const made = await maker.call('PUT', '/participants/ghost', { isActive: false });
    assert.equal(made.status, 404);
  });

  test('a new operator\'s one-time credential goes to its approver once and is not kept', async () => {
    const made = await securityAdmin.call('POST', '/operators', { username: 'olivia', displayName: 'Olivia Ops' });
    assert.equal(made.status, 202);
    const id = (made.body as { id: string }).id;
    assert.equal((await checker.call('POST', `/changeRequests/${id}/approve`)).status, 403, 'an operations checker cannot approve IAM changes');
    const approved = await securityApprover.call('POST', `/changeRequests/${id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    const result = (approved.body as { result: { status: number; body: { oneTimePassword: string; operator: { username: string; mustChangePassword: boolean } } } }).result;
    assert.equal(result.status, 201);
    assert.equal(result.body.operator.username, 'olivia');
    assert.equal(result.body.operator.mustChangePassword, true);
    assert.ok(result.body.oneTimePassword.length >= 12);
    const kept = await securityAdmin.call('GET', `/changeRequests/${id}`);
    assert.ok(!kept.raw.includes(result.body.oneTimePassword));
    assert.ok(!JSON.stringify(audit.events).includes(result.body.oneTimePassword));
  });

  test('granting roles through change requests, with separation of duties enforced at grant time', async () => {
    const granted = await makeAndApprove(securityAdmin, securityApprover, 'POST', '/grants', { principal: 'olivia', role: 'operations-maker' });
    assert.equal(granted.status, 201, granted.raw);
    const both = await makeAndApprove(securityAdmin, securityApprover, 'POST', '/grants', { principal: 'olivia', role: 'operations-checker' });
    assert.equal(both.status, 400);
    assert.match(JSON.stringify(both.body), /separation of duties/);
    const scoped = await makeAndApprove(securityAdmin, securityApprover, 'POST', '/grants', { principal: 'olivia', role: 'auditor', participant: 'payerfsp' });
    assert.equal(scoped.status, 201, scoped.raw);
    const grants = (await securityAdmin.call('GET', '/grants?principal=olivia')).body as { role: string; participant: string | null }[];
    assert.deepEqual(grants.map((g) => `${g.role}@${g.participant ?? '*'}`), ['auditor@payerfsp', 'operations-maker@*']);
  });

  test('separation of duties at request time: an exclusion added after the grants takes effect at once', async () => {
    // A role that mixes a read-only privilege with the checker's: allowed today…
    const role = await makeAndApprove(securityAdmin, securityApprover, 'PUT', '/roles/limits-reviewer', { description: 'reads limits, approves NDC changes', privileges: ['LIMIT_READ', 'NDC_CHANGE_APPROVE', 'CHANGE_REQUEST_DECIDE'] });
    assert.equal(role.status, 200, role.raw);
    const reviewer = await clientCaller(api, 'reviewer', [{ role: 'limits-reviewer' }, { role: 'auditor' }]);
    assert.equal((await reviewer.call('GET', '/participants/payerfsp/limits')).status, 200);
    // …until LIMIT_READ and NDC_CHANGE_APPROVE are excluded together.
    const excluded = await makeAndApprove(securityAdmin, securityApprover, 'POST', '/sodExclusions', { privileges: ['LIMIT_READ', 'NDC_CHANGE_APPROVE'] });
    assert.equal(excluded.status, 201, excluded.raw);
    const refused = await reviewer.call('GET', '/participants/payerfsp/limits');
    assert.equal(refused.status, 403);
    assert.match(refused.raw, /separation of duties/);
    assert.equal((await makeAndApprove(securityAdmin, securityApprover, 'POST', '/sodExclusions/remove', { privileges: ['LIMIT_READ', 'NDC_CHANGE_APPROVE'] })).status, 200);
  });

  test('N of M through the API: two approvals for NDC changes', async () => {
    assert.equal((await makeAndApprove(securityAdmin, securityApprover, 'PUT', '/approvalPolicies/NDC_CHANGE', { approvalsRequired: 2, pendingMsMax: 3_600_000 })).status, 200);
    assert.equal((await makeAndApprove(maker, checker, 'POST', '/participants/payerfsp/initialPositionAndLimits', { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 1000 } })).status, 201);
    const made = await maker.call('PUT', '/participants/payerfsp/limits', { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 2000 } });
    const id = (made.body as { id: string }).id;
    const first = await checker.call('POST', `/changeRequests/${id}/approve`);
    assert.equal((first.body as { state: string }).state, 'PENDING');
    const second = await checker2.call('POST', `/changeRequests/${id}/approve`);
    assert.equal((second.body as { state: string }).state, 'EXECUTED');
    assert.deepEqual((second.body as { result: unknown }).result, { status: 200, body: { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 2000, alarmPercentage: 10 } } });
  });

  test('the whole life of a change request is audited', () => {
    const kinds = new Set(audit.events.map((e) => `${e.action}:${e.result}`));
    for (const expected of ['FUNDS_IN_REQUEST:pending-approval', 'CHANGE_REQUEST_APPROVE:succeeded', 'CHANGE_REQUEST_APPROVE:refused', 'FUNDS_IN_EXECUTE:succeeded', 'CHANGE_REQUEST_REJECT:succeeded', 'ACCOUNT_READ:succeeded']) {
      assert.ok(kinds.has(expected), `${expected} in ${[...kinds].join(', ')}`);
    }
  });

  test('the bootstrap administrator acts alone only until someone else can approve', async () => {
    const iam = api.iam;
    const admin = await iam.operators.findByUsername('admin');
    assert.ok(admin !== undefined);
    assert.equal(admin.is_bootstrap, 1);
    // securityApprover holds ROLE_GRANT_APPROVE already in this suite: the window is closed.
    const { bootstrapMayActAlone } = await import('../iam/bootstrap.ts');
    const principal = { kind: 'operator' as const, id: admin.id, name: 'admin', grants: await iam.rbac.grantsOf(admin.id) };
    const deps = { db: ctx.storage.db, clock: { nowMs: () => Date.now() }, operators: iam.operators, rbac: iam.rbac, windowMs: 3_600_000 };
    assert.equal(await bootstrapMayActAlone(deps, principal, 'ROLE_GRANT', { method: 'POST', url: '/grants', body: { principal: 'someone', role: 'security-admin' } }), false);
    assert.equal(await bootstrapMayActAlone(deps, principal, 'FUNDS_IN', { method: 'POST', url: '/participants/payerfsp/accounts/1', body: {} }), false);
  });
});

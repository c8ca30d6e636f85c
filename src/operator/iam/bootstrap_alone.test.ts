// Issue 13, finding 1: what the bootstrap administrator can do alone. Each
// path the penetration test used, replayed from a fresh hub: a self-grant of
// operations-checker, and an automation client the administrator creates and
// gives operations-checker to approve a maker's funds-in. Both must move no
// money. Alone, the administrator creates the first operators and gives them
// the IAM roles, nothing else, and only until the window closes.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JWK } from 'jose';
import type { Storage } from '../../storage/index.ts';
import { freshStorage } from '../../testing/engines.ts';
import { callerWithKey, clientCaller } from '../../testing/admin_api.ts';
import { freshHub, fundsInBody, ledgerSnapshot, type FreshHub } from '../../testing/bootstrap_admin.ts';
import { testTables } from '../../testing/tables.ts';

const stateOf = (body: unknown) => (body as { state?: string } | undefined)?.state;
const detailOf = (body: unknown) => (body as { errorInformation?: { errorDescription?: string } } | undefined)?.errorInformation?.errorDescription ?? '';

describe('the bootstrap administrator alone', () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let hub: FreshHub;
  let ledgerBefore: string;
  let pendingFundsIn: string;

  before(async () => {
    ({ storage, dispose } = await freshStorage('sqlite'));
    hub = await freshHub(storage);
    const made = await hub.maker.call('POST', `/participants/${hub.participant}/accounts/${hub.accountId}`, fundsInBody('500'));
    assert.equal(made.status, 202);
    pendingFundsIn = (made.body as { id: string }).id;
    ledgerBefore = await ledgerSnapshot(storage);
  });
  after(async () => {
    await hub.api.close();
    await dispose();
  });

  test('cannot grant itself operations-checker, and so cannot approve a maker\'s funds-in', async () => {
    const granted = await hub.admin.call('POST', '/grants', { principal: 'admin', role: 'operations-checker' });
    assert.equal(granted.status, 403, granted.raw);
    assert.match(detailOf(granted.body), /own role grant|itself/);
    // Usernames are case-insensitive: "ADMIN" is admin too.
    const shouted = await hub.admin.call('POST', '/grants', { principal: 'ADMIN', role: 'operations-checker' });
    assert.equal(shouted.status, 403, shouted.raw);
    const admin = await hub.api.iam.operators.findByUsername('admin');
    assert.deepEqual((await hub.api.iam.rbac.listGrants(admin?.id)).map((g) => g.role), ['bootstrap-admin']);
    const approved = await hub.admin.call('POST', `/changeRequests/${pendingFundsIn}/approve`);
    assert.equal(approved.status, 403, approved.raw);
    assert.equal(await ledgerSnapshot(storage), ledgerBefore);
  });

  test('cannot create an automation client alone, nor give a client a role alone: the funds-in stays unapproved', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' }) as JWK;
    const kid = randomBytes(6).toString('hex');
    const clientId = `pentest-${randomBytes(3).toString('hex')}`;
    const created = await hub.admin.call('POST', '/clients', { clientId, displayName: 'pentest', jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid }] } });
    assert.notEqual(stateOf(created.body), 'EXECUTED', created.raw);
    const granted = await hub.admin.call('POST', '/grants', { principal: clientId, role: 'operations-checker' });
    assert.notEqual(stateOf(granted.body), 'EXECUTED', granted.raw);
    // Whatever the answers, the client the administrator holds the key of must not be able to approve.
    if (await hub.api.iam.clients.find(clientId) !== undefined) {
      const approved = await callerWithKey(hub.api, clientId, privateKey, kid).call('POST', `/changeRequests/${pendingFundsIn}/approve`);
      assert.equal(approved.status, 403, approved.raw);
    }
    assert.equal(await hub.api.iam.clients.find(clientId), undefined);
    assert.equal(stateOf((await hub.maker.call('GET', `/changeRequests/${pendingFundsIn}`)).body), 'PENDING');
    assert.equal(await ledgerSnapshot(storage), ledgerBefore);
  });

  test('can never hold a privilege that approves a funds movement, even through grants others approved', async () => {
    const { rbac, operators } = hub.api.iam;
    const admin = await operators.findByUsername('admin');
    assert.ok(admin !== undefined);
    const granted = await rbac.grant({ principalId: admin.id, principalKind: 'operator', role: 'operations-checker', participant: null }, 'two other people');
    assert.equal(granted.ok, false);
    const widened = await rbac.defineRole({ name: 'bootstrap-admin', description: 'widened', privileges: ['OPERATOR_READ', 'CHANGE_REQUEST_DECIDE', 'FUNDS_IN_APPROVE'] }, 'two other people');
    assert.equal(widened.ok, false);
    const custom = await rbac.defineRole({ name: 'funds-approver', description: 'approves funds', privileges: ['CHANGE_REQUEST_DECIDE', 'FUNDS_IN_APPROVE'] }, 'two other people');
    assert.ok(custom.ok);
    assert.equal((await rbac.grant({ principalId: admin.id, principalKind: 'operator', role: 'funds-approver', participant: null }, 'two other people')).ok, false);
  });

  test('creates the first operators and gives them the IAM roles, never an operations role; a security approver closes the window', async () => {
    const sam = await hub.admin.call('POST', '/operators', { username: 'sam', displayName: 'Sam Security' });
    assert.equal(stateOf(sam.body), 'EXECUTED', sam.raw);
    const operations = await hub.admin.call('POST', '/grants', { principal: 'sam', role: 'operations-checker' });
    assert.notEqual(stateOf(operations.body), 'EXECUTED', operations.raw);
    const securityAdmin = await hub.admin.call('POST', '/grants', { principal: 'sam', role: 'security-admin' });
    assert.equal(stateOf(securityAdmin.body), 'EXECUTED', securityAdmin.raw);
    const sue = await hub.admin.call('POST', '/operators', { username: 'sue', displayName: 'Sue Security' });
    assert.equal(stateOf(sue.body), 'EXECUTED', sue.raw);
    const approver = await hub.admin.call('POST', '/grants', { principal: 'sue', role: 'security-approver' });
    assert.equal(stateOf(approver.body), 'EXECUTED', approver.raw);
    const next = await hub.admin.call('POST', '/operators', { username: 'tom', displayName: 'Tom' });
    assert.equal(next.status, 202);
    assert.equal(stateOf(next.body), 'PENDING');
    assert.ok(await testTables(storage.db).selectFrom('iam_state').select('name').where('name', '=', 'bootstrap-closed').executeTakeFirst());
    assert.equal(await ledgerSnapshot(storage), ledgerBefore);
  });

  test('nobody approves a change request about themselves: a security approver cannot approve a grant to itself', async () => {
    const requester = await clientCaller(hub.api, 'secadmin', [{ role: 'security-admin' }]);
    const approver = await clientCaller(hub.api, 'secapprover', [{ role: 'security-approver' }]);
    const made = await requester.call('POST', '/grants', { principal: approver.clientId, role: 'operations-checker' });
    assert.equal(made.status, 202, made.raw);
    const approved = await approver.call('POST', `/changeRequests/${(made.body as { id: string }).id}/approve`);
    assert.equal(approved.status, 403, approved.raw);
    assert.match(detailOf(approved.body), /about .*themselves|itself/);
    assert.deepEqual((await hub.api.iam.rbac.listGrants(approver.clientId)).map((g) => g.role), ['security-approver']);
    // Nor a change to a role it holds: widening security-approver is a change to its own access.
    const roles = (await requester.call('GET', '/roles')).body as { name: string; description: string; privileges: string[] }[];
    const current = roles.find((r) => r.name === 'security-approver');
    assert.ok(current !== undefined);
    const widen = await requester.call('PUT', '/roles/security-approver', { description: current.description, privileges: [...current.privileges, 'FUNDS_IN_APPROVE'] });
    assert.equal(widen.status, 202, widen.raw);
    const own = await approver.call('POST', `/changeRequests/${(widen.body as { id: string }).id}/approve`);
    assert.equal(own.status, 403, own.raw);
    assert.match(detailOf(own.body), /role they hold/);
  });
});

describe('the bootstrap window', () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let hub: FreshHub;

  before(async () => {
    ({ storage, dispose } = await freshStorage('sqlite'));
    hub = await freshHub(storage);
  });
  after(async () => {
    await hub.api.close();
    await dispose();
  });

  test('closes admin.bootstrapWindowMs (24 h by default) after the first start, whoever holds what', async () => {
    // The hub's first start, 25 hours ago (an upgraded hub looks like this too).
    const dayAndHourMs = 25 * 3_600_000;
    await testTables(storage.db).updateTable('iam_state').set((eb) => ({ changed_at_ms: eb('changed_at_ms', '-', dayAndHourMs) })).where('name', '=', 'bootstrap-started').execute();
    const created = await hub.admin.call('POST', '/operators', { username: 'late', displayName: 'Too late' });
    assert.equal(created.status, 202, created.raw);
    assert.equal(stateOf(created.body), 'PENDING');
    assert.ok(await testTables(storage.db).selectFrom('iam_state').select('name').where('name', '=', 'bootstrap-closed').executeTakeFirst());
  });
});

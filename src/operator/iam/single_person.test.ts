// Issue 13, finding 1, as a property: from a fresh hub (as `npm start` leaves
// it: the bootstrap administrator's window open, a maker's funds-in waiting),
// no sequence of admin calls made by ONE person moves money. That person holds
// the bootstrap administrator's credential and the keys of every automation
// client it registers (it generates them), and acts as any of them.
//
// The operators the administrator creates are other people: each replaces
// the one-time credential and enrols a TOTP authenticator at first sign-in.
// A person who signs in as them is outside this model (see README.md, the
// bootstrap administrator).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { JWK } from 'jose';
import { freshStorage } from '../../testing/engines.ts';
import { callerWithKey, type Answer } from '../../testing/admin_api.ts';
import { freshHub, fundsInBody, ledgerSnapshot, type FreshHub } from '../../testing/bootstrap_admin.ts';
import { testTables } from '../../testing/tables.ts';

const ROLES = ['operations-maker', 'operations-checker', 'security-admin', 'security-approver', 'auditor', 'bootstrap-admin', 'mine'];
const MONEY_PRIVILEGE_SETS = [
  ['CHANGE_REQUEST_DECIDE', 'FUNDS_IN_APPROVE'],
  ['CHANGE_REQUEST_DECIDE', 'FUNDS_IN_APPROVE', 'FUNDS_OUT_APPROVE', 'SETTLEMENT_MODEL_CREATE_APPROVE', 'SETTLEMENT_MODEL_STATUS_APPROVE'],
  ['OPERATOR_READ', 'FUNDS_IN_REQUEST', 'CHANGE_REQUEST_DECIDE', 'FUNDS_IN_APPROVE'],
  ['CHANGE_REQUEST_DECIDE', 'ROLE_GRANT_APPROVE', 'CLIENT_CREATE_APPROVE'],
];

type Command =
  | { kind: 'createOperator' }
  | { kind: 'createClient'; actor: number }
  | { kind: 'grant'; actor: number; subject: number; role: string }
  | { kind: 'defineRole'; actor: number; role: 'bootstrap-admin' | 'mine'; privileges: number }
  | { kind: 'approveAll'; actor: number }
  | { kind: 'fundsIn'; actor: number }
  | { kind: 'settlementModel'; actor: number; off: boolean }
  | { kind: 'dropExclusion'; actor: number };

const actor = fc.nat({ max: 3 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ kind: 'createOperator' as const }),
  fc.record({ kind: fc.constant('createClient' as const), actor }),
  { arbitrary: fc.record({ kind: fc.constant('grant' as const), actor, subject: fc.nat({ max: 4 }), role: fc.constantFrom(...ROLES) }), weight: 3 },
  fc.record({ kind: fc.constant('defineRole' as const), actor, role: fc.constantFrom('bootstrap-admin' as const, 'mine' as const), privileges: fc.nat({ max: MONEY_PRIVILEGE_SETS.length - 1 }) }),
  { arbitrary: fc.record({ kind: fc.constant('approveAll' as const), actor }), weight: 3 },
  fc.record({ kind: fc.constant('fundsIn' as const), actor }),
  fc.record({ kind: fc.constant('settlementModel' as const), actor, off: fc.boolean() }),
  fc.record({ kind: fc.constant('dropExclusion' as const), actor }),
);

interface HeldClient { clientId: string; privateKey: KeyObject; kid: string }

/** The one person: the administrator and the clients whose keys it made. */
function onePerson(hub: FreshHub) {
  const clients: HeldClient[] = [];
  const operators: string[] = [];
  async function as(index: number, method: string, path: string, body?: unknown): Promise<Answer | undefined> {
    const held = index === 0 ? undefined : clients[(index - 1) % Math.max(clients.length, 1)];
    if (index === 0 || held === undefined) return hub.admin.call(method, path, body);
    try {
      return await callerWithKey(hub.api, held.clientId, held.privateKey, held.kid).call(method, path, body);
    } catch {
      // A client that was never created (its request is still pending) gets no token.
      return undefined;
    }
  }
  async function run(c: Command): Promise<void> {
    switch (c.kind) {
      case 'createOperator': {
        const username = `op${operators.length}`;
        operators.push(username);
        await as(0, 'POST', '/operators', { username, displayName: username });
        return;
      }
      case 'createClient': {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const jwk = privateKey.export({ format: 'jwk' }) as JWK;
        const kid = randomBytes(6).toString('hex');
        const clientId = `mine-${randomBytes(3).toString('hex')}`;
        clients.push({ clientId, privateKey, kid });
        await as(c.actor, 'POST', '/clients', { clientId, displayName: 'mine', jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid }] } });
        return;
      }
      case 'grant': {
        const subjects = ['admin', ...operators, ...clients.map((h) => h.clientId)];
        await as(c.actor, 'POST', '/grants', { principal: subjects[c.subject % subjects.length], role: c.role });
        return;
      }
      case 'defineRole':
        await as(c.actor, 'PUT', `/roles/${c.role}`, { description: 'widened', privileges: MONEY_PRIVILEGE_SETS[c.privileges] });
        return;
      case 'approveAll': {
        const listed = await hub.admin.call('GET', '/changeRequests?state=PENDING');
        for (const { id } of (listed.status === 200 ? listed.body : []) as { id: string }[]) await as(c.actor, 'POST', `/changeRequests/${id}/approve`);
        return;
      }
      case 'fundsIn':
        await as(c.actor, 'POST', `/participants/${hub.participant}/accounts/${hub.accountId}`, fundsInBody('500'));
        return;
      case 'settlementModel':
        if (c.off) await as(c.actor, 'PUT', '/settlementModels/DEFERREDNET', { isActive: false });
        else await as(c.actor, 'POST', '/settlementModels', { name: 'NOCHECK', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: null, requireLiquidityCheck: false, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT' });
        return;
      case 'dropExclusion':
        await as(c.actor, 'POST', '/sodExclusions/remove', { privileges: ['FUNDS_IN_REQUEST', 'FUNDS_IN_APPROVE'] });
        return;
    }
  }
  return { run };
}

test('one person, from a fresh hub, moves no money and changes no settlement model by any sequence of admin calls', async () => {
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
    const { storage, dispose } = await freshStorage('sqlite');
    const hub = await freshHub(storage);
    try {
      // The pentest's target: a maker's funds-in of 500 USD, waiting for a checker.
      assert.equal((await hub.maker.call('POST', `/participants/${hub.participant}/accounts/${hub.accountId}`, fundsInBody('500'))).status, 202);
      const ledgerBefore = await ledgerSnapshot(storage);
      const modelsBefore = JSON.stringify(await testTables(storage.db).selectFrom('settlement_models').selectAll().orderBy('id').execute());
      const executedBefore = await testTables(storage.db).selectFrom('change_requests').select('id').where('state', '=', 'EXECUTED').where('function', 'in', ['FUNDS_IN', 'FUNDS_OUT']).execute();
      const person = onePerson(hub);
      for (const c of commands) await person.run(c);
      const executed = await testTables(storage.db).selectFrom('change_requests').select('id').where('state', '=', 'EXECUTED').where('function', 'in', ['FUNDS_IN', 'FUNDS_OUT']).execute();
      assert.deepEqual(executed, executedBefore, 'a funds movement executed');
      assert.equal(await ledgerSnapshot(storage), ledgerBefore, 'a ledger balance changed');
      assert.equal(JSON.stringify(await testTables(storage.db).selectFrom('settlement_models').selectAll().orderBy('id').execute()), modelsBefore, 'a settlement model changed');
    } finally {
      await hub.api.close();
      await dispose();
    }
  }), { numRuns: 25 });
});

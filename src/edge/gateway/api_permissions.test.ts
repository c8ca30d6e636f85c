import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATION_KEYS } from '../../fspiop/resources.ts';
import { ALL_API_GRANTS, describeApiGrants, loadApiPermissions, parseApiGrants, type ApiGrants } from './api_permissions.ts';
import { OPERATION_USES } from '../../fspiop/apis.ts';
import type { GatewayPolicy } from './policy_store.ts';

describe('API permissions as an operator sends them', () => {
  test('every API named, known roles, none twice; roles come back in canonical order', () => {
    const parsed = parseApiGrants({ lookup: ['payee', 'payer'], quotes: ['payer'], transfers: [] });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { lookup: ['payer', 'payee'], quotes: ['payer'], transfers: [], risk: [] });
    assert.equal(describeApiGrants(parsed.value), 'lookup payer+payee, quotes payer, transfers none, risk none');
  });

  test('the extension\'s risk API left out is granted no role; named, it is parsed like the others', () => {
    const named = parseApiGrants({ lookup: [], quotes: [], transfers: [], risk: ['payee', 'payer'] });
    assert.ok(named.ok);
    assert.deepEqual(named.value.risk, ['payer', 'payee']);
    const refused = parseApiGrants({ lookup: [], quotes: [], transfers: [], risk: ['analyst'] });
    assert.ok(!refused.ok);
    assert.match(refused.error, /permissions\/risk: roles are payer and payee/);
  });

  test('anything else is refused with its reason', () => {
    const cases: [unknown, RegExp][] = [
      [{ lookup: ['payer'], quotes: ['payer'] }, /permissions\/transfers must be a list of roles/],
      [{ lookup: ['payer'], quotes: ['payer'], transfers: ['payer'], settlements: [] }, /permissions\/settlements is not an FSPIOP API/],
      [{ lookup: ['payer', 'payer'], quotes: [], transfers: [] }, /permissions\/lookup names a role twice/],
      [{ lookup: ['admin'], quotes: [], transfers: [] }, /permissions\/lookup: roles are payer and payee/],
      [{ lookup: 'payer', quotes: [], transfers: [] }, /permissions\/lookup must be a list/],
      [['lookup'], /must be an object/],
      [null, /must be an object/],
    ];
    for (const [value, reason] of cases) {
      const parsed = parseApiGrants(value);
      assert.ok(!parsed.ok, JSON.stringify(value));
      assert.match(parsed.error, reason);
    }
  });
});

function memoryStore(initial: Record<string, ApiGrants>) {
  let version = 0;
  let grants = new Map(Object.entries(initial));
  return {
    set(next: Record<string, ApiGrants>) {
      grants = new Map(Object.entries(next));
      version++;
    },
    version: (policy: GatewayPolicy) => {
      assert.equal(policy, 'api-permissions');
      return Promise.resolve(version);
    },
    apiPermissionsSnapshot: () => Promise.resolve({ version, grants: new Map(grants) }),
  };
}

describe('the API permissions check', () => {
  const payeeOnly: ApiGrants = { lookup: ['payer', 'payee'], quotes: ['payee'], transfers: ['payee'], risk: [] };
  const noTransfers: ApiGrants = { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: [], risk: ['payer'] };

  test('a participant with nothing stored may use every API in both roles', async () => {
    const check = await loadApiPermissions({ store: memoryStore({}) });
    assert.deepEqual(check.grantsOf('payerfsp'), ALL_API_GRANTS);
    for (const operation of OPERATION_KEYS) assert.equal(check.check('payerfsp', operation), undefined, operation);
    assert.deepEqual(check.grantedScopes('payerfsp'), ['fspiop:lookup', 'fspiop:quotes', 'fspiop:transfers', 'fspiop:risk']);
  });

  test('a payee-only DFSP cannot prepare transfers or ask for quotes, and may do everything a payee does', async () => {
    const check = await loadApiPermissions({ store: memoryStore({ payeefsp: payeeOnly }) });
    const refused = check.check('payeefsp', 'POST /transfers');
    assert.deepEqual(refused, {
      failure: { code: '3000', detail: 'the participant is not permitted to use the transfers API as payer', httpStatus: 403 },
      httpStatus: 403,
      event: { kind: 'api-not-permitted', reason: 'payeefsp is not permitted the transfers API as payer (POST /transfers)' },
    });
    assert.equal(check.check('payeefsp', 'POST /quotes')?.event.kind, 'api-not-permitted');
    for (const operation of ['PUT /transfers/{ID}', 'PUT /transfers/{ID}/error', 'PUT /quotes/{ID}', 'GET /parties/{Type}/{ID}', 'POST /participants/{Type}/{ID}'] as const) {
      assert.equal(check.check('payeefsp', operation), undefined, operation);
    }
    // Reads both parties make pass with any role of their API.
    assert.equal(check.check('payeefsp', 'GET /transfers/{ID}'), undefined);
    assert.equal(check.check('payeefsp', 'GET /quotes/{ID}'), undefined);
    // The extension's API is granted like the others: none here, so neither reports nor signals.
    assert.equal(check.check('payeefsp', 'POST /fraudReports')?.failure.detail, 'the participant is not permitted to use the risk API');
    assert.equal(check.check('payeefsp', 'GET /riskSignals/{Type}/{ID}')?.failure.detail, 'the participant is not permitted to use the risk API as payer');
    // Others keep the default.
    assert.equal(check.check('payerfsp', 'POST /transfers'), undefined);
    assert.equal(check.check('payerfsp', 'POST /fraudReports'), undefined);
  });

  test('an API with no roles refuses even the reads both parties make, and drops out of the scopes', async () => {
    const check = await loadApiPermissions({ store: memoryStore({ lookuponly: noTransfers }) });
    const refused = check.check('lookuponly', 'GET /transfers/{ID}');
    assert.equal(refused?.failure.detail, 'the participant is not permitted to use the transfers API');
    assert.equal(refused.event.reason, 'lookuponly is not permitted the transfers API (GET /transfers/{ID})');
    assert.deepEqual(check.grantedScopes('lookuponly'), ['fspiop:lookup', 'fspiop:quotes', 'fspiop:risk']);
  });

  test('every operation is decided by its API and role', async () => {
    const none: ApiGrants = { lookup: [], quotes: [], transfers: [], risk: [] };
    const check = await loadApiPermissions({ store: memoryStore({ none, payeeOnly }) });
    assert.deepEqual(check.grantedScopes('none'), []);
    for (const operation of OPERATION_KEYS) {
      assert.equal(check.check('none', operation)?.event.kind, 'api-not-permitted', operation);
      const use = OPERATION_USES[operation];
      const expected = use.api === 'risk' || (use.role === 'payer' && use.api !== 'lookup'); // payeeOnly has no risk role
      assert.equal(check.check('payeeOnly', operation) !== undefined, expected, operation);
    }
  });

  test('refresh reads again only when the stored version moved', async () => {
    const store = memoryStore({});
    const check = await loadApiPermissions({ store });
    assert.equal(await check.refresh(), false);
    store.set({ payerfsp: noTransfers });
    assert.equal(check.check('payerfsp', 'POST /transfers'), undefined, 'nothing changes before a refresh');
    assert.equal(await check.refresh(), true);
    assert.equal(check.version, 1);
    assert.ok(check.check('payerfsp', 'POST /transfers') !== undefined);
    store.set({});
    await check.reload();
    assert.equal(check.check('payerfsp', 'POST /transfers'), undefined);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, after, test } from 'node:test';
import { checkLedger } from '../ledger/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';

const BODY_BYTES_MAX = 65_536;

describeOnEachEngine('admin API', (ctx) => {
  // Every call is made by an automation maker; a change request it makes is approved by a checker at once.
  let maker: Caller;
  let checker: Caller;
  let admin: TestAdminApi;

  before(async () => {
    admin = await createTestAdminApi(ctx.storage, { bodyBytesMax: BODY_BYTES_MAX });
    maker = await clientCaller(admin, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(admin, 'checker', [{ role: 'operations-checker' }]);
  });
  after(async () => {
    await admin.close();
  });

  async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
    const { status, body: answer, raw } = await makeAndApprove(maker, checker, method, url, body);
    return { status, body: answer, raw };
  }
  const code = (body: unknown) => (body as { errorInformation?: { errorCode?: string } }).errorInformation?.errorCode;
  async function settlementAccountId(name: string): Promise<number> {
    const accounts = (await call('GET', `/participants/${name}/accounts`)).body as { id: number; ledgerAccountType: string }[];
    const found = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT');
    assert.ok(found);
    return found.id;
  }
  const funds = (action: string, amount: unknown, transferId = randomUUID()) => ({
    transferId, externalReference: 'ref-1', action, reason: 'test', amount: { amount, currency: 'USD' },
  });

  test('health answers OK with the datastore up', async () => {
    const { status, body } = await call('GET', '/health');
    assert.equal(status, 200);
    assert.equal((body as { status: string }).status, 'OK');
    assert.deepEqual((body as { services: unknown }).services, [{ name: 'datastore', status: 'OK' }]);
  });

  test('a participant cannot be created before the hub accounts exist in its currency', async () => {
    const { status, body } = await call('POST', '/participants', { name: 'early', currency: 'USD' });
    assert.equal(status, 400);
    assert.equal(code(body), '3100');
  });

  test('onboarding in central-ledger order', async () => {
    for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
      assert.equal((await call('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
    }
    assert.equal(code((await call('POST', '/participants/Hub/accounts', { currency: 'USD', type: 'HUB_RECONCILIATION' })).body), '3000');
    assert.equal((await call('POST', '/settlementModels', {
      name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD',
      requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
    })).status, 201);
    const created = await call('POST', '/participants', { name: 'dfspa', currency: 'USD' });
    assert.equal(created.status, 201);
    const participant = created.body as { name: string; id: string; isActive: number; accounts: { ledgerAccountType: string; currency: string }[] };
    assert.equal(participant.name, 'dfspa');
    assert.equal(participant.id, 'http://hub.test/participants/dfspa');
    assert.equal(participant.isActive, 1);
    assert.deepEqual(participant.accounts.map((a) => a.ledgerAccountType).sort(), ['POSITION', 'SETTLEMENT']);
    assert.equal((await call('POST', '/participants', { name: 'dfspb', currency: 'USD' })).status, 201);
    assert.equal((await call('POST', '/participants/dfspa/initialPositionAndLimits', { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 1000 }, initialPosition: 0 })).status, 201);
    assert.equal(code((await call('POST', '/participants/dfspa/initialPositionAndLimits', { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 1000 } })).body), '3000');
    assert.deepEqual((await call('GET', '/participants/dfspa/limits')).body, [{ currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 1000, alarmPercentage: 10 } }]);
    const updated = await call('PUT', '/participants/dfspa/limits', { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 2500.5, alarmPercentage: 20 } });
    assert.equal(updated.status, 200);
    assert.equal(updated.raw, '{"currency":"USD","limit":{"type":"NET_DEBIT_CAP","value":2500.5,"alarmPercentage":20}}');
    const all = (await call('GET', '/participants/limits')).body as { name: string }[];
    assert.deepEqual(all.map((l) => l.name), ['dfspa']);
  });

  test('the same participant with a new currency adds accounts; an existing currency is 3000', async () => {
    assert.equal(code((await call('POST', '/participants', { name: 'dfspa', currency: 'USD' })).body), '3000');
    assert.equal(code((await call('POST', '/participants', { name: 'DFSPA', currency: 'USD' })).body), '3000');
    assert.equal(code((await call('POST', '/participants', { name: 'hub', currency: 'USD' })).body), '3000');
    assert.equal(code((await call('POST', '/participants', { name: 'limits', currency: 'USD' })).body), '3000');
  });

  test('funds in, idempotent on transferId, visible in accounts as an exact negative value', async () => {
    const accountId = await settlementAccountId('dfspa');
    const request = funds('recordFundsIn', '5000.25');
    assert.equal((await call('POST', `/participants/dfspa/accounts/${accountId}`, request)).status, 202);
    // The same request again (keys in another order) moves nothing.
    const reordered = { amount: request.amount, reason: request.reason, action: request.action, externalReference: request.externalReference, transferId: request.transferId };
    assert.equal((await call('POST', `/participants/dfspa/accounts/${accountId}`, reordered)).status, 202);
    const changed = { ...request, amount: { amount: '5000.26', currency: 'USD' } };
    assert.equal(code((await call('POST', `/participants/dfspa/accounts/${accountId}`, changed)).body), '3106');
    const accounts = await call('GET', '/participants/dfspa/accounts');
    assert.match(accounts.raw, /"ledgerAccountType":"SETTLEMENT","currency":"USD","isActive":1,"value":-5000.25,"reservedValue":0/);
    const state = await call('GET', `/participants/dfspa/accounts/${accountId}/transfers/${request.transferId}`);
    assert.deepEqual(state.body, { transferId: request.transferId, transferState: 'COMMITTED' });
  });

  test('funds out: reserve, then commit exactly once; over-withdrawal is 4001', async () => {
    const accountId = await settlementAccountId('dfspa');
    const tooMuch = funds('recordFundsOutPrepareReserve', '5000.26');
    assert.equal(code((await call('POST', `/participants/dfspa/accounts/${accountId}`, tooMuch)).body), '4001');
    const out = funds('recordFundsOutPrepareReserve', '1000');
    assert.equal((await call('POST', `/participants/dfspa/accounts/${accountId}`, out)).status, 202);
    const accounts = await call('GET', '/participants/dfspa/accounts');
    assert.match(accounts.raw, /"value":-4000.25,"reservedValue":1000/);
    const decide = (action: string) => call('PUT', `/participants/dfspa/accounts/${accountId}/transfers/${out.transferId}`, { action, reason: 'ok' });
    assert.equal((await decide('recordFundsOutCommit')).status, 202);
    assert.equal((await decide('recordFundsOutCommit')).status, 202);
    assert.equal(code((await decide('recordFundsOutAbort')).body), '3100');
    assert.match((await call('GET', '/participants/dfspa/accounts')).raw, /"value":-4000.25,"reservedValue":0/);
    assert.equal(code((await call('PUT', `/participants/dfspa/accounts/${accountId}/transfers/${randomUUID()}`, { action: 'recordFundsOutCommit', reason: 'x' })).body), '3208');
  });

  test('an account of another participant cannot be funded, decided or read through this participant', async () => {
    const other = await settlementAccountId('dfspb');
    const fundedB = funds('recordFundsIn', '1');
    assert.equal((await call('POST', `/participants/dfspb/accounts/${other}`, fundedB)).status, 202);
    assert.equal(code((await call('POST', `/participants/dfspa/accounts/${other}`, funds('recordFundsIn', '1'))).body), '3200');
    assert.equal(code((await call('PUT', `/participants/dfspa/accounts/${other}/transfers/${fundedB.transferId}`, { action: 'recordFundsOutAbort', reason: 'x' })).body), '3200');
    assert.equal(code((await call('GET', `/participants/dfspa/accounts/${other}/transfers/${fundedB.transferId}`)).body), '3200');
    assert.equal((await call('GET', `/participants/dfspb/accounts/${other}/transfers/${fundedB.transferId}`)).status, 200);
  });

  test('positions: all, one currency, and an unknown currency', async () => {
    const all = await call('GET', '/participants/dfspa/positions');
    assert.match(all.raw, /^\[\{"currency":"USD","value":0,"changedDate":"[^"]+"\}\]$/);
    assert.equal((await call('GET', '/participants/dfspa/positions?currency=USD')).status, 200);
    assert.equal(code((await call('GET', '/participants/dfspa/positions?currency=EUR')).body), '3200');
  });

  test('endpoints: templates accepted, hostile values refused', async () => {
    assert.equal((await call('POST', '/participants/dfspa/endpoints', { type: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value: 'https://dfspa.example/transfers/{{transferId}}' })).status, 201);
    assert.equal((await call('POST', '/participants/dfspa/endpoints', { type: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value: 'https://dfspa.example/v2/transfers/{{transferId}}' })).status, 201);
    assert.deepEqual((await call('GET', '/participants/dfspa/endpoints')).body, [{ type: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value: 'https://dfspa.example/v2/transfers/{{transferId}}' }]);
    const hostile: [string, string][] = [
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'javascript:alert(1)'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'file:///etc/passwd'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://user:pass@dfspa.example/transfers'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/{{constructor}}'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/transfers?x=1'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/transfers?'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/transfers#'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://{{transferId}}.example/transfers'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example:{{transferId}}/transfers'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/a/../transfers/{{transferId}}'],
      ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'https://dfspa.example/a b/{{transferId}}'],
      ['NET_DEBIT_CAP_ADJUSTMENT_EMAIL', 'not an email'],
      ['NOT_A_TYPE', 'https://dfspa.example'],
    ];
    for (const [type, value] of hostile) {
      const { status, body } = await call('POST', '/participants/dfspa/endpoints', { type, value });
      assert.equal(status, 400, `${type} ${value}`);
      assert.equal(code(body), '3100', `${type} ${value}`);
    }
  });

  test('endpoints: a callback address outside the network policy is refused when the change is requested, naming why', async () => {
    const hostile: [string, RegExp][] = [
      ['https://169.254.169.254/latest/meta-data/{{transferId}}', /169\.254\.169\.254 is link-local/],
      ['https://[::ffff:169.254.169.254]/transfers/{{transferId}}', /169\.254\.169\.254 is link-local/],
      ['https://[fe80::1]/transfers/{{transferId}}', /fe80::1 is link-local/],
      ['https://[::1]:8444/transfers/{{transferId}}', /::1 is loopback and delivery\.allowLoopbackCallbacks is off/],
      ['http://127.0.0.1:8444/transfers/{{transferId}}', /127\.0\.0\.1 is loopback/],
      ['https://127.0.0.1:3001/participants/{{transferId}}', /hub's own admin listener/],
      ['https://metadata.example/transfers/{{transferId}}', /metadata\.example resolves to 169\.254\.169\.254 is link-local/],
      ['https://224.0.0.1/transfers/{{transferId}}', /multicast/],
    ];
    const before = (await maker.call('GET', '/changeRequests')).body;
    for (const [value, reason] of hostile) {
      // The maker's own call is answered: no change request waits for a checker to approve it.
      const { status, body } = await maker.call('POST', '/participants/dfspa/endpoints', { type: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value });
      assert.equal(status, 400, value);
      assert.equal(code(body), '3100', value);
      assert.match((body as { errorInformation: { errorDescription: string } }).errorInformation.errorDescription, reason, value);
    }
    assert.deepEqual((await maker.call('GET', '/changeRequests')).body, before, 'no change request was made');
    assert.deepEqual((await call('GET', '/participants/dfspa/endpoints')).body, [{ type: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value: 'https://dfspa.example/v2/transfers/{{transferId}}' }]);
  });

  test('deactivation and reactivation; the hub cannot be deactivated', async () => {
    assert.equal(((await call('PUT', '/participants/dfspb', { isActive: false })).body as { isActive: number }).isActive, 0);
    assert.equal(((await call('GET', '/participants/dfspb')).body as { isActive: number }).isActive, 0);
    assert.equal(((await call('PUT', '/participants/dfspb', { isActive: true })).body as { isActive: number }).isActive, 1);
    assert.equal(code((await call('PUT', '/participants/Hub', { isActive: false })).body), '3000');
  });

  test('settlement models: list, get, no second active model for a currency, unsupported kinds refused', async () => {
    const list = (await call('GET', '/settlementModels')).body as { name: string; requireLiquidityCheck: boolean }[];
    assert.deepEqual(list.map((m) => [m.name, m.requireLiquidityCheck]), [['DEFERREDNET', true]]);
    assert.equal((await call('GET', '/settlementModels/DEFERREDNET')).status, 200);
    const model = { name: 'SECOND', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD', requireLiquidityCheck: false, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT' };
    assert.equal(code((await call('POST', '/settlementModels', model)).body), '3000');
    assert.equal(code((await call('POST', '/settlementModels', { ...model, name: 'GROSS', settlementGranularity: 'GROSS', settlementInterchange: 'BILATERAL', settlementDelay: 'IMMEDIATE' })).body), '3100');
    assert.equal(code((await call('GET', '/settlementModels/NOPE')).body), '3200');
  });

  // Hostile and malformed input: each refused with the FSPIOP code Mojaloop uses, and nothing stored.
  test('malformed bodies get 3101/3102/3103/3104 and change nothing', async () => {
    const before = await call('GET', '/participants');
    const cases: [string, unknown, string, number][] = [
      ['missing field', { name: 'x1' }, '3102', 400],
      ['unknown field', { name: 'x2', currency: 'USD', admin: true }, '3103', 400],
      ['wrong type', { name: 'x3', currency: 'USD', isProxy: 'yes' }, '3101', 400],
      ['pattern', { name: 'bad name!', currency: 'USD' }, '3100', 400],
      ['a look-alike name (Cyrillic а)', { name: 'dfsp\u0430', currency: 'USD' }, '3100', 400],
      ['a look-alike name (fullwidth digit)', { name: 'dfsp\uff11', currency: 'USD' }, '3100', 400],
      ['a look-alike currency', { name: 'x10', currency: 'US\u0414' }, '3100', 400],
      ['not JSON', '{"name":', '3101', 400],
      ['prototype poisoning', '{"name":"x4","currency":"USD","__proto__":{"isAdmin":true}}', '3101', 400],
      ['a member given twice', '{"name":"x6","currency":"USD","name":"x7"}', '3101', 400],
      ['a member given twice, once escaped', '{"name":"x8","currency":"USD","\\u006eame":"x9"}', '3101', 400],
      ['oversize', { name: 'x5', currency: 'USD', pad: 'x'.repeat(BODY_BYTES_MAX) }, '3104', 413],
    ];
    for (const [label, body, expected, status] of cases) {
      const response = await call('POST', '/participants', body);
      assert.equal(response.status, status, label);
      assert.equal(code(response.body), expected, label);
    }
    assert.deepEqual((await call('GET', '/participants')).body, before.body);
  });

  test('amounts a float cannot hold exactly are refused, not rounded', async () => {
    const accountId = await settlementAccountId('dfspb');
    for (const amount of ['12345678901234567890', '1e3', '10.50']) {
      const response = await call('POST', `/participants/dfspb/accounts/${accountId}`, `{"transferId":"${randomUUID()}","externalReference":"r","action":"recordFundsIn","reason":"r","amount":{"amount":${amount},"currency":"USD"}}`);
      assert.equal(code(response.body), '3101', amount);
    }
    const twice = `{"transferId":"${randomUUID()}","externalReference":"r","action":"recordFundsIn","reason":"r","amount":{"amount":"1","currency":"USD"},"amount":{"amount":"1000","currency":"USD"}}`;
    const refusedTwice = await call('POST', `/participants/dfspb/accounts/${accountId}`, twice);
    assert.deepEqual([refusedTwice.status, code(refusedTwice.body)], [400, '3101'], 'amount given twice');
    assert.match(refusedTwice.raw, /member \\"amount\\" is given twice/);
    for (const amount of ['-5', '1.001', '0', 'NaN', '01']) {
      const response = await call('POST', `/participants/dfspb/accounts/${accountId}`, funds('recordFundsIn', amount));
      assert.equal(code(response.body), '3100', amount);
    }
    assert.match((await call('GET', '/participants/dfspb/accounts')).raw, /"ledgerAccountType":"SETTLEMENT","currency":"USD","isActive":1,"value":-1,/);
  });

  test('unknown routes are 3002; unknown participants 3200; bad ids refused by the schema', async () => {
    assert.equal(code((await call('GET', '/nope')).body), '3002');
    assert.equal(code((await call('DELETE', '/participants/dfspa')).body), '3002');
    assert.equal(code((await call('GET', '/participants/ghost')).body), '3200');
    assert.equal(code((await call('GET', '/participants/ghost/accounts')).body), '3200');
    assert.equal(code((await call('POST', '/participants/dfspa/accounts/0', funds('recordFundsIn', '1'))).body), '3100');
    assert.equal(code((await call('POST', '/participants/dfspa/accounts/1', { ...funds('recordFundsIn', '1'), transferId: 'not-a-uuid' })).body), '3100');
  });

  test('after all of it, the ledger is consistent', async () => {
    const report = await checkLedger(ctx.storage.db);
    assert.deepEqual(report.problems, []);
  });
});

// Issue 13, finding 2: a settlement model decides whether the liquidity check
// runs, so creating one or switching one on or off is a maker-checker
// function. One maker's request waits for a second person and changes
// nothing; a model the hub would refuse is refused when it is requested, with
// its reason, not at approval.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Storage } from '../storage/index.ts';
import { freshStorage } from '../testing/engines.ts';
import { clientCaller, createTestAdminApi, type Caller, type TestAdminApi } from '../testing/admin_api.ts';

let storage: Storage;
let dispose: () => Promise<void>;
let api: TestAdminApi;
let maker: Caller;
let checker: Caller;

const MODEL = {
  name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD',
  requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
};
const code = (body: unknown) => (body as { errorInformation?: { errorCode?: string } }).errorInformation?.errorCode;
const models = async () => ((await maker.call('GET', '/settlementModels')).body as { name: string; isActive: boolean; requireLiquidityCheck: boolean }[]);
const pending = async () => ((await maker.call('GET', '/changeRequests?state=PENDING')).body as unknown[]).length;

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  api = await createTestAdminApi(storage);
  maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
  checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
});
after(async () => {
  await api.close();
  await dispose();
});

test('one maker cannot create a settlement model: it waits for a second person, who creates it', async () => {
  const made = await maker.call('POST', '/settlementModels', MODEL);
  assert.equal(made.status, 202, made.raw);
  assert.equal((made.body as { function: string }).function, 'SETTLEMENT_MODEL_CREATE');
  assert.deepEqual(await models(), []);
  const approved = await checker.call('POST', `/changeRequests/${(made.body as { id: string }).id}/approve`);
  assert.equal(approved.status, 200, approved.raw);
  assert.equal((approved.body as { result: { status: number } }).result.status, 201);
  assert.deepEqual((await models()).map((m) => [m.name, m.requireLiquidityCheck]), [['DEFERREDNET', true]]);
});

test('one maker cannot switch a settlement model off (or on)', async () => {
  const made = await maker.call('PUT', '/settlementModels/DEFERREDNET', { isActive: false });
  assert.equal(made.status, 202, made.raw);
  assert.equal((made.body as { function: string }).function, 'SETTLEMENT_MODEL_STATUS');
  assert.equal((await models())[0]?.isActive, true);
  await maker.call('POST', `/changeRequests/${(made.body as { id: string }).id}/cancel`, {});
});

test('a model the hub would refuse is refused when requested, with its reason, and no change request is made', async () => {
  const before = await pending();
  const unsupported = await maker.call('POST', '/settlementModels', { ...MODEL, name: 'GROSS', settlementGranularity: 'GROSS', settlementInterchange: 'BILATERAL', settlementDelay: 'IMMEDIATE' });
  assert.equal(unsupported.status, 400, unsupported.raw);
  assert.equal(code(unsupported.body), '3100');
  assert.match(unsupported.raw, /only DEFERRED NET settlement is built: no gross or immediate settlement \(CGS\)/);
  // The other kinds Mojaloop's collections create, each refused with its own reason.
  const bilateral = await maker.call('POST', '/settlementModels', { ...MODEL, name: 'BILATERAL', settlementInterchange: 'BILATERAL' });
  assert.match(bilateral.raw, /only MULTILATERAL settlement is built/);
  const fees = await maker.call('POST', '/settlementModels', { ...MODEL, name: 'INTERCHANGE_FEE', ledgerAccountType: 'INTERCHANGE_FEE', currency: 'EUR' });
  assert.match(fees.raw, /ledgerAccountType must be POSITION: no INTERCHANGE_FEE accounts \(no interchange fees\)/);
  const clash = await maker.call('POST', '/settlementModels', { ...MODEL, name: 'NOCHECK', requireLiquidityCheck: false });
  assert.equal(code(clash.body), '3000', clash.raw);
  assert.match(clash.raw, /already covers USD/);
  const missing = await maker.call('PUT', '/settlementModels/NOPE', { isActive: true });
  assert.equal(code(missing.body), '3200', missing.raw);
  assert.equal(await pending(), before);
});

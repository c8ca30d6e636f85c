// The gateway policy store on each engine, and the checks read through it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createParticipantRegistry } from '../../participants/index.ts';
import { describeOnEachEngine } from '../../testing/engines.ts';
import { loadApiPermissions } from './api_permissions.ts';
import { loadIpAllowlist } from './ip_allowlist.ts';
import { createGatewayPolicyStore, type GatewayPolicyStore } from './policy_store.ts';
import { testTables } from '../../testing/tables.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const by = { by: 'maker-1', changeRequestId: null };

describeOnEachEngine('gateway policy store', (ctx) => {
  let nowMs = T0;
  const clock = { nowMs: () => nowMs };
  let store: GatewayPolicyStore;

  before(async () => {
    const { db, engine } = ctx.storage;
    await createParticipantRegistry({ db, engine, clock }).ensureHub();
    for (const name of ['payerfsp', 'payeefsp']) {
      await testTables(db).insertInto('participants').values({ name, name_folded: name, is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: T0, created_by: 'test' }).execute();
    }
    store = createGatewayPolicyStore({ db, engine, clock });
  });

  test('an allow-list is replaced whole; a kept range keeps its creation time; each change bumps the version', async () => {
    const v0 = await store.version('ip-allowlist');
    const first = await store.replaceIpAllowlist('payerfsp', [{ cidr: '192.0.2.0/24', description: 'head office' }, { cidr: '2001:DB8::/32' }, { cidr: '198.51.100.0/24' }], by);
    assert.ok(first.ok, first.ok ? '' : first.error.detail);
    assert.deepEqual(first.value, [
      { cidr: '192.0.2.0/24', description: 'head office', createdAtMs: T0, updatedAtMs: T0, changedBy: 'maker-1', changeRequestId: null },
      { cidr: '198.51.100.0/24', description: null, createdAtMs: T0, updatedAtMs: T0, changedBy: 'maker-1', changeRequestId: null },
      { cidr: '2001:db8::/32', description: null, createdAtMs: T0, updatedAtMs: T0, changedBy: 'maker-1', changeRequestId: null },
    ]);
    assert.equal(await store.version('ip-allowlist'), v0 + 1);

    nowMs = T0 + 60_000;
    const second = await store.replaceIpAllowlist('payerfsp', [{ cidr: '192.0.2.0/24', description: 'head office' }, { cidr: '2001:db8::/32', description: 'v6' }, { cidr: '203.0.113.0/24' }], { by: 'maker-2', changeRequestId: null });
    assert.ok(second.ok);
    assert.deepEqual(second.value.map((e) => [e.cidr, e.description, e.createdAtMs, e.updatedAtMs, e.changedBy]), [
      ['192.0.2.0/24', 'head office', T0, T0, 'maker-1'],
      ['203.0.113.0/24', null, T0 + 60_000, T0 + 60_000, 'maker-2'],
      ['2001:db8::/32', 'v6', T0, T0 + 60_000, 'maker-2'],
    ]);
    assert.equal(await store.version('ip-allowlist'), v0 + 2);
    const read = await store.ipAllowlist('payerfsp');
    assert.ok(read.ok);
    assert.deepEqual(read.value, second.value);
    assert.deepEqual(await store.ipAllowlist('payeefsp'), { ok: true, value: [] });
  });

  test('a refused change writes nothing and leaves the version alone', async () => {
    const before = await store.ipAllowlist('payerfsp');
    const version = await store.version('ip-allowlist');
    const cases: [string, unknown, string, RegExp][] = [
      ['payerfsp', [{ cidr: '10.0.0.0/8' }, { cidr: '10.0.0.1/8' }], '3100', /entries\/1\/cidr: "10\.0\.0\.1\/8" has host bits set/],
      ['payerfsp', [{ cidr: '10.0.0.0/8' }, { cidr: '10.0.0.0/8' }], '3100', /already entries\/0/],
      ['payerfsp', Array.from({ length: 257 }, (_, i) => ({ cidr: `10.1.${i >> 8}.${i & 0xff}/32` })), '3100', /at most 256/],
      ['nobody', [{ cidr: '10.0.0.0/8' }], '3200', /participant nobody does not exist/],
      ['Hub', [{ cidr: '10.0.0.0/8' }], '3000', /the Hub does not call the FSPIOP API/],
    ];
    for (const [participant, entries, code, detail] of cases) {
      const result = await store.replaceIpAllowlist(participant, entries, by);
      assert.ok(!result.ok);
      assert.equal(result.error.code, code);
      assert.match(result.error.detail, detail);
    }
    assert.deepEqual(await store.ipAllowlist('payerfsp'), before);
    assert.equal(await store.version('ip-allowlist'), version);
    assert.equal((await store.ipAllowlist('nobody')).ok, false);
  });

  test('the full bound of entries fits, and an empty list clears', async () => {
    const full = Array.from({ length: 256 }, (_, i) => ({ cidr: `10.2.${i >> 8}.${i & 0xff}/32` }));
    const stored = await store.replaceIpAllowlist('payeefsp', full, by);
    assert.ok(stored.ok);
    assert.equal(stored.value.length, 256);
    const cleared = await store.replaceIpAllowlist('payeefsp', [], by);
    assert.deepEqual(cleared, { ok: true, value: [] });
  });

  test('the allow-list check reads through the store and follows its changes on refresh', async () => {
    const check = await loadIpAllowlist({ store, mode: 'enforce' });
    assert.equal(check.check('payerfsp', '203.0.113.9'), undefined);
    assert.equal(check.check('payerfsp', '2001:db8::1'), undefined);
    assert.ok(check.check('payerfsp', '10.0.0.1') !== undefined);
    assert.ok(check.check('payeefsp', '10.2.0.1') !== undefined, 'payeefsp has no entries and the mode is enforce');
    assert.equal(await check.refresh(), false);
    assert.ok((await store.replaceIpAllowlist('payeefsp', [{ cidr: '10.2.0.0/16' }], by)).ok);
    assert.equal(await check.refresh(), true);
    assert.equal(check.check('payeefsp', '10.2.0.1'), undefined);
  });

  test('API permissions: the default until stored, then exactly what was stored', async () => {
    assert.deepEqual(await store.apiPermissions('payeefsp'), {
      ok: true, value: { configured: false, permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payer', 'payee'], risk: ['payer', 'payee'] }, updatedAtMs: null, changedBy: null, changeRequestId: null },
    });
    const check = await loadApiPermissions({ store });
    assert.equal(check.check('payeefsp', 'POST /transfers'), undefined);
    const version = await store.version('api-permissions');
    nowMs = T0 + 120_000;
    const stored = await store.replaceApiPermissions('payeefsp', { lookup: ['payee', 'payer'], quotes: ['payee'], transfers: ['payee'], risk: ['payer'] }, by);
    const expected = { configured: true, permissions: { lookup: ['payer', 'payee'], quotes: ['payee'], transfers: ['payee'], risk: ['payer'] }, updatedAtMs: T0 + 120_000, changedBy: 'maker-1', changeRequestId: null };
    assert.deepEqual(stored, { ok: true, value: expected });
    assert.deepEqual(await store.apiPermissions('payeefsp'), { ok: true, value: expected });
    assert.equal(await store.version('api-permissions'), version + 1);
    assert.equal(await check.refresh(), true);
    assert.equal(check.check('payeefsp', 'POST /transfers')?.event.kind, 'api-not-permitted');
    assert.equal(check.check('payerfsp', 'POST /transfers'), undefined);
    // Nothing granted at all is a stored choice too, not the default.
    assert.ok((await store.replaceApiPermissions('payeefsp', { lookup: [], quotes: [], transfers: [] }, by)).ok);
    await check.reload();
    assert.deepEqual(check.grantedScopes('payeefsp'), []);
    const none = await store.apiPermissions('payeefsp');
    assert.deepEqual(none.ok && [none.value.configured, none.value.permissions], [true, { lookup: [], quotes: [], transfers: [], risk: [] }]);
  });

  test('API permissions refused: unknown API or role, unknown participant, the Hub', async () => {
    const version = await store.version('api-permissions');
    const cases: [string, unknown, string][] = [
      ['payerfsp', { lookup: ['payer'], quotes: [], transfers: [], bulk: [] }, '3100'],
      ['payerfsp', { lookup: ['owner'], quotes: [], transfers: [] }, '3100'],
      ['payerfsp', { lookup: ['payer'], quotes: [] }, '3100'],
      ['nobody', { lookup: [], quotes: [], transfers: [] }, '3200'],
      ['Hub', { lookup: [], quotes: [], transfers: [] }, '3000'],
    ];
    for (const [participant, permissions, code] of cases) {
      const result = await store.replaceApiPermissions(participant, permissions, by);
      assert.equal(result.ok ? 'ok' : result.error.code, code, JSON.stringify(permissions));
    }
    assert.equal(await store.version('api-permissions'), version);
    const untouched = await store.apiPermissions('payerfsp');
    assert.equal(untouched.ok && untouched.value.configured, false);
  });

  test('the database holds the rules too: known APIs, roles and families, a participant that exists, a change request that exists', async () => {
    const { db } = ctx.storage;
    const refusals = [
      () => testTables(db).insertInto('participant_api_permissions').values({ participant: 'payeefsp', api: 'bulk' as never, role: 'payer' }).execute(),
      () => testTables(db).insertInto('participant_api_permissions').values({ participant: 'payeefsp', api: 'lookup', role: 'owner' as never }).execute(),
      () => testTables(db).insertInto('participant_api_permissions').values({ participant: 'payerfsp', api: 'lookup', role: 'payer' }).execute(),
      () => testTables(db).insertInto('participant_ip_allowlist').values({ participant: 'nobody', cidr: '10.0.0.0/8', family: 'ipv4', description: null, created_at_ms: T0, updated_at_ms: T0, changed_by: 'x', change_request_id: null }).execute(),
      () => testTables(db).insertInto('participant_ip_allowlist').values({ participant: 'payerfsp', cidr: '10.9.0.0/16', family: 'ipx' as never, description: null, created_at_ms: T0, updated_at_ms: T0, changed_by: 'x', change_request_id: null }).execute(),
      () => testTables(db).insertInto('participant_ip_allowlist').values({ participant: 'payerfsp', cidr: '10.9.0.0/16', family: 'ipv4', description: null, created_at_ms: T0, updated_at_ms: T0, changed_by: 'x', change_request_id: 'no-such-request' }).execute(),
      () => testTables(db).updateTable('gateway_policy_versions').set({ version: -1 }).where('policy', '=', 'ip-allowlist').execute(),
    ];
    for (const [index, refused] of refusals.entries()) await assert.rejects(refused(), `statement ${index} was accepted`);
  });
});

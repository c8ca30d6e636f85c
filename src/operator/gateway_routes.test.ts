// The gateway policy routes: first on an app of their own (the admin API's
// JSON parser, schemas and failure replies, no access control: the handlers
// run directly), then through the whole admin API with maker-checker, where
// a change is not in force until a second person approves it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadApiPermissions } from '../edge/gateway/api_permissions.ts';
import { loadIpAllowlist } from '../edge/gateway/ip_allowlist.ts';
import { createGatewayPolicyStore, type GatewayPolicy } from '../edge/gateway/policy_store.ts';
import { createParticipantRegistry } from '../participants/index.ts';
import { systemClock } from '../support/clock.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { registerGatewayRoutes } from './gateway_routes.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, routeTestApp, type Answer, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { testTables } from '../testing/tables.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const codeOf = (body: unknown) => (body as { errorInformation?: { errorCode?: string } } | undefined)?.errorInformation?.errorCode;
const detailOf = (body: unknown) => (body as { errorInformation?: { errorDescription?: string } } | undefined)?.errorInformation?.errorDescription ?? '';

describeOnEachEngine('admin API: gateway policy routes', (ctx) => {
  let app: FastifyInstance;
  const changes: GatewayPolicy[] = [];
  let failReload = false;

  before(async () => {
    const { db, engine } = ctx.storage;
    const clock = { nowMs: () => T0 };
    await createParticipantRegistry({ db, engine, clock }).ensureHub();
    await testTables(db).insertInto('participants').values({ name: 'payerfsp', name_folded: 'payerfsp', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: T0, created_by: 'test' }).execute();
    app = await routeTestApp((bare) => {
      registerGatewayRoutes(bare, {
        gatewayPolicies: createGatewayPolicyStore({ db, engine, clock }),
        afterChange: (policy) => {
          changes.push(policy);
          if (failReload) throw new Error('reload failed');
        },
      });
    });
  });
  after(async () => {
    await app.close();
  });

  async function call(method: 'GET' | 'PUT', url: string, body?: unknown) {
    const response = await app.inject({ method, url, ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: response.statusCode, body: JSON.parse(response.body) as unknown };
  }

  test('PUT replaces the list, answers it, and lets the hub reload its checks', async () => {
    changes.length = 0;
    const put = await call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '192.0.2.0/24', description: 'head office' }, { cidr: '2001:DB8::/32' }] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const at = new Date(T0).toISOString();
    const expected = {
      participant: 'payerfsp',
      entries: [
        { cidr: '192.0.2.0/24', description: 'head office', createdAt: at, updatedAt: at, changedBy: 'admin-api', changeRequestId: null },
        { cidr: '2001:db8::/32', description: null, createdAt: at, updatedAt: at, changedBy: 'admin-api', changeRequestId: null },
      ],
    };
    assert.deepEqual(put.body, expected);
    assert.deepEqual(changes, ['ip-allowlist']);
    assert.deepEqual(await call('GET', '/participants/payerfsp/ip-allowlist'), { status: 200, body: expected });
  });

  test('a reload that fails is logged; the change stands', async () => {
    changes.length = 0;
    failReload = true;
    try {
      const put = await call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '198.51.100.0/24' }] });
      assert.equal(put.status, 200);
      assert.deepEqual(changes, ['ip-allowlist']);
      const read = await call('GET', '/participants/payerfsp/ip-allowlist');
      assert.deepEqual((read.body as { entries: { cidr: string }[] }).entries.map((e) => e.cidr), ['198.51.100.0/24']);
    } finally {
      failReload = false;
    }
  });

  test('invalid lists are refused with 400 and a clear message, and change nothing', async () => {
    changes.length = 0;
    const cases: [unknown, string, RegExp][] = [
      [{ entries: [{ cidr: '10.0.0.0/8' }, { cidr: '10.0.0.1/8' }] }, '3100', /^Generic validation error - body\/entries\/1\/cidr: "10\.0\.0\.1\/8" has host bits set \(network 10\.0\.0\.0\/8; host 10\.0\.0\.1\/32\)$/],
      [{ entries: [{ cidr: '2001:db8::/32' }, { cidr: '2001:DB8:0::/32' }] }, '3100', /entries\/1\/cidr: 2001:db8::\/32 is already entries\/0/],
      [{ entries: [{ cidr: '10.0.0.0' }] }, '3100', /no prefix length/],
      [{ entries: [{ cidr: '::ffff:10.0.0.0/104' }] }, '3100', /IPv4-mapped/],
      [{ entries: [{ cidr: '10.0.0.0/8', description: 'a\nb' }] }, '3100', /description must be one line/],
      [{ entries: [{ cidr: '10.0.0.0/8', port: 443 }] }, '3103', /must NOT have additional properties/],
      [{ entries: [{ cidr: 10 }] }, '3100', /must be string/],
      [{ entries: Array.from({ length: 257 }, (_, i) => ({ cidr: `10.0.${i >> 8}.${i & 0xff}/32` })) }, '3100', /body\/entries has 257 items; a participant may have at most 256/],
      [{ entries: [{ cidr: '10.0.0.0/8', description: 'x'.repeat(129) }] }, '3100', /body\/entries\/0\/description must be one line of 1 to 128 characters/],
      [{}, '3100', /must have required property 'entries'/],
    ];
    for (const [body, code, detail] of cases) {
      const answer = await call('PUT', '/participants/payerfsp/ip-allowlist', body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(codeOf(answer.body), code, JSON.stringify(answer.body));
      assert.match(detailOf(answer.body), detail);
    }
    assert.deepEqual(changes, []);
    const read = await call('GET', '/participants/payerfsp/ip-allowlist');
    assert.deepEqual((read.body as { entries: { cidr: string }[] }).entries.map((e) => e.cidr), ['198.51.100.0/24']);
  });

  test('unknown participants answer 3200, the Hub 3000', async () => {
    for (const [method, url, body, status, code] of [
      ['GET', '/participants/nobody/ip-allowlist', undefined, 404, '3200'],
      ['PUT', '/participants/nobody/ip-allowlist', { entries: [] }, 404, '3200'],
      ['GET', '/participants/nobody/api-permissions', undefined, 404, '3200'],
      ['PUT', '/participants/nobody/api-permissions', { permissions: { lookup: [], quotes: [], transfers: [] } }, 404, '3200'],
      ['PUT', '/participants/Hub/ip-allowlist', { entries: [] }, 400, '3000'],
      ['PUT', '/participants/Hub/api-permissions', { permissions: { lookup: [], quotes: [], transfers: [] } }, 400, '3000'],
    ] as const) {
      const answer = await call(method, url, body);
      assert.equal(answer.status, status, `${method} ${url}: ${JSON.stringify(answer.body)}`);
      assert.equal(codeOf(answer.body), code);
    }
  });

  test('API permissions: the default until stored; PUT stores exactly what it names', async () => {
    changes.length = 0;
    const before = await call('GET', '/participants/payerfsp/api-permissions');
    assert.deepEqual(before, {
      status: 200,
      body: { participant: 'payerfsp', configured: false, permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payer', 'payee'], risk: ['payer', 'payee'] }, updatedAt: null, changedBy: null, changeRequestId: null },
    });
    const put = await call('PUT', '/participants/payerfsp/api-permissions', { permissions: { lookup: ['payee', 'payer'], quotes: ['payer'], transfers: [] } });
    const expected = {
      participant: 'payerfsp', configured: true, permissions: { lookup: ['payer', 'payee'], quotes: ['payer'], transfers: [], risk: [] },
      updatedAt: new Date(T0).toISOString(), changedBy: 'admin-api', changeRequestId: null,
    };
    assert.deepEqual(put, { status: 200, body: expected });
    assert.deepEqual(await call('GET', '/participants/payerfsp/api-permissions'), { status: 200, body: expected });
    assert.deepEqual(changes, ['api-permissions']);
  });

  test('invalid permissions are refused by the schema', async () => {
    const cases: [unknown, string][] = [
      [{ permissions: { lookup: ['payer'], quotes: ['payer'] } }, '3100'],
      [{ permissions: { lookup: ['payer', 'payer'], quotes: [], transfers: [] } }, '3100'],
      [{ permissions: { lookup: ['admin'], quotes: [], transfers: [] } }, '3100'],
      [{ permissions: { lookup: [], quotes: [], transfers: [], bulk: [] } }, '3103'],
      [{ permissions: { lookup: [], quotes: [], transfers: [] }, extra: true }, '3103'],
      [{ lookup: [], quotes: [], transfers: [] }, '3100'],
    ];
    for (const [body, code] of cases) {
      const answer = await call('PUT', '/participants/payerfsp/api-permissions', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(codeOf(answer.body), code, JSON.stringify(answer.body));
    }
  });
});

describeOnEachEngine('gateway policies through maker-checker', (ctx) => {
  let api: TestAdminApi;
  let maker: Caller;
  let checker: Caller;
  let auditor: Caller;

  before(async () => {
    api = await createTestAdminApi(ctx.storage);
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
      assert.equal((await maker.call('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
    }
    assert.equal((await makeAndApprove(maker, checker, 'POST', '/participants', { name: 'payerfsp', currency: 'USD' })).status, 201);
  });
  after(async () => {
    await api.close();
  });

  const store = () => createGatewayPolicyStore({ db: ctx.storage.db, engine: ctx.storage.engine, clock: systemClock });
  const pending = async () => ((await maker.call('GET', '/changeRequests?state=PENDING')).body as unknown[]).length;
  const asChangeRequest = (answer: Answer) => answer.body as { id: string; state: string; function: string; summary: string; participant: string };

  test('an IP allow-list change is a change request, in force only once a second person approves it', async () => {
    const check = await loadIpAllowlist({ store: store(), mode: 'when-configured' });
    assert.equal(check.check('payerfsp', '198.51.100.7'), undefined, 'no entries yet: when-configured lets it through');

    const made = await maker.call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '192.0.2.0/24', description: 'head office' }, { cidr: '2001:DB8:0::/32' }] });
    assert.equal(made.status, 202, made.raw);
    const cr = asChangeRequest(made);
    assert.deepEqual([cr.state, cr.function, cr.participant], ['PENDING', 'IP_ALLOWLIST_CHANGE', 'payerfsp']);
    assert.equal(cr.summary, 'set payerfsp\'s IP allow-list to 2 ranges: 192.0.2.0/24, 2001:db8::/32');

    // Not in force: nothing stored, the check unchanged even after a refresh.
    assert.deepEqual((await maker.call('GET', '/participants/payerfsp/ip-allowlist')).body, { participant: 'payerfsp', entries: [] });
    assert.equal(await check.refresh(), false);
    assert.equal(check.check('payerfsp', '198.51.100.7'), undefined);

    // The maker cannot approve their own request.
    const own = await maker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(own.status, 403, own.raw);
    assert.deepEqual(((await maker.call('GET', '/participants/payerfsp/ip-allowlist')).body as { entries: unknown[] }).entries, []);

    const approved = await checker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    const executed = approved.body as { state: string; result: { status: number; body: { entries: { cidr: string; changedBy: string; changeRequestId: string }[] } } };
    assert.equal(executed.state, 'EXECUTED');
    assert.equal(executed.result.status, 200);
    assert.deepEqual(executed.result.body.entries.map((e) => [e.cidr, e.changedBy, e.changeRequestId]), [
      ['192.0.2.0/24', maker.clientId, cr.id],
      ['2001:db8::/32', maker.clientId, cr.id],
    ]);

    // In force: the check follows on its next refresh.
    assert.equal(await check.refresh(), true);
    const refused = check.check('payerfsp', '198.51.100.7');
    assert.equal(refused?.httpStatus, 403);
    assert.equal(refused.event.kind, 'ip-not-allowed');
    assert.equal(check.check('payerfsp', '192.0.2.10'), undefined);
    assert.equal(check.check('payerfsp', '2001:db8:1::1'), undefined);
  });

  test('an invalid list is refused before it becomes a change request', async () => {
    const waiting = await pending();
    const refused = await maker.call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '192.0.2.1/24' }] });
    assert.equal(refused.status, 400, refused.raw);
    assert.equal(codeOf(refused.body), '3100');
    assert.match(detailOf(refused.body), /^Generic validation error - body\/entries\/0\/cidr: "192\.0\.2\.1\/24" has host bits set \(network 192\.0\.2\.0\/24; host 192\.0\.2\.1\/32\)$/);
    const schema = await maker.call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '192.0.2.0/24', note: 'x' }] });
    assert.equal(schema.status, 400);
    const hub = await maker.call('PUT', '/participants/Hub/ip-allowlist', { entries: [] });
    assert.equal(codeOf(hub.body), '3000');
    const nobody = await maker.call('PUT', '/participants/nobody/ip-allowlist', { entries: [] });
    assert.equal(nobody.status, 404);
    assert.equal(await pending(), waiting);
  });

  test('API permissions go the same way', async () => {
    const check = await loadApiPermissions({ store: store() });
    assert.equal(check.check('payerfsp', 'POST /transfers'), undefined);
    const body = { permissions: { lookup: ['payer', 'payee'], quotes: ['payee'], transfers: ['payee'] } };
    const made = await maker.call('PUT', '/participants/payerfsp/api-permissions', body);
    assert.equal(made.status, 202, made.raw);
    const cr = asChangeRequest(made);
    assert.equal(cr.function, 'API_PERMISSIONS_CHANGE');
    assert.equal(cr.summary, 'set payerfsp\'s API permissions: lookup payer+payee, quotes payee, transfers payee, risk none');
    assert.equal((await maker.call('POST', `/changeRequests/${cr.id}/approve`)).status, 403);
    assert.equal(((await auditor.call('GET', '/participants/payerfsp/api-permissions')).body as { configured: boolean }).configured, false);
    assert.equal(await check.refresh(), false);

    // The same request again while it waits is refused: one pending request per change.
    assert.match(detailOf((await maker.call('PUT', '/participants/payerfsp/api-permissions', body)).body), /already pending approval/);
    const approved = await checker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    const result = (approved.body as { result: { status: number; body: unknown } }).result;
    assert.equal(result.status, 200);
    const view = result.body as { configured: boolean; changedBy: string; changeRequestId: string };
    assert.deepEqual([view.configured, view.changedBy, view.changeRequestId], [true, maker.clientId, cr.id]);
    assert.equal(await check.refresh(), true);
    assert.deepEqual(check.check('payerfsp', 'POST /transfers')?.failure, { code: '3000', detail: 'the participant is not permitted to use the transfers API as payer', httpStatus: 403 });
    assert.equal(check.check('payerfsp', 'PUT /transfers/{ID}'), undefined);
    assert.deepEqual(check.grantedScopes('payerfsp'), ['fspiop:lookup', 'fspiop:quotes', 'fspiop:transfers']);
  });

  test('an auditor reads the policies and cannot change them', async () => {
    const read = await auditor.call('GET', '/participants/payerfsp/ip-allowlist');
    assert.equal(read.status, 200);
    assert.equal((read.body as { entries: unknown[] }).entries.length, 2);
    assert.equal((await auditor.call('PUT', '/participants/payerfsp/ip-allowlist', { entries: [] })).status, 403);
    assert.equal((await auditor.call('PUT', '/participants/payerfsp/api-permissions', { permissions: { lookup: [], quotes: [], transfers: [] } })).status, 403);
  });
});

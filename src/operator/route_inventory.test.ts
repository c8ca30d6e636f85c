// Issue 13, finding 2: every state-changing admin route is under maker-checker
// or on the explicit list of non-sensitive routes, each with its reason. The
// routes are those an admin API actually registered (access.ts records each
// through Fastify's onRoute hook), not a list written here: a new route that
// is neither fails this test, named.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Storage } from '../storage/index.ts';
import { freshStorage } from '../testing/engines.ts';
import { NON_SENSITIVE_ROUTES } from './route_inventory.ts';
import { createTestAdminApi, type TestAdminApi } from '../testing/admin_api.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
let storage: Storage;
let dispose: () => Promise<void>;
let api: TestAdminApi;

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  api = await createTestAdminApi(storage);
});
after(async () => {
  await api.close();
  await dispose();
});

test('every state-changing admin route is a maker-checker route or listed as non-sensitive with its reason', () => {
  const writes = api.declaredRoutes.filter((r) => !READS.has(r.method));
  assert.ok(writes.length > 20, 'the admin API\'s routes were read');
  const unclassified = writes.filter((r) => r.access.kind !== 'change' && NON_SENSITIVE_ROUTES[`${r.method} ${r.url}`] === undefined)
    .map((r) => `${r.method} ${r.url} (${r.access.kind})`);
  assert.deepEqual(unclassified, [], `state-changing routes neither under maker-checker nor listed in route_inventory.ts:\n  ${unclassified.join('\n  ')}`);
});

test('the non-sensitive list names only real, non-maker-checker routes, each with a reason', () => {
  const registered = new Map(api.declaredRoutes.map((r) => [`${r.method} ${r.url}`, r.access.kind]));
  for (const [route, reason] of Object.entries(NON_SENSITIVE_ROUTES)) {
    assert.ok(registered.has(route), `${route} is listed but not registered`);
    assert.notEqual(registered.get(route), 'change', `${route} is under maker-checker: take it off the list`);
    assert.ok(reason.length >= 20, `${route} needs a reason`);
  }
});

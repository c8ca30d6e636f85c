// First start: the bootstrap administrator's one-time credential is shown
// once (and never logged); the administrator must replace it and enrol TOTP
// to sign in; alone, they may create the first operators and grant them
// roles, until someone else can approve — then maker-checker applies to them too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshStorage } from '../../testing/engines.ts';
import type { Storage } from '../../storage/index.ts';
import { capturedAdminAudit } from '../audit_events.ts';
import { createTestAdminApi, type TestAdminApi } from '../../testing/admin_api.ts';
import { createBrowser, injectTransport, signIn, type Browser } from './browser.ts';
import { totpCode } from './totp.ts';
import { testTables } from '../../testing/tables.ts';

const PUBLIC_URL = 'http://hub.test';
let storage: Storage;
let dispose: () => Promise<void>;
let api: TestAdminApi;
const shown: string[] = [];
const audit = capturedAdminAudit();
let admin: Browser;

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  api = await createTestAdminApi(storage, { publicUrl: PUBLIC_URL, audit, showOnce: (text) => { shown.push(text); } });
});
after(async () => {
  await api.close();
  await dispose();
});

async function portalPost(browser: Browser, path: string, body: unknown) {
  const session = JSON.parse((await browser.get('/portal/session')).body) as { formToken: string };
  const cookie = `__Host-interlock-portal=${browser.cookie('__Host-interlock-portal') ?? ''}`;
  const response = await api.app.inject({
    method: 'POST', url: `/portal/api${path}`, payload: JSON.stringify(body),
    headers: { host: 'hub.test', origin: PUBLIC_URL, cookie, 'content-type': 'application/json', 'x-interlock-form-token': session.formToken },
  });
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

test('the one-time credential is shown once, on the console, and nowhere else', () => {
  assert.equal(shown.length, 1);
  const credential = /one-time credential: +(\S+)/.exec(shown[0] ?? '')?.[1];
  assert.ok(credential !== undefined && credential.length >= 12);
  assert.ok(!JSON.stringify(audit.events).includes(credential));
});

test('the bootstrap administrator signs in only after replacing the credential and enrolling TOTP', async () => {
  const credential = /one-time credential: +(\S+)/.exec(shown[0] ?? '')?.[1] ?? '';
  admin = createBrowser(injectTransport(api.app), PUBLIC_URL);
  let enrolled = false;
  const outcome = await signIn(admin, '/portal/login', {
    username: 'admin', password: credential, newPassword: 'the first operator passphrase',
    totp: (secret) => {
      enrolled = secret !== undefined;
      return totpCode(secret ?? '', Date.now());
    },
  }, (url) => url.pathname === '/portal');
  assert.ok('callback' in outcome, 'stoppedAt' in outcome ? outcome.stoppedAt.body : '');
  assert.ok(enrolled, 'TOTP was enrolled');
  assert.match((await admin.get('/portal')).body, /Signed in as admin\. Roles: bootstrap-admin\./);
});

test('alone, the administrator creates the first operators and grants their roles at once; then the window closes', async () => {
  const created = await portalPost(admin, '/operators', { username: 'sam', displayName: 'Sam Security' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body['state'], 'EXECUTED');
  assert.equal(created.body['reason'], 'bootstrap: no second operator could approve yet');
  const result = created.body['result'] as { status: number; body: { oneTimePassword: string } };
  assert.equal(result.status, 201);
  assert.ok(result.body.oneTimePassword.length >= 12);
  const granted = await portalPost(admin, '/grants', { principal: 'sam', role: 'security-approver' });
  assert.equal(granted.body['state'], 'EXECUTED', JSON.stringify(granted.body));
  // Sam can approve operator creation now: the next request waits for them.
  const next = await portalPost(admin, '/operators', { username: 'sue', displayName: 'Sue Security' });
  assert.equal(next.status, 202);
  assert.equal(next.body['state'], 'PENDING');
  // Functions outside the bootstrap never ran alone, and the latch stays closed.
  const state = await testTables(storage.db).selectFrom('iam_state').select('name').where('name', '=', 'bootstrap-closed').executeTakeFirst();
  assert.ok(state !== undefined);
});

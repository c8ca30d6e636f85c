// The operator portal as a browser uses it: sign-in through the hub's own
// authorization server (code + PKCE, one-time credential changed, TOTP
// enrolled), a session held by an HttpOnly SameSite=Strict cookie only,
// a pending funds-in approved from the page, forgery refused, tokens renewed
// by rotation, and sign-out revoking the grant.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { freshStorage } from '../testing/engines.ts';
import type { Storage } from '../storage/index.ts';
import { capturedAdminAudit } from '../operator/audit_events.ts';
import { createBrowser, formOf, injectTransport, signIn, type Browser } from '../operator/iam/browser.ts';
import { totpCode } from '../operator/iam/totp.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { SESSION_COOKIE } from './cookies.ts';
import { createPortalSessions, type PortalSession } from './sessions.ts';

const PUBLIC_URL = 'http://hub.test';
const NEW_PASSWORD = 'portal passphrase number 7';

let storage: Storage;
let dispose: () => Promise<void>;
let api: TestAdminApi;
const audit = capturedAdminAudit();
let offsetMs = 0;
const clock = { nowMs: () => Date.now() + offsetMs };
let maker: Caller;
let browser: Browser;
let oneTimePassword: string;
let accountId: number;
/** Operators whose one-time credential was replaced at sign-in (its delivery cleans up after it). */
const replaced: string[] = [];

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  api = await createTestAdminApi(storage, { audit, clock, publicUrl: PUBLIC_URL, credentialReplaced: (username) => { replaced.push(username); } });
  const iam = api.iam;
  const created = await iam.operators.create({ username: 'pat', displayName: 'Pat Checker' }, 'test');
  assert.ok(created.ok);
  oneTimePassword = created.value.oneTimePassword;
  assert.ok((await iam.rbac.grant({ principalId: created.value.operator.id, principalKind: 'operator', role: 'operations-checker', participant: null }, 'test')).ok);
  maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
  const checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) assert.equal((await maker.call('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
  assert.equal((await makeAndApprove(maker, checker, 'POST', '/participants', { name: 'payerfsp', currency: 'USD' })).status, 201);
  accountId = ((await maker.call('GET', '/participants/payerfsp/accounts')).body as { id: number; ledgerAccountType: string }[]).find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
  browser = createBrowser(injectTransport(api.app), PUBLIC_URL);
});
after(async () => {
  await api.close();
  await dispose();
});

const isPortal = (url: URL) => url.pathname === '/portal';
/** The browser's session as the portal keeps it (sealed in the database: at_rest.test.ts). */
async function currentSession(): Promise<PortalSession> {
  const session = await createPortalSessions({ db: storage.db, clock, secretBox: api.iam.secretBox }).find(browser.cookie(SESSION_COOKIE) ?? '');
  assert.ok(session !== undefined);
  return session;
}

test('not signed in: the portal offers to sign in, and the sign-in cookie is HttpOnly, Secure and bound to the browser', async () => {
  const home = await browser.get('/portal');
  assert.equal(home.status, 200);
  assert.match(home.body, /Not signed in/);
  assert.match(String(home.headers['content-security-policy']), /default-src 'none'/);
  const login = await api.app.inject({ method: 'GET', url: '/portal/login', headers: { host: 'hub.test' } });
  assert.equal(login.statusCode, 303);
  const location = new URL(String(login.headers.location));
  assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(location.searchParams.get('prompt'), 'login');
  assert.match(String(login.headers['set-cookie']), /^__Host-interlock-login=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=600$/);
});

test('sign-in through the portal: one-time credential changed, TOTP enrolled; the browser holds only a session cookie', async () => {
  const outcome = await signIn(browser, '/portal/login', {
    username: 'pat', password: oneTimePassword, newPassword: NEW_PASSWORD,
    totp: (secret) => totpCode(secret ?? '', clock.nowMs()),
  }, isPortal);
  assert.ok('callback' in outcome, 'stoppedAt' in outcome ? outcome.stoppedAt.body : '');
  const handle = browser.cookie(SESSION_COOKIE);
  assert.match(handle ?? '', /^[A-Za-z0-9_-]{43}$/);
  const home = await browser.get('/portal');
  assert.equal(home.status, 200, home.body);
  assert.match(home.body, /Signed in as pat\. Roles: operations-checker\./);
  assert.doesNotMatch(home.body, /eyJ/, 'no token in the page');
  assert.ok(audit.events.some((e) => e.action === 'PORTAL_SIGN_IN' && e.result === 'succeeded' && e.actor.name === 'pat'));
  assert.deepEqual(replaced, ['pat'], 'the one-time credential\'s delivery is told it was replaced (its file goes)');
});

test('a funds-in made by a maker is approved from the portal page, with its form token', async () => {
  const made = await maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, {
    transferId: randomUUID(), externalReference: 'portal', action: 'recordFundsIn', reason: 'portal test', amount: { amount: '42', currency: 'USD' },
  });
  assert.equal(made.status, 202);
  const id = (made.body as { id: string }).id;
  const home = await browser.get('/portal');
  assert.match(home.body, /recordFundsIn 42 USD into payerfsp/);
  const action = `/portal/changeRequests/${id}/approve`;
  const formToken = /name="formToken" value="([^"]+)"/.exec(home.body)?.[1] ?? '';
  // Forged: no form token, or another origin.
  assert.equal((await browser.post(action, {})).status, 403);
  const foreign = await api.app.inject({ method: 'POST', url: action, headers: { host: 'hub.test', origin: 'https://evil.example', cookie: `${SESSION_COOKIE}=${browser.cookie(SESSION_COOKIE) ?? ''}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: `formToken=${formToken}` });
  assert.equal(foreign.statusCode, 403);
  const approved = await browser.post(action, { formToken });
  assert.equal(approved.status, 200, approved.body);
  assert.match(approved.body, /FUNDS_IN is now EXECUTED; the command answered 202/);
  const cr = (await maker.call('GET', `/changeRequests/${id}`)).body as { approvals: { approverName: string }[] };
  assert.deepEqual(cr.approvals.map((a) => a.approverName), ['pat']);
});

test('the API proxy: reads pass; a change needs the form token; a script of another origin gets nothing', async () => {
  const me = await browser.get('/portal/api/me');
  assert.equal(me.status, 200);
  assert.equal((JSON.parse(me.body) as { name: string }).name, 'pat');
  const session = JSON.parse((await browser.get('/portal/session')).body) as { formToken: string };
  const cookie = `${SESSION_COOKIE}=${browser.cookie(SESSION_COOKIE) ?? ''}`;
  const post = (headers: Record<string, string>) => api.app.inject({ method: 'POST', url: '/portal/api/changeRequests/00000000-0000-4000-8000-000000000000/reject', headers: { host: 'hub.test', cookie, 'content-type': 'application/json', ...headers }, payload: '{"reason":"x"}' });
  assert.equal((await post({ origin: PUBLIC_URL })).statusCode, 403);
  assert.equal((await post({ origin: 'https://evil.example', 'x-interlock-form-token': session.formToken })).statusCode, 403);
  assert.equal((await post({ origin: PUBLIC_URL, 'x-interlock-form-token': session.formToken })).statusCode, 404, 'through to the admin API, which does not know the request');
});

test('the access token is renewed by refresh-token rotation when it is about to expire', async () => {
  const before = await currentSession();
  offsetMs += 4.8 * 60_000;
  const home = await browser.get('/portal');
  assert.match(home.body, /Signed in as pat/);
  const afterwards = await currentSession();
  assert.notEqual(afterwards.refreshToken, before.refreshToken);
  assert.notEqual(afterwards.accessToken, before.accessToken);
  offsetMs = 0;
});

test('sign-out revokes the grant and ends the session', async () => {
  const { accessToken } = await currentSession();
  assert.equal((await api.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${accessToken}` } })).statusCode, 200);
  const home = await browser.get('/portal');
  const form = formOf(home.body.slice(home.body.indexOf('action="/portal/logout"') - 30));
  assert.equal(form?.action, '/portal/logout');
  const formToken = /name="formToken" value="([^"]+)"/.exec(home.body)?.[1] ?? '';
  const out = await browser.post('/portal/logout', { formToken });
  assert.equal(out.status, 303);
  assert.equal(browser.cookie(SESSION_COOKIE), undefined);
  assert.match((await browser.get('/portal')).body, /Not signed in/);
  assert.equal((await api.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${accessToken}` } })).statusCode, 401, 'the revoked grant takes its access tokens with it');
});

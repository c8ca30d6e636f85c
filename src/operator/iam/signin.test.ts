// A real OIDC sign-in, end to end, with oauth4webapi as the client (playing
// the portal, with the portal's own key): authorization code with PKCE, the
// sign-in pages (one-time credential changed, TOTP enrolled, later TOTP
// asked), tokens the admin API accepts, refresh-token rotation and reuse
// detection, revocation, sessions ended by an administrator, and lock-out.
import assert from 'node:assert/strict';
import type { JsonWebKey } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { freshStorage } from '../../testing/engines.ts';
import type { Storage } from '../../storage/index.ts';
import { capturedAdminAudit } from '../audit_events.ts';
import { authorizationServerOf, clientCaller, createTestAdminApi, inProcess, type Caller, type TestAdminApi } from '../../testing/admin_api.ts';
import { PORTAL_CLIENT_ID, portalRedirectUri } from './authorization_server.ts';
import { createBrowser, injectTransport, signIn, type Browser } from './browser.ts';
import { loadIamKeys } from './keys.ts';
import { LOCKOUT_FAILURES_MAX, LOCKOUT_MS } from './limits.ts';
import { totpCode } from './totp.ts';
import { testTables } from '../../testing/tables.ts';

const PUBLIC_URL = 'http://hub.test';
const REDIRECT_URI = portalRedirectUri(PUBLIC_URL);
const NEW_PASSWORD = 'a much longer passphrase 42';

let storage: Storage;
let dispose: () => Promise<void>;
let api: TestAdminApi;
const audit = capturedAdminAudit();
// The admin API's clock (TOTP steps, lock-outs), ahead of real time by whole TOTP steps when a test needs a fresh code.
let offsetMs = 0;
const clock = { nowMs: () => Date.now() + offsetMs };
let as: oauth.AuthorizationServer;
let portalAuth: oauth.ClientAuth;
const portal: oauth.Client = { client_id: PORTAL_CLIENT_ID };
let oneTimePassword: string;
let operatorId: string;
let totpSecret: string | undefined;
let securityApprover: Caller;

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  api = await createTestAdminApi(storage, { audit, clock, publicUrl: PUBLIC_URL });
  const iam = api.iam;
  const { issuer } = await iam.started();
  as = await authorizationServerOf(api.app, issuer);
  const keys = await loadIamKeys(storage.db, clock);
  const key = await crypto.subtle.importKey('jwk', keys.portalClient.privateJwk as JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  portalAuth = oauth.PrivateKeyJwt({ key, kid: keys.portalClient.kid });
  const created = await iam.operators.create({ username: 'carla', displayName: 'Carla Checker' }, 'test');
  assert.ok(created.ok);
  oneTimePassword = created.value.oneTimePassword;
  operatorId = created.value.operator.id;
  assert.ok((await iam.rbac.grant({ principalId: operatorId, principalKind: 'operator', role: 'operations-checker', participant: null }, 'test')).ok);
  securityApprover = await clientCaller(api, 'secapprover', [{ role: 'security-approver' }]);
});
after(async () => {
  await api.close();
  await dispose();
});

/** Starts an authorization request as the portal does: PKCE S256, state, nonce, prompt=login. */
async function authorizationRequest() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(String(as.authorization_endpoint));
  for (const [name, value] of Object.entries({
    client_id: PORTAL_CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, prompt: 'login',
  })) url.searchParams.set(name, value);
  return { url, verifier, state, nonce };
}

async function exchange(callback: URL, request: Awaited<ReturnType<typeof authorizationRequest>>): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(as, portal, callback, request.state);
  const response = await oauth.authorizationCodeGrantRequest(as, portal, portalAuth, params, REDIRECT_URI, request.verifier, inProcess(api.app));
  return oauth.processAuthorizationCodeResponse(as, portal, response, { expectedNonce: request.nonce, requireIdToken: true });
}

const isCallback = (url: URL) => url.href.startsWith(REDIRECT_URI);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
async function me(token: string): Promise<{ status: number; body: string }> {
  const response = await api.app.inject({ method: 'GET', url: '/me', headers: bearer(token) });
  return { status: response.statusCode, body: response.body };
}
const newBrowser = (): Browser => createBrowser(injectTransport(api.app), PUBLIC_URL);

let tokens: oauth.TokenEndpointResponse;

test('first sign-in: one-time credential, new password, TOTP enrolment, then a code exchanged with PKCE', async () => {
  const request = await authorizationRequest();
  const outcome = await signIn(newBrowser(), request.url, {
    username: 'carla', password: oneTimePassword, newPassword: NEW_PASSWORD,
    totp: async (secret) => {
      totpSecret = secret;
      assert.ok(secret !== undefined, 'the enrolment page shows the key');
      // While it is being enrolled, the secret is sealed at rest too.
      const pending = await testTables(storage.db).selectFrom('signin_flows').select('pending_totp_secret').where('pending_totp_secret', 'is not', null).execute();
      assert.equal(pending.length, 1);
      assert.ok(pending.every((row) => row.pending_totp_secret?.startsWith('v1.') === true && !row.pending_totp_secret.includes(secret)));
      return totpCode(secret, clock.nowMs());
    },
  }, isCallback);
  assert.ok('callback' in outcome, 'stoppedAt' in outcome ? outcome.stoppedAt.body : '');
  tokens = await exchange(outcome.callback, request);
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  assert.ok(claims !== undefined);
  assert.equal(claims.sub, operatorId);
  assert.deepEqual(claims['amr'], ['pwd', 'otp']);
  assert.equal(claims['preferred_username'], 'carla');
  assert.ok(typeof tokens.refresh_token === 'string');
  const who = await me(tokens.access_token);
  assert.equal(who.status, 200, who.body);
  assert.equal((JSON.parse(who.body) as { kind: string; name: string }).name, 'carla');
  const operator = await api.iam.operators.find(operatorId);
  assert.equal(operator?.is_password_temporary, 0);
  assert.ok(operator.totp_secret !== null);
  assert.ok(audit.events.some((e) => e.action === 'SIGN_IN' && e.result === 'succeeded' && e.actor.name === 'carla'));
});

test('the access token is a short-lived JWT for the admin API only, and the operator acts with their roles', async () => {
  const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString()) as Record<string, unknown>;
  const [header, payload] = tokens.access_token.split('.').slice(0, 2).map(decode) as [Record<string, unknown>, Record<string, unknown>];
  assert.equal(header['typ'], 'at+jwt');
  assert.equal(header['alg'], 'ES256');
  assert.equal(payload['aud'], 'urn:interlock:admin-api');
  assert.ok(Number(payload['exp']) - Number(payload['iat']) <= 300);
  assert.equal((await api.app.inject({ method: 'GET', url: '/changeRequests', headers: bearer(tokens.access_token) })).statusCode, 200);
  assert.equal((await api.app.inject({ method: 'POST', url: '/participants', headers: { ...bearer(tokens.access_token), 'content-type': 'application/json' }, payload: '{"name":"x1","currency":"USD"}' })).statusCode, 403);
});

test('a PKCE verifier that does not match the challenge gets no tokens', async () => {
  offsetMs += 30_000;
  const request = await authorizationRequest();
  const outcome = await signIn(newBrowser(), request.url, { username: 'carla', password: NEW_PASSWORD, totp: () => totpCode(totpSecret ?? '', clock.nowMs()) }, isCallback);
  assert.ok('callback' in outcome);
  await assert.rejects(exchange(outcome.callback, { ...request, verifier: oauth.generateRandomCodeVerifier() }), (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant');
});

test('refresh tokens rotate; reusing an old one revokes the whole grant, at once', async () => {
  const first = tokens.refresh_token;
  assert.ok(first !== undefined);
  const refreshed = await oauth.processRefreshTokenResponse(as, portal, await oauth.refreshTokenGrantRequest(as, portal, portalAuth, first, inProcess(api.app)));
  assert.ok(refreshed.refresh_token !== undefined && refreshed.refresh_token !== first);
  assert.equal((await me(refreshed.access_token)).status, 200);
  await assert.rejects(
    async () => oauth.processRefreshTokenResponse(as, portal, await oauth.refreshTokenGrantRequest(as, portal, portalAuth, first, inProcess(api.app))),
    (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant',
  );
  // The reuse revoked the grant: even the fresh access token no longer passes, and neither does the fresh refresh token.
  assert.equal((await me(refreshed.access_token)).status, 401);
  await assert.rejects(async () => oauth.processRefreshTokenResponse(as, portal, await oauth.refreshTokenGrantRequest(as, portal, portalAuth, refreshed.refresh_token ?? '', inProcess(api.app))));
});

test('a second sign-in asks for the TOTP code; a wrong code is refused and a replayed one too', async () => {
  offsetMs += 30_000;
  const request = await authorizationRequest();
  const browser = newBrowser();
  const code = totpCode(totpSecret ?? '', clock.nowMs());
  let attempts = 0;
  const outcome = await signIn(browser, request.url, {
    username: 'carla', password: NEW_PASSWORD,
    totp: () => (++attempts === 1 ? String((Number(code) + 1) % 1_000_000).padStart(6, '0') : code),
  }, isCallback);
  assert.ok('stoppedAt' in outcome, 'a wrong code stops the sign-in');
  assert.match(outcome.stoppedAt.body, /Sign-in failed/);
  // The page is still there: the right code goes through.
  const form = /action="([^"]+\/totp)"/.exec(outcome.stoppedAt.body)?.[1];
  assert.ok(form !== undefined);
  const done = await browser.follow(await browser.post(form, { code }), isCallback);
  assert.ok(isCallback(new URL(String(done.headers['location']), done.url)));
  tokens = await exchange(new URL(String(done.headers['location']), done.url), request);
  // The same code, used again in its window, is refused.
  const again = await authorizationRequest();
  const replay = await signIn(newBrowser(), again.url, { username: 'carla', password: NEW_PASSWORD, totp: () => code }, isCallback);
  assert.ok('stoppedAt' in replay);
});

test('revocation: a revoked refresh token cannot be used', async () => {
  const refresh = tokens.refresh_token ?? '';
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, portal, portalAuth, refresh, inProcess(api.app)));
  await assert.rejects(async () => oauth.processRefreshTokenResponse(as, portal, await oauth.refreshTokenGrantRequest(as, portal, portalAuth, refresh, inProcess(api.app))));
});

test('an administrator ends an operator\'s sessions: their access token stops working at once', async () => {
  offsetMs += 30_000;
  const request = await authorizationRequest();
  const outcome = await signIn(newBrowser(), request.url, { username: 'carla', password: NEW_PASSWORD, totp: () => totpCode(totpSecret ?? '', clock.nowMs()) }, isCallback);
  assert.ok('callback' in outcome);
  const fresh = await exchange(outcome.callback, request);
  assert.equal((await me(fresh.access_token)).status, 200);
  const ended = await securityApprover.call('DELETE', `/operators/${operatorId}/sessions`);
  assert.equal(ended.status, 200, ended.raw);
  assert.equal((await me(fresh.access_token)).status, 401);
});

test('a client-credentials token and an operator token are told apart: a client cannot pose as the portal', async () => {
  const automation = await clientCaller(api, 'robot', [{ role: 'auditor' }]);
  const token = await automation.token();
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; client_id: string; grant_id?: string };
  assert.equal(payload.sub, payload.client_id);
  assert.equal(payload.grant_id, undefined);
  assert.equal((await me(token)).status, 200);
});

test('lock-out: after repeated failures even the right password is refused, until the lock-out ends', async () => {
  const iam = api.iam;
  const created = await iam.operators.create({ username: 'larry', displayName: 'Larry Locked' }, 'test');
  assert.ok(created.ok);
  for (let i = 0; i < LOCKOUT_FAILURES_MAX; i++) {
    const request = await authorizationRequest();
    const outcome = await signIn(newBrowser(), request.url, { username: 'larry', password: `wrong password ${i}`, totp: () => '000000' }, isCallback);
    assert.ok('stoppedAt' in outcome);
    assert.equal(outcome.stoppedAt.status, 401);
  }
  const locked = await iam.operators.findByUsername('larry');
  assert.ok(locked?.locked_until_ms !== null && (locked?.locked_until_ms ?? 0) > clock.nowMs());
  const request = await authorizationRequest();
  const refused = await signIn(newBrowser(), request.url, { username: 'larry', password: created.value.oneTimePassword, newPassword: NEW_PASSWORD, totp: () => '000000' }, isCallback);
  assert.ok('stoppedAt' in refused);
  assert.match(refused.stoppedAt.body, /Sign-in failed/, 'the page says the same as for a wrong password');
  assert.ok(audit.events.some((e) => e.action === 'SIGN_IN' && e.actor.name === 'larry' && e.detail === 'locked'));
  assert.ok(audit.events.some((e) => e.action === 'SIGN_IN' && e.actor.name === 'larry' && e.detail?.includes('now locked out') === true));
  // The lock-out ends by itself.
  offsetMs += LOCKOUT_MS + 1_000;
  const later = await authorizationRequest();
  const allowed = await signIn(newBrowser(), later.url, { username: 'larry', password: created.value.oneTimePassword, newPassword: NEW_PASSWORD, totp: () => '000000' }, isCallback);
  assert.ok('callback' in allowed, 'stoppedAt' in allowed ? allowed.stoppedAt.body : '');
});

test('unknown users and wrong passwords look the same; nothing secret is ever audited', () => {
  // The authorization server's own events are audited too: tokens issued, and refused (the PKCE mismatch above).
  assert.ok(audit.events.some((e) => e.action === 'TOKEN_ISSUE' && e.result === 'succeeded' && e.detail === 'grant authorization_code'));
  assert.ok(audit.events.some((e) => e.action === 'TOKEN_ISSUE' && e.result === 'refused' && e.detail?.startsWith('grant authorization_code') === true));
  const text = JSON.stringify(audit.events);
  for (const secret of [oneTimePassword, NEW_PASSWORD, totpSecret ?? 'none']) assert.ok(!text.includes(secret));
});

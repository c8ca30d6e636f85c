// Deny by default, proven route by route: every route the admin API has
// (walked from its own table, so a new route is covered the day it is added)
// refuses a request with no token, an expired, forged, foreign-issuer,
// wrong-audience or unsigned token, and a valid token without its privilege.
// A route that declares no access stops the admin API from starting at all.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { importJWK, SignJWT } from 'jose';
import { systemClock } from '../support/clock.ts';
import { freshStorage } from '../testing/engines.ts';
import type { Storage } from '../storage/index.ts';
import { capturedAdminAudit } from './audit_events.ts';
import { installAccessControl } from './access.ts';
import { ADMIN_API_AUDIENCE } from './iam/authorization_server.ts';
import { loadIamKeys } from './iam/keys.ts';
import { clientCaller, createTestAdminApi, type Caller, type TestAdminApi } from '../testing/admin_api.ts';

/** A plausible value for each path parameter: refusals come before validation, so any value would do. */
const SAMPLE_PARAMS: Readonly<Record<string, string>> = {
  name: 'payerfsp', id: '1', transferId: randomUUID(), kid: 'A'.repeat(43), role: 'auditor', clientId: 'some-client', function: 'FUNDS_IN', serial: '01', uid: 'abcdefghijkl', '*': 'x',
};

function sampleUrl(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, (_m, name: string) => SAMPLE_PARAMS[name] ?? 'x').replace('*', 'x');
}

describe('admin API access control', () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let api: TestAdminApi;
  const audit = capturedAdminAudit();
  let nobody: Caller;
  let everything: Caller;
  const bad: Record<string, string> = {};

  before(async () => {
    ({ storage, dispose } = await freshStorage('sqlite'));
    api = await createTestAdminApi(storage, { audit });
    nobody = await clientCaller(api, 'nobody', []);
    everything = await clientCaller(api, 'everything', [{ role: 'operations-maker' }, { role: 'security-admin' }]);
    const { issuer } = await api.iam.started();
    const keys = await loadIamKeys(storage.db, systemClock);
    const realKey = await importJWK(keys.signing.privateJwk, 'ES256');
    const nowS = Math.floor(Date.now() / 1000);
    const claims = { client_id: everything.clientId, jti: randomUUID(), scope: 'admin' };
    const sign = async (key: Parameters<SignJWT['sign']>[0], change: { iss?: string; aud?: string; iat?: number; exp?: number; kid?: string }) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: change.kid ?? keys.signing.kid })
        .setIssuer(change.iss ?? issuer).setAudience(change.aud ?? ADMIN_API_AUDIENCE).setSubject(everything.clientId)
        .setIssuedAt(change.iat ?? nowS).setExpirationTime(change.exp ?? nowS + 300).sign(key);
    const evil = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    bad['expired'] = await sign(realKey, { iat: nowS - 3600, exp: nowS - 1800 });
    bad['forged'] = await sign(evil, {});
    bad['foreign-issuer'] = await sign(evil, { iss: 'https://idp.evil.example/realms/hub' });
    bad['wrong-audience'] = await sign(realKey, { aud: 'urn:another:api' });
    bad['too-old'] = await sign(realKey, { iat: nowS - 3600, exp: nowS + 300 });
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    bad['unsigned'] = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ ...claims, iss: issuer, aud: ADMIN_API_AUDIENCE, sub: everything.clientId, iat: nowS, exp: nowS + 300 })}.`;
    // Algorithm confusion: the public key used as an HMAC secret.
    bad['hmac-with-public-key'] = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.signing.kid })
      .setIssuer(issuer).setAudience(ADMIN_API_AUDIENCE).setSubject(everything.clientId).setIssuedAt(nowS).setExpirationTime(nowS + 300)
      .sign(new TextEncoder().encode(JSON.stringify(keys.signing.publicJwk)));
  });
  after(async () => {
    await api.close();
    await dispose();
  });

  test('the valid tokens used below do work', async () => {
    assert.equal((await everything.call('GET', '/participants')).status, 200);
    assert.equal((await nobody.call('GET', '/me')).status, 200);
  });

  test('every route declares its access, and the sensitive ones are change requests', () => {
    const routes = api.declaredRoutes;
    assert.ok(routes.length > 40, `${routes.length} routes`);
    const publicRoutes = routes.filter((r) => r.access.kind === 'public').map((r) => `${r.method} ${r.url}`).sort();
    assert.deepEqual(publicRoutes.filter((r) => !r.startsWith('HEAD ')), [
      'DELETE /portal/api/*',
      'GET /health', 'GET /hub/jwks', 'GET /interaction/:uid', 'GET /oidc/*', 'GET /pki/ca', 'GET /pki/crl', 'GET /pki/crl/root',
      'GET /portal', 'GET /portal/api/*', 'GET /portal/callback', 'GET /portal/login', 'GET /portal/session',
      'POST /interaction/:uid/enrol', 'POST /interaction/:uid/login', 'POST /interaction/:uid/password', 'POST /interaction/:uid/totp', 'POST /oidc/*',
      'POST /portal/api/*', 'POST /portal/changeRequests/:id/approve', 'POST /portal/changeRequests/:id/reject', 'POST /portal/logout',
      'PUT /portal/api/*',
    ]);
    const change = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)?.access.kind;
    for (const [method, url] of [
      ['POST', '/participants'], ['PUT', '/participants/:name'], ['POST', '/participants/:name/accounts/:id'], ['PUT', '/participants/:name/accounts/:id'],
      ['POST', '/participants/:name/initialPositionAndLimits'], ['PUT', '/participants/:name/limits'], ['POST', '/participants/:name/endpoints'],
      ['POST', '/participants/:name/keys'], ['DELETE', '/participants/:name/keys/:kid'], ['POST', '/pki/csr'], ['POST', '/pki/certificates/:serial/revoke'],
      ['POST', '/operators'], ['PUT', '/operators/:id'], ['POST', '/clients'], ['PUT', '/roles/:role'], ['POST', '/grants'], ['POST', '/grants/revoke'],
      ['POST', '/sodExclusions'], ['PUT', '/approvalPolicies/:function'],
    ] as const) {
      assert.equal(change(method, url), 'change', `${method} ${url} is a change request`);
    }
  });

  test('every non-public route refuses a request without a token, with 401 and a Bearer challenge', async () => {
    for (const route of api.declaredRoutes.filter((r) => r.access.kind !== 'public')) {
      const response = await api.app.inject({ method: route.method as 'GET', url: sampleUrl(route.url) });
      assert.equal(response.statusCode, 401, `${route.method} ${route.url}: ${response.body}`);
      assert.match(String(response.headers['www-authenticate']), /^Bearer realm="interlock-admin"/);
      if (route.method !== 'HEAD') assert.equal((JSON.parse(response.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3000');
    }
  });

  for (const kind of ['expired', 'forged', 'foreign-issuer', 'wrong-audience', 'too-old', 'unsigned', 'hmac-with-public-key']) {
    test(`every non-public route refuses a token that is ${kind}`, async () => {
      const token = bad[kind];
      assert.ok(token !== undefined);
      for (const route of api.declaredRoutes.filter((r) => r.access.kind !== 'public')) {
        const response: { statusCode: number; body: string } = await api.app.inject({ method: route.method as 'GET', url: sampleUrl(route.url), headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 401, `${route.method} ${route.url} with a ${kind} token: ${response.body}`);
      }
    });
  }

  test('every route that needs a privilege refuses a valid token without it, with 403', async () => {
    for (const route of api.declaredRoutes.filter((r) => r.access.kind !== 'public' && r.access.kind !== 'authenticated')) {
      const response = await nobody.call(route.method, sampleUrl(route.url));
      assert.equal(response.status, 403, `${route.method} ${route.url}: ${response.raw}`);
    }
  });

  test('refusals are audited with who, what, where and why, and never the token', () => {
    const refused = audit.events.filter((e) => e.result === 'refused');
    assert.ok(refused.some((e) => e.actor.kind === 'anonymous' && e.detail === 'no token' && e.target?.route === 'POST /participants'));
    assert.ok(refused.some((e) => e.detail?.startsWith('token expired') === true));
    assert.ok(refused.some((e) => e.detail?.startsWith('token foreign-issuer') === true));
    assert.ok(refused.some((e) => e.actor.id === nobody.clientId && e.action === 'PARTICIPANT_READ' && e.detail?.startsWith('missing-privilege') === true));
    const text = JSON.stringify(audit.events);
    for (const token of Object.values(bad)) assert.ok(!text.includes(token.slice(-20)), 'no token in audit events');
  });

  test('a route that declares no access stops the start', async () => {
    const app = Fastify();
    const iam = api.iam;
    installAccessControl(app, {
      iam, declaredElsewhere: new Map(), changeRequests: undefined as never, executions: undefined as never, audit: capturedAdminAudit(), clock: systemClock,
      participantExists: () => Promise.resolve(true), bootstrapMayActAlone: () => Promise.resolve(false), runBootstrapRequest: () => Promise.resolve(undefined),
    });
    assert.throws(() => app.get('/undeclared', () => 'open'), /declares no access/);
    // The shorthand other modules use (the audit log's routes): a known privilege, or the start stops.
    assert.throws(() => app.get('/misspelt', { config: { privilege: 'AUDIT_REED' } }, () => 'open'), /unknown privilege AUDIT_REED/);
    app.get('/audit/example', { config: { privilege: 'AUDIT_READ' } }, () => 'audited');
    await app.ready();
    assert.equal((await app.inject({ method: 'GET', url: '/audit/example' })).statusCode, 401);
    const auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    const response = await app.inject({ method: 'GET', url: '/audit/example', headers: { authorization: `Bearer ${await auditor.token()}` } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, 'audited');
    await app.close();
  });
});

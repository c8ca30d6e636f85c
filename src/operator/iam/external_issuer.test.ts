// An external OpenID Connect issuer (a stand-in for Keycloak on loopback):
// discovered, its keys fetched from its jwks_uri, its users' roles mapped from
// a claim; its tokens are checked as strictly as the hub's own, and its users
// go through maker-checker like anyone else.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { freshStorage } from '../../testing/engines.ts';
import type { Storage } from '../../storage/index.ts';
import { createTestAdminApi, type TestAdminApi } from '../../testing/admin_api.ts';
import { parseRoleMap } from '../../config/index.ts';
import { rolesAt } from './external_issuer.ts';

const AUDIENCE = 'interlock-admin';

describe('an external OIDC issuer', () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let api: TestAdminApi;
  let idp: Server;
  let issuer = '';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let kid = '';

  before(async () => {
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    kid = await calculateJwkThumbprint(jwk);
    idp = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/realms/hub/.well-known/openid-configuration') {
        response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs`, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }));
      } else if (request.url === '/realms/hub/protocol/openid-connect/certs') {
        response.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] }));
      } else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    await new Promise<void>((resolve) => { idp.listen(0, '127.0.0.1', resolve); });
    const address = idp.address();
    assert.ok(typeof address === 'object' && address !== null);
    issuer = `http://127.0.0.1:${address.port}/realms/hub`;
    ({ storage, dispose } = await freshStorage('sqlite'));
    const roleMap = parseRoleMap('hub-auditor=auditor,hub-maker=operations-maker,hub-checker=operations-checker,dfsp-a-viewer=auditor@payerfsp');
    assert.ok(roleMap.ok);
    api = await createTestAdminApi(storage, { externalIssuer: { issuer, audience: AUDIENCE, rolesClaim: 'realm_access.roles', roleMap: roleMap.value } });
  });
  after(async () => {
    await api.close();
    await dispose();
    await new Promise<void>((resolve) => { idp.close(() => { resolve(); }); });
  });

  const token = (sub: string, roles: string[], change: { aud?: string; alg?: 'RS256' | 'HS256'; kid?: string } = {}) => {
    const nowS = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ preferred_username: sub, realm_access: { roles }, jti: randomUUID() })
      .setProtectedHeader({ alg: change.alg ?? 'RS256', typ: 'JWT', kid: change.kid ?? kid })
      .setIssuer(issuer).setAudience(change.aud ?? AUDIENCE).setSubject(sub).setIssuedAt(nowS).setExpirationTime(nowS + 300);
    return change.alg === 'HS256' ? jwt.sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!')) : jwt.sign(privateKey);
  };
  const call = async (bearer: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const response = await api.app.inject({ method, url, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    return { status: response.statusCode, body: response.body === '' ? undefined : JSON.parse(response.body) as Record<string, unknown> };
  };

  test('a user with a mapped role acts with that role, and no more', async () => {
    const auditor = await token('kc-alice', ['hub-auditor', 'offline_access']);
    assert.equal((await call(auditor, 'GET', '/participants')).status, 200);
    const me = await call(auditor, 'GET', '/me');
    assert.equal(me.body?.['kind'], 'external');
    assert.equal(me.body['name'], 'kc-alice');
    assert.deepEqual(me.body['roles'], [{ role: 'auditor', participant: null }]);
    assert.equal((await call(auditor, 'POST', '/participants', { name: 'x1', currency: 'USD' })).status, 403);
  });

  test('roles not in the map give nothing; a scoped mapping gives one participant', async () => {
    assert.equal((await call(await token('kc-bob', ['realm-admin']), 'GET', '/participants')).status, 403);
    const viewer = await token('kc-carol', ['dfsp-a-viewer']);
    assert.equal((await call(viewer, 'GET', '/participants/payerfsp/endpoints')).status, 404, 'through the gate (the participant does not exist yet)');
    assert.equal((await call(viewer, 'GET', '/participants/payeefsp/endpoints')).status, 403);
  });

  test('its tokens are checked strictly: audience, algorithm, key', async () => {
    assert.equal((await call(await token('kc-alice', ['hub-auditor'], { aud: 'account' }), 'GET', '/participants')).status, 401);
    assert.equal((await call(await token('kc-alice', ['hub-auditor'], { alg: 'HS256' }), 'GET', '/participants')).status, 401);
    assert.equal((await call(await token('kc-alice', ['hub-auditor'], { kid: 'unknown-kid' }), 'GET', '/participants')).status, 401);
  });

  test('maker-checker holds for external users too: the maker cannot approve, another user can', async () => {
    const maker = await token('kc-maker', ['hub-maker']);
    const checker = await token('kc-checker', ['hub-checker']);
    for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) assert.equal((await call(maker, 'POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
    const made = await call(maker, 'POST', '/participants', { name: 'payerfsp', currency: 'USD' });
    assert.equal(made.status, 202);
    const id = String(made.body?.['id']);
    assert.equal((await call(maker, 'POST', `/changeRequests/${id}/approve`)).status, 403);
    const approved = await call(checker, 'POST', `/changeRequests/${id}/approve`);
    assert.equal(approved.status, 200);
    assert.equal(approved.body?.['state'], 'EXECUTED');
    assert.equal((approved.body['maker'] as { id: string }).id, `${issuer}#kc-maker`);
  });

  test('role maps and claim paths', () => {
    assert.equal(parseRoleMap('a=auditor,b').ok, false);
    assert.equal(parseRoleMap('a=Auditor').ok, false);
    assert.deepEqual(rolesAt({ realm_access: { roles: ['a', 1, 'b'] } }, 'realm_access.roles'), ['a', 'b']);
    assert.deepEqual(rolesAt({ roles: 'a' }, 'roles'), []);
  });
});

test('configuration: all four keys or none; https, or http on loopback only', async () => {
  const { loadConfig, ConfigError } = await import('../../config/index.ts');
  const env = {
    INTERLOCK_ADMIN_EXTERNAL_ISSUER_URL: 'https://idp.example/realms/hub',
    INTERLOCK_ADMIN_EXTERNAL_ISSUER_AUDIENCE: 'interlock-admin',
    INTERLOCK_ADMIN_EXTERNAL_ISSUER_ROLES_CLAIM: 'realm_access.roles',
    INTERLOCK_ADMIN_EXTERNAL_ISSUER_ROLE_MAP: 'hub-maker=operations-maker,dfsp-a=auditor@dfspa',
  };
  const config = loadConfig({ env });
  assert.equal(config.admin.externalIssuer?.issuer, 'https://idp.example/realms/hub');
  assert.deepEqual(config.admin.externalIssuer.roleMap.get('dfsp-a'), { role: 'auditor', participant: 'dfspa' });
  assert.throws(() => loadConfig({ env: { ...env, INTERLOCK_ADMIN_EXTERNAL_ISSUER_URL: 'http://idp.example/realms/hub' } }), ConfigError);
  assert.throws(() => loadConfig({ env: { INTERLOCK_ADMIN_EXTERNAL_ISSUER_URL: 'https://idp.example' } }), /give all of/);
  assert.throws(() => loadConfig({ env: { ...env, INTERLOCK_ADMIN_EXTERNAL_ISSUER_ROLE_MAP: 'x' } }), ConfigError);
  assert.equal(loadConfig({ env: {} }).admin.externalIssuer, undefined);
});

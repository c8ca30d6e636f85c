// The signing key routes on an app of their own, with the admin API's JSON
// parser and failure replies (createAdminApi registers them in main wiring).
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { calculateJwkThumbprint } from 'jose';
import { createParticipantRegistry, createSigningKeyRegistry } from '../participants/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { registerSigningKeyRoutes } from './signing_key_routes.ts';
import { routeTestApp } from '../testing/admin_api.ts';
import { testTables } from '../testing/tables.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const hubKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describeOnEachEngine('admin API: signing keys', (ctx) => {
  let app: FastifyInstance;
  let nowMs = T0;
  const clock = { nowMs: () => nowMs };
  let hubKid: string;

  before(async () => {
    const { db, engine } = ctx.storage;
    await createParticipantRegistry({ db, engine, clock }).ensureHub();
    await testTables(db).insertInto('participants').values({ name: 'payerfsp', name_folded: 'payerfsp', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: T0, created_by: 'test' }).execute();
    hubKid = await calculateJwkThumbprint(hubKey.publicKey.export({ format: 'jwk' }));
    app = await routeTestApp((bare) => {
      registerSigningKeyRoutes(bare, {
        signingKeys: createSigningKeyRegistry({ db, engine, clock }),
        hubPublicKeys: () => [{ kid: hubKid, alg: 'ES256', publicKey: hubKey.publicKey }],
        clock,
      });
    });
  });
  after(async () => {
    await app.close();
  });

  async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
    const response = await app.inject({ method, url, ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> & Record<number, Record<string, unknown>>, type: response.headers['content-type'] };
  }
  const code = (body: Record<string, unknown>) => (body['errorInformation'] as { errorCode?: string } | undefined)?.errorCode;

  test('POST registers a PEM key (201), a repeat answers 200, GET lists it with its state', async () => {
    nowMs = T0;
    const publicKey = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const created = await call('POST', '/participants/payerfsp/keys', { publicKey, notAfter: '2027-03-01T00:00:00.000Z' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, {
      kid: await calculateJwkThumbprint(rsa.publicKey.export({ format: 'jwk' })), alg: 'RS256', state: 'ACTIVE', publicKey,
      notBefore: '2026-03-01T00:00:00.000Z', notAfter: '2027-03-01T00:00:00.000Z', revokedAt: null, createdAt: '2026-03-01T00:00:00.000Z', createdBy: 'admin-api',
    });
    const repeated = await call('POST', '/participants/payerfsp/keys', { publicKey, notAfter: '2027-03-01T00:00:00.000Z' });
    assert.equal(repeated.status, 200);
    const listed = await call('GET', '/participants/payerfsp/keys');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, [created.body]);
  });

  test('a public JWK registers too, staged for later', async () => {
    const jwk = { ...ec.publicKey.export({ format: 'jwk' }), use: 'sig', key_ops: ['verify'] };
    const created = await call('POST', '/participants/payerfsp/keys', { publicKey: jwk, notBefore: '2026-03-02T00:00:00Z' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body['state'], 'PENDING');
    assert.ok(createPublicKey(String(created.body['publicKey'])).equals(ec.publicKey));
  });

  test('DELETE revokes: the key stays listed, REVOKED', async () => {
    nowMs = T0 + 60_000;
    const kid = await calculateJwkThumbprint(rsa.publicKey.export({ format: 'jwk' }));
    const revoked = await call('DELETE', `/participants/payerfsp/keys/${kid}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body['state'], 'REVOKED');
    assert.equal(revoked.body['revokedAt'], '2026-03-01T00:01:00.000Z');
    const listed = await call('GET', '/participants/payerfsp/keys');
    const states = new Map((listed.body as unknown as { kid: string; state: string }[]).map((k) => [k.kid, k.state]));
    assert.equal(states.get(kid), 'REVOKED');
    assert.equal(states.size, 2);
    const back = await call('POST', '/participants/payerfsp/keys', { publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) });
    assert.equal(code(back.body), '3000');
  });

  test('refusals come as FSPIOP errorInformation with their status', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    const cases: [number, string, Awaited<ReturnType<typeof call>>][] = [
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: weak })],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) })],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: rsa.privateKey.export({ format: 'jwk' }) })],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }), notAfter: '2026-02-30T00:00:00Z' })],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }), notAfter: 'tomorrow' })],
      [400, '3103', await call('POST', '/participants/payerfsp/keys', { publicKey: 'x', alg: 'RS256' })],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', {})],
      [400, '3100', await call('POST', '/participants/payerfsp/keys', { publicKey: 42 })],
      [404, '3200', await call('POST', '/participants/nobody/keys', { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) })],
      [404, '3200', await call('GET', '/participants/nobody/keys')],
      [404, '3200', await call('DELETE', `/participants/payerfsp/keys/${'A'.repeat(43)}`)],
      [400, '3100', await call('DELETE', '/participants/payerfsp/keys/not-a-kid')],
    ];
    for (const [status, errorCode, answer] of cases) {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(code(answer.body), errorCode, JSON.stringify(answer.body));
    }
  });

  test('GET /hub/jwks publishes the hub\'s public keys as a JWK Set', async () => {
    const jwks = await call('GET', '/hub/jwks');
    assert.equal(jwks.status, 200);
    assert.match(String(jwks.type), /^application\/jwk-set\+json/);
    const [key] = jwks.body['keys'] as Record<string, string>[];
    assert.deepEqual({ ...key, x: undefined, y: undefined }, { kty: 'EC', crv: 'P-256', kid: hubKid, alg: 'ES256', use: 'sig', x: undefined, y: undefined });
    assert.ok(createPublicKey({ key: key!, format: 'jwk' }).equals(hubKey.publicKey));
    assert.equal(key!['d'], undefined);
  });
});

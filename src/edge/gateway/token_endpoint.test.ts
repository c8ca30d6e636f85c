// DFSPs' OAuth2 client credentials over mutual TLS, end to end: a real HTTPS
// listener with the scheme test PKI asking for client certificates (as the
// FSPIOP listener does), the hub's authorization server mounted on it at
// /oauth2/token, oauth4webapi as the DFSP (tls_client_auth, its certificate
// and key in an undici Agent), and the FSPIOP API's token check behind a route
// on the same listener. The admin API's side is the same authorization server
// mounted under /oidc, answered in-process.
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import { capturedAdminAudit } from '../../operator/audit_events.ts';
import { FSPIOP_API_AUDIENCE } from '../../identity/index.ts';
import { FSPIOP_SCOPES, OIDC_PATH } from '../../operator/iam/authorization_server.ts';
import { createIam, type Iam } from '../../operator/iam/iam.ts';
import { participantTokenHandler, registerOidcRoutes } from '../../operator/iam/oidc_routes.ts';
import { authorizationServerOf, inProcess } from '../../testing/admin_api.ts';
import { createParticipantRegistry } from '../../participants/index.ts';
import { createTestPki, type TestCredentials, type TestPki } from '../../pki/testing.ts';
import type { Storage } from '../../storage/index.ts';
import { systemClock } from '../../support/clock.ts';
import { createLogger } from '../../support/logger.ts';
import { freshStorage } from '../../testing/engines.ts';
import { testSchemePki } from '../../testing/scheme_pki.ts';
import { capturedSecurityEvents } from '../../audit/index.ts';
import { createMutualTls, type MutualTls } from '../tls/mtls.ts';
import { certificateThumbprint, createParticipantTokenCheck, type ParticipantTokenCheck } from './access_token.ts';
import { FSPIOP_APIS, type FspiopApi } from '../../fspiop/apis.ts';
import { participantTokenEndpointUrl, PARTICIPANT_TOKEN_PATH, registerParticipantTokenEndpoint } from './token_endpoint.ts';

const ADMIN_URL = 'http://hub.test';
/** A DFSP permitted only the lookup API (the other engineers' API permissions, injected). */
const LIMITED = 'limitedfsp';
/** A DFSP permitted no API at all. */
const MUTE = 'mutefsp';

let storage: Storage;
let dispose: () => Promise<void>;
let iam: Iam;
let admin: FastifyInstance;
let pki: TestPki;
let tls: MutualTls;
let gated: Listener;
let ungated: Listener;
let as: oauth.AuthorizationServer;
let tokenCheck: ParticipantTokenCheck;
const credentials = new Map<string, TestCredentials>();
const securityEvents = capturedSecurityEvents();
const audit = capturedAdminAudit();
let registry: ReturnType<typeof createParticipantRegistry>;
const agents: Agent[] = [];

interface Listener {
  readonly app: FastifyInstance;
  readonly url: string;
}

/**
 * An HTTPS listener with the FSPIOP listener's TLS options and the token endpoint. `gated`: mtls.attach()
 * drops connections without a verified certificate at the handshake, as the FSPIOP listener does; without
 * it the token endpoint's own refusals are seen. Behind GET /check, the FSPIOP API's token check.
 */
async function listener(attach: boolean): Promise<Listener> {
  const app = Fastify({ https: tls.serverOptions() });
  // As the FSPIOP API: every body read as bytes, and a catch-all route for its operations.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body); });
  app.route({ method: ['GET', 'POST', 'PUT'], url: '/*', handler: (_request, reply) => reply.code(404).send({ fspiop: 'no such operation' }) });
  registerParticipantTokenEndpoint(app, { tokenRequestHandler: async () => participantTokenHandler((await iam.started()).provider) });
  app.get('/check', async (request, reply) => {
    const socket = request.raw.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return reply.code(403).send({ error: 'no verified certificate' });
    const identity = tls.identityOf(socket);
    if (identity === undefined) return reply.code(403).send({ error: 'no identity' });
    const refusal = await tokenCheck.check({
      participant: identity.fspId,
      peerCertificateDer: socket.getPeerX509Certificate()?.raw,
      authorization: request.headers.authorization,
      api: (request.query as { api: FspiopApi }).api,
    });
    if (refusal === undefined) return reply.code(200).send({ ok: identity.fspId });
    return reply.code(refusal.httpStatus).headers({ ...refusal.headers }).send({ code: refusal.failure.code, event: refusal.event });
  });
  if (attach) tls.attach(app.server);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `https://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  const { db, engine } = storage;
  const clock = systemClock;
  registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const) assert.ok((await registry.createHubAccount('USD', type, 'test')).ok);
  for (const name of ['payerfsp', 'payeefsp', LIMITED, MUTE, 'gonefsp']) assert.ok((await registry.create({ name, currency: 'USD', isProxy: false }, 'test')).ok);
  assert.ok((await registry.setActive('gonefsp', false)).ok);

  pki = await testSchemePki();
  const hubCredentials = await pki.issue('hub', { profile: 'both' });
  tls = createMutualTls({
    credentials: { ...hubCredentials, notAfterMs: Date.now() + 86_400_000 },
    trust: { caPems: pki.caPems, crlPems: await pki.crls() },
    clock,
    securityEvents,
  });
  for (const name of ['payerfsp', 'payeefsp', LIMITED, MUTE, 'gonefsp']) credentials.set(name, await pki.issue(name, { profile: 'client' }));

  let fspiopUrl = '';
  iam = createIam({
    db, engine, clock, log: createLogger('silent'), publicUrl: () => ADMIN_URL, showOnce: () => undefined,
    audit, automationCredentialsFile: undefined,
    participantTokens: {
      grantedScopes: async (fspId) => Promise.resolve(fspId === LIMITED ? ['fspiop:lookup'] : fspId === MUTE ? [] : FSPIOP_SCOPES),
      tokenEndpointUrl: () => participantTokenEndpointUrl(fspiopUrl),
    },
  });
  admin = Fastify();
  registerOidcRoutes(admin, iam);
  await admin.ready();

  gated = await listener(true);
  ungated = await listener(false);
  fspiopUrl = gated.url;
  tokenCheck = createParticipantTokenCheck({ trust: () => iam.participantTokenTrust(), clock, mode: 'required' });
  as = await authorizationServerOf(admin, (await iam.started()).issuer);
});

after(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await gated.app.close();
  await ungated.app.close();
  await admin.close();
  await dispose();
});

type Fetch = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams }) => Promise<Response>;

/** fetch over mutual TLS with `who`'s certificate (none when undefined), trusting the scheme CA. */
function fetchAs(who: { keyPem: string; certificateChainPem: string } | undefined): Fetch {
  const agent = new Agent({ connect: { ca: [...pki.caPems], ...(who === undefined ? {} : { key: who.keyPem, cert: who.certificateChainPem }) } });
  agents.push(agent);
  return async (url, init) => undiciFetch(url, { ...init, dispatcher: agent });
}

const credentialsOf = (name: string): TestCredentials => {
  const found = credentials.get(name);
  assert.ok(found !== undefined);
  return found;
};

/** A token request as a DFSP makes it: client fsp:<clientOf>, tls_client_auth, over a connection with `presenting`'s certificate. */
async function requestToken(clientOf: string, presenting: { keyPem: string; certificateChainPem: string } | undefined, scope?: string, endpoint = 'alias'): Promise<oauth.TokenEndpointResponse> {
  const client: oauth.Client = { client_id: `fsp:${clientOf}`, use_mtls_endpoint_aliases: true };
  const server: oauth.AuthorizationServer = endpoint === 'alias' ? as : { ...as, mtls_endpoint_aliases: { token_endpoint: `${endpoint}${PARTICIPANT_TOKEN_PATH}` } };
  const response = await oauth.clientCredentialsGrantRequest(server, client, oauth.TlsClientAuth(), new URLSearchParams(scope === undefined ? {} : { scope }), { [oauth.customFetch]: fetchAs(presenting) });
  return oauth.processClientCredentialsResponse(server, client, response);
}

const oauthError = (code: string) => (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === code;

/** The token request was refused with `code`, and the authorization server's audit event says why (`why`). */
const refusedWith = (code: string, why: RegExp) => (error: unknown) => {
  const refused = audit.events.findLast((e) => e.action === 'TOKEN_ISSUE');
  return oauthError(code)(error) && refused?.result === 'refused' && why.test(refused.detail ?? '');
};

/** GET /check?api= on the gated listener with `presenting`'s certificate and `token`. */
async function checkAt(presenting: { keyPem: string; certificateChainPem: string }, token: string | undefined, api: FspiopApi) {
  const response = await fetchAs(presenting)(`${gated.url}/check?api=${api}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() as { ok?: string; event?: { kind: string; reason: string } } };
}

const derOf = (pem: string) => new X509Certificate(pem).raw;

test('discovery advertises the token endpoint on the FSPIOP listener (RFC 8705 mtls_endpoint_aliases), tls_client_auth and bound tokens', () => {
  assert.deepEqual(as.mtls_endpoint_aliases, { token_endpoint: `${gated.url}${PARTICIPANT_TOKEN_PATH}` });
  assert.ok(as.token_endpoint_auth_methods_supported?.includes('tls_client_auth'));
  assert.equal(as.tls_client_certificate_bound_access_tokens, true);
  assert.equal(as.token_endpoint, `${ADMIN_URL}${OIDC_PATH}/token`);
});

test('a DFSP gets a short-lived ES256 at+jwt for the FSPIOP API, bound to its certificate, that the FSPIOP API accepts', async () => {
  const payer = credentialsOf('payerfsp');
  const granted = await requestToken('payerfsp', payer, 'fspiop:transfers fspiop:quotes');
  assert.equal(granted.token_type.toLowerCase(), 'bearer');
  assert.equal(decodeProtectedHeader(granted.access_token).typ, 'at+jwt');
  assert.equal(decodeProtectedHeader(granted.access_token).alg, 'ES256');
  const claims = decodeJwt(granted.access_token);
  assert.equal(claims.aud, FSPIOP_API_AUDIENCE);
  assert.equal(claims['client_id'], 'fsp:payerfsp');
  assert.equal(claims.iss, (await iam.started()).issuer);
  assert.deepEqual(claims['cnf'], { 'x5t#S256': certificateThumbprint(derOf(payer.certificatePem)) });
  assert.deepEqual(new Set(String(claims['scope']).split(' ')), new Set(['fspiop:transfers', 'fspiop:quotes']));
  assert.equal(Number(claims.exp) - Number(claims.iat), 300);
  assert.deepEqual((await checkAt(payer, granted.access_token, 'transfers')).body, { ok: 'payerfsp' });
  assert.equal((await checkAt(payer, granted.access_token, 'quotes')).status, 200);
  // The same token once its 300 s and the 5 s tolerance are past.
  const later = createParticipantTokenCheck({ trust: () => iam.participantTokenTrust(), clock: { nowMs: () => Date.now() + 306_000 }, mode: 'required' });
  const expired = await later.check({ participant: 'payerfsp', peerCertificateDer: derOf(payer.certificatePem), authorization: `Bearer ${granted.access_token}`, api: 'transfers' });
  assert.equal(expired?.httpStatus, 401);
  assert.equal(expired.event.reason, 'the token has expired');
});

test('a DFSP that asks no scope gets every scope it is permitted; asking a scope it is not permitted narrows or refuses', async () => {
  const all = await requestToken('payeefsp', credentialsOf('payeefsp'));
  assert.deepEqual(new Set(String(decodeJwt(all.access_token)['scope']).split(' ')), new Set(FSPIOP_SCOPES));
  for (const api of FSPIOP_APIS) assert.equal((await checkAt(credentialsOf('payeefsp'), all.access_token, api)).status, 200);

  const limited = credentialsOf(LIMITED);
  const narrowed = await requestToken(LIMITED, limited, 'fspiop:lookup fspiop:transfers');
  assert.equal(decodeJwt(narrowed.access_token)['scope'], 'fspiop:lookup');
  assert.equal(decodeJwt(await requestToken(LIMITED, limited).then((t) => t.access_token))['scope'], 'fspiop:lookup');
  await assert.rejects(requestToken(LIMITED, limited, 'fspiop:transfers'), oauthError('invalid_scope'));
  await assert.rejects(requestToken(MUTE, credentialsOf(MUTE)), oauthError('access_denied'));
});

test('a token without the scope of the API called is refused with 403 insufficient_scope', async () => {
  const payer = credentialsOf('payerfsp');
  const lookupOnly = await requestToken('payerfsp', payer, 'fspiop:lookup');
  assert.equal((await checkAt(payer, lookupOnly.access_token, 'lookup')).status, 200);
  const refused = await checkAt(payer, lookupOnly.access_token, 'transfers');
  assert.equal(refused.status, 403);
  assert.equal(refused.wwwAuthenticate, 'Bearer error="insufficient_scope", scope="fspiop:transfers"');
  assert.equal(refused.body.event?.kind, 'token-scope-missing');
});

test('DFSP A\'s token on DFSP B\'s connection is refused, and so is it on a connection with another certificate of A', async () => {
  const granted = await requestToken('payerfsp', credentialsOf('payerfsp'), 'fspiop:transfers');
  const onB = await checkAt(credentialsOf('payeefsp'), granted.access_token, 'transfers');
  assert.equal(onB.status, 401);
  assert.equal(onB.wwwAuthenticate, 'Bearer error="invalid_token"');
  assert.match(onB.body.event?.reason ?? '', /issued to fsp:payerfsp, not to fsp:payeefsp/);
  // The same DFSP's second certificate (a rollover, or a thief's own certificate for that name): not the one the token is bound to.
  const second = await pki.issue('payerfsp', { profile: 'client' });
  const elsewhere = await checkAt(second, granted.access_token, 'transfers');
  assert.equal(elsewhere.status, 401);
  assert.match(elsewhere.body.event?.reason ?? '', /bound to another certificate/);
  assert.equal((await checkAt(second, (await requestToken('payerfsp', second, 'fspiop:transfers')).access_token, 'transfers')).status, 200);
});

test('the token endpoint refuses a request without a client certificate, or with a certificate of another participant or of another CA', async () => {
  // Even without the listener's handshake gate (mtls.attach), the authorization server reads no certificate the handshake did not verify.
  assert.ok((await requestToken('payerfsp', credentialsOf('payerfsp'), undefined, ungated.url)).access_token.length > 0);
  await assert.rejects(requestToken('payerfsp', undefined, undefined, ungated.url), refusedWith('invalid_client', /client certificate was not provided/));
  await assert.rejects(requestToken('payerfsp', credentialsOf('payeefsp'), undefined, ungated.url), refusedWith('invalid_client', /certificate subject value does not match/));
  await assert.rejects(requestToken('payerfsp', credentialsOf('payeefsp')), refusedWith('invalid_client', /certificate subject value does not match/));
  const otherCa = await createTestPki({ schemeName: 'Another Scheme' });
  try {
    const foreign = await otherCa.issue('payerfsp', { profile: 'client' });
    await assert.rejects(requestToken('payerfsp', foreign, undefined, ungated.url), refusedWith('invalid_client', /client certificate was not provided/));
    // The FSPIOP listener itself drops the connection at the handshake.
    await assert.rejects(requestToken('payerfsp', foreign), (error: unknown) => !(error instanceof oauth.ResponseBodyError));
  } finally {
    otherCa.dispose();
  }
  // A client id that names no participant, or is no DFSP client at all.
  await assert.rejects(requestToken('nosuchfsp', credentialsOf('payerfsp')), refusedWith('invalid_client', /client not found/));
});

test('an inactive participant gets no token, even with its valid certificate', async () => {
  await assert.rejects(requestToken('gonefsp', credentialsOf('gonefsp')), refusedWith('invalid_client', /client not found/));
  assert.ok((await registry.setActive('gonefsp', true)).ok);
  assert.ok((await requestToken('gonefsp', credentialsOf('gonefsp'))).access_token.length > 0, 'active again, it gets one');
  assert.ok((await registry.setActive('gonefsp', false)).ok);
  await assert.rejects(requestToken('gonefsp', credentialsOf('gonefsp')), oauthError('invalid_client'));
});

test('only DFSPs get tokens on the FSPIOP listener, and DFSPs get none at the admin API', async () => {
  // An automation client of the admin API, with its private key: refused at the FSPIOP listener's token endpoint.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  assert.ok((await iam.clients.create({ clientId: 'robot', displayName: 'robot', jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: 'k1' }] } }, 'test')).ok);
  const robot: oauth.Client = { client_id: 'robot', use_mtls_endpoint_aliases: true };
  const robotAuth = oauth.PrivateKeyJwt({ key: await crypto.subtle.importKey('jwk', privateKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']), kid: 'k1' });
  await assert.rejects(
    async () => oauth.processClientCredentialsResponse(as, robot, await oauth.clientCredentialsGrantRequest(as, robot, robotAuth, new URLSearchParams(), { [oauth.customFetch]: fetchAs(credentialsOf('payerfsp')) })),
    oauthError('invalid_target'),
  );
  // Asking the admin API's token endpoint for the FSPIOP API's audience: refused too.
  const adminRobot: oauth.Client = { client_id: 'robot' };
  await assert.rejects(
    async () => oauth.processClientCredentialsResponse(as, adminRobot, await oauth.clientCredentialsGrantRequest(as, adminRobot, robotAuth, new URLSearchParams({ resource: FSPIOP_API_AUDIENCE }), inProcess(admin))),
    oauthError('invalid_target'),
  );
  // A DFSP client at the admin API's token endpoint: that listener shows the authorization server no certificate.
  const dfsp: oauth.Client = { client_id: 'fsp:payerfsp' };
  await assert.rejects(
    async () => oauth.processClientCredentialsResponse(as, dfsp, await oauth.clientCredentialsGrantRequest(as, dfsp, oauth.TlsClientAuth(), new URLSearchParams(), inProcess(admin))),
    refusedWith('invalid_client', /client certificate was not provided/),
  );
});

test('an admin API token is refused at the FSPIOP API, and a DFSP\'s token at the admin API', async () => {
  const robot: oauth.Client = { client_id: 'robot2' };
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  assert.ok((await iam.clients.create({ clientId: 'robot2', displayName: 'robot2', jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: 'k2' }] } }, 'test')).ok);
  const auth = oauth.PrivateKeyJwt({ key: await crypto.subtle.importKey('jwk', privateKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']), kid: 'k2' });
  const adminToken = (await oauth.processClientCredentialsResponse(as, robot, await oauth.clientCredentialsGrantRequest(as, robot, auth, new URLSearchParams(), inProcess(admin)))).access_token;
  assert.ok((await iam.verify(adminToken)).ok, 'the admin API accepts its own token');
  const atFspiop = await checkAt(credentialsOf('payerfsp'), adminToken, 'lookup');
  assert.equal(atFspiop.status, 401);
  assert.match(atFspiop.body.event?.reason ?? '', /claim aud/);

  const dfspToken = (await requestToken('payerfsp', credentialsOf('payerfsp'))).access_token;
  const atAdmin = await iam.verify(dfspToken);
  assert.equal(atAdmin.ok, false);
});

test('the FSPIOP listener exposes the token endpoint only: POST, bounded, nothing else of the authorization server', async () => {
  const payer = fetchAs(credentialsOf('payerfsp'));
  assert.equal((await payer(`${gated.url}${PARTICIPANT_TOKEN_PATH}`, { method: 'GET' })).status, 404);
  for (const path of ['/jwks', '/.well-known/openid-configuration', '/oauth2/jwks', '/oauth2/token/../jwks', '/auth', '/token/revocation', `${OIDC_PATH}/token`]) {
    assert.equal((await payer(`${gated.url}${path}`, { method: 'GET' })).status, 404, path);
  }
  const big = await payer(`${gated.url}${PARTICIPANT_TOKEN_PATH}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=fsp%3Apayerfsp&pad=${'a'.repeat(5000)}`,
  });
  assert.equal(big.status, 413);
  // A query string does not reach another route of the provider.
  const queried = await payer(`${gated.url}${PARTICIPANT_TOKEN_PATH}?x=/jwks`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=fsp%3Apayerfsp',
  });
  assert.equal(queried.status, 200);
  assert.ok(typeof ((await queried.json()) as { access_token?: unknown }).access_token === 'string');
});

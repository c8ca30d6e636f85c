// The FSPIOP API's access-token check, rule by rule, with tokens made here
// (jose) as the hub's authorization server makes them, and then each rule
// broken in turn: every refusal says 3000 with RFC 6750's WWW-Authenticate,
// and its security event says why without carrying the token. The tokens the
// real authorization server issues over mutual TLS are checked in
// token_endpoint.test.ts.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, test } from 'node:test';
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { BEARER_TOKEN_LENGTH_MAX, FSPIOP_API_AUDIENCE } from '../../identity/index.ts';
import { ADMIN_API_AUDIENCE } from '../../operator/iam/authorization_server.ts';
import { testSchemePki } from '../../testing/scheme_pki.ts';
import type { AccessTokenMode } from '../../config/index.ts';
import { certificateThumbprint, createParticipantTokenCheck, type ParticipantTokenRequest } from './access_token.ts';
import type { GatewayRefusal } from './refusal.ts';

const ISSUER = 'https://hub.test/oidc';
const KID = 'hub-key';
const NOW_S = 1_800_000_000;

let hubKey: CryptoKey;
let otherKey: CryptoKey;
let trust: { issuer: string; keys: ReturnType<typeof createLocalJWKSet> };
let payerCert: Buffer;
let payeeCert: Buffer;
let nowMs = NOW_S * 1000;
const clock = { nowMs: () => nowMs };

before(async () => {
  const hub = await generateKeyPair('ES256');
  hubKey = hub.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  trust = { issuer: ISSUER, keys: createLocalJWKSet({ keys: [{ ...(await exportJWK(hub.publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] }) };
  const pki = await testSchemePki();
  payerCert = new X509Certificate((await pki.issue('payerfsp', { profile: 'client' })).certificatePem).raw;
  payeeCert = new X509Certificate((await pki.issue('payeefsp', { profile: 'client' })).certificatePem).raw;
});

/** A token as the hub's authorization server issues one to payerfsp, with `changes` to its claims or header. */
async function token(changes: { claims?: JWTPayload; header?: Record<string, unknown>; key?: CryptoKey; omit?: string[] } = {}): Promise<string> {
  const claims: JWTPayload = {
    iss: ISSUER, aud: FSPIOP_API_AUDIENCE, sub: 'fsp:payerfsp', client_id: 'fsp:payerfsp', jti: 'j1',
    iat: NOW_S, exp: NOW_S + 300, scope: 'fspiop:lookup fspiop:transfers',
    cnf: { 'x5t#S256': certificateThumbprint(payerCert) },
    ...changes.claims,
  };
  for (const name of changes.omit ?? []) Reflect.deleteProperty(claims, name);
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: KID, ...changes.header }).sign(changes.key ?? hubKey);
}

const checkWith = (mode: AccessTokenMode = 'required') => createParticipantTokenCheck({ trust: () => trust, clock, mode });

function request(authorization: string | undefined, overrides: Partial<ParticipantTokenRequest> = {}): ParticipantTokenRequest {
  return { participant: 'payerfsp', peerCertificateDer: payerCert, authorization, api: 'transfers', ...overrides };
}

/** A 401 invalid_token refusal whose event reason matches `why` and carries nothing of the token. */
function assertInvalid(refusal: GatewayRefusal | undefined, why: RegExp | string, bearer?: string): void {
  assert.ok(refusal !== undefined, `refused: ${String(why)}`);
  assert.equal(refusal.httpStatus, 401);
  assert.equal(refusal.failure.code, '3000');
  assert.equal(refusal.failure.detail, 'the access token is missing or not valid');
  assert.equal(refusal.event.kind, 'token-invalid');
  if (typeof why === 'string') assert.ok(refusal.event.reason.includes(why), refusal.event.reason);
  else assert.match(refusal.event.reason, why);
  assert.deepEqual(refusal.headers, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  if (bearer !== undefined) {
    for (const part of bearer.split('.')) assert.ok(!refusal.event.reason.includes(part), 'the reason carries nothing of the token');
  }
}

test('a good token for the API called passes, and the clock is the one injected', async () => {
  nowMs = NOW_S * 1000 + 1_000;
  assert.equal(await checkWith().check(request(`Bearer ${await token()}`)), undefined);
  assert.equal(await checkWith().check(request(`bearer ${await token()}`, { api: 'lookup' })), undefined, 'the scheme name is case-insensitive');
});

test('required: no token is refused with a bare Bearer challenge; optional: no token passes; off reads nothing', async () => {
  nowMs = NOW_S * 1000;
  const missing = await checkWith('required').check(request(undefined));
  assert.ok(missing !== undefined);
  assert.equal(missing.httpStatus, 401);
  assert.equal(missing.event.kind, 'token-invalid');
  assert.equal(missing.event.reason, 'no access token');
  // RFC 6750 §3.1: a request with no authentication information gets no error code.
  assert.deepEqual(missing.headers, { 'WWW-Authenticate': 'Bearer' });
  assert.equal(await checkWith('optional').check(request(undefined)), undefined);
  assert.equal(await checkWith('off').check(request('Bearer not.a.token')), undefined);
});

test('optional: a token that is present and bad is refused all the same', async () => {
  nowMs = NOW_S * 1000;
  assertInvalid(await checkWith('optional').check(request('Bearer a.b.c')), /not a JWT/);
  const foreign = await token({ claims: { iss: 'https://elsewhere.test' } });
  assertInvalid(await checkWith('optional').check(request(`Bearer ${foreign}`)), /issuer/, foreign);
});

test('the Authorization header is bounded before it is read, and must be exactly Bearer and a compact JWS', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  assertInvalid(await check.check(request(`Bearer ${'a'.repeat(BEARER_TOKEN_LENGTH_MAX)}.b.c`)), /exceeds 4096 characters/);
  const good = await token();
  for (const header of [good, `Basic ${good}`, `Bearer  ${good}`, `Bearer ${good}, Bearer ${good}`, `Bearer ${good} `, 'Bearer ', '']) {
    assertInvalid(await check.check(request(header)), /not a bearer JWT/, good);
  }
});

test('a forged token (another key, same kid or another), an alg other than ES256, or typ other than at+jwt is refused', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  const forged = await token({ key: otherKey });
  assertInvalid(await check.check(request(`Bearer ${forged}`)), /signature does not verify/, forged);
  const unknownKid = await token({ key: otherKey, header: { kid: 'attacker' } });
  assertInvalid(await check.check(request(`Bearer ${unknownKid}`)), /signed by no key/);
  const hmac = await new SignJWT({ iss: ISSUER, aud: FSPIOP_API_AUDIENCE, client_id: 'fsp:payerfsp' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: KID }).sign(new TextEncoder().encode('a shared secret of at least 32 bytes!'));
  assertInvalid(await check.check(request(`Bearer ${hmac}`)), /algorithm is not allowed/);
  const [, payload] = (await token()).split('.');
  const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${payload ?? ''}.sig`;
  assertInvalid(await check.check(request(`Bearer ${none}`)), /not valid|not allowed/);
  assertInvalid(await check.check(request(`Bearer ${await token({ header: { typ: 'JWT' } })}`)), /typ/);
});

test('an expired token is refused past the clock tolerance; a token not yet valid or too old is refused', async () => {
  const check = checkWith();
  const fresh = await token();
  nowMs = (NOW_S + 300 + 4) * 1000;
  assert.equal(await check.check(request(`Bearer ${fresh}`)), undefined, 'within the 5 s tolerance');
  nowMs = (NOW_S + 300 + 6) * 1000;
  assertInvalid(await check.check(request(`Bearer ${fresh}`)), /expired/, fresh);
  nowMs = NOW_S * 1000;
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { nbf: NOW_S + 60 } })}`)), /claim nbf/);
  const longLived = await token({ claims: { exp: NOW_S + 3_600 } });
  nowMs = (NOW_S + 11 * 60) * 1000;
  assertInvalid(await check.check(request(`Bearer ${longLived}`)), /claim iat/);
});

test('a token of a foreign issuer, or for another audience (the admin API\'s), or lacking a required claim is refused', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { iss: 'https://idp.example/' } })}`)), /issuer is not the hub/);
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { aud: ADMIN_API_AUDIENCE } })}`)), /claim aud/);
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { aud: [ADMIN_API_AUDIENCE, 'x'] } })}`)), /claim aud/);
  for (const claim of ['exp', 'iat', 'jti', 'client_id']) {
    assertInvalid(await check.check(request(`Bearer ${await token({ omit: [claim] })}`)), `claim ${claim}`);
  }
});

test('a token issued to another DFSP is refused on this DFSP\'s connection, whatever certificate it is bound to', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  const payers = await token();
  assertInvalid(await check.check(request(`Bearer ${payers}`, { participant: 'payeefsp', peerCertificateDer: payeeCert })), /issued to fsp:payerfsp, not to fsp:payeefsp/, payers);
  // Even bound to the payee's certificate: the client is still the payer.
  const rebound = await token({ claims: { cnf: { 'x5t#S256': certificateThumbprint(payeeCert) } } });
  assertInvalid(await check.check(request(`Bearer ${rebound}`, { participant: 'payeefsp', peerCertificateDer: payeeCert })), /issued to fsp:payerfsp/);
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { sub: 'fsp:payeefsp' } })}`)), /issued to/);
});

test('a token bound to another certificate, to none, or presented without a certificate is refused', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  const good = await token();
  assertInvalid(await check.check(request(`Bearer ${good}`, { peerCertificateDer: payeeCert })), /bound to another certificate/, good);
  assertInvalid(await check.check(request(`Bearer ${good}`, { peerCertificateDer: undefined })), /presented none/);
  assertInvalid(await check.check(request(`Bearer ${await token({ omit: ['cnf'] })}`)), /not bound to a certificate/);
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { cnf: { jkt: 'x' } } })}`)), /not bound to a certificate/);
  assertInvalid(await check.check(request(`Bearer ${await token({ claims: { cnf: { 'x5t#S256': certificateThumbprint(payerCert).slice(1) } } })}`)), /bound to another certificate/);
});

test('a valid token without the API\'s scope is refused with 403 insufficient_scope naming the scope', async () => {
  nowMs = NOW_S * 1000;
  const check = checkWith();
  const lookupOnly = await token({ claims: { scope: 'fspiop:lookup' } });
  assert.equal(await check.check(request(`Bearer ${lookupOnly}`, { api: 'lookup' })), undefined);
  for (const scope of [undefined, '', 'fspiop:lookup', 'fspiop:transfersx', 'FSPIOP:TRANSFERS']) {
    const refusal = await check.check(request(`Bearer ${await token(scope === undefined ? { omit: ['scope'] } : { claims: { scope } })}`));
    assert.ok(refusal !== undefined, String(scope));
    assert.equal(refusal.httpStatus, 403);
    assert.equal(refusal.failure.code, '3000');
    assert.equal(refusal.event.kind, 'token-scope-missing');
    assert.equal(refusal.event.reason, 'the token lacks the scope fspiop:transfers');
    assert.deepEqual(refusal.headers, { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="fspiop:transfers"' });
  }
});

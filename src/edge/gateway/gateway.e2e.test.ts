// The participant API gateway on a running hub, against hostile clients: each
// refused with its FSPIOP error and a security event naming why, and the
// refused request reaching nothing behind the gateway.
//
// The test client plays a trusted proxy (127.0.0.1 is configured as one), so
// that X-Forwarded-For names the client address the allow-lists are checked
// against.
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import type { Hub } from '../../main.ts';
import { createAccessTokenSource } from '../../sim/access_token.ts';
import type { AdminClient } from '../../testing/admin_client.ts';
import { adminRequest, agentOf, errorCodeOf, httpsExchange, fspiopRequest, tokenSourceOf, type FspiopRequestOptions } from '../../testing/dfsp.ts';
import { testTlsOf } from '../../testing/scheme_pki.ts';
import { startSchemeHub, type SchemeHub } from '../../testing/scheme_hub.ts';
import { until } from '../../testing/hub_process.ts';
import { TLS_POLICY } from '../../support/tls_policy.ts';

let scheme: SchemeHub<'payerfsp' | 'payeefsp' | 'burstfsp'>;
let hub: Hub;
let admin: AdminClient;
const eventsOf = (kind: string) => scheme.eventsOf(kind);
/** The hub's clock runs this far ahead of the machine's (to expire tokens). */
let clockOffsetMs = 0;
const HEADERS_TIMEOUT_MS = 600;

before(async () => {
  scheme = await startSchemeHub({
    name: 'gateway',
    dfsps: { payerfsp: {}, payeefsp: {}, burstfsp: {} },
    overrides: {
      'gateway.accessTokens': 'required',
      'gateway.trustedProxies': '127.0.0.1/32',
      'gateway.rateLimits.overrides': 'burstfsp:lookup=1/3',
      'fspiop.headersTimeoutMs': HEADERS_TIMEOUT_MS,
      'fspiop.handshakeTimeoutMs': HEADERS_TIMEOUT_MS,
      // The hub's clock is moved ahead to expire a token; requests' Date headers stay within this.
      'fspiop.dateSkewMsMax': 3_600_000,
    },
    clock: { nowMs: () => Date.now() + clockOffsetMs },
  });
  ({ hub, admin } = scheme);
});

after(() => scheme.close());

/** A party lookup (GET, no body) from `source`. */
const lookup = (source: string, options: FspiopRequestOptions = {}) =>
  fspiopRequest(hub.fspiopUrl, 'GET', '/parties/MSISDN/27710000042', 'parties', source, undefined, undefined, options);

/** The newest event of `kind`, waited for: events are recorded as the refusal is answered. */
async function lastEvent(kind: string, count: number): Promise<Record<string, unknown>> {
  return until(`${count} ${kind} event(s)`, () => Promise.resolve(eventsOf(kind).length >= count ? eventsOf(kind).at(-1) : undefined));
}

test('IP allow-list: outside the list, or spoofed through an untrusted hop, is refused (3000, 403); inside it is served', async () => {
  // payerfsp holds a token from before its list (this client's token requests name no client address).
  await (await tokenSourceOf(hub.fspiopUrl, 'payerfsp')).token();
  const set = await adminRequest(admin, 'PUT', '/participants/payerfsp/ip-allowlist', { entries: [{ cidr: '192.0.2.0/24', description: 'payerfsp egress' }] });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const inside = await lookup('payerfsp', { headers: { 'x-forwarded-for': '192.0.2.7' } });
  assert.equal(inside.status, 202, inside.body);

  const outside = await lookup('payerfsp', { headers: { 'x-forwarded-for': '198.51.100.20' } });
  assert.deepEqual([outside.status, errorCodeOf(outside.body)], [403, '3000']);
  assert.doesNotMatch(outside.body, /198\.51|192\.0/, 'the answer names no address or list');
  assert.match(String((await lastEvent('ip-not-allowed', 1))['reason']), /198\.51\.100\.20/);

  // 198.51.100.9 is no trusted proxy: what it claims about the client (192.0.2.7, allowed) is not believed.
  const spoofed = await lookup('payerfsp', { headers: { 'x-forwarded-for': '192.0.2.7, 198.51.100.9' } });
  assert.deepEqual([spoofed.status, errorCodeOf(spoofed.body)], [403, '3000']);
  const event = await lastEvent('ip-not-allowed', 2);
  assert.match(String(event['reason']), /198\.51\.100\.9/);
  assert.equal(event['participant'], 'payerfsp');

  // A token, too, is given only to an allowed address.
  const tokenRequest = (forwardedFor: string) => httpsExchange(`${hub.fspiopUrl}/oauth2/token`, 'POST',
    { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor }, 'grant_type=client_credentials&client_id=fsp%3Apayerfsp', agent);
  const agent = await agentOf('payerfsp');
  const refusedToken = await tokenRequest('198.51.100.20');
  assert.deepEqual([refusedToken.status, (JSON.parse(refusedToken.body) as { error: string }).error], [403, 'access_denied']);
  assert.equal((await lastEvent('ip-not-allowed', 3))['operation'], 'POST /oauth2/token');
  const givenToken = await tokenRequest('192.0.2.7');
  assert.equal(givenToken.status, 200, givenToken.body);

  const cleared = await adminRequest(admin, 'PUT', '/participants/payerfsp/ip-allowlist', { entries: [] });
  assert.equal(cleared.status, 200);
  assert.equal((await lookup('payerfsp')).status, 202, 'with no list (mode when-configured) the participant is served again');
});

test('access tokens: none, another DFSP\'s, expired, or without the API\'s scope are refused, each with its event', async () => {
  const missing = await lookup('payerfsp', { token: null });
  assert.deepEqual([missing.status, errorCodeOf(missing.body), missing.headers?.['www-authenticate']], [401, '3000', 'Bearer']);
  assert.match(String((await lastEvent('token-invalid', 1))['reason']), /no access token|missing/i);

  // DFSP A's token on DFSP B's TLS connection: bound to A's certificate, and issued to A.
  const payersToken = await (await tokenSourceOf(hub.fspiopUrl, 'payerfsp')).token();
  const stolen = await lookup('payeefsp', { token: payersToken });
  assert.deepEqual([stolen.status, errorCodeOf(stolen.body), stolen.headers?.['www-authenticate']], [401, '3000', 'Bearer error="invalid_token"']);
  assert.equal((await lastEvent('token-invalid', 2))['participant'], 'payeefsp');
  // …and with B's FSPIOP-Source but A's connection, the certificate check refuses it first.
  const mixed = await lookup('payeefsp', { token: payersToken, connectionOf: 'payerfsp' });
  assert.equal(mixed.status, 403);

  const narrow = createAccessTokenSource({ fspId: 'payerfsp', hubFspiopUrl: hub.fspiopUrl, tls: await testTlsOf('payerfsp'), clock: { nowMs: () => Date.now() }, scope: 'fspiop:lookup' });
  const lookupOnly = await narrow.token();
  await narrow.close();
  assert.equal((await lookup('payerfsp', { token: lookupOnly })).status, 202);
  const quote = await fspiopRequest(hub.fspiopUrl, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', { quoteId: 'x' }, { token: lookupOnly });
  assert.deepEqual([quote.status, errorCodeOf(quote.body), quote.headers?.['www-authenticate']], [403, '3000', 'Bearer error="insufficient_scope", scope="fspiop:quotes"']);
  assert.match(String((await lastEvent('token-scope-missing', 1))['reason']), /fspiop:quotes/);

  const payeesToken = await (await tokenSourceOf(hub.fspiopUrl, 'payeefsp')).token();
  clockOffsetMs = 10 * 60_000;
  try {
    const expired = await lookup('payeefsp', { token: payeesToken });
    assert.deepEqual([expired.status, errorCodeOf(expired.body)], [401, '3000']);
    assert.match(String((await lastEvent('token-invalid', 3))['reason']), /expired|"exp"/);
  } finally {
    clockOffsetMs = 0;
  }
});

test('API permissions: a DFSP set up only as a payee cannot send a transfer prepare', async () => {
  const set = await adminRequest(admin, 'PUT', '/participants/payeefsp/api-permissions', { permissions: { lookup: ['payer', 'payee'], quotes: ['payee'], transfers: ['payee'] } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  // Its token is asked anew: the scopes a DFSP gets follow its permissions.
  const prepare = await fspiopRequest(hub.fspiopUrl, 'POST', '/transfers', 'transfers', 'payeefsp', 'payerfsp', { transferId: 'x' });
  assert.deepEqual([prepare.status, errorCodeOf(prepare.body)], [403, '3000']);
  const event = await lastEvent('api-not-permitted', 1);
  assert.match(String(event['reason']), /transfers API as payer/);
  assert.equal(event['operation'], 'POST /transfers');
});

test('a burst over the participant\'s rate limit is answered 429 with Retry-After, and recorded', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await lookup('burstfsp')).status, 202, `request ${i + 1} of the burst`);
  const over = await lookup('burstfsp');
  assert.deepEqual([over.status, errorCodeOf(over.body), over.headers?.['retry-after']], [429, '3000', '1']);
  assert.match(String((await lastEvent('rate-limited', 1))['reason']), /lookup API over its limit of 1\/s, burst 3/);
  // Other participants, and other APIs of this one, have buckets of their own.
  assert.equal((await lookup('payerfsp')).status, 202);
});

test('an oversize body and deeply nested JSON are refused as too large, before their signature is looked at', async () => {
  const oversize = await fspiopRequest(hub.fspiopUrl, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', { pad: 'x'.repeat(70_000) });
  assert.deepEqual([oversize.status, errorCodeOf(oversize.body)], [413, '3104']);
  assert.match(String((await lastEvent('request-too-large', 1))['reason']), /body over 65536 bytes/);
  let nested: unknown = 'deep';
  for (let i = 0; i < 40; i++) nested = { n: nested };
  const deep = await fspiopRequest(hub.fspiopUrl, 'POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', nested);
  assert.deepEqual([deep.status, errorCodeOf(deep.body)], [400, '3101']);
  assert.match(String((await lastEvent('request-too-large', 2))['reason']), /nests deeper than 32 levels/);
});

test('a slow-loris client, a header byte at a time, is cut off at the headers timeout and recorded', async () => {
  const tls = await testTlsOf('payerfsp');
  const { port } = new URL(hub.fspiopUrl);
  const before = eventsOf('slow-client').length;
  const startedMs = Date.now();
  const closedAfterMs = await new Promise<number>((resolve, reject) => {
    const socket = connect({ ...TLS_POLICY, host: '127.0.0.1', port: Number(port), key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems], servername: 'localhost' }, () => {
      const head = 'GET /parties/MSISDN/27710000042 HTTP/1.1\r\nHost: localhost\r\nDate: ';
      let sent = 0;
      const drip = setInterval(() => {
        if (socket.destroyed || sent >= head.length) return;
        socket.write(head.charAt(sent));
        sent += 1;
      }, 100);
      socket.on('close', () => { clearInterval(drip); resolve(Date.now() - startedMs); });
    });
    socket.on('error', () => undefined);
    setTimeout(() => { reject(new Error('the slow client was not cut off within 10 s')); }, 10_000).unref();
  });
  assert.ok(closedAfterMs < 5_000, `cut off after ${closedAfterMs} ms`);
  assert.match(String((await lastEvent('slow-client', before + 1))['reason']), /headers not complete within 600 ms/);
});

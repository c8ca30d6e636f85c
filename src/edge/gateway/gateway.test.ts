// The gateway's order: IP allow-list → access token → API permission → rate
// limit, the first refusal ending the request and the later controls never
// consulted (a refused request spends no rate-limit token); and the
// connection-level allow-list check, which leaves a trusted proxy's
// connections to the per-request check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityEventKind } from '../../audit/index.ts';
import type { ParticipantTokenCheck } from './access_token.ts';
import type { ApiPermissionsCheck } from './api_permissions.ts';
import { trustedProxies } from './client_address.ts';
import { connectionRefusal, passGateway, type GatewayControls, type GatewayRequest } from './gateway.ts';
import { loadIpAllowlist } from './ip_allowlist.ts';
import type { RateLimiter } from './rate_limit.ts';
import type { GatewayRefusal } from './refusal.ts';

const refusal = (kind: SecurityEventKind): GatewayRefusal => ({ failure: { code: '3000', detail: kind }, httpStatus: 403, event: { kind, reason: kind } });

async function controlsRefusing(refusing: Set<string>, consulted: string[]): Promise<GatewayControls> {
  const ipAllowlist = await loadIpAllowlist({
    store: {
      version: () => Promise.resolve(1),
      ipAllowlistSnapshot: () => Promise.resolve({ version: 1, lists: new Map([['payerfsp', refusing.has('ip') ? ['192.0.2.0/24'] : ['0.0.0.0/0']]]) }),
    },
    mode: 'enforce',
  });
  const accessTokens: ParticipantTokenCheck = {
    mode: 'required',
    check: () => { consulted.push('token'); return Promise.resolve(refusing.has('token') ? refusal('token-invalid') : undefined); },
  };
  const apiPermissions = {
    check: () => { consulted.push('permission'); return refusing.has('permission') ? refusal('api-not-permitted') : undefined; },
  } as unknown as ApiPermissionsCheck;
  const rateLimiter = {
    take: () => { consulted.push('rate'); return refusing.has('rate') ? refusal('rate-limited') : undefined; },
  } as unknown as RateLimiter;
  return { trustedProxies: trustedProxies(['10.0.0.0/8']), ipAllowlist, accessTokens, apiPermissions, rateLimiter };
}

const request: GatewayRequest = {
  participant: 'payerfsp', operation: 'POST /transfers', socketAddress: '203.0.113.5', forwardedFor: undefined, authorization: undefined, peerCertificateDer: undefined,
};

test('the first control that refuses ends the request, in the order IP → token → permission → rate', async () => {
  const cases: [string[], SecurityEventKind | undefined, string[]][] = [
    [['ip', 'token', 'permission', 'rate'], 'ip-not-allowed', []],
    [['token', 'permission', 'rate'], 'token-invalid', ['token']],
    [['permission', 'rate'], 'api-not-permitted', ['token', 'permission']],
    [['rate'], 'rate-limited', ['token', 'permission', 'rate']],
    [[], undefined, ['token', 'permission', 'rate']],
  ];
  for (const [refusing, expected, consultedExpected] of cases) {
    const consulted: string[] = [];
    const refused = await passGateway(await controlsRefusing(new Set(refusing), consulted), request);
    assert.equal(refused?.event.kind, expected, refusing.join(','));
    assert.deepEqual(consulted, consultedExpected, `controls consulted when ${refusing.join(',') || 'none'} refuse`);
  }
});

test('at the connection: a direct peer outside the list is refused; a trusted proxy is left to the per-request check', async () => {
  const controls = await controlsRefusing(new Set(['ip']), []);
  assert.equal(connectionRefusal(controls, 'payerfsp', '203.0.113.5')?.event.kind, 'ip-not-allowed');
  assert.equal(connectionRefusal(controls, 'payerfsp', '::ffff:203.0.113.5')?.event.kind, 'ip-not-allowed', 'an IPv4-mapped address is its IPv4 address');
  assert.equal(connectionRefusal(controls, 'payerfsp', '192.0.2.10'), undefined);
  assert.equal(connectionRefusal(controls, 'payerfsp', '10.1.2.3'), undefined, 'a trusted proxy: the client is in X-Forwarded-For');
  // Through that proxy, the client's address is what counts.
  const proxied = await passGateway(controls, { ...request, socketAddress: '10.1.2.3', forwardedFor: '203.0.113.5' });
  assert.equal(proxied?.event.kind, 'ip-not-allowed');
  assert.equal(await passGateway(controls, { ...request, socketAddress: '10.1.2.3', forwardedFor: '192.0.2.10' }), undefined);
});

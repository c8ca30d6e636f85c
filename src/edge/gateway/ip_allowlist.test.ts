import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientAddress, trustedProxies } from './client_address.ts';
import {
  FORWARDED_FOR_IGNORED, IP_ALLOWLIST_LIMITS, IP_NOT_ALLOWED_DETAIL, loadIpAllowlist, parseAllowlistEntries, SOURCE_UNKNOWN_DETAIL,
} from './ip_allowlist.ts';
import type { GatewayPolicy } from './policy_store.ts';
import type { IpAllowlistMode } from '../../config/index.ts';

describe('CIDR ranges', () => {
  test('a list: duplicates after canonicalisation, its bound, and one-line descriptions', () => {
    const good = parseAllowlistEntries([{ cidr: '10.0.0.0/8', description: 'data centre' }, { cidr: '2001:DB8::/32' }]);
    assert.ok(good.ok);
    assert.deepEqual(good.value.map((e) => [e.cidr.cidr, e.description]), [['10.0.0.0/8', 'data centre'], ['2001:db8::/32', null]]);
    const twice = parseAllowlistEntries([{ cidr: '2001:db8::/32' }, { cidr: '2001:DB8:0::/32' }]);
    assert.ok(!twice.ok);
    assert.equal(twice.error, 'entries/1/cidr: 2001:db8::/32 is already entries/0');
    const tooMany = parseAllowlistEntries(Array.from({ length: IP_ALLOWLIST_LIMITS.entriesPerParticipantMax + 1 }, (_, i) => ({ cidr: `10.0.${i >> 8}.${i & 0xff}/32` })));
    assert.ok(!tooMany.ok);
    assert.match(tooMany.error, /at most 256/);
    const full = parseAllowlistEntries(Array.from({ length: IP_ALLOWLIST_LIMITS.entriesPerParticipantMax }, (_, i) => ({ cidr: `10.0.${i >> 8}.${i & 0xff}/32` })));
    assert.ok(full.ok);
    for (const description of ['two\nlines', 'x'.repeat(129), '', 'bell\u0007', 'nel\u0085', 7]) {
      const parsed = parseAllowlistEntries([{ cidr: '10.0.0.0/8', description }]);
      assert.ok(!parsed.ok, JSON.stringify(description));
      assert.match(parsed.error, /^entries\/0\/description/);
    }
    const bad = parseAllowlistEntries([{ cidr: '10.0.0.0/8' }, { cidr: '10.0.0.1/8' }]);
    assert.ok(!bad.ok);
    assert.match(bad.error, /^entries\/1\/cidr: "10\.0\.0\.1\/8" has host bits set/);
    assert.ok(!parseAllowlistEntries('10.0.0.0/8').ok);
    assert.ok(!parseAllowlistEntries([null]).ok);
  });
});

/** A store of the shape the check reads, with lists the test sets and a version it bumps. */
function memoryStore(initial: Record<string, string[]>) {
  let version = 0;
  let lists = new Map(Object.entries(initial));
  return {
    set(next: Record<string, string[]>) {
      lists = new Map(Object.entries(next));
      version++;
    },
    version: (policy: GatewayPolicy) => {
      assert.equal(policy, 'ip-allowlist');
      return Promise.resolve(version);
    },
    ipAllowlistSnapshot: () => Promise.resolve({ version, lists: new Map(lists) }),
  };
}

describe('the IP allow-list check', () => {
  const lists = { payerfsp: ['192.0.2.0/24', '2001:db8:1::/48'], ipv6only: ['::/0'] };
  const load = (mode: IpAllowlistMode, store = memoryStore(lists)) => loadIpAllowlist({ store, mode });

  test('an address in the participant\'s list passes, in either family and as IPv4-mapped IPv6', async () => {
    const check = await load('enforce');
    for (const address of ['192.0.2.1', '192.0.2.255', '::ffff:192.0.2.7', '2001:db8:1::5', '2001:DB8:1:ffff::1']) {
      assert.equal(check.check('payerfsp', address), undefined, address);
    }
  });

  test('an address outside it is refused: 3000, HTTP 403, a detail that reveals nothing, an event naming the address', async () => {
    const check = await load('when-configured');
    const refused = check.check('payerfsp', '198.51.100.9');
    assert.deepEqual(refused, {
      failure: { code: '3000', detail: 'the request\'s source address is not allowed for this participant', httpStatus: 403 },
      httpStatus: 403,
      event: { kind: 'ip-not-allowed', reason: 'source address 198.51.100.9 is not in payerfsp\'s IP allow-list' },
    });
    assert.equal(refused.failure.detail, IP_NOT_ALLOWED_DETAIL);
    assert.ok(check.check('payerfsp', '2001:db8:2::1') !== undefined);
    assert.ok(check.check('payerfsp', '192.0.3.0') !== undefined);
    // Another participant's list is not this one's.
    assert.ok(check.check('ipv6only', '192.0.2.1') !== undefined);
  });

  test('an IPv6 range never admits IPv4 clients through the mapped block', async () => {
    const check = await load('enforce');
    assert.equal(check.check('ipv6only', '2001:db8::1'), undefined);
    assert.match(check.check('ipv6only', '192.0.2.1')?.event.reason ?? '', /192\.0\.2\.1 is not in ipv6only's/);
    assert.ok(check.check('ipv6only', '::ffff:192.0.2.1') !== undefined);
  });

  test('no entries: refused under enforce, allowed under when-configured', async () => {
    const enforce = await load('enforce');
    const refused = enforce.check('payeefsp', '192.0.2.1');
    assert.equal(refused?.failure.detail, IP_NOT_ALLOWED_DETAIL);
    assert.equal(refused.event.reason, 'source address 192.0.2.1: payeefsp has no IP allow-list entries and the allow-list mode is enforce');
    const open = await load('when-configured');
    assert.equal(open.check('payeefsp', '192.0.2.1'), undefined);
    assert.ok(open.check('payerfsp', '198.51.100.1') !== undefined, 'a configured list still holds under when-configured');
  });

  test('a source that is not an address is refused under either mode', async () => {
    for (const mode of ['enforce', 'when-configured'] as const) {
      const refused = (await load(mode)).check('payeefsp', 'not-an-address');
      assert.equal(refused?.failure.detail, SOURCE_UNKNOWN_DETAIL);
      assert.equal(refused.event.kind, 'ip-not-allowed');
    }
  });

  test('checkClient refuses an address that could not be established, and says when X-Forwarded-For was ignored', async () => {
    const check = await load('enforce');
    const proxies = trustedProxies(['10.0.0.0/8']);
    const malformed = clientAddress({ socketAddress: '10.0.0.1', forwardedFor: 'garbage', trusted: proxies });
    const refused = check.checkClient('payerfsp', malformed);
    assert.equal(refused?.failure.detail, SOURCE_UNKNOWN_DETAIL);
    assert.match(refused.event.reason, /malformed X-Forwarded-For entry "garbage" from trusted proxy 10\.0\.0\.1/);
    // A spoofed header from an untrusted peer: the peer's own address decides, and the event says the header was ignored.
    const spoofed = clientAddress({ socketAddress: '198.51.100.9', forwardedFor: '192.0.2.1', trusted: proxies });
    assert.equal(check.checkClient('payerfsp', spoofed)?.event.reason, `source address 198.51.100.9 is not in payerfsp's IP allow-list; ${FORWARDED_FOR_IGNORED}`);
    const honest = clientAddress({ socketAddress: '192.0.2.9', forwardedFor: '203.0.113.1', trusted: proxies });
    assert.equal(check.checkClient('payerfsp', honest), undefined);
    const proxied = clientAddress({ socketAddress: '10.0.0.1', forwardedFor: '192.0.2.44', trusted: proxies });
    assert.equal(check.checkClient('payerfsp', proxied), undefined);
  });

  test('refresh reads again only when the stored version moved; reload always does', async () => {
    const store = memoryStore({ payerfsp: ['192.0.2.0/24'] });
    const check = await load('enforce', store);
    assert.equal(await check.refresh(), false);
    store.set({ payerfsp: ['198.51.100.0/24'] });
    assert.equal(check.check('payerfsp', '192.0.2.1'), undefined, 'nothing changes before a refresh');
    assert.equal(await check.refresh(), true);
    assert.equal(check.version, 1);
    assert.ok(check.check('payerfsp', '192.0.2.1') !== undefined);
    assert.equal(check.check('payerfsp', '198.51.100.1'), undefined);
    store.set({});
    await check.reload();
    assert.ok(check.check('payerfsp', '198.51.100.1') !== undefined, 'emptied under enforce: refused');
  });

  test('a stored entry that no longer parses is left out: the list only narrows, it never opens', async () => {
    const check = await load('when-configured', memoryStore({ payerfsp: ['10.0.0.1/8'], payeefsp: ['10.0.0.1/8', '192.0.2.0/24'] }));
    assert.ok(check.check('payerfsp', '10.0.0.1') !== undefined);
    assert.ok(check.check('payerfsp', '10.9.9.9') !== undefined);
    assert.equal(check.check('payeefsp', '192.0.2.3'), undefined);
    assert.ok(check.check('payeefsp', '10.0.0.1') !== undefined);
  });
});

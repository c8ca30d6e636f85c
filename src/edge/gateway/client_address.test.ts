import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRUSTED_PROXIES_MAX } from '../../config/index.ts';
import { clientAddress, FORWARDED_HOPS_MAX, NO_TRUSTED_PROXIES, trustedProxies, type ClientAddress } from './client_address.ts';

// Two proxies the scheme runs: an edge balancer (10.0.0.9) in front of an ingress (10.0.0.5, also reachable over IPv6).
const proxies = trustedProxies(['10.0.0.0/24', '2001:db8:ffff::/48']);
const client = (socketAddress: string | undefined, forwardedFor?: string | string[]) => clientAddress({ socketAddress, forwardedFor, trusted: proxies });
const addressOf = (result: ClientAddress) => {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result;
};

describe('the client address behind trusted proxies', () => {
  test('straight from the client: the socket\'s address, normalised', () => {
    assert.deepEqual(client('198.51.100.7'), { ok: true, value: { address: '198.51.100.7', family: 'ipv4', trustedHops: 0, forwardedIgnored: false } });
    assert.deepEqual(client('::ffff:198.51.100.7'), { ok: true, value: { address: '198.51.100.7', family: 'ipv4', trustedHops: 0, forwardedIgnored: false } });
    assert.deepEqual(client('2001:DB8::7'), { ok: true, value: { address: '2001:db8::7', family: 'ipv6', trustedHops: 0, forwardedIgnored: false } });
    assert.equal(addressOf(client('fe80::1%eth0')).value.address, 'fe80::1');
  });

  test('X-Forwarded-For from an untrusted peer is ignored entirely, and the result says so', () => {
    const spoofed = client('198.51.100.7', '192.0.2.1');
    assert.deepEqual(spoofed, { ok: true, value: { address: '198.51.100.7', family: 'ipv4', trustedHops: 0, forwardedIgnored: true } });
    // Even a spoofed trusted proxy address, or garbage: never read.
    assert.equal(addressOf(client('198.51.100.7', '192.0.2.1, 10.0.0.5')).value.address, '198.51.100.7');
    assert.equal(addressOf(client('198.51.100.7', 'garbage,,')).value.address, '198.51.100.7');
    assert.equal(addressOf(client('198.51.100.7', '   ')).value.forwardedIgnored, false);
    // With no trusted proxies configured, every peer is untrusted.
    const unconfigured = clientAddress({ socketAddress: '10.0.0.5', forwardedFor: '192.0.2.1', trusted: NO_TRUSTED_PROXIES });
    assert.deepEqual(unconfigured, { ok: true, value: { address: '10.0.0.5', family: 'ipv4', trustedHops: 0, forwardedIgnored: true } });
  });

  test('through one trusted proxy: its X-Forwarded-For entry is the client', () => {
    assert.deepEqual(client('10.0.0.5', '192.0.2.1'), { ok: true, value: { address: '192.0.2.1', family: 'ipv4', trustedHops: 1, forwardedIgnored: false } });
    assert.deepEqual(client('::ffff:10.0.0.5', ' 2001:DB8::1 '), { ok: true, value: { address: '2001:db8::1', family: 'ipv6', trustedHops: 1, forwardedIgnored: false } });
    assert.equal(addressOf(client('2001:db8:ffff::5', '::ffff:192.0.2.1')).value.address, '192.0.2.1');
  });

  test('through two trusted proxies: read from the right, and what the client wrote on the left is never read', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1" (a lie); the edge balancer appended the client, the ingress the balancer.
    assert.deepEqual(client('10.0.0.5', '1.1.1.1, 192.0.2.1, 10.0.0.9'), { ok: true, value: { address: '192.0.2.1', family: 'ipv4', trustedHops: 2, forwardedIgnored: false } });
    assert.equal(addressOf(client('10.0.0.5', 'not-an-address,, 192.0.2.1, 10.0.0.9')).value.address, '192.0.2.1');
    // The client pretending to be a trusted proxy only moves the answer to an address it cannot forge: the one the balancer saw.
    assert.equal(addressOf(client('10.0.0.5', '203.0.113.3, 10.0.0.77, 192.0.2.1, 10.0.0.9')).value.address, '192.0.2.1');
    // Each header line's value, in order, as one list.
    assert.equal(addressOf(client('10.0.0.5', ['1.1.1.1', '192.0.2.1, 10.0.0.9'])).value.address, '192.0.2.1');
    assert.equal(addressOf(client('10.0.0.5', ['1.1.1.1, 192.0.2.1', '10.0.0.9'])).value.address, '192.0.2.1');
  });

  test('every hop trusted: the leftmost trusted address, which no participant\'s list names', () => {
    assert.deepEqual(client('10.0.0.5'), { ok: true, value: { address: '10.0.0.5', family: 'ipv4', trustedHops: 0, forwardedIgnored: false } });
    assert.deepEqual(client('10.0.0.5', '10.0.0.9'), { ok: true, value: { address: '10.0.0.9', family: 'ipv4', trustedHops: 1, forwardedIgnored: false } });
  });

  test('a malformed entry from a trusted proxy: no client address, with the reason', () => {
    for (const [header, shown, proxy] of [
      ['192.0.2.1:443', '"192.0.2.1:443"', '10.0.0.5'], ['[2001:db8::1]', '"[2001:db8::1]"', '10.0.0.5'], ['unknown', '"unknown"', '10.0.0.5'],
      ['192.0.2.1,', '""', '10.0.0.5'], ['192.0.2.1, ,10.0.0.9', '""', '10.0.0.9'], [',10.0.0.9', '""', '10.0.0.9'],
      ['fe80::1%eth0', '"fe80::1%eth0"', '10.0.0.5'], ['192.0.2.001', '"192.0.2.001"', '10.0.0.5'],
    ] as const) {
      assert.deepEqual(client('10.0.0.5', header), { ok: false, error: `malformed X-Forwarded-For entry ${shown} from trusted proxy ${proxy}` }, header);
    }
    // An empty header is no header: the proxy made the request itself.
    assert.equal(addressOf(client('10.0.0.5', '')).value.address, '10.0.0.5');
    const long = client('10.0.0.5', 'x'.repeat(500));
    assert.ok(!long.ok);
    assert.ok(long.error.length < 140, 'the reason quotes a bounded part of the entry');
  });

  test(`at most ${FORWARDED_HOPS_MAX} entries are read`, () => {
    const hops = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 10}`);
    const deepest = client('10.0.0.5', ['192.0.2.1', ...hops(FORWARDED_HOPS_MAX - 1)].join(', '));
    assert.deepEqual(deepest, { ok: true, value: { address: '192.0.2.1', family: 'ipv4', trustedHops: FORWARDED_HOPS_MAX, forwardedIgnored: false } });
    const tooDeep = client('10.0.0.5', ['192.0.2.1', ...hops(FORWARDED_HOPS_MAX)].join(', '));
    assert.deepEqual(tooDeep, { ok: false, error: `X-Forwarded-For: more than ${FORWARDED_HOPS_MAX} trusted proxy hops` });
    // A huge header costs only the entries read.
    assert.equal(addressOf(client('10.0.0.5', `${'1.1.1.1,'.repeat(100_000)}192.0.2.1`)).value.address, '192.0.2.1');
  });

  test('no peer address: no client address', () => {
    assert.deepEqual(client(undefined, '192.0.2.1'), { ok: false, error: 'the connection has no peer IP address' });
    assert.ok(!client('not-an-ip').ok);
  });

  test('trusted proxy ranges are validated as allow-list entries are', () => {
    assert.deepEqual(trustedProxies(['10.0.0.0/8', '2001:DB8::/32']).cidrs, ['10.0.0.0/8', '2001:db8::/32']);
    assert.throws(() => trustedProxies(['10.0.0.1/8']), /trusted proxy 0: "10\.0\.0\.1\/8" has host bits set \(network 10\.0\.0\.0\/8; host 10\.0\.0\.1\/32\)/);
    assert.throws(() => trustedProxies(['10.0.0.0/8', 'proxy.example']), /trusted proxy 1: "proxy\.example" has no prefix length/);
    assert.throws(() => trustedProxies(Array.from({ length: TRUSTED_PROXIES_MAX + 1 }, (_, i) => `10.0.${i}.0/24`)), /at most 64 trusted proxy ranges/);
  });
});

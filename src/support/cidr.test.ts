import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normaliseAddress, parseCidr } from './cidr.ts';

describe('CIDR ranges', () => {
  test('valid ranges come back canonical', () => {
    const cases: [string, string, 'ipv4' | 'ipv6', number][] = [
      ['10.0.0.0/8', '10.0.0.0/8', 'ipv4', 8],
      ['192.0.2.7/32', '192.0.2.7/32', 'ipv4', 32],
      ['0.0.0.0/0', '0.0.0.0/0', 'ipv4', 0],
      ['2001:db8::/32', '2001:db8::/32', 'ipv6', 32],
      ['2001:DB8:0:0::/64', '2001:db8::/64', 'ipv6', 64],
      ['2001:db8:8000::/33', '2001:db8:8000::/33', 'ipv6', 33],
      ['::/0', '::/0', 'ipv6', 0],
      ['::1/128', '::1/128', 'ipv6', 128],
      ['fe80::/10', 'fe80::/10', 'ipv6', 10],
      ['64:ff9b::/96', '64:ff9b::/96', 'ipv6', 96],
      ['64:ff9b::192.0.2.1/128', '64:ff9b::c000:201/128', 'ipv6', 128],
    ];
    for (const [input, cidr, family, prefix] of cases) {
      const parsed = parseCidr(input);
      assert.ok(parsed.ok, `${input}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual({ cidr: parsed.value.cidr, family: parsed.value.family, prefix: parsed.value.prefix }, { cidr, family, prefix }, input);
    }
  });

  test('host bits set are refused, naming the network and the host the operator may have meant', () => {
    const v4 = parseCidr('10.0.0.1/8');
    assert.ok(!v4.ok);
    assert.equal(v4.error, '"10.0.0.1/8" has host bits set (network 10.0.0.0/8; host 10.0.0.1/32)');
    const v6 = parseCidr('2001:db8::1/32');
    assert.ok(!v6.ok);
    assert.equal(v6.error, '"2001:db8::1/32" has host bits set (network 2001:db8::/32; host 2001:db8::1/128)');
    // One bit past the prefix, at a byte boundary and inside a byte.
    assert.ok(!parseCidr('2001:db8:8000::/32').ok);
    assert.ok(!parseCidr('192.0.2.128/24').ok);
    assert.ok(!parseCidr('192.0.2.4/29').ok);
    assert.ok(parseCidr('192.0.2.8/29').ok);
  });

  test('anything else is refused with its reason', () => {
    const cases: [unknown, RegExp][] = [
      ['10.0.0.0', /no prefix length/],
      ['2001:db8::1', /no prefix length/],
      ['10.0.0.0/33', /prefix length must be a whole number from 0 to 32/],
      ['2001:db8::/129', /from 0 to 128/],
      ['10.0.0.0/08', /prefix length/],
      ['10.0.0.0/-1', /prefix length/],
      ['10.0.0.0/', /prefix length/],
      ['10.0.0.0/8/8', /prefix length/],
      ['1.2.3.4/ 8', /prefix length/],
      ['010.0.0.0/8', /not an IPv4 or IPv6 address/],
      [' 10.0.0.0/8', /not an IPv4 or IPv6 address/],
      ['abc/8', /not an IPv4 or IPv6 address/],
      ['fe80::%eth0/64', /not an IPv4 or IPv6 address/],
      ['::ffff:10.0.0.0/104', /IPv4-mapped IPv6 range: write it in IPv4 form/],
      ['::ffff:0:0/96', /IPv4-mapped/],
      ['', /non-empty string/],
      [42, /non-empty string/],
      [`${'1'.repeat(60)}/8`, /longer than a CIDR range can be/],
    ];
    for (const [input, reason] of cases) {
      const parsed = parseCidr(input);
      assert.ok(!parsed.ok, `${String(input)} was accepted`);
      assert.match(parsed.error, reason, String(input));
    }
  });
});

describe('addresses', () => {
  test('IPv4-mapped IPv6 becomes IPv4, in any spelling; IPv6 becomes canonical; anything else is not an address', () => {
    assert.deepEqual(normaliseAddress('::ffff:192.0.2.1'), { address: '192.0.2.1', family: 'ipv4' });
    assert.deepEqual(normaliseAddress('::FFFF:C000:0201'), { address: '192.0.2.1', family: 'ipv4' });
    assert.deepEqual(normaliseAddress('0:0:0:0:0:ffff:192.0.2.1'), { address: '192.0.2.1', family: 'ipv4' });
    assert.deepEqual(normaliseAddress('2001:DB8:0:0:0:0:0:1'), { address: '2001:db8::1', family: 'ipv6' });
    assert.deepEqual(normaliseAddress('192.0.2.1'), { address: '192.0.2.1', family: 'ipv4' });
    for (const text of ['fe80::1%eth0', '1.2.3.04', '192.0.2.1:443', '[2001:db8::1]', 'unknown', '', ' 192.0.2.1']) {
      assert.equal(normaliseAddress(text), undefined, text);
    }
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FSPIOP_APIS } from '../fspiop/apis.ts';
import { DEFAULT_RATE_LIMITS, parseRateLimitOverrides } from './rate_limits.ts';

test('the API default limits and the override parser', () => {
  for (const api of FSPIOP_APIS) assert.ok(DEFAULT_RATE_LIMITS[api].burst >= DEFAULT_RATE_LIMITS[api].ratePerS);
  const parsed = parseRateLimitOverrides(' bigfsp:transfers=500/1000, bigfsp:quotes=50/60 ,other.fsp:lookup=1/1');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.get('bigfsp'), { transfers: { ratePerS: 500, burst: 1000 }, quotes: { ratePerS: 50, burst: 60 } });
  assert.deepEqual(parsed.value.get('other.fsp'), { lookup: { ratePerS: 1, burst: 1 } });
  const empty = parseRateLimitOverrides('');
  assert.ok(empty.ok);
  assert.equal(empty.value.size, 0);
  for (const bad of ['bigfsp:payments=1/1', 'bigfsp:transfers=1', 'bigfsp=1/1', 'b:transfers=1/1', 'bigfsp:transfers=0/1', 'bigfsp:transfers=1/0',
    'bigfsp:transfers=1.5/2', 'bigfsp:transfers=1/1,bigfsp:transfers=2/2', 'big fsp:transfers=1/1', '__proto__:transfers=1/1x']) {
    const result = parseRateLimitOverrides(bad);
    assert.equal(result.ok, false, bad);
  }
  assert.equal(parseRateLimitOverrides(Array.from({ length: 3_001 }, (_, i) => `fsp${i}:lookup=1/1`).join(',')).ok, false);
});

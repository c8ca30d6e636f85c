import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bitLength, half, isOdd, isPowerOfTwo, isTreeSize, largestPowerOfTwoBelow, powerOfTwoAtLeast, TREE_SIZE_MAX } from './tree_size.ts';

describe('tree_size: 53-bit arithmetic without 32-bit operators', () => {
  it('bitLength, split points and powers of two agree with bigint arithmetic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: TREE_SIZE_MAX }), (n) => {
        const big = BigInt(n);
        assert.equal(bitLength(n), big.toString(2).length);
        const k = largestPowerOfTwoBelow(n);
        assert.ok(k < n && k * 2 >= n && isPowerOfTwo(k));
        const p = powerOfTwoAtLeast(n);
        assert.ok(p >= n && p / 2 < n && isPowerOfTwo(p));
        assert.equal(half(n), Number(big >> 1n));
        assert.equal(isOdd(n), (big & 1n) === 1n);
      }),
      { numRuns: 1000 },
    );
  });

  it('is exact at the edges of 32 and 53 bits', () => {
    assert.equal(bitLength(0), 0);
    assert.equal(bitLength(1), 1);
    assert.equal(bitLength(2 ** 32 - 1), 32);
    assert.equal(bitLength(2 ** 32), 33);
    assert.equal(bitLength(TREE_SIZE_MAX), 53);
    assert.equal(largestPowerOfTwoBelow(2 ** 32 + 1), 2 ** 32);
    assert.equal(largestPowerOfTwoBelow(2 ** 32), 2 ** 31);
    assert.equal(largestPowerOfTwoBelow(TREE_SIZE_MAX), 2 ** 52);
    assert.equal(powerOfTwoAtLeast(0), 1);
    assert.equal(powerOfTwoAtLeast(2 ** 40 + 1), 2 ** 41);
    assert.ok(!isPowerOfTwo(0) && isPowerOfTwo(1) && isPowerOfTwo(2 ** 52) && !isPowerOfTwo(2 ** 52 + 2));
  });

  it('tree sizes are the safe non-negative integers', () => {
    assert.ok(isTreeSize(0) && isTreeSize(TREE_SIZE_MAX));
    assert.ok(!isTreeSize(-1) && !isTreeSize(2 ** 53) && !isTreeSize(1.5) && !isTreeSize(Number.NaN) && !isTreeSize(Infinity));
  });
});

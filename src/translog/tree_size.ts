// Arithmetic on tree sizes and leaf indexes. They are JavaScript numbers, not
// bigints: the sequencer appends and proves on the hot path, and number
// arithmetic allocates nothing. A number is exact up to 2^53 − 1 leaves, which
// at Tessera's 10,000 appends/s is 28,000 years of log, so the audit log's
// bound is TREE_SIZE_MAX. Anything larger arriving from outside (a checkpoint,
// a proof request, a test vector written for uint64) is refused as a value,
// never rounded. JavaScript's bitwise operators work on 32 bits only, so
// shifts here are divisions by powers of two, exact below 2^53.

/** The largest tree size (and one more than the largest leaf index) the audit log represents exactly. */
export const TREE_SIZE_MAX = Number.MAX_SAFE_INTEGER;

const TWO_POW_32 = 2 ** 32;

/** True for an integer in [0, TREE_SIZE_MAX]: a usable tree size or leaf index. */
export function isTreeSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** The number of bits needed to write `value` (0 for 0): floor(log2(value)) + 1. */
export function bitLength(value: number): number {
  if (value >= TWO_POW_32) return 32 + bitLength(Math.floor(value / TWO_POW_32));
  return 32 - Math.clz32(value);
}

/** The largest power of two strictly less than `n`, for n ≥ 2: the split point k of RFC 9162 §2.1.1. */
export function largestPowerOfTwoBelow(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

/** The smallest power of two ≥ `n` (1 for 0 and 1). */
export function powerOfTwoAtLeast(n: number): number {
  return n <= 1 ? 1 : 2 ** bitLength(n - 1);
}

/** True when `n` is 2^k for some k ≥ 0. */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && powerOfTwoAtLeast(n) === n;
}

/** `value` shifted right by one bit (exact for safe integers, where `>>` would truncate to 32 bits). */
export function half(value: number): number {
  return Math.floor(value / 2);
}

/** True when the lowest bit of `value` is set. */
export function isOdd(value: number): boolean {
  return value % 2 === 1;
}

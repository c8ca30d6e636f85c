import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, nodeHash, treeHead, type Hash, type NodeHashSource } from './merkle.ts';
import {
  isSubtree,
  subtreeConsistencyProof,
  subtreeHash,
  subtreeInclusionProof,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from './subtree.ts';
import { powerOfTwoAtLeast } from './tree_size.ts';
import { hashOf, loadVectors, numberOf } from './vector_fixture.ts';

const LEAVES_MAX = 2048;
const leafHashes: Hash[] = Array.from({ length: LEAVES_MAX }, (_, i) => leafHash(Buffer.from(`subtree entry ${i}`)));
const levels: Hash[][] = [leafHashes];
for (let width = LEAVES_MAX; width > 1; width /= 2) {
  const below = levels.at(-1)!;
  levels.push(Array.from({ length: width / 2 }, (_, i) => nodeHash(below[2 * i]!, below[2 * i + 1]!)));
}
const source: NodeHashSource = (level, index) => levels[level]![index]!;

function flipped(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[Math.floor(bit / 8) % copy.length]! ^= 1 << bit % 8;
  return copy;
}

/** A random subtree [start, end) of a random tree: a width, then an aligned start. */
const subtreeInTree = fc
  .tuple(fc.integer({ min: 1, max: LEAVES_MAX }), fc.nat(), fc.nat())
  .map(([size, w, s]) => {
    const width = 1 + (w % size);
    const alignment = powerOfTwoAtLeast(width);
    const starts = Math.floor((size - width) / alignment) + 1;
    const start = (s % starts) * alignment;
    return { start, end: start + width, size };
  });

// ---- References written independently of proof_shape.ts, to compare against. ----

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function referenceHead(lo: number, hi: number): Hash {
  if (hi - lo === 1) return leafHashes[lo]!;
  const k = splitPoint(hi - lo);
  return nodeHash(referenceHead(lo, lo + k), referenceHead(lo + k, hi));
}

/** The subtree consistency proof as a recursion over D[lo:hi], in the manner of RFC 9162's SUBPROOF. */
function referenceSubtreeProof(start: number, end: number, lo: number, hi: number, known: boolean): Hash[] {
  if (start === lo && end === hi) return known ? [] : [referenceHead(lo, hi)];
  const mid = lo + splitPoint(hi - lo);
  if (end <= mid) return [...referenceSubtreeProof(start, end, lo, mid, known), referenceHead(mid, hi)];
  if (start >= mid) return [...referenceSubtreeProof(start, end, mid, hi, known), referenceHead(lo, mid)];
  return [...referenceSubtreeProof(mid, end, mid, hi, false), referenceHead(lo, mid)];
}

const bitLen = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);
const ones = (x: bigint): number => x.toString(2).replaceAll('0', '').length;
const trailingZeros = (x: bigint): number => bitLen(x & -x) - 1;
const bit = (x: bigint, i: number): boolean => ((x >> BigInt(i)) & 1n) === 1n;

/**
 * A second verifier, on bigints and bit tricks instead of a walk down the tree: the decomposition
 * transparency-dev/merkle uses (proof/verify.go), rewritten here. Returns the tree root the proof
 * leads to, or undefined when the proof is refused.
 */
function bitwiseSubtreeRoot(start: bigint, end: bigint, size: bigint, proof: readonly Hash[], subRoot: Hash): Hash | undefined {
  const chainBorder = (seed: Hash, hashes: readonly Hash[]): Hash => hashes.reduce((acc, h) => nodeHash(h, acc), seed);
  if (end === size) {
    const height = bitLen((end - 1n) ^ start);
    if (proof.length !== ones(start >> BigInt(height))) return undefined;
    return chainBorder(subRoot, proof);
  }
  const fork = bitLen((end - 1n) ^ (size - 1n));
  const shift = trailingZeros(end - start);
  const nodeIsSubtree = end - start === 1n << BigInt(shift);
  const seed = nodeIsSubtree ? subRoot : proof[0];
  const rest = nodeIsSubtree ? proof : proof.slice(1);
  if (seed === undefined || proof.length !== (nodeIsSubtree ? 0 : 1) + (fork - shift) + ones((end - 1n) >> BigInt(fork))) return undefined;
  const height = bitLen((end - 1n) ^ start);
  let inner = seed;
  let grown = seed;
  let used = 0;
  for (let level = shift; level < height; level += 1) {
    if (bit(end - 1n, level)) {
      inner = nodeHash(rest[used]!, inner);
      grown = nodeHash(rest[used]!, grown);
      used += 1;
    } else if (level < fork) {
      grown = nodeHash(grown, rest[used]!);
      used += 1;
    }
  }
  if (!Buffer.from(inner).equals(subRoot)) return undefined;
  // The rest is an inclusion proof of the grown subtree's root, as a leaf of the tree seen from its level.
  const index = start >> BigInt(height);
  const lastIndex = (size - 1n) >> BigInt(height);
  const path = rest.slice(used);
  const innerLength = bitLen(index ^ lastIndex);
  if (path.length !== innerLength + ones(index >> BigInt(innerLength))) return undefined;
  let root = grown;
  for (const [i, h] of path.entries()) {
    if (i < innerLength && !bit(index, i)) root = nodeHash(root, h);
    else root = nodeHash(h, root);
  }
  return root;
}

describe('subtree: transparency-dev subtree inclusion vectors', () => {
  for (const vector of loadVectors('subtreeinclusion')) {
    it(`${vector.name} → ${vector.wantErr ? 'refused' : 'verified'}`, () => {
      const verdict = verifySubtreeInclusion({
        index: numberOf(vector, 'leafIdx'),
        start: numberOf(vector, 'start'),
        end: numberOf(vector, 'end'),
        leafHash: hashOf(vector, 'leafHash'),
        proof: vector.proof,
        root: hashOf(vector, 'root'),
      });
      assert.equal(verdict.ok, !vector.wantErr, verdict.ok ? 'verified' : verdict.error);
    });
  }
});

describe('subtree: transparency-dev subtree consistency vectors', () => {
  for (const vector of loadVectors('subtreeconsistency')) {
    it(`${vector.name} → ${vector.wantErr ? 'refused' : 'verified'}`, () => {
      const verdict = verifySubtreeConsistency({
        start: numberOf(vector, 'start'),
        end: numberOf(vector, 'end'),
        size: numberOf(vector, 'size'),
        subtreeRoot: hashOf(vector, 'root1'),
        root: hashOf(vector, 'root2'),
        proof: vector.proof,
      });
      assert.equal(verdict.ok, !vector.wantErr, verdict.ok ? 'verified' : verdict.error);
    });
  }
});

describe('subtree: generated proofs', () => {
  it('knows which ranges are subtrees', () => {
    assert.ok(isSubtree(0, 5) && isSubtree(8, 13) && isSubtree(4, 6) && isSubtree(7, 8));
    assert.ok(!isSubtree(1, 3) && !isSubtree(2, 5) && !isSubtree(4, 4) && !isSubtree(5, 4) && !isSubtree(8, 17));
  });

  it('a subtree consistency proof from [0, m) is the RFC 9162 consistency proof of m', () => {
    for (let size = 1; size <= 64; size += 1) {
      for (let m = 1; m <= size; m += 1) assert.deepEqual(subtreeConsistencyProof(0, m, size, source), consistencyProof(m, size, source));
    }
  });

  it('inclusion in the subtree [start, start + 1) is PATH', () => {
    assert.deepEqual(subtreeConsistencyProof(37, 38, 100, source), inclusionProof(37, 100, source));
  });

  it('subtree consistency proofs equal the recursive reference for every subtree of trees up to 40 leaves', () => {
    for (let size = 1; size <= 40; size += 1) {
      for (let start = 0; start < size; start += 1) {
        for (let end = start + 1; end <= size; end += 1) {
          if (!isSubtree(start, end)) continue;
          assert.deepEqual(subtreeConsistencyProof(start, end, size, source), referenceSubtreeProof(start, end, 0, size, true), `[${start}, ${end}) of ${size}`);
        }
      }
    }
  });

  it('agrees with a bitwise verifier on proofs, tampered or not', () => {
    fc.assert(
      fc.property(subtreeInTree, fc.nat(), fc.nat(), fc.boolean(), ({ start, end, size }, pick, bit, tamper) => {
        if (start === 0 && end === size) return;
        const subtreeRoot = subtreeHash(start, end, source);
        const root = treeHead(size, source);
        let proof = subtreeConsistencyProof(start, end, size, source);
        if (tamper) {
          const choice = pick % 3;
          if (choice === 0) proof = proof.map((h, i) => (i === pick % proof.length ? flipped(h, bit % 256) : h));
          else if (choice === 1) proof = proof.slice(0, -1);
          else proof = [...proof, root];
        }
        const ours = verifySubtreeConsistency({ start, end, size, subtreeRoot, root, proof });
        const theirs = proof.length > 0 ? bitwiseSubtreeRoot(BigInt(start), BigInt(end), BigInt(size), proof, subtreeRoot) : undefined;
        assert.equal(ours.ok, theirs !== undefined && Buffer.from(theirs).equals(root), `[${start}, ${end}) of ${size}, tamper ${String(tamper)}`);
        assert.equal(ours.ok, !tamper);
      }),
      { numRuns: 400 },
    );
  });

  it('every subtree inclusion and consistency proof verifies, and fails for a flipped bit', () => {
    fc.assert(
      fc.property(subtreeInTree, fc.nat(), fc.nat(), ({ start, end, size }, pick, bit) => {
        const subtreeRoot = subtreeHash(start, end, source);
        const root = treeHead(size, source);
        const index = start + (pick % (end - start));
        const inclusion = { index, start, end, leafHash: leafHashes[index]!, proof: subtreeInclusionProof(index, start, end, source), root: subtreeRoot };
        assert.ok(verifySubtreeInclusion(inclusion).ok);
        assert.ok(!verifySubtreeInclusion({ ...inclusion, root: flipped(subtreeRoot, bit % 256) }).ok);

        const proof = subtreeConsistencyProof(start, end, size, source);
        const consistency = { start, end, size, subtreeRoot, root, proof };
        assert.ok(verifySubtreeConsistency(consistency).ok, `[${start}, ${end}) of ${size}`);
        if (proof.length === 0) return;
        const at = pick % proof.length;
        assert.ok(!verifySubtreeConsistency({ ...consistency, proof: proof.map((h, i) => (i === at ? flipped(h, bit % 256) : h)) }).ok);
        assert.ok(!verifySubtreeConsistency({ ...consistency, subtreeRoot: flipped(subtreeRoot, bit % 256) }).ok);
        assert.ok(!verifySubtreeConsistency({ ...consistency, root: flipped(root, bit % 256) }).ok);
        assert.ok(!verifySubtreeConsistency({ ...consistency, proof: proof.slice(1) }).ok);
      }),
      { numRuns: 400 },
    );
  });
});

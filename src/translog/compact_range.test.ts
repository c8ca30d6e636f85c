import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compactRangeNodeIds, createCompactRange } from './compact_range.ts';
import { emptyTreeHash, leafHash, nodeHash, nodesOfLeafHashes, treeHead, type Hash } from './merkle.ts';

/** MTH(D[lo:hi]) by the RFC's recursion, the reference for the range's root. */
function recursiveHead(leaves: readonly Hash[], lo = 0, hi = leaves.length): Hash {
  if (hi === lo) return emptyTreeHash();
  if (hi - lo === 1) return leaves[lo]!;
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return nodeHash(recursiveHead(leaves, lo, lo + k), recursiveHead(leaves, lo + k, hi));
}

const leaves: Hash[] = Array.from({ length: 600 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

describe('compact_range', () => {
  it('its root equals the recursive tree head after every append', () => {
    const range = createCompactRange();
    assert.deepEqual(range.root(), emptyTreeHash());
    leaves.forEach((leaf, i) => {
      range.append(leaf);
      assert.equal(range.size(), i + 1);
      assert.deepEqual(range.root(), recursiveHead(leaves.slice(0, i + 1)), `size ${i + 1}`);
    });
  });

  it('holds one root per set bit of its size', () => {
    const range = createCompactRange();
    for (const leaf of leaves.slice(0, 0b101101)) range.append(leaf);
    assert.equal(range.nodes().length, 4);
    assert.deepEqual(compactRangeNodeIds(0b101101), [
      { level: 5, index: 0 },
      { level: 3, index: 4 },
      { level: 2, index: 10 },
      { level: 0, index: 44 },
    ]);
  });

  it('restored from its stored nodes, it continues exactly as the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (restoredAt, more) => {
        const source = nodesOfLeafHashes(leaves);
        const stored = compactRangeNodeIds(restoredAt).map(({ level, index }) => source(level, index));
        const range = createCompactRange(restoredAt, stored);
        assert.deepEqual(range.root(), treeHead(restoredAt, source));
        for (const leaf of leaves.slice(restoredAt, restoredAt + more)) range.append(leaf);
        assert.deepEqual(range.root(), recursiveHead(leaves.slice(0, restoredAt + more)));
      }),
      { numRuns: 200 },
    );
  });

  it('reports every node an append completes, with the hash the tree has there', () => {
    const source = nodesOfLeafHashes(leaves);
    const seen: string[] = [];
    const range = createCompactRange();
    for (const leaf of leaves.slice(0, 256)) {
      range.append(leaf, (level, index, hash) => {
        assert.deepEqual(hash, source(level, index));
        seen.push(`${level}/${index}`);
      });
    }
    // A perfect tree of 256 leaves has 511 nodes, each completed exactly once.
    assert.equal(seen.length, 511);
    assert.equal(new Set(seen).size, 511);
  });

  it('keeps its own copies of the hashes it is given', () => {
    const leaf = Buffer.from(leaves[0]!);
    const range = createCompactRange();
    range.append(leaf);
    leaf.fill(0);
    assert.deepEqual(range.root(), leaves[0]);
    const nodes = range.nodes();
    nodes[0]!.fill(0);
    assert.deepEqual(range.root(), leaves[0]);
  });

  it('refuses a restore that does not match its size, and short leaf hashes', () => {
    assert.throws(() => createCompactRange(3, [leaves[0]!]));
    assert.throws(() => {
      createCompactRange().append(new Uint8Array(31));
    });
  });
});

// A compact range (transparency-dev/merkle `compact`): the state the sequencer
// keeps in memory to append to the tree and compute its head. For a tree of n
// leaves it holds one hash per set bit of n, the roots of the perfect subtrees
// [0, n) splits into, largest first; an append merges equal-sized neighbours
// like a binary counter carries. Appending costs one node hash on average and
// at most log2(n); the head costs one node hash per held root.
import assert from 'node:assert/strict';
import { foldRight, emptyTreeHash, HASH_BYTES, nodeHash, rangeNodeIds } from './merkle.ts';
import type { Hash, NodeId } from './merkle.ts';
import { half, isOdd, isTreeSize, TREE_SIZE_MAX } from './tree_size.ts';

/**
 * Called for every node an append completes: the leaf itself (level 0), then each merged parent. The hash is
 * the range's own buffer, passed without a copy to keep appends allocation-light: read it, never modify it.
 */
export type NodeVisitor = (level: number, index: number, hash: Hash) => void;

export interface CompactRange {
  /** Leaves appended so far (including those the range was restored with). */
  size(): number;
  /** Appends one leaf hash; `visit` sees each node that becomes complete, for a store to keep as tiles. */
  append(leafHash: Hash, visit?: NodeVisitor): void;
  /** MTH(D[0:size]), the tree head. */
  root(): Hash;
  /** The held roots, largest first (the hashes of `compactRangeNodeIds(size)`): what a store persists. */
  nodes(): Hash[];
}

/**
 * The nodes a compact range of `size` leaves holds, largest first. A sequencer restarting from storage reads
 * their hashes and passes them to `createCompactRange`.
 */
export function compactRangeNodeIds(size: number): NodeId[] {
  return rangeNodeIds(0, size);
}

/** A compact range over the first `size` leaves, restored from the hashes of `compactRangeNodeIds(size)`. */
export function createCompactRange(size = 0, nodes: readonly Hash[] = []): CompactRange {
  assert.ok(isTreeSize(size), `createCompactRange: size ${size} is not a tree size`);
  assert.equal(nodes.length, compactRangeNodeIds(size).length, 'createCompactRange: one hash per node of the range');
  assert.ok(nodes.every((h) => h.length === HASH_BYTES), 'createCompactRange: node hashes are 32 bytes');
  // Copies: the caller's buffers may be reused, and a silently changed root would be signed.
  const held: Hash[] = nodes.map((h) => Buffer.from(h));
  let leaves = size;

  return {
    size: () => leaves,

    append(leafHash, visit) {
      assert.equal(leafHash.length, HASH_BYTES, 'append: leaf hashes are 32 bytes');
      assert.ok(leaves < TREE_SIZE_MAX, 'append: the tree is at its largest size');
      let node: Hash = Buffer.from(leafHash);
      let level = 0;
      let index = leaves;
      visit?.(level, index, node);
      // Each set low bit of the old size is a held root of the same size as `node`, on its left: merge them.
      for (let carry = leaves; isOdd(carry); carry = half(carry)) {
        const left = held.pop();
        assert.ok(left !== undefined, 'append: a held root for every set bit of the size');
        node = nodeHash(left, node);
        level += 1;
        index = half(index);
        visit?.(level, index, node);
      }
      held.push(node);
      leaves += 1;
    },

    // A copy: with one held root, the fold returns that very buffer, and the caller must not reach the state.
    root: () => (held.length === 0 ? emptyTreeHash() : Buffer.from(foldRight(held))),

    nodes: () => held.map((h) => Buffer.from(h)),
  };
}

// The shape of a Merkle proof: which hashes it carries and on which side each
// one joins. It depends only on sizes, so the prover and the verifier of a
// subtree consistency proof derive it the same way, and storage can be told
// which hashes to fetch before any is read.
//
// RFC 9162's PATH(m, D[n]) (§2.1.3.1) and SUBPROOF(m, D[n], true) (§2.1.4.1),
// and the subtree proofs of draft-ietf-plants-merkle-tree-certs, are one
// recursion: walk down from the root of the n-leaf tree towards a target
// range [start, end), taking at each step the hash of the half that the
// target is not in. PATH(m) is the target [m, m+1) and SUBPROOF(m) is [0, m).
// When the target straddles the split (only possible when it starts at the
// left edge of the current range, as [0, m) does), its left part is a sibling
// inside the target and the walk continues in the right half; the target's
// own root is then no single node of the tree, so the proof must also carry
// the hash at the bottom of the walk (SUBPROOF's `b = false`).
import assert from 'node:assert/strict';
import { isTreeSize, largestPowerOfTwoBelow, powerOfTwoAtLeast } from './tree_size.ts';

/** Leaves [begin, end) of the tree: the subtree a proof hash stands for. */
export interface LeafRange {
  readonly begin: number;
  readonly end: number;
}

export interface ProofSibling extends LeafRange {
  /** Where the sibling joins the running hash: 'left' means H(0x01 ‖ sibling ‖ running). */
  readonly side: 'left' | 'right';
  /** True when the sibling lies inside the target range, so it is also part of the target's own root. */
  readonly inTarget: boolean;
}

export interface ProofShape {
  /**
   * False when the walk split the target: the proof then starts with the hash of `bottom`, the part of
   * the target the walk ended in. True when the target is a node of the tree, whose hash the verifier
   * already holds (the leaf hash, or the first tree's root), and `bottom` is the target itself.
   */
  readonly targetIsNode: boolean;
  readonly bottom: LeafRange;
  /** The siblings from the bottom of the walk up to the root: the order of the proof's hashes. */
  readonly siblings: readonly ProofSibling[];
}

/**
 * True for a subtree in the sense of draft-ietf-plants-merkle-tree-certs §4.1: non-empty, and `start` a
 * multiple of the smallest power of two ≥ its width, so that it is either one node of every tree that
 * contains it or the left edge of one.
 */
export function isSubtree(start: number, end: number): boolean {
  return isTreeSize(start) && isTreeSize(end) && start < end && start % powerOfTwoAtLeast(end - start) === 0;
}

/** The proof shape for the subtree [start, end) of a tree of `size` leaves. */
export function proofShape(start: number, end: number, size: number): ProofShape {
  assert.ok(isSubtree(start, end), `proofShape: [${start}, ${end}) is not a subtree`);
  assert.ok(isTreeSize(size) && end <= size, `proofShape: [${start}, ${end}) is not inside a tree of ${size}`);
  const topDown: ProofSibling[] = [];
  let lo = 0;
  let hi = size;
  let from = start;
  let targetIsNode = true;
  while (from !== lo || end !== hi) {
    const mid = lo + largestPowerOfTwoBelow(hi - lo);
    if (end <= mid) {
      topDown.push({ begin: mid, end: hi, side: 'right', inTarget: false });
      hi = mid;
    } else if (from >= mid) {
      topDown.push({ begin: lo, end: mid, side: 'left', inTarget: false });
      lo = mid;
    } else {
      // A subtree that straddles a split starts at the range's left edge: alignment forbids anything else.
      assert.equal(from, lo, 'proofShape: a straddling target starts at the left edge');
      topDown.push({ begin: lo, end: mid, side: 'left', inTarget: true });
      lo = mid;
      from = mid;
      targetIsNode = false;
    }
  }
  return { targetIsNode, bottom: { begin: lo, end: hi }, siblings: topDown.reverse() };
}

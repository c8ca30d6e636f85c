// Subtree proofs (draft-ietf-plants-merkle-tree-certs §4.3–4.4, as
// transparency-dev/merkle implements them): inclusion of a leaf in a subtree
// [start, end), and consistency of a subtree's root with a tree that contains
// it. The audit log uses them for tiles: a full tile is the subtree of 256
// nodes it spans, so a tile fetched from anywhere can be checked against a
// signed checkpoint with one short proof. An RFC 9162 consistency proof is
// the subtree [0, size1) of the tree of size2.
import assert from 'node:assert/strict';
import { emptyTreeHash, foldRight, HASH_BYTES, hashesEqual, nodeHash, rangeNodeIds, subtreeProofPlan, proofFromPlan, verifyInclusion } from './merkle.ts';
import type { Hash, NodeHashSource } from './merkle.ts';
import { err } from '../support/index.ts';
import { ACCEPTED, type Verdict } from './outcome.ts';
import { isSubtree, proofShape } from './proof_shape.ts';
import { isTreeSize } from './tree_size.ts';

export { isSubtree } from './proof_shape.ts';

/** MTH(D[start:end]) of a subtree, from the nodes of a store. */
export function subtreeHash(start: number, end: number, source: NodeHashSource): Hash {
  assert.ok(isSubtree(start, end), `subtreeHash: [${start}, ${end}) is not a subtree`);
  return foldRight(rangeNodeIds(start, end).map(({ level, index }) => source(level, index)));
}

/** The inclusion proof of leaf `index` in the subtree [start, end): PATH within that subtree. */
export function subtreeInclusionProof(index: number, start: number, end: number, source: NodeHashSource): Hash[] {
  assert.ok(isSubtree(start, end) && start <= index && index < end, `subtreeInclusionProof: leaf ${index} is not in [${start}, ${end})`);
  const plan = subtreeProofPlan(index - start, index - start + 1, end - start);
  // The subtree is aligned to a power of two at least its width, so every node inside it, relative to
  // its start, is a node of the whole tree at the same level, `start / 2^level` further along.
  return proofFromPlan(
    plan,
    plan.nodes.map(({ level, index: at }) => source(level, at + start / 2 ** level)),
  );
}

/** The consistency proof of the subtree [start, end) with the tree of `size` leaves. */
export function subtreeConsistencyProof(start: number, end: number, size: number, source: NodeHashSource): Hash[] {
  assert.ok(isSubtree(start, end) && end <= size, `subtreeConsistencyProof: [${start}, ${end}) is not a subtree of ${size}`);
  const plan = subtreeProofPlan(start, end, size);
  return proofFromPlan(
    plan,
    plan.nodes.map(({ level, index }) => source(level, index)),
  );
}

export interface SubtreeInclusionClaim {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  /** The subtree's root, MTH(D[start:end]). */
  readonly root: Uint8Array;
}

/** Leaf `index` with `leafHash` is in the subtree [start, end) whose root is `root`. */
export function verifySubtreeInclusion({ index, start, end, leafHash, proof, root }: SubtreeInclusionClaim): Verdict {
  if (!isTreeSize(index)) return err('the leaf index must be an integer from 0 to 2^53 − 1');
  if (!isSubtree(start, end)) return err(`[${start}, ${end}) is not a subtree`);
  if (index < start || index >= end) return err(`leaf ${index} is outside the subtree [${start}, ${end})`);
  return verifyInclusion({ index: index - start, size: end - start, leafHash, proof, root });
}

export interface SubtreeConsistencyClaim {
  readonly start: number;
  readonly end: number;
  readonly size: number;
  /** MTH(D[start:end]). */
  readonly subtreeRoot: Uint8Array;
  /** MTH(D[0:size]). */
  readonly root: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/**
 * The subtree [start, end) with `subtreeRoot` is part of the tree of `size` leaves with `root`. The proof's
 * shape follows from the sizes alone (proof_shape.ts); the verifier rebuilds both roots from it.
 */
export function verifySubtreeConsistency({ start, end, size, subtreeRoot, root, proof }: SubtreeConsistencyClaim): Verdict {
  if (!isTreeSize(start) || !isTreeSize(end) || !isTreeSize(size)) return err('subtree bounds and tree size must be integers from 0 to 2^53 − 1');
  if (end > size) return err(`the subtree ends at ${end}, past the tree size ${size}`);
  if (start === end) {
    // An empty subtree is part of every tree; its root must still be the empty tree's, with nothing to prove.
    if (proof.length !== 0) return err('an empty subtree needs an empty proof');
    return hashesEqual(subtreeRoot, emptyTreeHash()) ? ACCEPTED : err('an empty subtree has the empty tree hash as its root');
  }
  if (!isSubtree(start, end)) return err(`[${start}, ${end}) is not a subtree`);
  if (start === 0 && end === size) {
    if (proof.length !== 0) return err('a subtree that is the whole tree needs an empty proof');
    return hashesEqual(subtreeRoot, root) ? ACCEPTED : err('a subtree that is the whole tree has a different root');
  }
  if (proof.length === 0) return err('the proof is empty');
  if (subtreeRoot.length !== HASH_BYTES || root.length !== HASH_BYTES) return err(`a root hash is not ${HASH_BYTES} bytes`);
  if (!proof.every((p) => p.length === HASH_BYTES)) return err(`a proof hash is not ${HASH_BYTES} bytes`);

  const shape = proofShape(start, end, size);
  const needed = shape.siblings.length + (shape.targetIsNode ? 0 : 1);
  if (proof.length !== needed) return err(`the proof has ${proof.length} hashes; this subtree and tree size need ${needed}`);
  // When the subtree is one node, the verifier already holds its hash; otherwise the proof starts with the
  // hash of the subtree's rightmost part, and the siblings inside the subtree rebuild its root from there.
  const [first, ...rest] = proof;
  assert.ok(first !== undefined);
  const siblingHashes = shape.targetIsNode ? proof : rest;
  const seed = shape.targetIsNode ? subtreeRoot : first;
  let subtreeSoFar = seed;
  let treeSoFar = seed;
  for (const [i, sibling] of shape.siblings.entries()) {
    const h = siblingHashes[i];
    assert.ok(h !== undefined);
    if (sibling.side === 'right') {
      treeSoFar = nodeHash(treeSoFar, h);
    } else {
      treeSoFar = nodeHash(h, treeSoFar);
      if (sibling.inTarget) subtreeSoFar = nodeHash(h, subtreeSoFar);
    }
  }
  if (!hashesEqual(subtreeSoFar, subtreeRoot)) return err('the proof does not lead to the subtree root');
  if (!hashesEqual(treeSoFar, root)) return err('the proof does not lead to the tree root');
  return ACCEPTED;
}

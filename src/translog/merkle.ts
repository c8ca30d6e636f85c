// The RFC 9162 Merkle tree (§2.1; the same tree as RFC 6962) over the audit
// log's entries: leaf and node hashes, tree heads, and inclusion and
// consistency proofs, made and checked.
//
// Nothing here holds the tree. Proofs and heads are computed from the hashes
// of perfect subtrees ("nodes": 2^level leaves starting at index·2^level),
// which a store keeps as tlog tiles; `…ProofPlan` says which nodes a proof
// needs so that a store can read them in one batch (and asynchronously), and
// `proofFromPlan` turns them into the proof. The `…Proof(…, source)` forms do
// both for a synchronous source, such as an in-memory array of leaf hashes.
import assert from 'node:assert/strict';
import { createHash, hash } from 'node:crypto';
import { err } from '../support/index.ts';
import { ACCEPTED, type Verdict } from './outcome.ts';
import { proofShape, type LeafRange } from './proof_shape.ts';
import { bitLength, half, isOdd, isPowerOfTwo, isTreeSize, powerOfTwoAtLeast } from './tree_size.ts';

/** SHA-256 output: every leaf, node and root hash. */
export const HASH_BYTES = 32;

/** A SHA-256 Merkle hash (HASH_BYTES long). */
export type Hash = Uint8Array;

/** The perfect subtree of 2^level leaves starting at leaf index·2^level; level 0 is a leaf. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** The hash of a node: at level 0 a leaf hash, above it the root of that perfect subtree. */
export type NodeHashSource = (level: number, index: number) => Hash;

/** The leaf hash at an index. */
export type LeafHashSource = (index: number) => Hash;

/** The nodes a proof needs, and how they combine into its hashes. */
export interface ProofPlan {
  /** Every node whose hash the proof needs, in the order `proofFromPlan` takes their hashes. */
  readonly nodes: readonly NodeId[];
  /** For each hash of the proof, in order, how many consecutive `nodes` it is made of (folded right to left). */
  readonly parts: readonly number[];
}

// Domain separation (RFC 9162 §2.1.1): a leaf hash can never be replayed as an interior node.
const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = 0x01;

// Hashing is synchronous, so one input buffer serves every node hash: 0x01 ‖ left ‖ right.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = NODE_PREFIX;

const EMPTY_TREE_HASH = hash('sha256', new Uint8Array(0), 'buffer');

/** MTH({}) = SHA-256(""), the root of the empty tree. A fresh copy: hashes are mutable bytes. */
export function emptyTreeHash(): Hash {
  return Buffer.from(EMPTY_TREE_HASH);
}

/** MTH({d}) = SHA-256(0x00 ‖ d): the leaf hash of one entry's bytes. */
export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function nodeHash(left: Hash, right: Hash): Hash {
  assert.ok(left.length === HASH_BYTES && right.length === HASH_BYTES, 'nodeHash: child hashes are 32 bytes');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return hash('sha256', nodeInput, 'buffer');
}

export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * The nodes that together hold leaves [begin, end), largest first. `begin` must be a multiple of the smallest
 * power of two ≥ end − begin (true of [0, n) and of every range a proof takes), so that folding their
 * hashes right to left gives MTH(D[begin:end]).
 */
export function rangeNodeIds(begin: number, end: number): NodeId[] {
  assert.ok(isTreeSize(begin) && isTreeSize(end) && begin <= end, `rangeNodeIds: [${begin}, ${end}) is not a range`);
  assert.equal(begin % powerOfTwoAtLeast(end - begin), 0, `rangeNodeIds: [${begin}, ${end}) is not aligned`);
  const ids: NodeId[] = [];
  for (let at = begin; at < end; ) {
    const level = bitLength(end - at) - 1;
    const width = 2 ** level;
    ids.push({ level, index: at / width });
    at += width;
  }
  return ids;
}

/** The root over hashes of adjacent subtrees, largest first: H(h0, H(h1, … H(hk−1, hk))). */
export function foldRight(hashes: readonly Hash[]): Hash {
  // Checked here as well as in nodeHash: a single hash passes through unhashed, and a store can return anything.
  assert.ok(hashes.every((h) => h.length === HASH_BYTES), 'foldRight: hashes are 32 bytes');
  let root: Hash | undefined;
  for (const h of hashes.toReversed()) root = root === undefined ? h : nodeHash(h, root);
  assert.ok(root !== undefined, 'foldRight: at least one hash');
  return root;
}

/** MTH(D[0:size]), the tree head, from the nodes of a store. */
export function treeHead(size: number, source: NodeHashSource): Hash {
  assert.ok(isTreeSize(size), `treeHead: size ${size} is not a tree size`);
  if (size === 0) return emptyTreeHash();
  return foldRight(rangeNodeIds(0, size).map(({ level, index }) => source(level, index)));
}

/**
 * Nodes computed from leaf hashes alone: a node at level l hashes its 2^l leaves, so this suits small trees,
 * tests and level-0 tiles; a store answers higher nodes from its tiles instead.
 */
export function nodesFromLeaves(leafHashAt: LeafHashSource): NodeHashSource {
  const node: NodeHashSource = (level, index) =>
    level === 0 ? leafHashAt(index) : nodeHash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1));
  return node;
}

/** Nodes of an in-memory list of leaf hashes. */
export function nodesOfLeafHashes(leafHashes: readonly Hash[]): NodeHashSource {
  return nodesFromLeaves((index) => {
    const h = leafHashes[index];
    assert.ok(h !== undefined, `nodesOfLeafHashes: no leaf ${index}`);
    return h;
  });
}

/** The plan of the proof for the subtree [start, end) of a tree of `size` (see proof_shape.ts). */
export function subtreeProofPlan(start: number, end: number, size: number): ProofPlan {
  const shape = proofShape(start, end, size);
  const ranges: LeafRange[] = shape.targetIsNode ? [...shape.siblings] : [shape.bottom, ...shape.siblings];
  const nodes: NodeId[] = [];
  const parts: number[] = [];
  for (const range of ranges) {
    const ids = rangeNodeIds(range.begin, range.end);
    nodes.push(...ids);
    parts.push(ids.length);
  }
  return { nodes, parts };
}

/** The plan of PATH(index, D[0:size]) (RFC 9162 §2.1.3.1): the inclusion proof of leaf `index`. */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  assert.ok(isTreeSize(index) && isTreeSize(size) && index < size, `inclusionProofPlan: leaf ${index} is not in a tree of ${size}`);
  return subtreeProofPlan(index, index + 1, size);
}

/**
 * The plan of PROOF(size1, D[0:size2]) = SUBPROOF(size1, D[0:size2], true) (RFC 9162 §2.1.4.1). A proof from
 * the empty tree proves nothing and is refused by verifiers, so asking for one is a programmer error.
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  assert.ok(isTreeSize(size1) && isTreeSize(size2) && 0 < size1 && size1 <= size2, `consistencyProofPlan: sizes ${size1} → ${size2}`);
  return subtreeProofPlan(0, size1, size2);
}

/** The proof from the hashes of `plan.nodes`, in the same order (as a store returned them). */
export function proofFromPlan(plan: ProofPlan, nodeHashes: readonly Hash[]): Hash[] {
  assert.equal(nodeHashes.length, plan.nodes.length, 'proofFromPlan: one hash per planned node');
  const proof: Hash[] = [];
  let at = 0;
  for (const count of plan.parts) {
    proof.push(foldRight(nodeHashes.slice(at, at + count)));
    at += count;
  }
  return proof;
}

function planned(plan: ProofPlan, source: NodeHashSource): Hash[] {
  return proofFromPlan(
    plan,
    plan.nodes.map(({ level, index }) => source(level, index)),
  );
}

/** PATH(index, D[0:size]): the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, size: number, source: NodeHashSource): Hash[] {
  return planned(inclusionProofPlan(index, size), source);
}

/** PROOF(size1, D[0:size2]): the consistency proof between the trees of `size1` and `size2` leaves. */
export function consistencyProof(size1: number, size2: number, source: NodeHashSource): Hash[] {
  return planned(consistencyProofPlan(size1, size2), source);
}

export interface InclusionClaim {
  readonly index: number;
  readonly size: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/**
 * RFC 9162 §2.1.3.2, step for step: the leaf hash at `index`, with `proof`, leads to `root` of the tree of
 * `size` leaves. Every hash must be 32 bytes (transparency-dev/merkle's rule).
 */
export function verifyInclusion({ index, size, leafHash: leaf, proof, root }: InclusionClaim): Verdict {
  if (!isTreeSize(index) || !isTreeSize(size)) return err('leaf index and tree size must be integers from 0 to 2^53 − 1');
  if (index >= size) return err(`leaf index ${index} is not below tree size ${size}`);
  if (leaf.length !== HASH_BYTES) return err(`leaf hash is ${leaf.length} bytes, not ${HASH_BYTES}`);
  if (!proof.every((p) => p.length === HASH_BYTES)) return err(`a proof hash is not ${HASH_BYTES} bytes`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return err('the proof has more hashes than the path from the leaf to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return err('the proof has fewer hashes than the path from the leaf to the root');
  if (!hashesEqual(r, root)) return err('the proof does not lead to the root hash');
  return ACCEPTED;
}

export interface ConsistencyClaim {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/**
 * RFC 9162 §2.1.4.2, step for step: the tree of `size2` leaves with `root2` extends the tree of `size1` leaves
 * with `root1`. As transparency-dev/merkle: a proof from size 0 is refused (it proves nothing), equal sizes
 * need an empty proof and equal roots, and otherwise every hash must be 32 bytes.
 */
export function verifyConsistency({ size1, size2, root1, root2, proof }: ConsistencyClaim): Verdict {
  if (!isTreeSize(size1) || !isTreeSize(size2)) return err('tree sizes must be integers from 0 to 2^53 − 1');
  if (size2 < size1) return err(`the second tree (${size2}) is smaller than the first (${size1})`);
  if (size1 === 0) return err('a consistency proof from the empty tree proves nothing');
  if (size1 === size2) {
    if (proof.length !== 0) return err('trees of equal size need an empty proof');
    return hashesEqual(root1, root2) ? ACCEPTED : err('trees of equal size have different roots');
  }
  if (proof.length === 0) return err('the proof is empty');
  if (root1.length !== HASH_BYTES || root2.length !== HASH_BYTES) return err(`a root hash is not ${HASH_BYTES} bytes`);
  if (!proof.every((c) => c.length === HASH_BYTES)) return err(`a proof hash is not ${HASH_BYTES} bytes`);
  // Step 2: when the first tree is a perfect subtree of the second, its root is the path's first hash.
  const [seed, ...path] = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  assert.ok(seed !== undefined);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = seed;
  let sr = seed;
  for (const c of path) {
    if (sn === 0) return err('the proof has more hashes than the path to the second root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return err('the proof has fewer hashes than the path to the second root');
  if (!hashesEqual(fr, root1)) return err('the proof does not lead to the first root');
  if (!hashesEqual(sr, root2)) return err('the proof does not lead to the second root');
  return ACCEPTED;
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  consistencyProof,
  consistencyProofPlan,
  emptyTreeHash,
  inclusionProof,
  inclusionProofPlan,
  leafHash,
  nodeHash,
  nodesOfLeafHashes,
  proofFromPlan,
  treeHead,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type NodeHashSource,
} from './merkle.ts';
import { TREE_SIZE_MAX } from './tree_size.ts';
import { hashOf, loadVectors, numberOf } from './vector_fixture.ts';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

// RFC 6962's eight test leaves and the roots of their first 1…8 (transparency-dev/merkle's known answers).
const RFC6962_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const RFC6962_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// ---- The RFC's definitions, written out literally, as the reference the planned proofs must equal. ----

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes (RFC 9162 §2.1.1). */
function referenceHead(leaves: readonly Hash[], lo = 0, hi = leaves.length): Hash {
  if (hi === lo) return sha256(new Uint8Array(0));
  if (hi - lo === 1) return leaves[lo]!;
  const k = splitPoint(hi - lo);
  return nodeHash(referenceHead(leaves, lo, lo + k), referenceHead(leaves, lo + k, hi));
}

/** PATH(m, D[lo:hi]) (RFC 9162 §2.1.3.1). */
function referencePath(m: number, leaves: readonly Hash[], lo: number, hi: number): Hash[] {
  if (hi - lo === 1) return [];
  const k = splitPoint(hi - lo);
  return m < k
    ? [...referencePath(m, leaves, lo, lo + k), referenceHead(leaves, lo + k, hi)]
    : [...referencePath(m - k, leaves, lo + k, hi), referenceHead(leaves, lo, lo + k)];
}

/** SUBPROOF(m, D[lo:hi], b) (RFC 9162 §2.1.4.1). */
function referenceSubproof(m: number, leaves: readonly Hash[], lo: number, hi: number, b: boolean): Hash[] {
  if (m === hi - lo) return b ? [] : [referenceHead(leaves, lo, hi)];
  const k = splitPoint(hi - lo);
  return m <= k
    ? [...referenceSubproof(m, leaves, lo, lo + k, b), referenceHead(leaves, lo + k, hi)]
    : [...referenceSubproof(m - k, leaves, lo + k, hi, false), referenceHead(leaves, lo, lo + k)];
}

// ---- A tree of 4096 distinct leaves with every node precomputed: any prefix of it is a tree of that size. ----

const LEAVES_MAX = 4096;
const leafHashes: Hash[] = Array.from({ length: LEAVES_MAX }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const levels: Hash[][] = [leafHashes];
for (let width = LEAVES_MAX; width > 1; width /= 2) {
  const below = levels.at(-1)!;
  levels.push(Array.from({ length: width / 2 }, (_, i) => nodeHash(below[2 * i]!, below[2 * i + 1]!)));
}
const source: NodeHashSource = (level, index) => levels[level]![index]!;
const roots: Hash[] = [emptyTreeHash()];
for (let size = 1; size <= LEAVES_MAX; size += 1) roots.push(treeHead(size, source));

function flipped(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[Math.floor(bit / 8) % copy.length]! ^= 1 << bit % 8;
  return copy;
}

describe('merkle: RFC 6962 known answers', () => {
  it('the 8 test leaves give root 5dc9da79…4328, and each prefix its known root', () => {
    const hashes = RFC6962_LEAVES.map((d) => leafHash(d));
    const nodes = nodesOfLeafHashes(hashes);
    RFC6962_ROOTS.forEach((root, i) => {
      assert.equal(Buffer.from(treeHead(i + 1, nodes)).toString('hex'), root);
    });
    assert.equal(Buffer.from(treeHead(8, nodes)).toString('hex'), '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('the empty tree is SHA-256 of nothing; a leaf is SHA-256(0x00 ‖ d); a node SHA-256(0x01 ‖ l ‖ r)', () => {
    assert.equal(Buffer.from(emptyTreeHash()).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.deepEqual(Buffer.from(treeHead(0, source)), sha256(new Uint8Array(0)));
    assert.deepEqual(Buffer.from(leafHash(hex('0102'))), sha256(hex('000102')));
    const [a, b] = [leafHash(hex('aa')), leafHash(hex('bb'))];
    assert.deepEqual(Buffer.from(nodeHash(a, b)), sha256(Buffer.concat([hex('01'), a, b])));
  });

  it('makes the inclusion and consistency proofs of transparency-dev/merkle for the RFC 6962 leaves', () => {
    const nodes = nodesOfLeafHashes(RFC6962_LEAVES.map((d) => leafHash(d)));
    const proofHex = (proof: Hash[]): string[] => proof.map((h) => Buffer.from(h).toString('hex'));
    assert.deepEqual(proofHex(inclusionProof(0, 8, nodes)), [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    assert.deepEqual(proofHex(inclusionProof(5, 8, nodes)), [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    assert.deepEqual(proofHex(inclusionProof(2, 3, nodes)), ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']);
    assert.deepEqual(proofHex(consistencyProof(6, 8, nodes)), [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    assert.deepEqual(proofHex(consistencyProof(2, 5, nodes)), [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
    assert.deepEqual(proofHex(consistencyProof(6, 7, nodes)), [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    assert.deepEqual(consistencyProof(4, 4, nodes), []);
  });
});

describe('merkle: transparency-dev inclusion vectors', () => {
  for (const vector of loadVectors('inclusion')) {
    it(`${vector.name} → ${vector.wantErr ? 'refused' : 'verified'}`, () => {
      const verdict = verifyInclusion({
        index: numberOf(vector, 'leafIdx'),
        size: numberOf(vector, 'treeSize'),
        leafHash: hashOf(vector, 'leafHash'),
        proof: vector.proof,
        root: hashOf(vector, 'root'),
      });
      assert.equal(verdict.ok, !vector.wantErr, verdict.ok ? 'verified' : verdict.error);
    });
  }
});

describe('merkle: transparency-dev consistency vectors', () => {
  for (const vector of loadVectors('consistency')) {
    it(`${vector.name} → ${vector.wantErr ? 'refused' : 'verified'}`, () => {
      const verdict = verifyConsistency({
        size1: numberOf(vector, 'size1'),
        size2: numberOf(vector, 'size2'),
        root1: hashOf(vector, 'root1'),
        root2: hashOf(vector, 'root2'),
        proof: vector.proof,
      });
      assert.equal(verdict.ok, !vector.wantErr, verdict.ok ? 'verified' : verdict.error);
    });
  }
});

describe('merkle: proofs made from nodes are the RFC recursions', () => {
  it('tree heads equal MTH for every size up to 300', () => {
    for (let size = 0; size <= 300; size += 1) assert.deepEqual(roots[size], referenceHead(leafHashes.slice(0, size)), `size ${size}`);
  });

  it('PATH(m, D[n]) for every m < n ≤ 70', () => {
    for (let size = 1; size <= 70; size += 1) {
      const leaves = leafHashes.slice(0, size);
      for (let index = 0; index < size; index += 1) {
        assert.deepEqual(inclusionProof(index, size, source), referencePath(index, leaves, 0, size), `leaf ${index} of ${size}`);
      }
    }
  });

  it('SUBPROOF(m, D[n], true) for every 0 < m ≤ n ≤ 70', () => {
    for (let size2 = 1; size2 <= 70; size2 += 1) {
      const leaves = leafHashes.slice(0, size2);
      for (let size1 = 1; size1 <= size2; size1 += 1) {
        assert.deepEqual(consistencyProof(size1, size2, source), referenceSubproof(size1, leaves, 0, size2, true), `${size1} → ${size2}`);
      }
    }
  });

  it('a plan names each node once, and its hashes fetched in any batch give the same proof', () => {
    const plan = inclusionProofPlan(1000, 4000);
    const ids = plan.nodes.map(({ level, index }) => `${level}/${index}`);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(plan.parts.reduce((a, b) => a + b, 0), plan.nodes.length);
    assert.deepEqual(proofFromPlan(plan, plan.nodes.map(({ level, index }) => source(level, index))), inclusionProof(1000, 4000, source));
    assert.equal(consistencyProofPlan(7, 4000).parts.length, consistencyProof(7, 4000, source).length);
  });

  it('asking for a proof outside the tree is a programmer error', () => {
    assert.throws(() => inclusionProofPlan(5, 5));
    assert.throws(() => consistencyProofPlan(0, 5));
    assert.throws(() => consistencyProofPlan(6, 5));
    assert.throws(() => treeHead(1.5, source));
  });
});

const sizeAndIndex = fc.integer({ min: 1, max: LEAVES_MAX }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const twoSizes = fc.integer({ min: 1, max: LEAVES_MAX }).chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2)));

describe('merkle: properties of generated proofs', () => {
  it('every inclusion proof verifies, and fails for any flipped bit of proof, leaf or root, or another index', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.nat(), ([size, index], pick, bit) => {
        const proof = inclusionProof(index, size, source);
        const claim = { index, size, leafHash: leafHashes[index]!, proof, root: roots[size]! };
        assert.ok(verifyInclusion(claim).ok);
        assert.ok(!verifyInclusion({ ...claim, leafHash: flipped(claim.leafHash, bit % 256) }).ok);
        assert.ok(!verifyInclusion({ ...claim, root: flipped(claim.root, bit % 256) }).ok);
        if (proof.length > 0) {
          const at = pick % proof.length;
          const tampered = proof.map((h, i) => (i === at ? flipped(h, bit % 256) : h));
          assert.ok(!verifyInclusion({ ...claim, proof: tampered }).ok);
          assert.ok(!verifyInclusion({ ...claim, proof: proof.slice(1) }).ok);
        }
        assert.ok(!verifyInclusion({ ...claim, proof: [...proof, roots[size]!] }).ok);
        if (size > 1) assert.ok(!verifyInclusion({ ...claim, index: (index + 1 + (pick % (size - 1))) % size }).ok);
      }),
      { numRuns: 300 },
    );
  });

  it('every consistency proof verifies, and fails for any flipped bit of proof or roots, or swapped roots', () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), fc.nat(), ([size1, size2], pick, bit) => {
        const proof = consistencyProof(size1, size2, source);
        const claim = { size1, size2, root1: roots[size1]!, root2: roots[size2]!, proof };
        assert.ok(verifyConsistency(claim).ok);
        if (size1 === size2) return;
        assert.ok(!verifyConsistency({ ...claim, root1: flipped(claim.root1, bit % 256) }).ok);
        assert.ok(!verifyConsistency({ ...claim, root2: flipped(claim.root2, bit % 256) }).ok);
        assert.ok(!verifyConsistency({ ...claim, root1: claim.root2, root2: claim.root1 }).ok);
        const at = pick % proof.length;
        assert.ok(!verifyConsistency({ ...claim, proof: proof.map((h, i) => (i === at ? flipped(h, bit % 256) : h)) }).ok);
        assert.ok(!verifyConsistency({ ...claim, proof: proof.slice(0, -1) }).ok);
      }),
      { numRuns: 300 },
    );
  });

  // All leaves equal: every node of a level has the same hash, so nodes of trees up to 2^53 − 1 leaves cost
  // one hash per level. It checks the size arithmetic past 32 bits, where `>>` would silently truncate.
  const uniform: Hash[] = [leafHash(Buffer.from('same'))];
  for (let level = 1; level <= 53; level += 1) uniform.push(nodeHash(uniform[level - 1]!, uniform[level - 1]!));
  const uniformSource: NodeHashSource = (level) => uniform[level]!;

  it('proofs in trees of up to 2^53 − 1 leaves verify, and sizes past that are refused', () => {
    const huge = fc.integer({ min: 1, max: TREE_SIZE_MAX });
    fc.assert(
      fc.property(huge, huge, fc.nat(), (a, b, pick) => {
        const [size1, size2] = a <= b ? [a, b] : [b, a];
        const index = pick % size2;
        const root2 = treeHead(size2, uniformSource);
        const inclusion = { index, size: size2, leafHash: uniform[0]!, proof: inclusionProof(index, size2, uniformSource), root: root2 };
        assert.ok(verifyInclusion(inclusion).ok);
        const consistency = { size1, size2, root1: treeHead(size1, uniformSource), root2, proof: consistencyProof(size1, size2, uniformSource) };
        assert.ok(verifyConsistency(consistency).ok);
        assert.ok(!verifyConsistency({ ...consistency, root1: flipped(consistency.root1, pick % 256) }).ok);
      }),
      { numRuns: 200 },
    );
    for (const size of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 + 3, TREE_SIZE_MAX]) {
      const proof = inclusionProof(size - 1, size, uniformSource);
      assert.ok(verifyInclusion({ index: size - 1, size, leafHash: uniform[0]!, proof, root: treeHead(size, uniformSource) }).ok, `size ${size}`);
    }
    assert.ok(!verifyInclusion({ index: 0, size: 2 ** 53, leafHash: uniform[0]!, proof: [], root: uniform[0]! }).ok);
    assert.ok(!verifyInclusion({ index: -1, size: 1, leafHash: uniform[0]!, proof: [], root: uniform[0]! }).ok);
    assert.ok(!verifyConsistency({ size1: 1, size2: 2 ** 53, root1: uniform[0]!, root2: uniform[0]!, proof: [uniform[0]!] }).ok);
  });
});

describe('merkle: refusals named', () => {
  it('refuses consistency from the empty tree, short hashes, and equal sizes with a proof', () => {
    const root = roots[4]!;
    assert.deepEqual(verifyConsistency({ size1: 0, size2: 4, root1: roots[0]!, root2: root, proof: [] }), {
      ok: false,
      error: 'a consistency proof from the empty tree proves nothing',
    });
    assert.ok(!verifyConsistency({ size1: 4, size2: 4, root1: root, root2: root, proof: [root] }).ok);
    assert.ok(verifyConsistency({ size1: 4, size2: 4, root1: root, root2: root, proof: [] }).ok);
    assert.ok(!verifyInclusion({ index: 0, size: 1, leafHash: leafHashes[0]!.subarray(0, 31), proof: [], root: leafHashes[0]! }).ok);
    assert.ok(!verifyInclusion({ index: 0, size: 2, leafHash: leafHashes[0]!, proof: [Buffer.alloc(33)], root: roots[2]! }).ok);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSubtree, proofShape } from './proof_shape.ts';

describe('proof_shape', () => {
  it('PATH(5, D[8]): the siblings of leaf 5, bottom up', () => {
    assert.deepEqual(proofShape(5, 6, 8), {
      targetIsNode: true,
      bottom: { begin: 5, end: 6 },
      siblings: [
        { begin: 4, end: 5, side: 'left', inTarget: false },
        { begin: 6, end: 8, side: 'right', inTarget: false },
        { begin: 0, end: 4, side: 'left', inTarget: false },
      ],
    });
  });

  it('SUBPROOF(5, D[7], true): the first tree is split, so the proof starts with its rightmost part', () => {
    assert.deepEqual(proofShape(0, 5, 7), {
      targetIsNode: false,
      bottom: { begin: 4, end: 5 },
      siblings: [
        { begin: 5, end: 6, side: 'right', inTarget: false },
        { begin: 6, end: 7, side: 'right', inTarget: false },
        { begin: 0, end: 4, side: 'left', inTarget: true },
      ],
    });
  });

  it('a subtree that is the whole tree needs nothing', () => {
    assert.deepEqual(proofShape(0, 8, 8), { targetIsNode: true, bottom: { begin: 0, end: 8 }, siblings: [] });
  });

  it('asking for the shape of a range that is not a subtree of the tree is a programmer error', () => {
    assert.ok(!isSubtree(2, 5));
    assert.throws(() => proofShape(2, 5, 8), { name: 'AssertionError', message: 'proofShape: [2, 5) is not a subtree' });
    assert.throws(() => proofShape(0, 9, 8), { name: 'AssertionError', message: 'proofShape: [0, 9) is not inside a tree of 8' });
  });
});

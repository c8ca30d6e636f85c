import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leafHash, nodesOfLeafHashes, treeHead, type Hash } from './merkle.ts';
import { fullTileHash, tileHashes, TILE_WIDTH } from './tiles.ts';
import { createTreeState, type FullTile } from './tree_state.ts';

const leaves: Hash[] = Array.from({ length: 66_000 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

describe('tree_state', () => {
  it('reports each tile as it becomes full, at every tile level, with its hashes and root', () => {
    const tree = createTreeState();
    const completed: FullTile[] = [];
    for (const leaf of leaves) tree.append(leaf, completed);
    // 66,000 leaves: 257 full level-0 tiles, and one full level-1 tile (the first 65,536 leaves).
    assert.deepEqual(completed.filter((t) => t.level === 0).map((t) => t.index), Array.from({ length: 257 }, (_, i) => i));
    assert.deepEqual(completed.filter((t) => t.level === 1).map((t) => t.index), [0]);
    const nodes = nodesOfLeafHashes(leaves);
    for (const tile of [completed[0]!, completed[256]!, completed.find((t) => t.level === 1)!]) {
      assert.deepEqual(tile.hashes, Buffer.from(tileHashes({ level: tile.level, index: tile.index, width: TILE_WIDTH }, nodes)), `tile ${tile.level}/${tile.index}`);
      assert.deepEqual(tile.root, fullTileHash(tile.hashes));
    }
    assert.deepEqual(tree.root(), treeHead(leaves.length, nodes));
  });

  it('reports no tiles when replaying (others stored them) yet keeps its partial tiles right', () => {
    const replayed = createTreeState();
    for (const leaf of leaves.slice(0, 300)) replayed.append(leaf);
    const completed: FullTile[] = [];
    for (const leaf of leaves.slice(300, 512)) replayed.append(leaf, completed);
    assert.deepEqual(completed.map((t) => [t.level, t.index]), [[0, 1]]);
    assert.deepEqual(completed[0]!.hashes, Buffer.concat(leaves.slice(256, 512)));
  });

  it('clones independently: a failed batch leaves the committed tree as it was', () => {
    const committed = createTreeState();
    for (const leaf of leaves.slice(0, 255)) committed.append(leaf);
    const rootBefore = committed.root();
    const working = committed.clone();
    const completed: FullTile[] = [];
    working.append(leaves[255]!, completed);
    assert.equal(completed.length, 1);
    assert.equal(committed.size(), 255);
    assert.deepEqual(committed.root(), rootBefore);
    // The committed tree still completes the same tile on its own.
    const again: FullTile[] = [];
    committed.append(leaves[255]!, again);
    assert.deepEqual(again, completed);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, nodeHash, treeHead, type Hash, type NodeHashSource } from './merkle.ts';
import {
  encodeEntryBundle,
  entryBundlePath,
  fullTileHash,
  hashesOfTile,
  nodesFromTiles,
  parseEntryBundle,
  parseTilePath,
  partialTiles,
  tileHashes,
  tileHashesFromLeaves,
  tilePath,
  tileWidth,
  TILE_WIDTH,
  type TileId,
} from './tiles.ts';

const SIZE = 256 * 256 + 3 * 256 + 7; // a full level-1 tile, a partial one of 3, a partial level-0 tile of 7
const leafHashes: Hash[] = Array.from({ length: SIZE }, (_, i) => leafHash(Buffer.from(`tile entry ${i}`)));
const levels: Hash[][] = [leafHashes];
while (levels.at(-1)!.length > 1) {
  const below = levels.at(-1)!;
  levels.push(Array.from({ length: Math.floor(below.length / 2) }, (_, i) => nodeHash(below[2 * i]!, below[2 * i + 1]!)));
}
const source: NodeHashSource = (level, index) => {
  const h = levels[level]?.[index];
  assert.ok(h !== undefined, `no complete node ${level}/${index}`);
  return h;
};

describe('tiles: paths', () => {
  it('writes C2SP tile and entry bundle paths', () => {
    assert.equal(tilePath({ level: 0, index: 0, width: 256 }), 'tile/0/000');
    assert.equal(tilePath({ level: 0, index: 1234067, width: 256 }), 'tile/0/x001/x234/067');
    assert.equal(tilePath({ level: 1, index: 1000, width: 17 }), 'tile/1/x001/000.p/17');
    assert.equal(tilePath({ level: 2, index: 5, width: 1 }), 'tile/2/005.p/1');
    assert.equal(entryBundlePath(1234067, 256), 'tile/entries/x001/x234/067');
    assert.equal(entryBundlePath(273, 112), 'tile/entries/273.p/112');
  });

  it('reads back every path it writes', () => {
    // Any tile whose leaves the audit log can number: the higher the level, the fewer tiles.
    const tile = fc
      .integer({ min: 0, max: 5 })
      .chain((level) =>
        fc.record({
          level: fc.constant(level),
          index: fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 256 ** (level + 1)) - 1 }),
          width: fc.integer({ min: 1, max: 256 }),
        }),
      );
    fc.assert(
      fc.property(tile, ({ level, index, width }) => {
        const t: TileId = { level, index, width };
        assert.deepEqual(parseTilePath(tilePath(t)), { ok: true, value: { kind: 'hashes', tile: t } });
        assert.deepEqual(parseTilePath(entryBundlePath(t.index, t.width)), { ok: true, value: { kind: 'entries', tile: { ...t, level: 0 } } });
      }),
    );
  });

  it('refuses every other spelling', () => {
    for (const path of [
      'tile/00/000', 'tile/0/1', 'tile/0/0000', 'tile/0/x000/123', 'tile/0/x1/000', 'tile/0/000/', '/tile/0/000', 'tile/0/000.p/256',
      'tile/0/000.p/0', 'tile/0/000.p/010', 'tile/0/000.p/', 'tile/64/000', 'tile/-1/000', 'tile/0/123x', 'tile/entries/000.p/300',
      'tile/0/x999/x999/x999/x999/x999/999', 'tile/6/x999/999', 'tile/0/001 ', 'tile/0/00a',
    ]) {
      assert.equal(parseTilePath(path).ok, false, path);
    }
  });
});

describe('tiles: which tiles a tree has', () => {
  it('gives the C2SP examples', () => {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of width 112,
    // one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    assert.deepEqual(partialTiles(70000), [
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ]);
    assert.equal(tileWidth(0, 272, 70000), 256);
    assert.equal(tileWidth(0, 274, 70000), 0);
    assert.equal(tileWidth(1, 0, 70000), 256);
    assert.equal(tileWidth(3, 0, 70000), 0);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
    assert.deepEqual(partialTiles(256), [{ level: 1, index: 0, width: 1 }]);
    assert.equal(tileWidth(0, 0, 256), 256);
    assert.deepEqual(partialTiles(0), []);
  });
});

describe('tiles: contents', () => {
  it('a level-0 tile is its leaf hashes; a level-1 hash is the root of a full level-0 tile', () => {
    const tile0 = tileHashesFromLeaves({ level: 0, index: 2, width: 256 }, (i) => leafHashes[i]!);
    assert.equal(tile0.length, 8192);
    assert.deepEqual(hashesOfTile(tile0), leafHashes.slice(512, 768));
    const tile1 = tileHashes({ level: 1, index: 1, width: 3 }, source);
    assert.equal(tile1.length, 3 * 32);
    const fromLeaves = tileHashesFromLeaves({ level: 1, index: 1, width: 3 }, (i) => leafHashes[i]!);
    assert.deepEqual(tile1, fromLeaves);
    assert.deepEqual(hashesOfTile(tile1)[2], fullTileHash(tileHashes({ level: 0, index: 256 + 2, width: 256 }, source)));
    assert.deepEqual(partialTiles(SIZE), [
      { level: 0, index: 259, width: 7 },
      { level: 1, index: 1, width: 3 },
      { level: 2, index: 0, width: 1 },
    ]);
  });

  it('proofs computed from tiles alone equal proofs from the tree', () => {
    // The tiles of a tree of SIZE leaves, each at the width the tree has (full, or the level's partial tile).
    const readTile = (level: number, index: number): Uint8Array => {
      const width = tileWidth(level, index, SIZE);
      assert.ok(width > 0, `the tree has no tile ${level}/${index}`);
      return tileHashes({ level, index, width }, source);
    };
    const fromTiles = nodesFromTiles(readTile);
    assert.deepEqual(treeHead(SIZE, fromTiles), treeHead(SIZE, source));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: SIZE }), fc.nat(), (size1, pick) => {
        const index = pick % SIZE;
        assert.deepEqual(inclusionProof(index, SIZE, fromTiles), inclusionProof(index, SIZE, source));
        assert.deepEqual(consistencyProof(size1, SIZE, fromTiles), consistencyProof(size1, SIZE, source));
      }),
      { numRuns: 50 },
    );
  });
});

describe('tiles: entry bundles', () => {
  it('round-trips entries as uint16 big-endian length-prefixed bytes', () => {
    const entries = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(65535, 7)];
    const bundle = encodeEntryBundle(entries);
    assert.deepEqual([...bundle.subarray(0, 3)], [0x00, 0x01, 0x61]);
    assert.deepEqual([...bundle.subarray(3, 5)], [0x00, 0x00]);
    assert.deepEqual([...bundle.subarray(5, 7)], [0xff, 0xff]);
    const parsed = parseEntryBundle(bundle);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.map((e) => Buffer.from(e)), entries);
  });

  it('refuses truncated, trailing, empty and oversized bundles', () => {
    const bundle = encodeEntryBundle([Buffer.from('abc'), Buffer.from('de')]);
    assert.equal(parseEntryBundle(bundle.subarray(0, bundle.length - 1)).ok, false);
    assert.equal(parseEntryBundle(Buffer.concat([bundle, Buffer.from([0])])).ok, false);
    assert.equal(parseEntryBundle(new Uint8Array(0)).ok, false);
    const tooMany = Buffer.concat(Array.from({ length: TILE_WIDTH + 1 }, () => Buffer.from([0, 1, 0x61])));
    assert.equal(parseEntryBundle(tooMany).ok, false);
    assert.throws(() => encodeEntryBundle([Buffer.alloc(65536)]));
  });
});

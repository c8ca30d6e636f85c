// The C2SP tlog-tiles layout, so that standard transparency-log tools can read
// the audit log's export: hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles
// `tile/entries/<N>[.p/<W>]`. A tile at level L holds up to 256 consecutive
// node hashes at tree level 8·L; tile N at level L covers leaves
// [N·256^(L+1), (N+1)·256^(L+1)). Full tiles are immutable; the rightmost tile
// of each level is partial, `floor(size / 256^L) mod 256` hashes wide.
import assert from 'node:assert/strict';
import { HASH_BYTES, foldRight, nodesFromLeaves } from './merkle.ts';
import type { Hash, LeafHashSource, NodeHashSource } from './merkle.ts';
import { err, ok } from '../support/index.ts';
import type { Outcome } from './outcome.ts';
import { isPowerOfTwo, isTreeSize, TREE_SIZE_MAX } from './tree_size.ts';
import { ENTRY_BYTES_MAX } from './limits.ts';

/** Tree levels per tile level: a tile is a subtree of height 8. */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile (2^TILE_HEIGHT); a full tile is 8,192 bytes. */
export const TILE_WIDTH = 256;
/** The highest tile level the C2SP path syntax allows (L from 0 to 63). */
export const TILE_LEVEL_MAX = 63;

export interface TileId {
  readonly level: number;
  readonly index: number;
  /** Hashes (or entries) in the tile: TILE_WIDTH for a full tile, 1–255 for a partial one. */
  readonly width: number;
}

/** A parsed tile path: a hash tile, or an entry bundle (whose `level` is reported as 0: it matches level-0 tiles). */
export type TilePath = { readonly kind: 'hashes'; readonly tile: TileId } | { readonly kind: 'entries'; readonly tile: TileId };

function leavesPerTileEntry(level: number): number {
  return 2 ** (TILE_HEIGHT * level);
}

function isTileId({ level, index, width }: TileId): boolean {
  return (
    Number.isSafeInteger(level) && level >= 0 && level <= TILE_LEVEL_MAX &&
    isTreeSize(index) &&
    Number.isSafeInteger(width) && width >= 1 && width <= TILE_WIDTH &&
    // The tile's last hash must stand for leaves the audit log can number.
    (index * TILE_WIDTH + width) * leavesPerTileEntry(level) <= TREE_SIZE_MAX
  );
}

/** `N` as zero-padded 3-digit path elements, all but the last prefixed by `x`: 1234067 → x001/x234/067. */
function indexPath(index: number): string {
  const digits = String(index);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/\d{3}/g) ?? [];
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

function widthSuffix(width: number): string {
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** The path of a hash tile, relative to the log's prefix. */
export function tilePath(tile: TileId): string {
  assert.ok(isTileId(tile), `tilePath: not a tile: ${JSON.stringify(tile)}`);
  return `tile/${tile.level}/${indexPath(tile.index)}${widthSuffix(tile.width)}`;
}

/** The path of the entry bundle holding the leaves of level-0 tile `index`. */
export function entryBundlePath(index: number, width: number): string {
  assert.ok(isTileId({ level: 0, index, width }), `entryBundlePath: not a bundle: ${index}, ${width}`);
  return `tile/entries/${indexPath(index)}${widthSuffix(width)}`;
}

// One tile path, strictly: levels and widths without leading zeros, one spelling per index (no leading x000).
// eslint-disable-next-line security/detect-unsafe-regex -- one repeated group of fixed width, anchored: linear time
const TILE_PATH = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Reads a tile or entry bundle path (relative to the log's prefix), refusing any other spelling. */
export function parseTilePath(path: string): Outcome<TilePath> {
  const match = TILE_PATH.exec(path);
  if (match === null) return err('not a tile path');
  const [, levelText = '', prefixGroups = '', lastGroup = '', widthText] = match;
  if (prefixGroups.startsWith('x000')) return err('tile index has a leading zero group');
  const index = Number(prefixGroups.replaceAll('x', '').replaceAll('/', '') + lastGroup);
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) return err('a partial tile is 1 to 255 wide');
  const kind = levelText === 'entries' ? 'entries' : 'hashes';
  const tile: TileId = { level: kind === 'entries' ? 0 : Number(levelText), index, width };
  if (tile.level > TILE_LEVEL_MAX) return err(`tile level is above ${TILE_LEVEL_MAX}`);
  if (!isTileId(tile)) return err('tile index is past the largest tree size');
  return ok({ kind, tile });
}

/**
 * The width of tile (level, index) in the tree of `size` leaves: TILE_WIDTH when it is full, 1–255 when it
 * is the level's partial tile, 0 when the tree has no such tile.
 */
export function tileWidth(level: number, index: number, size: number): number {
  assert.ok(isTreeSize(size) && isTreeSize(index) && Number.isSafeInteger(level) && level >= 0, 'tileWidth: arguments');
  const nodesAtLevel = Math.floor(size / leavesPerTileEntry(level));
  const fullTiles = Math.floor(nodesAtLevel / TILE_WIDTH);
  if (index < fullTiles) return TILE_WIDTH;
  return index === fullTiles ? nodesAtLevel % TILE_WIDTH : 0;
}

/** The rightmost tile of each level for a tree of `size` leaves: a partial tile where the level has one. */
export function partialTiles(size: number): TileId[] {
  assert.ok(isTreeSize(size), `partialTiles: size ${size} is not a tree size`);
  const tiles: TileId[] = [];
  for (let level = 0; leavesPerTileEntry(level) <= size; level += 1) {
    const index = Math.floor(size / leavesPerTileEntry(level + 1));
    const width = tileWidth(level, index, size);
    if (width > 0) tiles.push({ level, index, width });
  }
  return tiles;
}

/** A tile's contents: its `width` node hashes at tree level 8·L, concatenated (8,192 bytes when full). */
export function tileHashes(tile: TileId, source: NodeHashSource): Uint8Array {
  assert.ok(isTileId(tile), `tileHashes: not a tile: ${JSON.stringify(tile)}`);
  const bytes = Buffer.alloc(tile.width * HASH_BYTES);
  const treeLevel = TILE_HEIGHT * tile.level;
  for (let i = 0; i < tile.width; i += 1) {
    const h = source(treeLevel, tile.index * TILE_WIDTH + i);
    assert.equal(h.length, HASH_BYTES, 'tileHashes: node hashes are 32 bytes');
    bytes.set(h, i * HASH_BYTES);
  }
  return bytes;
}

/**
 * A tile's contents from leaf hashes alone. Each hash of a level-L tile covers 256^L leaves (65,536 at level 2),
 * so above level 1 a store builds tiles from the full tiles below them (`fullTileHash`) instead.
 */
export function tileHashesFromLeaves(tile: TileId, leafHashAt: LeafHashSource): Uint8Array {
  return tileHashes(tile, nodesFromLeaves(leafHashAt));
}

/** The hashes a tile's bytes hold. */
export function hashesOfTile(bytes: Uint8Array): Hash[] {
  assert.ok(bytes.length > 0 && bytes.length % HASH_BYTES === 0 && bytes.length <= TILE_WIDTH * HASH_BYTES, 'hashesOfTile: tile bytes');
  const hashes: Hash[] = [];
  for (let at = 0; at < bytes.length; at += HASH_BYTES) hashes.push(bytes.subarray(at, at + HASH_BYTES));
  return hashes;
}

/** The root of a full tile: the node one tile level up, i.e. entry (index mod 256) of tile (L+1, index / 256). */
export function fullTileHash(bytes: Uint8Array): Hash {
  assert.equal(bytes.length, TILE_WIDTH * HASH_BYTES, 'fullTileHash: a full tile');
  return perfectRoot(hashesOfTile(bytes));
}

/** The root of a perfect subtree from its 2^k bottom hashes, left to right: pairwise, level by level. */
function perfectRoot(bottom: readonly Hash[]): Hash {
  assert.ok(isPowerOfTwo(bottom.length), 'perfectRoot: 2^k hashes');
  let hashes = bottom;
  while (hashes.length > 1) {
    const parents: Hash[] = [];
    for (let i = 0; i < hashes.length; i += 2) parents.push(foldRight(hashes.slice(i, i + 2)));
    hashes = parents;
  }
  const [root] = hashes;
  assert.ok(root !== undefined);
  return root;
}

/**
 * Nodes read from tiles, as a tlog-tiles client or a tile store answers them: node (level, index) is the root of
 * 2^(level mod 8) consecutive hashes in the tile at level floor(level / 8). `readTile` returns the tile's bytes
 * (full, or the partial tile of the tree size at hand), which must hold the hashes asked for.
 */
export function nodesFromTiles(readTile: (level: number, index: number) => Uint8Array): NodeHashSource {
  return (level, index) => {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const span = 2 ** (level % TILE_HEIGHT);
    const first = index * span;
    const tileIndex = Math.floor(first / TILE_WIDTH);
    const offset = first % TILE_WIDTH;
    const bytes = readTile(tileLevel, tileIndex);
    assert.ok(bytes.length % HASH_BYTES === 0 && bytes.length >= (offset + span) * HASH_BYTES, `nodesFromTiles: tile ${tileLevel}/${tileIndex} is too narrow`);
    return perfectRoot(hashesOfTile(bytes).slice(offset, offset + span));
  };
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  assert.ok(entries.length >= 1 && entries.length <= TILE_WIDTH, 'encodeEntryBundle: 1 to 256 entries');
  const bytes = Buffer.alloc(entries.reduce((total, entry) => total + 2 + entry.length, 0));
  let at = 0;
  for (const entry of entries) {
    assert.ok(entry.length <= ENTRY_BYTES_MAX, 'encodeEntryBundle: entries are at most 65535 bytes');
    at = bytes.writeUInt16BE(entry.length, at);
    bytes.set(entry, at);
    at += entry.length;
  }
  return bytes;
}

/** The entries of a bundle, refusing a truncated length or entry, trailing bytes, or more than 256 entries. */
export function parseEntryBundle(bytes: Uint8Array): Outcome<Uint8Array[]> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < view.length) {
    if (entries.length === TILE_WIDTH) return err(`an entry bundle holds at most ${TILE_WIDTH} entries`);
    if (at + 2 > view.length) return err(`entry ${entries.length} has a truncated length`);
    const length = view.readUInt16BE(at);
    at += 2;
    if (at + length > view.length) return err(`entry ${entries.length} is truncated`);
    entries.push(view.subarray(at, at + length));
    at += length;
  }
  if (entries.length === 0) return err('an entry bundle holds at least one entry');
  return ok(entries);
}

// The sequencer's tree in memory: the compact range (to append and compute
// the head in O(log n)) and the partial tile of each tile level (to write a
// tile once it is full). Appending a leaf reports the full tiles it completes.
// The hub restores it from its stored tiles and leaf hashes alone (src/audit/tree_restore.ts).
import assert from 'node:assert/strict';
import { createCompactRange, type CompactRange } from './compact_range.ts';
import type { Hash } from './merkle.ts';
import { TILE_HEIGHT, TILE_WIDTH } from './tiles.ts';

/** A tile that became full: stored once, never changed. */
export interface FullTile {
  readonly level: number;
  readonly index: number;
  /** 256 hashes, concatenated. */
  readonly hashes: Buffer;
  /** Their root: the hash it contributes to the tile above. */
  readonly root: Buffer;
}

export interface TreeState {
  size(): number;
  root(): Hash;
  /** Appends a leaf hash; full tiles it completes are pushed to `completed` (pass none when replaying others' leaves). */
  append(leafHash: Hash, completed?: FullTile[]): void;
  /** An independent copy: a batch works on one, and it replaces the original only once committed. */
  clone(): TreeState;
}

export function createTreeState(range: CompactRange = createCompactRange(), partial: readonly (readonly Hash[])[] = []): TreeState {
  // Hashes are never modified in place (the range copies what it is given, and appends copy below), so arrays of
  // them are shared between clones; the arrays themselves are not.
  const tiles: Hash[][] = partial.map((hashes) => [...hashes]);
  return {
    size: () => range.size(),
    root: () => range.root(),
    append(leafHash, completed) {
      range.append(leafHash, (level, index, hash) => {
        if (level % TILE_HEIGHT !== 0) return;
        const tileLevel = level / TILE_HEIGHT;
        if (tileLevel >= 1) {
          // This node is the root of full tile (tileLevel − 1, index), whose 256 hashes were just collected.
          const below = tiles[tileLevel - 1];
          assert.ok(below?.length === TILE_WIDTH, 'tree state: a full tile below every completed tile hash');
          completed?.push({ level: tileLevel - 1, index, hashes: Buffer.concat(below), root: Buffer.from(hash) });
          tiles[tileLevel - 1] = [];
        }
        // The range's own buffer: copied before keeping it.
        (tiles[tileLevel] ??= []).push(Buffer.from(hash));
      });
    },
    clone: () => createTreeState(createCompactRange(range.size(), range.nodes()), tiles),
  };
}

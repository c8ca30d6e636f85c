// The sequencer's tree, restored at start, and after another hub process
// appended, from the stored tiles and leaf hashes alone.
import { compactRangeNodeIds, createCompactRange, createTreeState, type TreeState } from '../translog/index.ts';
import { nodeReader, readPartialTiles, storedSize, type AuditDb } from './store.ts';

/** The tree of the stored log at its committed size. */
export async function restoreTreeState(db: AuditDb): Promise<TreeState> {
  const size = await storedSize(db);
  return restoreTreeStateAt(db, size);
}

/** The tree of the stored log at `size` (at most the committed size). */
export async function restoreTreeStateAt(db: AuditDb, size: number): Promise<TreeState> {
  const nodes = await nodeReader(db, size)(compactRangeNodeIds(size));
  return createTreeState(createCompactRange(size, nodes), await readPartialTiles(db, size));
}

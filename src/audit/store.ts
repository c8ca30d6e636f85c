// Reading the audit log's tables: tlog tiles, Merkle nodes, entries,
// checkpoints and cosignatures, at a given tree size. The sequencer reads
// through its transaction (seeing its own uncommitted rows); the admin API,
// the export and start-up read through the database.
//
// Only full tiles are stored. A node's hash is the root of 2^(level mod 8)
// hashes of one tile at tile level floor(level / 8): a stored full tile, or
// the partial tile of the size asked for, whose hashes at level 0 are the
// entries' leaf hashes and at level L the roots of full tiles of level L − 1.
// Every row below a committed size is immutable, so reads need no lock.
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.ts';
import { auditTables, type AuditCheckpointsTable } from './tables.ts';
import { formatNote, type Hash, HASH_BYTES, hashesOfTile, isTreeSize, type NodeId, nodesOfLeafHashes, type NoteSignature, parseNote, TILE_HEIGHT, TILE_WIDTH, tileWidth, treeHead } from '../translog/index.ts';

/** The database, or a transaction on it. */
export type AuditDb = Kysely<Schema>;

/**
 * The stored log is not what its own rows say it must be: an entry or tile missing below the log's size, a
 * checkpoint past it, a checkpoint the stored tree does not prove. Only a damaged or tampered database (or a
 * bug) does this; the log refuses to sign anything on top of it, and says why.
 */
export class AuditIntegrityError extends Error {
  override readonly name = 'AuditIntegrityError';
  readonly code = 'AUDIT_INTEGRITY';
}

/** Rows hand back bytes as Uint8Array (SQLite) or Buffer (PostgreSQL); one type from here on. */
export function bytesOf(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Tree nodes a tile entry at tile level `level` stands for: 256^level leaves. */
function leavesPerTileHash(level: number): number {
  return 2 ** (TILE_HEIGHT * level);
}

/** The log's size: what the sequence row says has been appended and committed. */
export async function storedSize(db: AuditDb): Promise<number> {
  const row = await auditTables(db).selectFrom('audit_log_state').select('size').where('id', '=', 1).executeTakeFirst();
  assert.ok(row !== undefined, 'audit_log_state has its row (migration 0030)');
  return row.size;
}

/**
 * The hashes of tile (level, index) in the tree of `size` leaves: 256 for a full tile, fewer for the partial
 * one, none when the tree has no such tile.
 */
export async function readTileHashes(db: AuditDb, level: number, index: number, size: number): Promise<Hash[]> {
  const width = tileWidth(level, index, size);
  if (width === 0) return [];
  if (width === TILE_WIDTH) {
    const row = await auditTables(db).selectFrom('audit_tiles').select('hashes').where('level', '=', level).where('idx', '=', index).executeTakeFirst();
    if (row === undefined) throw new AuditIntegrityError(`audit log: full tile ${level}/${index} is missing below size ${size}`);
    return hashesOfTile(bytesOf(row.hashes));
  }
  const first = index * TILE_WIDTH;
  const rows = level === 0
    ? await auditTables(db).selectFrom('audit_entries').select(['idx', 'leaf_hash as hash']).where('idx', '>=', first).where('idx', '<', first + width).orderBy('idx').execute()
    : await auditTables(db).selectFrom('audit_tiles').select(['idx', 'root as hash']).where('level', '=', level - 1).where('idx', '>=', first).where('idx', '<', first + width).orderBy('idx').execute();
  const missing = (at: number) => new AuditIntegrityError(`audit log: ${level === 0 ? `entry ${at}` : `full tile ${level - 1}/${at}`} is missing below size ${size}`);
  rows.forEach((row, i) => {
    if (row.idx !== first + i) throw missing(first + i);
  });
  if (rows.length !== width) throw missing(first + rows.length);
  return rows.map((row) => bytesOf(row.hash));
}

/**
 * The tile's hashes as stored, for serving and export: what the rows hold, in index order, even where rows are
 * missing (the tile is then short, and a verifier names the gap). `complete` says whether it is whole.
 */
export async function readStoredTile(db: AuditDb, level: number, index: number, size: number): Promise<{ hashes: Hash[]; complete: boolean }> {
  try {
    return { hashes: await readTileHashes(db, level, index, size), complete: true };
  } catch (error) {
    if (!(error instanceof AuditIntegrityError)) throw error;
  }
  const width = tileWidth(level, index, size);
  if (width === TILE_WIDTH) return { hashes: [], complete: false };
  const first = index * TILE_WIDTH;
  const rows = level === 0
    ? await auditTables(db).selectFrom('audit_entries').select('leaf_hash as hash').where('idx', '>=', first).where('idx', '<', first + width).orderBy('idx').execute()
    : await auditTables(db).selectFrom('audit_tiles').select('root as hash').where('level', '=', level - 1).where('idx', '>=', first).where('idx', '<', first + width).orderBy('idx').execute();
  return { hashes: rows.map((row) => bytesOf(row.hash)), complete: false };
}

/**
 * A reader of node hashes for one tree size, reading each tile once however many nodes it serves (a proof
 * needs a couple of tiles per tile level).
 */
export function nodeReader(db: AuditDb, size: number): (nodes: readonly NodeId[]) => Promise<Hash[]> {
  assert.ok(isTreeSize(size), `nodeReader: size ${size} is not a tree size`);
  const tiles = new Map<string, Promise<Hash[]>>();
  const tile = (level: number, index: number): Promise<Hash[]> => {
    const key = `${level}/${index}`;
    let hashes = tiles.get(key);
    if (hashes === undefined) {
      hashes = readTileHashes(db, level, index, size);
      tiles.set(key, hashes);
    }
    return hashes;
  };
  return async (nodes) => Promise.all(nodes.map(async ({ level, index }) => {
    assert.ok((index + 1) * 2 ** level <= size, `nodeReader: node ${level}/${index} is not in a tree of ${size}`);
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const span = 2 ** (level % TILE_HEIGHT);
    const first = index * span;
    const hashes = (await tile(tileLevel, Math.floor(first / TILE_WIDTH))).slice(first % TILE_WIDTH, (first % TILE_WIDTH) + span);
    assert.equal(hashes.length, span, 'nodeReader: the tile holds the node');
    // The node is the root of the perfect subtree over these hashes.
    return treeHead(span, nodesOfLeafHashes(hashes));
  }));
}

/** The partial tile of each tile level for `size`: what the sequencer keeps in memory to complete tiles. */
export async function readPartialTiles(db: AuditDb, size: number): Promise<Hash[][]> {
  const partial: Hash[][] = [];
  for (let level = 0; leavesPerTileHash(level) <= size; level += 1) {
    partial.push(await readTileHashes(db, level, Math.floor(size / leavesPerTileHash(level + 1)), size));
  }
  return partial;
}

export interface StoredEntry {
  readonly index: number;
  readonly leafHash: Buffer;
  readonly entry: Buffer;
}

/** Entries [from, to), in index order, as stored (a missing row is missing here too: the verifier names it). */
export async function readEntries(db: AuditDb, from: number, to: number): Promise<StoredEntry[]> {
  const rows = await auditTables(db).selectFrom('audit_entries').select(['idx', 'leaf_hash', 'entry']).where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute();
  return rows.map((row) => ({ index: row.idx, leafHash: bytesOf(row.leaf_hash), entry: bytesOf(row.entry) }));
}

export interface StoredCheckpoint {
  readonly seq: number;
  readonly size: number;
  readonly rootHash: Buffer;
  /** As the hub signed it. */
  readonly note: string;
  readonly createdAtMs: number;
}

function checkpointOf(row: AuditCheckpointsTable): StoredCheckpoint {
  return { seq: row.seq, size: row.size, rootHash: bytesOf(row.root_hash), note: row.note, createdAtMs: row.created_at_ms };
}

export async function latestCheckpoint(db: AuditDb): Promise<StoredCheckpoint | undefined> {
  const row = await auditTables(db).selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : checkpointOf(row);
}

/** Checkpoints after `afterSeq`, oldest first. */
export async function readCheckpoints(db: AuditDb, afterSeq: number, limit: number): Promise<StoredCheckpoint[]> {
  const rows = await auditTables(db).selectFrom('audit_checkpoints').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(checkpointOf);
}

/** The witnesses' cosignatures of checkpoints [fromSeq, toSeq], as note signatures, by checkpoint. */
export async function readCosignatures(db: AuditDb, fromSeq: number, toSeq: number): Promise<Map<number, NoteSignature[]>> {
  const rows = await auditTables(db).selectFrom('audit_cosignatures').select(['checkpoint_seq', 'witness', 'key_id', 'signature'])
    .where('checkpoint_seq', '>=', fromSeq).where('checkpoint_seq', '<=', toSeq).orderBy('checkpoint_seq').orderBy('witness').execute();
  const bySeq = new Map<number, NoteSignature[]>();
  for (const row of rows) {
    const list = bySeq.get(row.checkpoint_seq) ?? [];
    list.push({ name: row.witness, keyId: row.key_id, signature: bytesOf(row.signature) });
    bySeq.set(row.checkpoint_seq, list);
  }
  return bySeq;
}

/** The hub's signed note with the witnesses' cosignature lines after its own, as tlog-witness clients merge them. */
export function withCosignatures(note: string, cosignatures: readonly NoteSignature[]): string {
  if (cosignatures.length === 0) return note;
  const parsed = parseNote(note);
  assert.ok(parsed.ok, 'withCosignatures: a stored checkpoint is a signed note');
  const known = new Set(parsed.value.signatures.map((s) => `${s.name}\n${s.keyId}`));
  const added = cosignatures.filter((s) => !known.has(`${s.name}\n${s.keyId}`));
  return formatNote({ text: parsed.value.text, signatures: [...parsed.value.signatures, ...added] });
}

/** The latest checkpoint as the log publishes it (tlog-tiles `checkpoint`): with every stored cosignature. */
export async function publishedCheckpoint(db: AuditDb): Promise<{ checkpoint: StoredCheckpoint; note: string } | undefined> {
  const checkpoint = await latestCheckpoint(db);
  if (checkpoint === undefined) return undefined;
  const cosignatures = (await readCosignatures(db, checkpoint.seq, checkpoint.seq)).get(checkpoint.seq) ?? [];
  return { checkpoint, note: withCosignatures(checkpoint.note, cosignatures) };
}

assert.equal(TILE_WIDTH * HASH_BYTES, 8192);

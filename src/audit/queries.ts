// What the log answers to readers (the admin API, the export): its published
// checkpoint and their history, tlog tiles and entry bundles, inclusion and
// consistency proofs, and search. Everything is answered against the latest
// checkpoint: a proof is only worth its signed root, and a reader sees one
// consistent tree, never entries no checkpoint covers yet.
//
// Tiles and bundles are served as stored. If rows are missing (a damaged or
// tampered database), the bundle is short and the verifier names the gap; the
// hub reports it too, loudly, and does not hide it.
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok, encodeBase64 } from '../support/index.ts';
import type { Logger } from '../support/index.ts';
import { type AuditEntry, consistencyProofPlan, decodeEntry, encodeEntryBundle, type Hash, HASH_BYTES, inclusionProofPlan, proofFromPlan, TILE_WIDTH, tileWidth } from '../translog/index.ts';
import { AUDIT_SEARCH_RESULTS_MAX } from './limits.ts';
import { nodeReader, publishedCheckpoint, readCheckpoints, readCosignatures, readEntries, readStoredTile, withCosignatures, bytesOf, type AuditDb, type StoredCheckpoint } from './store.ts';
import { auditTables } from './tables.ts';

export interface PublishedCheckpoint {
  readonly seq: number;
  readonly size: number;
  readonly rootHash: Buffer;
  /** The signed note with every stored cosignature. */
  readonly note: string;
  readonly createdAtMs: number;
}

export interface InclusionAnswer {
  readonly index: number;
  readonly size: number;
  readonly leafHash: Buffer;
  /** The entry's leaf bytes, the canonical JSON text the leaf hash is of. */
  readonly entry: Buffer;
  readonly proof: readonly Hash[];
  readonly checkpoint: PublishedCheckpoint;
}

export interface ConsistencyAnswer {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly Hash[];
  readonly checkpoint: PublishedCheckpoint;
}

export interface SearchFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  /** Entries with timeMs ≥ this. */
  readonly timeFromMs?: number;
  /** Entries with timeMs < this. */
  readonly timeToMs?: number;
  /** Entries with an index above this (the last index of the page before). */
  readonly afterIndex?: number;
  readonly limit?: number;
}

export interface SearchResult {
  readonly index: number;
  readonly entry: AuditEntry;
  readonly entryText: string;
  readonly leafHash: Buffer;
  readonly proof: readonly Hash[];
}

export interface SearchAnswer {
  readonly checkpoint: PublishedCheckpoint;
  readonly results: readonly SearchResult[];
  /** The afterIndex of the next page, or undefined when this was the last. */
  readonly nextAfterIndex: number | undefined;
}

export interface AuditQueries {
  checkpoint(): Promise<PublishedCheckpoint | undefined>;
  checkpoints(afterSeq: number, limit: number): Promise<PublishedCheckpoint[]>;
  inclusion(by: { readonly index: number } | { readonly leafHash: Uint8Array }, size?: number): Promise<FspiopResult<InclusionAnswer>>;
  consistency(from: number, to?: number): Promise<FspiopResult<ConsistencyAnswer>>;
  search(filter: SearchFilter): Promise<FspiopResult<SearchAnswer>>;
  /** A hash tile (tlog-tiles `tile/<L>/<N>[.p/<W>]`) of the latest checkpoint's tree. */
  tile(level: number, index: number, width: number): Promise<FspiopResult<Buffer>>;
  /** An entry bundle (`tile/entries/<N>[.p/<W>]`). */
  entryBundle(index: number, width: number): Promise<FspiopResult<Buffer>>;
}

export interface AuditQueryDeps {
  readonly db: AuditDb;
  readonly log: Logger;
}

const NO_CHECKPOINT = 'the audit log has no checkpoint yet';

function published(checkpoint: StoredCheckpoint, note: string): PublishedCheckpoint {
  return { seq: checkpoint.seq, size: checkpoint.size, rootHash: checkpoint.rootHash, note, createdAtMs: checkpoint.createdAtMs };
}

/** What every query reads through: the database, and the log its integrity alarms go to. */
interface Readers {
  readonly db: AuditDb;
  readonly log: Logger;
}

async function latest({ db }: Readers): Promise<PublishedCheckpoint | undefined> {
  const found = await publishedCheckpoint(db);
  return found === undefined ? undefined : published(found.checkpoint, found.note);
}

async function proveInclusion(index: number, size: number, read: ReturnType<typeof nodeReader>): Promise<Hash[]> {
  const plan = inclusionProofPlan(index, size);
  return proofFromPlan(plan, await read(plan.nodes));
}

async function checkpoints({ db }: Readers, afterSeq: number, limit: number): Promise<PublishedCheckpoint[]> {
  const stored = await readCheckpoints(db, afterSeq, limit);
  const first = stored[0];
  const last = stored.at(-1);
  if (first === undefined || last === undefined) return [];
  const cosignatures = await readCosignatures(db, first.seq, last.seq);
  return stored.map((c) => published(c, withCosignatures(c.note, cosignatures.get(c.seq) ?? [])));
}

async function inclusion(readers: Readers, by: { readonly index: number } | { readonly leafHash: Uint8Array }, size: number | undefined): Promise<FspiopResult<InclusionAnswer>> {
  const { db, log } = readers;
  const checkpoint = await latest(readers);
  if (checkpoint === undefined) return fail('3200', NO_CHECKPOINT);
  const treeSize = size ?? checkpoint.size;
  if (treeSize < 1 || treeSize > checkpoint.size) return fail('3100', `size must be from 1 to the latest checkpoint's, ${checkpoint.size}`);
  let index: number;
  if ('index' in by) {
    index = by.index;
  } else {
    if (by.leafHash.length !== HASH_BYTES) return fail('3100', 'the entry hash is 32 bytes');
    const row = await auditTables(db).selectFrom('audit_entries').select('idx').where('leaf_hash', '=', Buffer.from(by.leafHash)).where('idx', '<', treeSize).orderBy('idx').limit(1).executeTakeFirst();
    if (row === undefined) return fail('3200', `no entry with that hash in the tree of ${treeSize}`);
    index = row.idx;
  }
  if (index >= treeSize) return fail('3200', `entry ${index} is not in the tree of ${treeSize} entries`);
  const [stored] = await readEntries(db, index, index + 1);
  if (stored === undefined) {
    log.error({ index }, 'AUDIT LOG INTEGRITY: an entry below the checkpointed size is missing from storage');
    return fail('2001', `entry ${index} is missing from storage`);
  }
  const proof = await proveInclusion(index, treeSize, nodeReader(db, treeSize));
  return ok({ index, size: treeSize, leafHash: stored.leafHash, entry: stored.entry, proof, checkpoint });
}

async function consistency(readers: Readers, from: number, to: number | undefined): Promise<FspiopResult<ConsistencyAnswer>> {
  const checkpoint = await latest(readers);
  if (checkpoint === undefined) return fail('3200', NO_CHECKPOINT);
  const toSize = to ?? checkpoint.size;
  if (toSize > checkpoint.size) return fail('3100', `to must be at most the latest checkpoint's size, ${checkpoint.size}`);
  if (from < 1 || from > toSize) return fail('3100', `from must be from 1 to ${toSize}`);
  const plan = consistencyProofPlan(from, toSize);
  const proof = from === toSize ? [] : proofFromPlan(plan, await nodeReader(readers.db, toSize)(plan.nodes));
  return ok({ from, to: toSize, proof, checkpoint });
}

/** The rows the search columns select, below `size`: one more than `limit`, to tell whether a next page exists. */
function searchRows(db: AuditDb, filter: SearchFilter, size: number, limit: number) {
  let query = auditTables(db).selectFrom('audit_entries').select(['idx', 'leaf_hash', 'entry']).where('idx', '<', size);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.targetType !== undefined) query = query.where('target_type', '=', filter.targetType);
  if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
  if (filter.timeFromMs !== undefined) query = query.where('time_ms', '>=', filter.timeFromMs);
  if (filter.timeToMs !== undefined) query = query.where('time_ms', '<', filter.timeToMs);
  if (filter.afterIndex !== undefined) query = query.where('idx', '>', filter.afterIndex);
  return query.orderBy('idx').limit(limit + 1).execute();
}

async function search(readers: Readers, filter: SearchFilter): Promise<FspiopResult<SearchAnswer>> {
  const { db, log } = readers;
  const checkpoint = await latest(readers);
  if (checkpoint === undefined) return fail('3200', NO_CHECKPOINT);
  const limit = Math.min(filter.limit ?? AUDIT_SEARCH_RESULTS_MAX, AUDIT_SEARCH_RESULTS_MAX);
  const rows = await searchRows(db, filter, checkpoint.size, limit);
  const page = rows.slice(0, limit);
  const read = nodeReader(db, checkpoint.size);
  const results: SearchResult[] = [];
  for (const row of page) {
    const bytes = bytesOf(row.entry);
    const decoded = decodeEntry(bytes);
    // The search columns are copies; the entry is what the tree holds. A disagreement means the database
    // was changed behind the log: the entry is left out here, and the verifier will name it.
    if (!decoded.ok || !matches(decoded.value, filter)) {
      log.error({ index: row.idx, reason: decoded.ok ? 'the search columns disagree with the entry' : decoded.error }, 'AUDIT LOG INTEGRITY: a stored entry does not match its search columns');
      continue;
    }
    results.push({ index: row.idx, entry: decoded.value, entryText: bytes.toString('utf8'), leafHash: bytesOf(row.leaf_hash), proof: await proveInclusion(row.idx, checkpoint.size, read) });
  }
  const lastRow = page.at(-1);
  return ok({ checkpoint, results, nextAfterIndex: rows.length > limit && lastRow !== undefined ? lastRow.idx : undefined });
}

async function tile(readers: Readers, level: number, index: number, width: number): Promise<FspiopResult<Buffer>> {
  const checkpoint = await latest(readers);
  if (checkpoint === undefined) return fail('3200', NO_CHECKPOINT);
  // Any prefix of a tile of the latest tree is the tile of an older tree (tiles only grow): serve it.
  if (width > tileWidth(level, index, checkpoint.size)) return fail('3200', `tile ${level}/${index} of width ${width} is not in the tree of ${checkpoint.size}`);
  const stored = await readStoredTile(readers.db, level, index, checkpoint.size);
  if (!stored.complete) readers.log.error({ level, index }, 'AUDIT LOG INTEGRITY: hashes below the checkpointed size are missing from storage');
  return ok(Buffer.concat(stored.hashes.slice(0, width)));
}

async function entryBundle(readers: Readers, index: number, width: number): Promise<FspiopResult<Buffer>> {
  const checkpoint = await latest(readers);
  if (checkpoint === undefined) return fail('3200', NO_CHECKPOINT);
  if (width > tileWidth(0, index, checkpoint.size)) return fail('3200', `entry bundle ${index} of width ${width} is not in the tree of ${checkpoint.size}`);
  const first = index * TILE_WIDTH;
  const entries = await readEntries(readers.db, first, first + width);
  if (entries.length !== width) {
    const missing = entries.findIndex((e, i) => e.index !== first + i);
    readers.log.error({ bundle: index, width, firstMissing: first + (missing < 0 ? entries.length : missing) }, 'AUDIT LOG INTEGRITY: entries below the checkpointed size are missing from storage');
  }
  return ok(entries.length === 0 ? Buffer.alloc(0) : Buffer.from(encodeEntryBundle(entries.map((e) => e.entry))));
}

export function createAuditQueries(deps: AuditQueryDeps): AuditQueries {
  const readers: Readers = { db: deps.db, log: deps.log.child({ component: 'audit-queries' }) };
  return {
    checkpoint: () => latest(readers),
    checkpoints: (afterSeq, limit) => checkpoints(readers, afterSeq, limit),
    inclusion: (by, size) => inclusion(readers, by, size),
    consistency: (from, to) => consistency(readers, from, to),
    search: (filter) => search(readers, filter),
    tile: (level, index, width) => tile(readers, level, index, width),
    entryBundle: (index, width) => entryBundle(readers, index, width),
  };
}

function matches(entry: AuditEntry, filter: SearchFilter): boolean {
  return (filter.actor === undefined || entry.actor === filter.actor)
    && (filter.action === undefined || entry.action === filter.action)
    && (filter.targetType === undefined || entry.target.type === filter.targetType)
    && (filter.targetId === undefined || entry.target.id === filter.targetId)
    && (filter.timeFromMs === undefined || entry.timeMs >= filter.timeFromMs)
    && (filter.timeToMs === undefined || entry.timeMs < filter.timeToMs);
}

/** Hashes as the API writes them: standard base64, as in checkpoints and tlog proofs. */
export function base64Hashes(hashes: readonly Hash[]): string[] {
  return hashes.map(encodeBase64);
}

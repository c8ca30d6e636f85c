// The independent verifier (`interlock audit verify`): given a copy of the log
// (an export directory or the admin API, both in the tlog-tiles layout) and
// the keys an auditor pinned out of band, it checks
//   1. every checkpoint's signature (and the witnesses' cosignatures),
//   2. that the checkpoints form one history (sizes never go back, and each
//      is consistent with the others), and
//   3. that the entries, rehashed from their bytes, reproduce every
//      checkpoint's root (which proves the inclusion of every entry),
// and names the first entry or checkpoint that fails.
//
// What it trusts: only the pinned keys. The stored hashes (tiles) come from
// the same place as the entries, so they are used only once a signed root
// authenticates them: when the tiles reproduce a checkpoint's root and the
// entries do not, the verifier walks down from that root, following the
// authenticated hashes, to the exact entry that differs. When whoever changed
// an entry changed its stored hash too, nothing authentic is left below the
// checkpoint, and the verifier names the entries between the last checkpoint
// they reproduce and the first they do not.
//
// A checkpoint the entries do not reproduce, while a later (larger)
// checkpoint they do reproduce, is proof of a fork: the log's key signed two
// histories. Checkpoints an auditor kept (from a witness, a settlement report,
// an earlier export) are checked the same way, which is how a truncated and
// rewritten log is caught even when its checkpoint history was rewritten too.
import { parseCheckpoint } from './checkpoint.ts';
import { decodeEntry } from './entry.ts';
import { createCompactRange } from './compact_range.ts';
import { foldRight, HASH_BYTES, hashesEqual, leafHash, nodeHash, nodesOfLeafHashes, rangeNodeIds, treeHead, type Hash, type NodeId } from './merkle.ts';
import type { NoteVerifier } from './note_key.ts';
import { openNote } from './signed_note.ts';
import { parseEntryBundle, tilePath, entryBundlePath, TILE_HEIGHT, TILE_WIDTH, tileWidth } from './tiles.ts';

/** A copy of the log, as the export directory or the admin API holds it. */
export interface LogSource {
  /** Where it is, for messages. */
  readonly description: string;
  /** The latest checkpoint (tlog-tiles `checkpoint`), or undefined when there is none. */
  checkpoint(): Promise<string | undefined>;
  /** Every checkpoint the log signed, oldest first, with their cosignatures. */
  checkpoints(): Promise<readonly string[]>;
  /** A hash tile's bytes, or undefined when it is not there. */
  tile(level: number, index: number, width: number): Promise<Uint8Array | undefined>;
  /** An entry bundle's bytes, or undefined when it is not there. */
  entryBundle(index: number, width: number): Promise<Uint8Array | undefined>;
}

export interface VerifyOptions {
  /** The log's pinned key; its name is the log's origin. */
  readonly logKey: NoteVerifier;
  /** Pinned witness keys (type 0x04): every cosignature from them must verify, and enough of them must cosign the latest checkpoint. */
  readonly witnessKeys?: readonly NoteVerifier[];
  /** Witnesses that must have cosigned the latest checkpoint (default: all pinned). */
  readonly witnessQuorum?: number;
  /** Checkpoints of this log the auditor kept, with a label each (a file name). */
  readonly heldCheckpoints?: readonly { readonly label: string; readonly note: string }[];
}

export type Subject =
  | { readonly kind: 'entry'; readonly index: number }
  | { readonly kind: 'entries'; readonly from: number; readonly to: number }
  | { readonly kind: 'checkpoint'; readonly label: string }
  | { readonly kind: 'tile'; readonly path: string }
  | { readonly kind: 'log' };

export interface Problem {
  readonly subject: Subject;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly origin: string;
  /** The latest checkpoint's size: the entries checked. */
  readonly size: number;
  readonly checkpoints: number;
  readonly cosignatures: number;
  /** In the order found: the first is the first failure. */
  readonly problems: readonly Problem[];
}

export function describeSubject(subject: Subject): string {
  switch (subject.kind) {
    case 'entry': return `entry ${subject.index}`;
    case 'entries': return subject.to - subject.from === 1 ? `entry ${subject.from}` : `entries ${subject.from}–${subject.to - 1}`;
    case 'checkpoint': return `checkpoint ${subject.label}`;
    case 'tile': return subject.path;
    case 'log': return 'the log';
  }
}

/**
 * Which failure is named first: a bad signature, then a fork, then entries that do not reproduce a checkpoint,
 * then entries or bundles of the wrong shape, then tiles.
 */
const RANK = { signature: 0, fork: 1, data: 2, shape: 3, tiles: 4 } as const;
type Rank = (typeof RANK)[keyof typeof RANK];

interface CheckedCheckpoint {
  readonly label: string;
  readonly size: number;
  readonly root: Hash;
  readonly held: boolean;
}

/** Leaf hashes by index, with holes where an entry or hash is missing. */
interface Leaves {
  readonly size: number;
  at(index: number): Hash | undefined;
}

type WritableLeaves = Leaves & { set(index: number, hash: Hash): void };

function leavesOf(size: number): WritableLeaves {
  const bytes = Buffer.alloc(size * HASH_BYTES);
  const present = new Uint8Array(size);
  return {
    size,
    at: (index) => (index < size && present[index] === 1 ? bytes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES) : undefined),
    set(index, hash) {
      bytes.set(hash, index * HASH_BYTES);
      present[index] = 1;
    },
  };
}

/** The tree heads of `leaves` at each of `sizes`; undefined from the first hole on. */
function headsAt(leaves: Leaves, sizes: readonly number[]): Map<number, Hash | undefined> {
  const heads = new Map<number, Hash | undefined>();
  const range = createCompactRange();
  let broken = false;
  for (const size of [...new Set(sizes)].toSorted((a, b) => a - b)) {
    while (!broken && range.size() < size) {
      const leaf = leaves.at(range.size());
      if (leaf === undefined) broken = true;
      else range.append(leaf);
    }
    heads.set(size, broken ? undefined : range.root());
  }
  return heads;
}

/** A node of `leaves` (undefined if a leaf under it is missing). */
function nodeOfLeaves(leaves: Leaves, { level, index }: NodeId): Hash | undefined {
  const first = index * 2 ** level;
  const hashes: Hash[] = [];
  for (let i = first; i < first + 2 ** level; i++) {
    const leaf = leaves.at(i);
    if (leaf === undefined) return undefined;
    hashes.push(leaf);
  }
  return treeHead(hashes.length, nodesOfLeafHashes(hashes));
}

const hex = (hash: Hash) => Buffer.from(hash).toString('hex');

type RankedProblem = Problem & { readonly rank: Rank };

/** One verification under way: what it was given, and what it found so far. */
interface Run {
  readonly source: LogSource;
  readonly origin: string;
  readonly logKey: NoteVerifier;
  readonly witnessKeys: readonly NoteVerifier[];
  readonly found: RankedProblem[];
  /** Verified cosignatures of the history's checkpoints. */
  cosignatures: number;
}

function report(run: Run, subject: Subject, message: string, rank: Rank = RANK.signature): void {
  run.found.push({ subject, message, rank });
}

/** Opens a checkpoint with the log's key, and checks every pinned witness's cosignature on it. */
function openChecked(run: Run, note: string, label: string, held: boolean): { checkpoint: CheckedCheckpoint; witnesses: number } | undefined {
  const opened = openNote(note, [run.logKey]);
  if (!opened.ok) {
    report(run, { kind: 'checkpoint', label }, opened.error.problem === 'bad-signature' ? `its signature does not verify under the pinned log key: it was altered or forged` : `not a checkpoint signed by the pinned log key (${opened.error.reason})`);
    return undefined;
  }
  const parsed = parseCheckpoint(opened.value.text);
  if (!parsed.ok) {
    report(run, { kind: 'checkpoint', label }, `signed, but not a checkpoint: ${parsed.error}`);
    return undefined;
  }
  if (parsed.value.origin !== run.origin) {
    report(run, { kind: 'checkpoint', label }, `is of the log ${parsed.value.origin}, not ${run.origin}`);
    return undefined;
  }
  let witnesses = 0;
  const text = Buffer.from(opened.value.text, 'utf8');
  for (const witness of run.witnessKeys) {
    const signature = opened.value.signatures.find((s) => s.name === witness.name && s.keyId === witness.keyId);
    if (signature === undefined) continue;
    if (!witness.verify(text, signature.signature)) {
      report(run, { kind: 'checkpoint', label }, `the cosignature of witness ${witness.name} does not verify`);
      continue;
    }
    witnesses += 1;
    // The latest checkpoint is also the last of the history: its cosignatures are counted there.
    if (label !== 'latest') run.cosignatures += 1;
  }
  return { checkpoint: { label, size: parsed.value.size, root: parsed.value.rootHash, held }, witnesses };
}

interface Checkpoints {
  readonly latest: CheckedCheckpoint;
  readonly history: readonly CheckedCheckpoint[];
  /** The history and the checkpoints the auditor kept. */
  readonly all: readonly CheckedCheckpoint[];
}

/** Step 1, the checkpoints: the latest, the history, and those the auditor kept. Undefined when there is no latest one to check the log against. */
async function readCheckpoints(run: Run, options: VerifyOptions): Promise<Checkpoints | undefined> {
  const latestNote = await run.source.checkpoint();
  if (latestNote === undefined) {
    report(run, { kind: 'log' }, `${run.source.description} has no checkpoint`);
    return undefined;
  }
  const latest = openChecked(run, latestNote, 'latest', false);
  if (latest === undefined) return undefined;
  const quorum = options.witnessQuorum ?? run.witnessKeys.length;
  if (latest.witnesses < quorum) {
    report(run, { kind: 'checkpoint', label: 'latest' }, `cosigned by ${latest.witnesses} of the ${run.witnessKeys.length} pinned witnesses; ${quorum} required (the witnesses refused it, or were never asked)`);
  }
  const size = latest.checkpoint.size;
  const history: CheckedCheckpoint[] = [];
  (await run.source.checkpoints()).forEach((note, i) => {
    const checked = openChecked(run, note, `#${i + 1}`, false);
    if (checked !== undefined) history.push(checked.checkpoint);
  });
  const last = history.at(-1);
  if (last?.size !== size || !hashesEqual(last.root, latest.checkpoint.root)) {
    report(run, { kind: 'checkpoint', label: 'latest' }, 'is not the last checkpoint of the history');
  }
  for (let i = 1; i < history.length; i++) {
    const [before, after] = [history[i - 1], history[i]];
    if (before !== undefined && after !== undefined && after.size < before.size) {
      report(run, { kind: 'checkpoint', label: after.label }, `signs ${after.size} entries, fewer than checkpoint ${before.label} before it (${before.size}): the log went back`);
    }
  }
  const held: CheckedCheckpoint[] = [];
  for (const { label, note } of options.heldCheckpoints ?? []) {
    const checked = openChecked(run, note, label, true);
    if (checked !== undefined) held.push(checked.checkpoint);
  }
  return { latest: latest.checkpoint, history, all: [...history, ...held] };
}

/** Step 2, for one entry bundle: its entries, rehashed from their bytes, and the stored leaf hashes (its level-0 tile). */
async function readBundle(run: Run, bundle: number, size: number, entries: WritableLeaves, stored: WritableLeaves): Promise<void> {
  const width = tileWidth(0, bundle, size);
  const first = bundle * TILE_WIDTH;
  const bytes = await run.source.entryBundle(bundle, width);
  const parsed = bytes === undefined ? undefined : bytes.length === 0 ? { ok: true as const, value: [] } : parseEntryBundle(bytes);
  if (parsed === undefined) {
    report(run, { kind: 'entries', from: first, to: first + width }, `the entry bundle ${entryBundlePath(bundle, width)} is missing`, RANK.shape);
  } else if (!parsed.ok) {
    report(run, { kind: 'entries', from: first, to: first + width }, `the entry bundle ${entryBundlePath(bundle, width)} is unreadable: ${parsed.error}`, RANK.shape);
  } else {
    parsed.value.slice(0, width).forEach((entry, j) => {
      entries.set(first + j, leafHash(entry));
      const decoded = decodeEntry(entry);
      if (!decoded.ok) report(run, { kind: 'entry', index: first + j }, `is not a canonical audit entry: ${decoded.error}`, RANK.shape);
    });
    if (parsed.value.length !== width) {
      report(run, { kind: 'entries', from: first + Math.min(parsed.value.length, width), to: first + width }, `the entry bundle ${entryBundlePath(bundle, width)} holds ${parsed.value.length} entries where the tree has ${width}`, RANK.shape);
    }
  }
  const tile = await run.source.tile(0, bundle, width);
  if (tile !== undefined) {
    for (let j = 0; j < Math.min(width, Math.floor(tile.length / HASH_BYTES)); j++) stored.set(first + j, tile.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES));
  }
}

/** The tiles of every level, each read once, for hashes a signed root can authenticate. */
interface TileReader {
  tileHashes(level: number, index: number): Promise<(Hash | undefined)[]>;
  /** A node's hash as the tiles hold it: from the highest tile level that has it, as a tlog-tiles client reads it. */
  storedNode(node: NodeId): Promise<Hash | undefined>;
}

function tileReader(source: LogSource, size: number): TileReader {
  const tiles = new Map<string, (Hash | undefined)[]>();
  async function tileHashes(level: number, index: number): Promise<(Hash | undefined)[]> {
    const key = `${level}/${index}`;
    let hashes = tiles.get(key);
    if (hashes === undefined) {
      const width = tileWidth(level, index, size);
      const bytes = width === 0 ? undefined : await source.tile(level, index, width);
      hashes = Array.from({ length: width }, (_, j) => (bytes !== undefined && (j + 1) * HASH_BYTES <= bytes.length ? bytes.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES) : undefined));
      tiles.set(key, hashes);
    }
    return hashes;
  }
  async function storedNode({ level, index }: NodeId): Promise<Hash | undefined> {
    const span = 2 ** (level % TILE_HEIGHT);
    const first = index * span;
    const hashes = (await tileHashes(Math.floor(level / TILE_HEIGHT), Math.floor(first / TILE_WIDTH))).slice(first % TILE_WIDTH, (first % TILE_WIDTH) + span);
    if (hashes.length !== span || hashes.some((h) => h === undefined)) return undefined;
    return treeHead(span, nodesOfLeafHashes(hashes as Hash[]));
  }
  return { tileHashes, storedNode };
}

/** What the log holds, read once: the entries rehashed, the stored hashes, and the tree heads both make at each checkpoint's size. */
interface Evidence {
  readonly size: number;
  readonly all: readonly CheckedCheckpoint[];
  readonly entries: Leaves;
  readonly tiles: TileReader;
  readonly entryHeads: Map<number, Hash | undefined>;
  readonly storedHeads: Map<number, Hash | undefined>;
}

/** Step 2: the entries and the stored leaf hashes, and (step 3) the tree heads they make at the checkpoints' sizes. */
async function readEvidence(run: Run, size: number, all: readonly CheckedCheckpoint[]): Promise<Evidence> {
  const entries = leavesOf(size);
  const stored = leavesOf(size);
  for (let bundle = 0; bundle < Math.ceil(size / TILE_WIDTH); bundle++) await readBundle(run, bundle, size, entries, stored);
  const sizes = all.map((c) => c.size).filter((s) => s <= size);
  return { size, all, entries, tiles: tileReader(run.source, size), entryHeads: headsAt(entries, sizes), storedHeads: headsAt(stored, sizes) };
}

function reproduces(heads: Map<number, Hash | undefined>, c: CheckedCheckpoint): boolean {
  const head = c.size === 0 ? undefined : heads.get(c.size);
  return head !== undefined && hashesEqual(head, c.root);
}

const byEntries = (evidence: Evidence, c: CheckedCheckpoint) => c.size <= evidence.size && reproduces(evidence.entryHeads, c);
const byStored = (evidence: Evidence, c: CheckedCheckpoint) => c.size <= evidence.size && reproduces(evidence.storedHeads, c);

type Location = { readonly index: number; readonly why: string } | { readonly from: number; readonly to: number };

/** Walks down from the checkpoint's root through authenticated stored hashes to the entry that differs. */
async function locate(evidence: Evidence, c: CheckedCheckpoint): Promise<Location | undefined> {
  const { entries, tiles } = evidence;
  const top = rangeNodeIds(0, c.size);
  const topHashes = (await Promise.all(top.map((id) => tiles.storedNode(id)))).filter((h) => h !== undefined);
  if (topHashes.length !== top.length || !hashesEqual(foldRight(topHashes), c.root)) return undefined;
  for (const [k, node] of top.entries()) {
    let current = node;
    let signedNode = topHashes[k];
    if (signedNode === undefined) return undefined;
    const mine = nodeOfLeaves(entries, current);
    if (mine !== undefined && hashesEqual(mine, signedNode)) continue;
    while (current.level > 0) {
      const left = { level: current.level - 1, index: 2 * current.index };
      const right = { level: current.level - 1, index: 2 * current.index + 1 };
      const [l, r] = [await tiles.storedNode(left), await tiles.storedNode(right)];
      if (l === undefined || r === undefined || !hashesEqual(nodeHash(l, r), signedNode)) {
        return { from: current.index * 2 ** current.level, to: (current.index + 1) * 2 ** current.level };
      }
      const ours = nodeOfLeaves(entries, left);
      [current, signedNode] = ours === undefined || !hashesEqual(ours, l) ? [left, l] : [right, r];
    }
    // The stored leaf hashes are authentic as far as the largest checkpoint they reproduce: look there for the entry.
    const authentic = evidence.all.filter((x) => byStored(evidence, x)).reduce((m, x) => Math.max(m, x.size), c.size);
    return { index: current.index, why: await diagnose(evidence, current.index, signedNode, authentic) };
  }
  return undefined;
}

/** What happened to entry `index`, whose signed leaf hash is `signed`. */
async function diagnose(evidence: Evidence, index: number, signed: Hash, treeSize: number): Promise<string> {
  const { entries, tiles } = evidence;
  const mine = entries.at(index);
  if (mine === undefined) return 'is missing';
  const signedAt = async (i: number) => (i < treeSize ? tiles.storedNode({ level: 0, index: i }) : undefined);
  const next = await signedAt(index + 1);
  if (next !== undefined && hashesEqual(mine, next)) return `is missing: the entry stored at ${index} is the signed tree's entry ${index + 1} (the entries after it moved up)`;
  for (let j = 0; j < treeSize; j++) {
    const other = await signedAt(j);
    if (j === index || other === undefined || !hashesEqual(other, mine)) continue;
    const theirs = entries.at(j);
    return theirs !== undefined && hashesEqual(theirs, signed) ? `is swapped with entry ${j}` : `holds the signed tree's entry ${j}`;
  }
  return `was altered: its bytes hash to ${hex(mine)}, but the signed tree has ${hex(signed)} there`;
}

/** Forks first: a checkpoint inconsistent with one the entries reproduce was signed for another history. */
function reportForks(run: Run, evidence: Evidence): Set<CheckedCheckpoint> {
  const { all } = evidence;
  const certified = all.filter((c) => byEntries(evidence, c) || byStored(evidence, c));
  const forked = new Set<CheckedCheckpoint>();
  for (const c of all) {
    if (certified.includes(c)) continue;
    const witness = certified.find((w) => w.size >= c.size);
    if (witness === undefined) continue;
    const heads = byEntries(evidence, witness) ? evidence.entryHeads : evidence.storedHeads;
    const sameSize = witness.size === c.size;
    if (sameSize || !reproduces(heads, c)) {
      forked.add(c);
      report(run, { kind: 'checkpoint', label: c.label }, `signs ${c.size} entries inconsistently with checkpoint ${witness.label} (${witness.size} entries), which the entries reproduce: the log's key signed two different histories (a fork)`, RANK.fork);
    }
  }
  return forked;
}

/**
 * Then what the entries fail to reproduce, in size order: the first such checkpoint, located to an entry. Judged by
 * the entries alone: stored hashes that reproduce a checkpoint only authenticate the walk down to the entry.
 */
async function reportUnreproduced(run: Run, evidence: Evidence, forked: ReadonlySet<CheckedCheckpoint>): Promise<void> {
  const failing = evidence.all.filter((c) => !byEntries(evidence, c) && !forked.has(c) && c.size > 0).toSorted((a, b) => a.size - b.size);
  const [firstFailing, ...others] = failing;
  if (firstFailing === undefined) return;
  const { size, entries } = evidence;
  const missingFrom = firstMissing(entries, firstFailing.size);
  const located = firstFailing.size <= size ? await locate(evidence, firstFailing) : undefined;
  if (firstFailing.size > size) {
    report(run, { kind: 'checkpoint', label: firstFailing.label }, `signs ${firstFailing.size} entries, but the log holds ${size}: entries ${size}–${firstFailing.size - 1} were removed (or this checkpoint is of another history)`, RANK.data);
  } else if (located !== undefined && 'index' in located) {
    report(run, { kind: 'entry', index: located.index }, `${located.why} (checkpoint ${firstFailing.label}, of ${firstFailing.size} entries, signs another entry there)`, RANK.data);
  } else if (missingFrom !== undefined && (located === undefined || located.from <= missingFrom)) {
    let missingTo = missingFrom;
    while (missingTo < size && entries.at(missingTo) === undefined) missingTo++;
    report(run, { kind: 'entries', from: missingFrom, to: missingTo }, `are missing: checkpoint ${firstFailing.label} signs ${firstFailing.size} entries${size > firstFailing.size ? `, and the latest ${size}` : ''}`, RANK.data);
  } else {
    reportUnlocated(run, evidence, firstFailing, located);
  }
  for (const c of others) report(run, { kind: 'checkpoint', label: c.label }, `signs ${c.size} entries, and the entries do not reproduce it either`, RANK.data);
}

/** A checkpoint the entries do not reproduce, where no authentic hash leads down to the entry that differs. */
function reportUnlocated(run: Run, evidence: Evidence, failing: CheckedCheckpoint, located: { readonly from: number; readonly to: number } | undefined): void {
  const below = evidence.all.filter((c) => byEntries(evidence, c) && c.size < failing.size).reduce((m, c) => Math.max(m, c.size), 0);
  const from = located === undefined ? below : Math.max(below, located.from);
  const to = located === undefined ? failing.size : Math.min(failing.size, located.to);
  report(run, { kind: 'checkpoint', label: failing.label }, `signs ${failing.size} entries, and the entries do not reproduce its root${below > 0 ? `, though they reproduce the checkpoint of ${below}` : ''}. `
    + `An entry from ${from} to ${to - 1} was altered, removed or reordered with its stored hash (so the exact entry cannot be named), or the log's key signed a history that was never stored (a fork)`, RANK.data);
  report(run, { kind: 'entries', from, to }, `hold the change (checkpoint ${failing.label} does not cover them as stored)`, RANK.data);
}

/** Step 4: the higher tiles, as a tlog-tiles client would read them, must agree with the entries. */
async function checkHigherTiles(run: Run, evidence: Evidence): Promise<void> {
  const { size, entries, tiles } = evidence;
  for (let level = 1; 2 ** (TILE_HEIGHT * level) <= size; level++) {
    for (let index = 0; tileWidth(level, index, size) > 0; index++) {
      const hashes = await tiles.tileHashes(level, index);
      const bad = hashes.findIndex((h, j) => {
        const mine = nodeOfLeaves(entries, { level: TILE_HEIGHT * level, index: index * TILE_WIDTH + j });
        return h === undefined || mine === undefined || !hashesEqual(h, mine);
      });
      if (bad >= 0) report(run, { kind: 'tile', path: tilePath({ level, index, width: hashes.length }) }, `hash ${bad} does not match the entries under it`, RANK.tiles);
    }
  }
}

export async function verifyLog(source: LogSource, options: VerifyOptions): Promise<VerifyReport> {
  const run: Run = { source, origin: options.logKey.name, logKey: options.logKey, witnessKeys: options.witnessKeys ?? [], found: [], cosignatures: 0 };
  const checkpoints = await readCheckpoints(run, options);
  if (checkpoints === undefined) {
    return { ok: false, origin: run.origin, size: 0, checkpoints: 0, cosignatures: run.cosignatures, problems: run.found.map(({ subject, message }) => ({ subject, message })) };
  }
  const size = checkpoints.latest.size;
  const evidence = await readEvidence(run, size, checkpoints.all);
  const forked = reportForks(run, evidence);
  await reportUnreproduced(run, evidence, forked);
  if (run.found.length === 0) await checkHigherTiles(run, evidence);
  // Stable: within a rank, in the order found.
  const problems = run.found.toSorted((a, b) => a.rank - b.rank).map(({ subject, message }) => ({ subject, message }));
  return { ok: problems.length === 0, origin: run.origin, size, checkpoints: checkpoints.history.length, cosignatures: run.cosignatures, problems };
}

/** The first index below `size` with no entry, if any. */
function firstMissing(leaves: Leaves, size: number): number | undefined {
  for (let i = 0; i < size; i++) if (leaves.at(i) === undefined) return i;
  return undefined;
}

// `interlock audit export DIR`: the log up to its latest checkpoint, in the
// C2SP tlog-tiles layout, so that standard transparency-log tools (and
// `interlock audit verify --dir`) can read it without the hub:
//
//   DIR/checkpoint                  the latest checkpoint, with its cosignatures
//   DIR/tile/<L>/<N>[.p/<W>]        hash tiles
//   DIR/tile/entries/<N>[.p/<W>]    entry bundles (uint16-length-prefixed entries)
//   DIR/checkpoints.jsonl           every checkpoint the hub signed, oldest first (Interlock's)
//
// It copies what is stored, as stored: a damaged or tampered database gives
// a damaged export, which the verifier names, never a silently repaired one.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AUDIT_CHECKPOINTS_PAGE_MAX, CHECKPOINTS_FILE_NAME, encodeEntryBundle, entryBundlePath, TILE_HEIGHT, TILE_WIDTH, tilePath, tileWidth } from '../translog/index.ts';
import { publishedCheckpoint, readCheckpoints, readCosignatures, readEntries, readStoredTile, withCosignatures, type AuditDb } from './store.ts';

export interface ExportReport {
  readonly size: number;
  readonly tiles: number;
  readonly bundles: number;
  readonly checkpoints: number;
  /** Tiles or bundles short of rows: the storage is damaged (the export holds what there is). */
  readonly incomplete: readonly string[];
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

function write(dir: string, path: string, bytes: Uint8Array | string): void {
  const file = join(dir, path);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- under the directory the operator names
  mkdirSync(dirname(file), { recursive: true });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- under the directory the operator names
  writeFileSync(file, bytes, { flag: 'wx' });
}

/** Writes the log to `dir`, which must not exist or be empty. */
export async function exportLog(db: AuditDb, dir: string): Promise<ExportReport> {
  let existing: string[] = [];
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the directory the operator names
    existing = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing.length > 0) throw new ExportError(`${dir} is not empty: export into a new directory`);
  const published = await publishedCheckpoint(db);
  if (published === undefined) throw new ExportError('the audit log has no checkpoint yet (the hub signs one within a checkpoint interval of the first entry, or run: interlock audit checkpoint)');
  const { size } = published.checkpoint;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the directory the operator names
  mkdirSync(dir, { recursive: true });
  const incomplete: string[] = [];
  let tiles = 0;
  let bundles = 0;

  for (let level = 0; 2 ** (TILE_HEIGHT * level) <= size; level++) {
    for (let index = 0; tileWidth(level, index, size) > 0; index++) {
      const width = tileWidth(level, index, size);
      const path = tilePath({ level, index, width });
      const stored = await readStoredTile(db, level, index, size);
      if (!stored.complete) incomplete.push(path);
      write(dir, path, Buffer.concat(stored.hashes));
      tiles += 1;
    }
  }
  for (let index = 0; index * TILE_WIDTH < size; index++) {
    const width = tileWidth(0, index, size);
    const path = entryBundlePath(index, width);
    const entries = await readEntries(db, index * TILE_WIDTH, index * TILE_WIDTH + width);
    if (entries.length !== width) incomplete.push(path);
    write(dir, path, entries.length === 0 ? Buffer.alloc(0) : encodeEntryBundle(entries.map((e) => e.entry)));
    bundles += 1;
  }
  const lines: string[] = [];
  for (let after = 0; ;) {
    const page = await readCheckpoints(db, after, AUDIT_CHECKPOINTS_PAGE_MAX);
    const first = page[0];
    const last = page.at(-1);
    if (first === undefined || last === undefined || first.seq > published.checkpoint.seq) break;
    const cosignatures = await readCosignatures(db, first.seq, last.seq);
    for (const checkpoint of page) {
      if (checkpoint.seq > published.checkpoint.seq) break;
      lines.push(JSON.stringify({ seq: checkpoint.seq, note: withCosignatures(checkpoint.note, cosignatures.get(checkpoint.seq) ?? []) }));
    }
    after = last.seq;
  }
  write(dir, CHECKPOINTS_FILE_NAME, lines.map((line) => `${line}\n`).join(''));
  // Last: a reader that finds the checkpoint finds everything it covers.
  write(dir, 'checkpoint', published.note);
  return { size, tiles, bundles, checkpoints: lines.length, incomplete };
}

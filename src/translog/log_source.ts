// Where `interlock audit verify` reads a log from: an export directory
// (`interlock audit export DIR`) or the admin API (`--url http://…/audit`).
// Both hold the tlog-tiles layout (`checkpoint`, `tile/…`, `tile/entries/…`)
// and, for the history of checkpoints, Interlock's `checkpoints.jsonl` file
// or `checkpoints` route. Everything read is bounded: a copy of the log is
// untrusted input.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NOTE_BYTES_MAX, ENTRY_BYTES_MAX, AUDIT_CHECKPOINTS_PAGE_MAX } from './limits.ts';
import { entryBundlePath, tilePath, TILE_WIDTH } from './tiles.ts';
import { HASH_BYTES } from './merkle.ts';
import type { LogSource } from './verify.ts';

/** The export's checkpoint history: one JSON object `{"seq": n, "note": "…"}` per line, oldest first. */
export const CHECKPOINTS_FILE_NAME = 'checkpoints.jsonl';

const TILE_BYTES_MAX = TILE_WIDTH * HASH_BYTES;
const BUNDLE_BYTES_MAX = TILE_WIDTH * (2 + ENTRY_BYTES_MAX);
/** A history line is a checkpoint note in JSON: at most a note and its escaping. */
const CHECKPOINTS_FILE_BYTES_MAX = 4 * 1024 * 1024 * 1024;
const URL_REQUEST_TIMEOUT_MS = 30_000;

export class LogSourceError extends Error {
  override readonly name = 'LogSourceError';
}

function readBounded(path: string, bytesMax: number): Buffer | undefined {
  let size: number;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of the export the auditor names
    size = statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size > bytesMax) throw new LogSourceError(`${path} is over ${bytesMax} bytes`);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file of the export the auditor names
  return readFileSync(path);
}

function parseHistoryLine(line: string, where: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw new LogSourceError(`${where}: not JSON`);
  }
  const note = (record as { note?: unknown } | null)?.note;
  if (typeof note !== 'string') throw new LogSourceError(`${where}: no note`);
  return note;
}

/** An export directory. */
export function directorySource(dir: string): LogSource {
  return {
    description: dir,
    checkpoint: () => Promise.resolve(readBounded(join(dir, 'checkpoint'), NOTE_BYTES_MAX)?.toString('utf8')),
    checkpoints() {
      const bytes = readBounded(join(dir, CHECKPOINTS_FILE_NAME), CHECKPOINTS_FILE_BYTES_MAX);
      if (bytes === undefined) return Promise.resolve([]);
      const lines = bytes.toString('utf8').split('\n').filter((line) => line !== '');
      return Promise.resolve(lines.map((line, i) => parseHistoryLine(line, `${CHECKPOINTS_FILE_NAME} line ${i + 1}`)));
    },
    tile: (level, index, width) => Promise.resolve(readBounded(join(dir, tilePath({ level, index, width })), TILE_BYTES_MAX)),
    entryBundle: (index, width) => Promise.resolve(readBounded(join(dir, entryBundlePath(index, width)), BUNDLE_BYTES_MAX)),
  };
}

async function get(url: string, bytesMax: number, fetchImpl: typeof fetch): Promise<Buffer | undefined> {
  const response = await fetchImpl(url, { redirect: 'error', signal: AbortSignal.timeout(URL_REQUEST_TIMEOUT_MS) });
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.status !== 200) throw new LogSourceError(`${url} answered ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > bytesMax) throw new LogSourceError(`${url} is over ${bytesMax} bytes`);
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length > bytesMax) throw new LogSourceError(`${url} is over ${bytesMax} bytes`);
  return body;
}

/** A log served over HTTP with `/audit` as its prefix, e.g. http://127.0.0.1:3001/audit. */
export function urlSource(base: string, fetchImpl: typeof fetch = fetch): LogSource {
  const prefix = base.replace(/\/+$/, '');
  return {
    description: prefix,
    checkpoint: async () => (await get(`${prefix}/checkpoint`, NOTE_BYTES_MAX, fetchImpl))?.toString('utf8'),
    async checkpoints() {
      const notes: string[] = [];
      for (let after = 0; ;) {
        const page = await get(`${prefix}/checkpoints?after=${after}&limit=${AUDIT_CHECKPOINTS_PAGE_MAX}`, AUDIT_CHECKPOINTS_PAGE_MAX * 2 * NOTE_BYTES_MAX, fetchImpl);
        if (page === undefined) return notes;
        const { checkpoints } = JSON.parse(page.toString('utf8')) as { checkpoints?: { seq?: unknown; note?: unknown }[] };
        if (!Array.isArray(checkpoints)) throw new LogSourceError(`${prefix}/checkpoints: not a checkpoint list`);
        for (const { seq, note } of checkpoints) {
          if (typeof seq !== 'number' || typeof note !== 'string' || seq <= after) throw new LogSourceError(`${prefix}/checkpoints: a malformed or out-of-order checkpoint`);
          notes.push(note);
          after = seq;
        }
        if (checkpoints.length < AUDIT_CHECKPOINTS_PAGE_MAX) return notes;
      }
    },
    tile: (level, index, width) => get(`${prefix}/${tilePath({ level, index, width })}`, TILE_BYTES_MAX, fetchImpl),
    entryBundle: (index, width) => get(`${prefix}/${entryBundlePath(index, width)}`, BUNDLE_BYTES_MAX, fetchImpl),
  };
}

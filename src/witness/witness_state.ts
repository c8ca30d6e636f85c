// A witness's memory: for each log (by origin), the size and root hash of the
// latest checkpoint it cosigned. tlog-witness requires checking and updating
// it atomically, and persisting it before answering: the file is replaced
// whole (written beside it under a new name, synced, renamed over it, and the
// directory synced), so a crash leaves the old state or the new, never a mix,
// and never a cosignature the state does not remember.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { decodeCanonicalBase64, encodeBase64 } from '../support/index.ts';
import { type Hash, HASH_BYTES, isTreeSize } from '../translog/index.ts';

export interface WitnessedLog {
  readonly size: number;
  readonly rootHash: Hash;
}

export type WitnessState = ReadonlyMap<string, WitnessedLog>;

const STATE_VERSION = 1;
/** A state with one entry per log a witness follows (a handful) is a few hundred bytes. */
const STATE_BYTES_MAX = 1024 * 1024;

export class WitnessStateError extends Error {
  override readonly name = 'WitnessStateError';
}

/** The state in the file, or an empty state when there is no file yet. A damaged file stops the witness. */
export function readWitnessState(path: string): WitnessState {
  let text: string;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the state file
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new WitnessStateError(`witness state ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  if (text.length > STATE_BYTES_MAX) throw new WitnessStateError(`witness state ${path} is over ${STATE_BYTES_MAX} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WitnessStateError(`witness state ${path} is not JSON`);
  }
  const record = parsed as { version?: unknown; logs?: unknown };
  if (typeof parsed !== 'object' || parsed === null || record.version !== STATE_VERSION || typeof record.logs !== 'object' || record.logs === null) {
    throw new WitnessStateError(`witness state ${path} is not a version ${STATE_VERSION} witness state`);
  }
  const state = new Map<string, WitnessedLog>();
  for (const [origin, value] of Object.entries(record.logs)) {
    const { size, rootHash } = value as { size?: unknown; rootHash?: unknown };
    const root = typeof rootHash === 'string' ? decodeCanonicalBase64(rootHash) : undefined;
    if (typeof size !== 'number' || !isTreeSize(size) || root?.length !== HASH_BYTES) throw new WitnessStateError(`witness state ${path}: the entry for ${origin} is damaged`);
    state.set(origin, { size, rootHash: root });
  }
  return state;
}

/** Replaces the state file with `state`, durably, in one step. */
export function writeWitnessState(path: string, state: WitnessState): void {
  const logs = Object.fromEntries([...state].map(([origin, { size, rootHash }]) => [origin, { size, rootHash: encodeBase64(rootHash) }]));
  const text = `${JSON.stringify({ version: STATE_VERSION, logs }, null, 2)}\n`;
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}`);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a new name beside the state file
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the temporary file and the state file
  renameSync(temporary, path);
  // The rename is durable only once the directory is.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the state file's directory
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

// C2SP tlog-checkpoint: the signed tree head the hub publishes. The note text
// is the origin (the log's identity, e.g. `hub.example/audit`), the tree size
// in decimal, the base64 root hash, and optional extension lines (discouraged:
// monitors cannot audit them). A checkpoint is read strictly, so that one tree
// head has one text: a size with a sign, leading zeros or spaces is refused.
import assert from 'node:assert/strict';
import { decodeCanonicalBase64, encodeBase64, err, ok, type Result } from '../support/index.ts';
import { HASH_BYTES, type Hash } from './merkle.ts';
import type { NoteSigner, NoteVerifier } from './note_key.ts';
import type { Outcome } from './outcome.ts';
import { noteTextProblem, openNote, signNote, type NoteProblem, type OpenedNote } from './signed_note.ts';
import { isTreeSize, TREE_SIZE_MAX } from './tree_size.ts';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Hash;
  /** Lines after the root hash, each non-empty. The hub writes none. */
  readonly extensions: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The checkpoint's note text (what the log signs). */
export function formatCheckpoint({ origin, size, rootHash, extensions }: Checkpoint): string {
  assert.ok(isTreeSize(size), `formatCheckpoint: size ${size} is not a tree size`);
  assert.equal(rootHash.length, HASH_BYTES, 'formatCheckpoint: a 32-byte root hash');
  const lines = [origin, String(size), encodeBase64(rootHash), ...extensions];
  assert.ok(lines.every((line) => line.length > 0 && !line.includes('\n')), 'formatCheckpoint: every line is non-empty and one line');
  const text = `${lines.join('\n')}\n`;
  const problem = noteTextProblem(text);
  assert.ok(problem === undefined, `formatCheckpoint: ${problem ?? ''}`);
  return text;
}

/** Reads a checkpoint's note text. Sizes past TREE_SIZE_MAX are refused: the audit log cannot hold them exactly. */
export function parseCheckpoint(text: string): Outcome<Checkpoint> {
  const problem = noteTextProblem(text);
  if (problem !== undefined) return err(problem);
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || sizeText === undefined || rootText === undefined) return err('a checkpoint has at least three lines');
  if (origin.length === 0) return err('the checkpoint origin is empty');
  if (!DECIMAL.test(sizeText)) return err('the checkpoint tree size is not a decimal without sign, spaces or leading zeros');
  const size = Number(sizeText);
  if (!isTreeSize(size)) return err(`the checkpoint tree size is past ${TREE_SIZE_MAX}`);
  const rootHash = decodeCanonicalBase64(rootText);
  if (rootHash?.length !== HASH_BYTES) return err('the checkpoint root hash is not base64 of 32 bytes');
  if (extensions.some((line) => line.length === 0)) return err('a checkpoint extension line is empty');
  return ok({ origin, size, rootHash, extensions });
}

/** The checkpoint as a signed note. */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

/** As NoteProblem, and 'wrong-origin' for a valid checkpoint of another log (tlog-witness answers 404). */
export type CheckpointProblem = NoteProblem | 'wrong-origin';

export interface CheckpointRefusal {
  readonly problem: CheckpointProblem;
  readonly reason: string;
}

export type CheckpointOutcome = Result<OpenedCheckpoint, CheckpointRefusal>;

/**
 * Opens a signed checkpoint of the log `origin` with the log's pinned key(s). Pass only the log's keys:
 * witnesses' cosignatures are ignored here (they are unknown keys) and counted by the caller's quorum.
 */
export function openCheckpoint(input: string | Uint8Array, origin: string, logVerifiers: readonly NoteVerifier[]): CheckpointOutcome {
  assert.ok(logVerifiers.length > 0, 'openCheckpoint: at least one pinned log key');
  const note = openNote(input, logVerifiers);
  if (!note.ok) return note;
  const checkpoint = parseCheckpoint(note.value.text);
  if (!checkpoint.ok) return err({ problem: 'malformed', reason: checkpoint.error });
  if (checkpoint.value.origin !== origin) return err({ problem: 'wrong-origin', reason: 'the checkpoint is from another log' });
  return ok({ checkpoint: checkpoint.value, note: note.value });
}

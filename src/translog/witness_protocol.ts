// C2SP tlog-witness add-checkpoint, the messages: the request body (an
// `old <size>` line, up to 63 base64 consistency proof lines, an empty line,
// then the signed checkpoint), the 409 body (the witness's size, as
// text/x.tlog.size) and the 200 body (cosignature lines). Read strictly: a
// witness answers a body that is not exactly this with 400.
import assert from 'node:assert/strict';
import { decodeCanonicalBase64, encodeBase64, err, ok } from '../support/index.ts';
import { WITNESS_PROOF_LINES_MAX, WITNESS_REQUEST_BYTES_MAX } from './limits.ts';
import { HASH_BYTES, type Hash } from './merkle.ts';
import type { Outcome } from './outcome.ts';
import { isTreeSize } from './tree_size.ts';

export const ADD_CHECKPOINT_PATH = '/add-checkpoint';
/** The content type of a 409 answer, whose body is the witness's tree size for the origin. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  /** The signed checkpoint (its text and signature lines). */
  readonly checkpoint: string;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function formatAddCheckpointRequest({ oldSize, proof, checkpoint }: AddCheckpointRequest): string {
  assert.ok(isTreeSize(oldSize), 'formatAddCheckpointRequest: a tree size');
  assert.ok(proof.length <= WITNESS_PROOF_LINES_MAX && proof.every((h) => h.length === HASH_BYTES), 'formatAddCheckpointRequest: up to 63 hashes');
  assert.ok(oldSize !== 0 || proof.length === 0, 'formatAddCheckpointRequest: no proof from size 0');
  return `old ${oldSize}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${checkpoint}`;
}

/** Reads a request body; the reason is what a 400 answer says. */
export function parseAddCheckpointRequest(body: Uint8Array): Outcome<AddCheckpointRequest> {
  if (body.length > WITNESS_REQUEST_BYTES_MAX) return err(`the request is over ${WITNESS_REQUEST_BYTES_MAX} bytes`);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return err('the request is not UTF-8');
  }
  const firstNewline = text.indexOf('\n');
  if (firstNewline < 0) return err('the request has no old size line');
  const oldLine = text.slice(0, firstNewline);
  if (!oldLine.startsWith('old ') || !DECIMAL.test(oldLine.slice(4))) return err('the first line is not "old <size>" in decimal without leading zeros');
  const oldSize = Number(oldLine.slice(4));
  if (!isTreeSize(oldSize)) return err('the old size is too large');
  const proof: Hash[] = [];
  let at = firstNewline + 1;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end < 0) return err('the proof lines are not followed by an empty line');
    const line = text.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (proof.length === WITNESS_PROOF_LINES_MAX) return err(`more than ${WITNESS_PROOF_LINES_MAX} proof lines`);
    const hash = decodeCanonicalBase64(line);
    if (hash?.length !== HASH_BYTES) return err(`proof line ${proof.length + 1} is not base64 of a 32-byte hash`);
    proof.push(hash);
  }
  if (oldSize === 0 && proof.length > 0) return err('a request from size 0 carries no proof');
  return ok({ oldSize, proof, checkpoint: text.slice(at) });
}

/** The body of a 409 answer: the witness's size for the origin, in decimal, and a newline. */
export function formatSizeBody(size: number): string {
  assert.ok(isTreeSize(size));
  return `${size}\n`;
}

export function parseSizeBody(text: string): number | undefined {
  if (!text.endsWith('\n') || !DECIMAL.test(text.slice(0, -1))) return undefined;
  const size = Number(text.slice(0, -1));
  return isTreeSize(size) ? size : undefined;
}

// The hub's side of tlog-witness add-checkpoint: one request to one witness,
// and what its answer means. A cosignature counts only if it verifies under
// the witness key the hub pinned; anything else in the answer is ignored, as
// tlog-witness asks.
import { err, ok, type Result } from '../support/index.ts';
import { WITNESS_REQUEST_TIMEOUT_MS, WITNESS_RESPONSE_BYTES_MAX } from './limits.ts';
import type { NoteVerifier } from './note_key.ts';
import { openNote, parseNote, type NoteSignature } from './signed_note.ts';
import { ADD_CHECKPOINT_PATH, formatAddCheckpointRequest, parseSizeBody, TLOG_SIZE_CONTENT_TYPE, type AddCheckpointRequest } from './witness_protocol.ts';

export interface Witness {
  /** The witness's submission prefix: add-checkpoint is POSTed to `<url>/add-checkpoint`. */
  readonly url: string;
  /** The witness's pinned cosignature key (type 0x04). */
  readonly verifier: NoteVerifier;
}

export type CosignatureRefusal =
  /** 409: the witness's last cosigned size for this log is not the old size sent (or, at the same size, its root differs). */
  | { readonly problem: 'conflict'; readonly size: number }
  /** 403, 404, 422, 400 or another status, an unreadable answer, or no answer in time. */
  | { readonly problem: 'refused' | 'unreachable' | 'bad-answer'; readonly reason: string };

/** The witness's cosignature, verified under its pinned key, or why there is none. */
export type CosignatureOutcome = Result<NoteSignature, CosignatureRefusal>;

export type Fetch = typeof fetch;

async function readLimited(response: Response, bytesMax: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    length += chunk.length;
    if (length > bytesMax) {
      await response.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const REFUSALS = new Map([
  [400, 'the witness found the request malformed (400)'],
  [403, 'the witness does not trust the log\'s key (403)'],
  [404, 'the witness does not follow this log\'s origin (404)'],
  [422, 'the witness refused the consistency proof (422): the checkpoint does not extend the one it cosigned before'],
]);

/** Sends one add-checkpoint request and reads the witness's answer. */
export async function requestCosignature(
  witness: Witness,
  request: AddCheckpointRequest,
  options: { readonly fetch?: Fetch; readonly timeoutMs?: number } = {},
): Promise<CosignatureOutcome> {
  const send = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await send(`${witness.url.replace(/\/+$/, '')}${ADD_CHECKPOINT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: formatAddCheckpointRequest(request),
      // A witness is named by its URL: a redirect elsewhere is not that witness.
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? WITNESS_REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return err({ problem: 'unreachable', reason: error instanceof Error ? error.message : String(error) });
  }
  let body: string | undefined;
  try {
    body = await readLimited(response, WITNESS_RESPONSE_BYTES_MAX);
  } catch (error) {
    return err({ problem: 'unreachable', reason: error instanceof Error ? error.message : String(error) });
  }
  if (body === undefined) return err({ problem: 'bad-answer', reason: `the answer is over ${WITNESS_RESPONSE_BYTES_MAX} bytes` });
  if (response.status === 409) {
    const size = response.headers.get('content-type')?.startsWith(TLOG_SIZE_CONTENT_TYPE) === true ? parseSizeBody(body) : undefined;
    if (size === undefined) return err({ problem: 'bad-answer', reason: 'a 409 answer without a text/x.tlog.size body' });
    return err({ problem: 'conflict', size });
  }
  if (response.status !== 200) {
    return err({ problem: 'refused', reason: REFUSALS.get(response.status) ?? `the witness answered ${response.status}` });
  }
  // tlog-witness: the answer is signature lines; appended to the checkpoint they make a note to verify.
  const checkpoint = parseNote(request.checkpoint);
  if (!checkpoint.ok) return err({ problem: 'bad-answer', reason: 'the checkpoint sent is not a note' });
  const opened = openNote(`${checkpoint.value.text}\n${body}`, [witness.verifier]);
  if (!opened.ok) return err({ problem: 'bad-answer', reason: `no valid cosignature from ${witness.verifier.name}: ${opened.error.reason}` });
  const [cosignature] = opened.value.verified;
  if (cosignature === undefined) return err({ problem: 'bad-answer', reason: 'no cosignature' });
  return ok(cosignature);
}

// A tlog-witness server (C2SP tlog-witness, add-checkpoint), as a DFSP or the
// regulator runs it with `interlock audit witness`: for each log it follows
// (pinned by the log's verifier key; the key's name is the log's origin), it
// cosigns a checkpoint only if the log signed it and it extends the last
// checkpoint the witness cosigned. A hub that showed two parties different
// histories cannot get both cosigned by the same witness.
//
// One request at a time checks and updates the state (tlog-witness requires
// it atomic), and the state is on disk before the cosignature leaves.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { Clock, Logger } from '../support/index.ts';
import { ADD_CHECKPOINT_PATH, cosignatureVerifierKey, createCosigner, formatNote, formatSizeBody, type Hash, hashesEqual, type NoteSigner, type NoteVerifier, openNote, parseAddCheckpointRequest, parseCheckpoint, parseNote, signText, TLOG_SIZE_CONTENT_TYPE, verifyConsistency, WITNESS_REQUEST_BYTES_MAX } from '../translog/index.ts';
import { WITNESS_SERVER_REQUEST_TIMEOUT_MS } from './limits.ts';
import { readWitnessState, writeWitnessState, type WitnessedLog } from './witness_state.ts';

export interface WitnessServerDeps {
  /** The witness's key name, in its cosignature lines and verifier key. */
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The logs it follows: each origin with the log's pinned key(s). */
  readonly logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  readonly statePath: string;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface WitnessServer {
  /** The verifier key string a hub pins for this witness (audit.witnesses). */
  readonly verifierKey: string;
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** Headers a tlog-witness client sends are few and short. */
const HEADER_BYTES_MAX = 8192;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

const answer = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): Answer => ({ status, body: body.endsWith('\n') ? body : `${body}\n`, contentType });

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > WITNESS_REQUEST_BYTES_MAX) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => { resolve(Buffer.concat(chunks)); });
    request.on('error', reject);
  });
}

/** A running witness: what it follows, its key, and its state, which requests check and update one after another. */
interface Witness {
  readonly logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  readonly statePath: string;
  readonly log: Logger;
  readonly cosigner: NoteSigner;
  state: ReadonlyMap<string, WitnessedLog>;
  exclusive: Promise<unknown>;
}

function serialised<T>(witness: Witness, work: () => T): Promise<T> {
  const run = witness.exclusive.then(work);
  witness.exclusive = run.catch(() => undefined);
  return run;
}

/** An add-checkpoint request that the log signed, for a log the witness follows. */
interface SignedRequest {
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  /** The checkpoint note as sent. */
  readonly note: string;
  /** Its text, without signatures. */
  readonly text: string;
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly rootHash: Hash };
}

/** tlog-witness's first checks, in its order: the request (400), origin (404), signature (403), sizes (400). */
function readRequest(witness: Witness, body: Buffer): { readonly refused: Answer } | { readonly refused?: undefined; readonly request: SignedRequest } {
  const request = parseAddCheckpointRequest(body);
  if (!request.ok) return { refused: answer(400, request.error) };
  const note = parseNote(request.value.checkpoint);
  if (!note.ok) return { refused: answer(400, note.error.reason) };
  const checkpoint = parseCheckpoint(note.value.text);
  if (!checkpoint.ok) return { refused: answer(400, checkpoint.error) };
  const { origin, size } = checkpoint.value;
  const verifiers = witness.logs.get(origin);
  if (verifiers === undefined) return { refused: answer(404, `this witness does not follow the log ${origin}`) };
  const opened = openNote(request.value.checkpoint, verifiers);
  if (!opened.ok) return { refused: answer(opened.error.problem === 'malformed' ? 400 : 403, opened.error.reason) };
  const { oldSize, proof } = request.value;
  if (oldSize > size) return { refused: answer(400, `the old size ${oldSize} is larger than the checkpoint's ${size}`) };
  return { request: { oldSize, proof, note: request.value.checkpoint, text: note.value.text, checkpoint: checkpoint.value } };
}

/** Then against what it cosigned before: the old size (409) and the consistency proof (422). Undefined when it extends it. */
function refusalByState(witness: Witness, request: SignedRequest): Answer | undefined {
  const { oldSize, proof, checkpoint: { origin, size, rootHash } } = request;
  const known = witness.state.get(origin);
  const knownSize = known?.size ?? 0;
  if (oldSize !== knownSize) return answer(409, formatSizeBody(knownSize), TLOG_SIZE_CONTENT_TYPE);
  if (known !== undefined && oldSize === size) {
    if (!hashesEqual(known.rootHash, rootHash)) {
      // Two checkpoints of one size with different roots, both signed by the log: evidence of a fork, kept.
      witness.log.error({ origin, size, checkpoint: request.note }, 'witness: the log signed a different tree of a size already cosigned (a fork)');
      return answer(409, formatSizeBody(knownSize), TLOG_SIZE_CONTENT_TYPE);
    }
  } else if (known !== undefined && oldSize > 0) {
    const verdict = verifyConsistency({ size1: oldSize, size2: size, root1: known.rootHash, root2: rootHash, proof });
    if (!verdict.ok) {
      witness.log.error({ origin, oldSize, size, reason: verdict.error, checkpoint: request.note }, 'witness: a checkpoint signed by the log does not extend the one cosigned before (kept as evidence)');
      return answer(422, `the consistency proof does not verify: ${verdict.error}`);
    }
  }
  return undefined;
}

/** Everything tlog-witness asks, in its order; then the state is persisted before the cosignature leaves: a witness never forgets what it signed. */
function addCheckpoint(witness: Witness, body: Buffer): Answer {
  const read = readRequest(witness, body);
  if (read.refused !== undefined) return read.refused;
  const { request } = read;
  const refused = refusalByState(witness, request);
  if (refused !== undefined) return refused;
  const { origin, size, rootHash } = request.checkpoint;
  const next = new Map(witness.state);
  next.set(origin, { size, rootHash });
  writeWitnessState(witness.statePath, next);
  witness.state = next;
  const [cosignature] = signText(request.text, [witness.cosigner]);
  if (cosignature === undefined) throw new Error('witness: the cosigner signed nothing');
  const line = formatNote({ text: request.text, signatures: [cosignature] }).slice(request.text.length + 1);
  witness.log.info({ origin, size }, 'witness: cosigned');
  return { status: 200, body: line, contentType: 'text/plain; charset=utf-8' };
}

async function handle(witness: Witness, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let result: Answer;
  if (request.url !== ADD_CHECKPOINT_PATH) {
    result = answer(404, 'not found');
  } else if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    result = answer(405, 'add-checkpoint is a POST');
  } else {
    const body = await readBody(request);
    result = body === undefined ? answer(413, `the request is over ${WITNESS_REQUEST_BYTES_MAX} bytes`) : await serialised(witness, () => addCheckpoint(witness, body));
  }
  response.writeHead(result.status, { 'content-type': result.contentType ?? 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(result.body);
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => { if (error === undefined) resolve(); else reject(error); });
    server.closeAllConnections();
  });
}

export function createWitnessServer(deps: WitnessServerDeps): WitnessServer {
  const { name, logs, statePath, clock, log } = deps;
  const cosigner = createCosigner(name, deps.privateKey, clock);
  const verifierKey = cosignatureVerifierKey(name, deps.publicKey);
  const witness: Witness = {
    logs, statePath, log, cosigner,
    state: new Map(readWitnessState(statePath)),
    exclusive: Promise.resolve(),
  };
  const server: Server = createServer({
    requestTimeout: WITNESS_SERVER_REQUEST_TIMEOUT_MS,
    headersTimeout: WITNESS_SERVER_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: HEADER_BYTES_MAX,
  }, (request, response) => {
    handle(witness, request, response).catch((error: unknown) => {
      log.error({ err: error }, 'witness: request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  return {
    verifierKey,
    listen: (host, port) => listen(server, host, port),
    close: () => close(server),
  };
}

// The hub's one outbound HTTP(S) client, on node:http / node:https: callbacks
// to DFSPs (delivery), calls to external oracles (lookup), the simulator's
// requests to the hub and the assessment's raw probes.
//
// Not the global fetch: fetch adds headers of its own (accept: */*,
// accept-language, sec-fetch-mode, user-agent, accept-encoding), and an FSPIOP
// receiver checks Accept, so a request sent by fetch could be refused. Here the
// peer gets exactly the headers given, plus Host, Connection and
// Content-Length, which describe this hop.
//
// Every request is bounded: one deadline from the first byte of connecting to
// the last byte of the answer (a peer that trickles bytes is as slow as one
// that is silent), and a bound on the answer's body held in memory. Redirects
// are never followed (node:http does not follow them): a peer must not be able
// to point the hub at another host. TLS is the scheme's policy
// (tls_policy.ts), certificates always verified (outboundAgentOptions).
import http from 'node:http';
import https from 'node:https';
import { err, ok, type Result } from './result.ts';
import { TLS_POLICY } from './tls_policy.ts';

/**
 * What is done with the answer's body:
 *   'cut'     the first answerBytesMax bytes are kept, the rest read and dropped;
 *   'whole'   the whole body, or the failure 'too-long' past answerBytesMax (the connection is closed);
 *   'ignore'  the answer is given at its headers; the body is read up to answerBytesMax so that the
 *             connection can serve the next request, a longer one closes it (the deadline still holds).
 */
export type AnswerBody = 'cut' | 'whole' | 'ignore';

export interface OutboundRequest {
  readonly method: string;
  /** Sent exactly as given; content-length is added for a body. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | string | undefined;
  /** The connection pool, with the TLS options for https: (outboundAgentOptions). */
  readonly agent: http.Agent;
  readonly timeoutMs: number;
  readonly answerBytesMax: number;
  readonly answerBody: AnswerBody;
  /** Ends the request early: the failure 'aborted'. */
  readonly signal?: AbortSignal | undefined;
  /** More options for the connection (a guarded DNS lookup, a server identity check, a header size bound, a pool key). */
  readonly connection?: Readonly<https.RequestOptions> & Readonly<Record<string, unknown>>;
}

export interface OutboundAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Empty for answerBody 'ignore'. */
  readonly body: Buffer;
}

export type OutboundFailure =
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'aborted' }
  /** The request could not be made at all (an unsupported URL, a header value Node refuses): sending again cannot help. */
  | { readonly kind: 'unsendable'; readonly code: string }
  /** The connection failed or broke; `code` is the system or Node error code (ECONNREFUSED, CERT_HAS_EXPIRED, …), never a message. */
  | { readonly kind: 'network'; readonly code: string; readonly cause: unknown }
  | { readonly kind: 'too-long'; readonly answerBytesMax: number };

export type OutboundResult = Result<OutboundAnswer, OutboundFailure>;

/** Pool and TLS options for an outbound agent: the scheme's TLS policy, the peer's certificate always verified. */
export function outboundAgentOptions(socketsMax: number, tls: { readonly ca?: https.AgentOptions['ca']; readonly cert?: https.AgentOptions['cert']; readonly key?: https.AgentOptions['key'] } = {}): https.AgentOptions {
  return {
    keepAlive: true,
    maxSockets: socketsMax,
    maxTotalSockets: socketsMax,
    maxFreeSockets: socketsMax,
    scheduling: 'lifo',
    ...TLS_POLICY,
    rejectUnauthorized: true,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
  };
}

/** The error's code when it is one (ECONNREFUSED, ERR_INVALID_CHAR, …), never its message. */
export function errorCodeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'UNKNOWN';
}

/** A failure in words, for a log line or a probe's evidence: `no answer within 300 ms`, `ECONNRESET: socket hang up`. */
export function describeFailure(failure: OutboundFailure): string {
  switch (failure.kind) {
    case 'timeout': return `no answer within ${failure.timeoutMs} ms`;
    case 'aborted': return 'aborted';
    case 'unsendable': return `not sendable (${failure.code})`;
    case 'too-long': return `answer longer than ${failure.answerBytesMax} bytes`;
    case 'network': return `${failure.code}: ${failure.cause instanceof Error ? failure.cause.message : 'error'}`;
  }
}

/** Sends one request to `url` (http: or https:); never rejects: every way it can end is a result. */
export function sendRequest(url: URL, request: OutboundRequest): Promise<OutboundResult> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.resolve(err({ kind: 'unsendable', code: 'ERR_UNSUPPORTED_PROTOCOL' }));
  if (request.signal?.aborted === true) return Promise.resolve(err({ kind: 'aborted' }));
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  return new Promise<OutboundResult>((resolve) => {
    let req: http.ClientRequest;
    try {
      req = (url.protocol === 'https:' ? https : http).request(url, { ...request.connection, method: request.method, headers, agent: request.agent });
    } catch (error) {
      resolve(err({ kind: 'unsendable', code: errorCodeOf(error) }));
      return;
    }
    const exchange = watch(req, request, resolve);
    req.on('response', (res) => { readAnswer(res, request, exchange); });
    req.end(request.body);
  });
}

interface Exchange {
  settle(result: OutboundResult): void;
  /** Stops the deadline and the abort listener: the exchange is over. */
  done(): void;
}

/** The deadline, the abort signal and the request's errors, each settling the result once. */
function watch(req: http.ClientRequest, request: OutboundRequest, resolve: (result: OutboundResult) => void): Exchange {
  let settled = false;
  const settle = (result: OutboundResult) => {
    if (settled) return;
    settled = true;
    resolve(result);
  };
  const timer = setTimeout(() => {
    settle(err({ kind: 'timeout', timeoutMs: request.timeoutMs }));
    req.destroy();
  }, request.timeoutMs);
  const onAbort = () => {
    settle(err({ kind: 'aborted' }));
    req.destroy();
  };
  request.signal?.addEventListener('abort', onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  };
  req.on('error', (error) => {
    done();
    settle(err({ kind: 'network', code: errorCodeOf(error), cause: error }));
  });
  req.on('close', done);
  return { settle, done };
}

function readAnswer(res: http.IncomingMessage, request: OutboundRequest, exchange: Exchange): void {
  const answer = (body: Buffer): OutboundResult => ok({ status: res.statusCode ?? 0, headers: res.headers, body });
  const max = request.answerBytesMax;
  if (request.answerBody === 'ignore') exchange.settle(answer(Buffer.alloc(0)));
  const declared = res.headers['content-length'];
  if (request.answerBody === 'whole' && declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > max) {
    exchange.settle(err({ kind: 'too-long', answerBytesMax: max }));
    res.destroy();
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on('data', (chunk: Buffer) => {
    if (request.answerBody === 'cut' && bytes < max) chunks.push(chunk.subarray(0, max - bytes));
    if (request.answerBody === 'whole') chunks.push(chunk);
    bytes += chunk.length;
    if (bytes <= max || request.answerBody === 'cut') return;
    if (request.answerBody === 'whole') exchange.settle(err({ kind: 'too-long', answerBytesMax: max }));
    res.destroy();
  });
  res.on('error', (error) => { exchange.settle(err({ kind: 'network', code: errorCodeOf(error), cause: error })); });
  res.on('end', () => { exchange.settle(answer(Buffer.concat(chunks))); });
  res.on('close', () => { exchange.done(); });
}

// The simulated DFSP's HTTP server: where the hub's requests (a lookup, a quote
// request, a prepare) and callbacks arrive. Each request is read within a size
// and time bound and checked as an FSPIOP receiver checks it (route, headers,
// FSPIOP-Destination, body schema), then answered at once (200 for PUT and
// PATCH, 202 otherwise); the work it causes happens afterwards.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { CLIENT_CERTIFICATE_REQUIRED, TLS_POLICY, err, ok, type Result } from '../support/index.ts';
import { fspIdOfCertificate } from '../pki/index.ts';
import { validateBody, errorInformation, httpStatusOf, type Failure, validateRequestHeaders, resolveOperation, type ResolvedOperation, HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import type { SimLimits } from './limits.ts';
import type { DfspTls } from './types.ts';

/** A request from the hub that passed the checks. */
export interface Arrival {
  readonly operation: ResolvedOperation;
  /** The path as received (percent-encoded), without a query. */
  readonly path: string;
  readonly source: string;
  readonly destination: string | undefined;
  readonly body: unknown;
  /** The request's headers and body exactly as received, for a receiver that verifies the hub's signature itself (interlock assess). */
  readonly headers?: IncomingMessage['headers'];
  readonly rawBody?: string;
}

export interface SimServerDeps {
  readonly name: string;
  readonly limits: SimLimits;
  readonly clock: Clock;
  readonly log: Logger;
  /** Whether the simulator handles this operation; others are answered 501 (2002). */
  readonly handles: (operation: ResolvedOperation) => boolean;
  /** A checked request whose answer has been sent; failures are the handler's to log. */
  readonly onArrival: (arrival: Arrival) => void;
  /** A request that failed the checks, for the simulator's waiters (it is also answered and logged). */
  readonly onRefused: (operation: ResolvedOperation | undefined, failure: Failure) => void;
  /** HTTPS, asking for a client certificate of the scheme CA and accepting only the hub's. */
  readonly tls?: DfspTls;
}

const HEADER_BYTES_MAX = 16_384;

function answer(response: ServerResponse, status: number, body?: unknown): void {
  if (response.headersSent) return;
  if (body === undefined) {
    response.writeHead(status, { 'content-length': '0' }).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
}

function refuse(response: ServerResponse, failure: Failure): void {
  answer(response, httpStatusOf(failure), errorInformation(failure));
}

/** Why a request was refused, and its operation when the route was known. */
interface Refusal {
  readonly failure: Failure;
  readonly operation?: ResolvedOperation;
}

/** The request as an Arrival, or why it is refused: checked as an FSPIOP receiver checks it. */
function check(deps: SimServerDeps, request: IncomingMessage, rawBody: string): Result<Arrival, Refusal> {
  const { name, limits, clock } = deps;
  const target = request.url ?? '';
  const route = resolveOperation(request.method ?? '', target);
  if (!route.ok) return err({ failure: route.error });
  const operation = route.value;
  if (!deps.handles(operation)) return err({ failure: { code: '2002', detail: `${name} does not handle ${operation.key}` }, operation });
  const facts = validateRequestHeaders(
    { method: operation.method, resource: operation.resource, headers: request.headers },
    { nowMs: clock.nowMs(), dateSkewMsMax: limits.dateSkewMsMax },
  );
  if (!facts.ok) return err({ failure: facts.error, operation });
  // Every request the hub sends a DFSP names it: a forwarded one keeps the sender's, the hub's own set it.
  if (facts.value.destination !== name) return err({ failure: { code: '3100', detail: `FSPIOP-Destination is not ${name}` }, operation });
  let body: unknown = undefined;
  if (rawBody !== '') {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return err({ failure: { code: '3101', detail: 'the body is not valid JSON' }, operation });
    }
  }
  const valid = validateBody(operation.key, body, facts.value.contentVersion);
  if (!valid.ok) return err({ failure: valid.error, operation });
  return ok({ operation, path: target.split('?')[0] ?? target, source: facts.value.source, destination: facts.value.destination, body, headers: request.headers, rawBody });
}

/** Reads a request within its size bound, answers it at once and hands the checked arrival on. */
function handlerOf(deps: SimServerDeps) {
  const { name, limits, log } = deps;
  return (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      bytes += chunk.length;
      if (bytes > limits.bodyBytesMax) {
        tooLarge = true;
        chunks.length = 0;
        // Answered at once; the rest of the body is read and dropped (closing mid-body would lose the answer
        // to a reset), within the time allowed for the whole request.
        refuse(response, { code: '3104', detail: `the body exceeds ${limits.bodyBytesMax} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => undefined);
    request.on('end', () => {
      if (tooLarge) return;
      const checked = check(deps, request, Buffer.concat(chunks).toString('utf8'));
      if (!checked.ok) {
        const { failure, operation } = checked.error;
        log.warn({ dfsp: name, method: request.method, code: failure.code, detail: failure.detail }, 'simulator refused a request from the hub');
        refuse(response, failure);
        deps.onRefused(operation, failure);
        return;
      }
      const arrival = checked.value;
      answer(response, arrival.operation.method === 'PUT' || arrival.operation.method === 'PATCH' ? 200 : 202);
      deps.onArrival(arrival);
    });
  };
}

export function createSimServer(deps: SimServerDeps): Server {
  const { name, limits, log } = deps;
  const httpOptions = {
    requestTimeout: limits.receiveTimeoutMs,
    headersTimeout: Math.min(limits.receiveTimeoutMs, 60_000),
    maxHeaderSize: HEADER_BYTES_MAX,
    // A repeated Content-Type or FSPIOP-Source is joined and then fails its check, rather than first-one-wins.
    joinDuplicateHeaders: true,
  };
  const handler = handlerOf(deps);
  if (deps.tls === undefined) return createServer(httpOptions, handler);
  const server = createHttpsServer({
    ...httpOptions, ...TLS_POLICY, ...CLIENT_CERTIFICATE_REQUIRED,
    key: deps.tls.keyPem, cert: deps.tls.certificateChainPem, ca: [...deps.tls.caPems],
  }, handler);
  // Only the hub calls a DFSP: a connection with any other participant's certificate is closed.
  server.on('secureConnection', (socket: TLSSocket) => {
    const certificate = socket.getPeerX509Certificate();
    if (certificate === undefined || fspIdOfCertificate(new Uint8Array(certificate.raw)) !== HUB_PARTICIPANT_NAME) {
      log.warn({ dfsp: name, remoteAddress: socket.remoteAddress }, 'simulator closed a TLS connection whose certificate is not the hub\'s');
      socket.destroy();
    }
  });
  return server;
}

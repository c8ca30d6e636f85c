// Connection-level limits of an HTTP(S) listener: how long a client may take
// to finish its TLS handshake, its headers, its whole request, and to read its
// answer; how long an idle keep-alive connection stays; how large its headers
// may be. A client over a limit is cut off by Node, and each cut is a security
// event ('slow-client' or 'request-too-large') naming the limit and the address.
//
// What enforces what (Node 24, verified by connection_limits.test.ts):
//   handshakeTimeout   tls.Server constructor option only. On expiry the https server
//                      emits 'clientError' (then 'tlsClientError') with ERR_TLS_HANDSHAKE_TIMEOUT.
//   headersTimeout     from a request's first byte (the connection's start for the first
//   requestTimeout     request) to its last header byte / last body byte. Node checks the
//                      open connections every connectionsCheckingInterval (constructor option
//                      only, default 30 s: it is the granularity of both timeouts) and emits
//                      'clientError' with ERR_HTTP_REQUEST_TIMEOUT for either, so the guard
//                      tells them apart by whether the request's headers had arrived.
//   keepAliveTimeout   an idle connection between requests is closed (not an event).
//   server timeout     (server.setTimeout; Fastify's connectionTimeout) no byte either way
//                      for that long: the socket's 'timeout'. An event when the client stopped
//                      sending its request, or stopped reading its answer.
//   maxHeaderSize      constructor option; over it the parser emits 'clientError' with
//                      HPE_HEADER_OVERFLOW.
//
// With a 'clientError' listener Node no longer answers or closes by itself, so
// the guard answers the errors it knows (408, 431, 413 with an FSPIOP
// errorInformation body) and destroys the socket; it is prepended, so Fastify's
// own handler, which runs next, sees a destroyed socket and does nothing. Other
// client errors are left to the other listeners (or, when there is none, answered
// 400 and closed, as Node would).
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorInformation, type Failure } from '../../fspiop/index.ts';
import type { SecurityEvents } from '../../audit/index.ts';
import { connectionLimitsProblem, type ConnectionLimits } from '../../config/index.ts';

/** The server options these limits need at construction (https.createServer, Fastify `https`, or `http` without TLS). */
export type ConnectionServerOptions = Required<Pick<HttpsServerOptions,
  'handshakeTimeout' | 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval' | 'maxHeaderSize'>>;

function checked(limits: ConnectionLimits): ConnectionLimits {
  const problem = connectionLimitsProblem(limits);
  if (problem !== undefined) throw new RangeError(`connection limits: ${problem}`);
  return limits;
}

/** How often Node looks for connections past headersTimeout or requestTimeout: a tenth of the shorter, 10 ms to 1 s. */
export function checkingIntervalMs(limits: ConnectionLimits): number {
  return Math.min(1_000, Math.max(10, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10)));
}

/** Options for the server's constructor: some of these limits cannot be changed on a server once made. */
export function connectionServerOptions(limits: ConnectionLimits): ConnectionServerOptions {
  checked(limits);
  return {
    handshakeTimeout: limits.handshakeTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(limits),
    maxHeaderSize: limits.headerBytesMax,
  };
}

interface InFlight {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large',
};

/**
 * Enforces the limits on a server made with connectionServerOptions(limits) (after Fastify made it,
 * so that its settings of the same limits are replaced): sets the limits a server takes after
 * construction, and records a security event, and answers, for each client cut off.
 */
export function guardConnectionLimits(server: HttpServer | HttpsServer, limits: ConnectionLimits, securityEvents: SecurityEvents): void {
  checked(limits);
  // Constructor-only options: a server made without them would keep Node's defaults (30 s checks, 120 s handshakes).
  const made = server as unknown as { connectionsCheckingInterval?: unknown; maxHeaderSize?: unknown };
  if (made.connectionsCheckingInterval !== checkingIntervalMs(limits) || made.maxHeaderSize !== limits.headerBytesMax) {
    throw new Error('guardConnectionLimits: the server was not created with connectionServerOptions(limits)');
  }
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.idleSocketTimeoutMs);

  /** The request a connection is in, from its complete headers until its answer is sent or the connection closes. */
  const inFlight = new WeakMap<Duplex, InFlight>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, { request, response });
    response.once('close', () => { if (inFlight.get(socket)?.response === response) inFlight.delete(socket); });
  });

  const addressOf = (socket: Duplex): string => (socket instanceof Socket ? socket.remoteAddress : undefined) ?? 'unknown';

  /** Node's own way: answer only if nothing of a response went out on the connection yet, then close it. */
  function refuse(socket: Duplex, status: number, failure: Failure): void {
    const response = inFlight.get(socket)?.response;
    if (socket.writable && response?.headersSent !== true) {
      const body = JSON.stringify(errorInformation(failure));
      socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  }

  server.prependListener('clientError', (error: Error & { code?: unknown }, socket: Duplex) => {
    const sourceAddress = addressOf(socket);
    switch (error.code) {
      case 'ERR_TLS_HANDSHAKE_TIMEOUT':
        securityEvents.record({ kind: 'slow-client', reason: `TLS handshake not complete within ${limits.handshakeTimeoutMs} ms`, sourceAddress });
        socket.destroy();
        return;
      case 'ERR_HTTP_REQUEST_TIMEOUT': {
        const headersDone = inFlight.has(socket);
        const reason = headersDone ? `request not complete within ${limits.requestTimeoutMs} ms` : `headers not complete within ${limits.headersTimeoutMs} ms`;
        securityEvents.record({ kind: 'slow-client', reason, sourceAddress });
        refuse(socket, 408, { code: '3000', detail: headersDone ? 'the request was not received in time' : 'the request headers were not received in time' });
        return;
      }
      case 'HPE_HEADER_OVERFLOW':
        securityEvents.record({ kind: 'request-too-large', reason: `headers over ${limits.headerBytesMax} bytes`, sourceAddress });
        refuse(socket, 431, { code: '3000', detail: `the request headers exceed ${limits.headerBytesMax} bytes` });
        return;
      case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
        securityEvents.record({ kind: 'request-too-large', reason: 'chunk extensions over the parser limit', sourceAddress });
        refuse(socket, 413, { code: '3104', detail: 'the chunk extensions are too large' });
        return;
      default:
        // Ours is the only listener: do what Node does without one.
        if (server.listenerCount('clientError') === 1) {
          if (typeof error.code === 'string' && error.code.startsWith('HPE_')) refuse(socket, 400, { code: '3101', detail: 'the request is not valid HTTP' });
          else socket.destroy();
        }
    }
  });

  // No byte either way for idleSocketTimeoutMs. With a 'timeout' listener Node leaves the closing to it.
  server.on('timeout', (socket: Duplex) => {
    const current = inFlight.get(socket);
    const sourceAddress = addressOf(socket);
    if (current !== undefined && !current.request.complete) {
      securityEvents.record({ kind: 'slow-client', reason: `no request bytes for ${limits.idleSocketTimeoutMs} ms`, sourceAddress });
    } else if (current?.response.writableEnded === true && !current.response.writableFinished) {
      securityEvents.record({ kind: 'slow-client', reason: `answer not read within ${limits.idleSocketTimeoutMs} ms`, sourceAddress });
    }
    // Otherwise an idle keep-alive connection, or the hub itself was slow to answer: not the client's doing.
    socket.destroy();
  });
}

// Connection-level limits against hostile clients, on real loopback listeners
// built the way the FSPIOP API is (Fastify, plain HTTP and HTTPS): slow-loris
// headers, a trickled body, a TLS client that never says hello, a client that
// never reads its answer, oversized headers, and bodies over Fastify's bodyLimit
// by Content-Length and by chunks. Timeouts are a few hundred ms so the file runs
// in seconds; nothing here asserts how fast anything is, only what was cut off.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { testTlsOf, type TestTls } from '../../testing/scheme_pki.ts';
import { capturedSecurityEvents, type SecurityEvent } from '../../audit/index.ts';
import { connectionLimitsProblem, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../../config/index.ts';
import { checkingIntervalMs, connectionServerOptions, guardConnectionLimits } from './connection_limits.ts';

const LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 400,
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 1_500,
  idleSocketTimeoutMs: 0,
  headerBytesMax: 4_096,
};
const BODY_BYTES_MAX = 1_024;

interface Listener {
  readonly app: FastifyInstance<HttpServer | HttpsServer>;
  readonly port: number;
  readonly events: SecurityEvent[];
  /** Requests whose handler ran. */
  handled: number;
  close(): Promise<void>;
}

/** The FSPIOP listener's recipe: Fastify with the connection limits' server options, then the guard. */
async function listener(options: { tls?: TestTls; limits?: ConnectionLimits; bigAnswerBytes?: number } = {}): Promise<Listener> {
  const limits = options.limits ?? LIMITS;
  const captured = capturedSecurityEvents();
  const server = connectionServerOptions(limits);
  const app: FastifyInstance<HttpServer | HttpsServer> = options.tls === undefined
    ? Fastify({ http: { ...server, joinDuplicateHeaders: true }, bodyLimit: BODY_BYTES_MAX })
    : Fastify({ https: { key: options.tls.keyPem, cert: options.tls.certificateChainPem, ...server, joinDuplicateHeaders: true }, bodyLimit: BODY_BYTES_MAX });
  guardConnectionLimits(app.server, limits, captured);
  const state = { handled: 0 };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body); });
  app.setErrorHandler((error: { code?: string }, _request, reply) =>
    reply.code(error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : 500).send({ code: error.code ?? 'unknown' }));
  app.route({
    method: ['GET', 'POST'], url: '/*',
    handler: (request, reply) => {
      state.handled += 1;
      if (request.url === '/big') return reply.send(Buffer.alloc(options.bigAnswerBytes ?? 0, 0x61));
      return reply.send({ bytes: Buffer.isBuffer(request.body) ? request.body.length : 0 });
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app, events: captured.events, port: (app.server.address() as AddressInfo).port,
    get handled() { return state.handled; }, set handled(value) { state.handled = value; },
    close: () => app.close(),
  };
}

interface Outcome {
  /** Everything the server sent. */
  readonly received: string;
  readonly transportError: string | undefined;
}

/** Resolves when the connection closes, with what the server sent. */
function outcomeOf(socket: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let transportError: string | undefined;
    socket.on('data', (chunk: Buffer) => { chunks.push(chunk); });
    socket.on('error', (error: NodeJS.ErrnoException) => { transportError = error.code ?? error.message; });
    socket.on('close', () => { resolve({ received: Buffer.concat(chunks).toString('latin1'), transportError }); });
  });
}

function plain(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => { resolve(socket); });
    socket.once('error', reject);
  });
}

function secure(port: number, tls: TestTls): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: [...tls.caPems] }, () => { resolve(socket); });
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `everyMs` until it is all sent or the connection is gone; how many bytes went. */
function drip(socket: Socket, text: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || !socket.writable || sent >= text.length) {
        clearInterval(timer);
        resolve(sent);
        return;
      }
      socket.write(text.charAt(sent));
      sent += 1;
    }, everyMs);
  });
}

const statusLineOf = (received: string): string => received.split('\r\n')[0] ?? '';
const bodyOf = (received: string): string => received.slice(received.indexOf('\r\n\r\n') + 4);
const HEAD = 'GET /parties/MSISDN/1 HTTP/1.1\r\nHost: localhost\r\nX-Padding: ' + 'p'.repeat(200) + '\r\n\r\n';

let tls: TestTls;
let http: Listener;
let https: Listener;

before(async () => {
  tls = await testTlsOf('limitshub');
  http = await listener();
  https = await listener({ tls });
});

after(async () => {
  await http.close();
  await https.close();
});

function resetCounts(): void {
  for (const l of [http, https]) {
    l.events.length = 0;
    l.handled = 0;
  }
}

test('a normal client is unaffected: requests on one keep-alive connection, spread over longer than the headers timeout', async () => {
  resetCounts();
  for (const target of [http, https]) {
    const socket = target === http ? await plain(target.port) : await secure(target.port, tls);
    const outcome = outcomeOf(socket);
    socket.write('POST /transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}');
    await new Promise((resolve) => setTimeout(resolve, LIMITS.headersTimeoutMs + 200));
    socket.write('GET /transfers/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const { received } = await outcome;
    assert.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 2, received);
    assert.match(received, /\{"bytes":11\}/);
  }
  assert.equal(http.handled + https.handled, 4);
  assert.deepEqual([...http.events, ...https.events], []);
});

test('slow loris: headers sent a byte at a time are cut at headersTimeout, answered 408, and recorded', async () => {
  resetCounts();
  for (const target of [http, https]) {
    const socket = target === http ? await plain(target.port) : await secure(target.port, tls);
    const outcome = outcomeOf(socket);
    const sent = await drip(socket, HEAD, 20);
    const { received } = await outcome;
    assert.ok(sent < HEAD.length, `cut off before the headers were complete (${sent} of ${HEAD.length} bytes)`);
    assert.equal(statusLineOf(received), 'HTTP/1.1 408 Request Timeout');
    assert.equal((JSON.parse(bodyOf(received)) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3000');
    assert.deepEqual(target.events, [{ kind: 'slow-client', reason: `headers not complete within ${LIMITS.headersTimeoutMs} ms`, sourceAddress: '127.0.0.1' }]);
    assert.equal(target.handled, 0);
  }
});

test('a connection that sends nothing at all is closed at headersTimeout, and recorded', async () => {
  resetCounts();
  const socket = await plain(http.port);
  const { received } = await outcomeOf(socket);
  assert.equal(statusLineOf(received), 'HTTP/1.1 408 Request Timeout');
  assert.equal(http.events.length, 1);
  assert.equal(http.events[0]?.reason, `headers not complete within ${LIMITS.headersTimeoutMs} ms`);
});

test('a body trickled after complete headers is cut at requestTimeout, answered 408, and recorded', async () => {
  resetCounts();
  for (const target of [http, https]) {
    const socket = target === http ? await plain(target.port) : await secure(target.port, tls);
    const outcome = outcomeOf(socket);
    const body = '{"padding":"' + 'x'.repeat(200) + '"}';
    socket.write(`POST /transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const sent = await drip(socket, body, 20);
    const { received } = await outcome;
    assert.ok(sent < body.length, `cut off before the body was complete (${sent} of ${body.length} bytes)`);
    assert.equal(statusLineOf(received), 'HTTP/1.1 408 Request Timeout');
    assert.deepEqual(target.events, [{ kind: 'slow-client', reason: `request not complete within ${LIMITS.requestTimeoutMs} ms`, sourceAddress: '127.0.0.1' }]);
    assert.equal(target.handled, 0, 'the handler never saw the request');
  }
});

test('TLS: a client that connects and never sends its ClientHello is dropped at handshakeTimeout, and recorded', async () => {
  resetCounts();
  const socket = await plain(https.port);
  const { received } = await outcomeOf(socket);
  assert.equal(received, '', 'nothing is answered on a connection that never began TLS');
  assert.deepEqual(https.events, [{ kind: 'slow-client', reason: `TLS handshake not complete within ${LIMITS.handshakeTimeoutMs} ms`, sourceAddress: '127.0.0.1' }]);
});

test('TLS: a handshake dripped a byte at a time is dropped at handshakeTimeout', async () => {
  resetCounts();
  // A real ClientHello, captured from a TLS client, then sent slowly.
  const hello = await new Promise<Buffer>((resolve) => {
    const capture = createHttpServer();
    capture.on('connection', (socket: Socket) => { socket.once('data', (chunk: Buffer) => { resolve(chunk); socket.destroy(); capture.close(); }); });
    capture.listen(0, '127.0.0.1', () => {
      const client = tlsConnect({ host: '127.0.0.1', port: (capture.address() as AddressInfo).port, servername: 'localhost' });
      client.on('error', () => { /* the capture server hangs up */ });
    });
  });
  const socket = await plain(https.port);
  const outcome = outcomeOf(socket);
  const sent = await drip(socket, hello.toString('latin1'), 20);
  await outcome;
  assert.ok(sent < hello.length);
  assert.equal(https.events.length, 1);
  assert.equal(https.events[0]?.reason, `TLS handshake not complete within ${LIMITS.handshakeTimeoutMs} ms`);
});

test('headers over headerBytesMax are answered 431 and recorded as request-too-large', async () => {
  resetCounts();
  for (const target of [http, https]) {
    const socket = target === http ? await plain(target.port) : await secure(target.port, tls);
    const outcome = outcomeOf(socket);
    socket.write(`GET /parties/MSISDN/1 HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(LIMITS.headerBytesMax)}\r\n\r\n`);
    const { received } = await outcome;
    assert.equal(statusLineOf(received), 'HTTP/1.1 431 Request Header Fields Too Large');
    const answer = JSON.parse(bodyOf(received)) as { errorInformation: { errorCode: string; errorDescription: string } };
    assert.equal(answer.errorInformation.errorCode, '3000');
    assert.match(answer.errorInformation.errorDescription, /headers exceed 4096 bytes/);
    assert.deepEqual(target.events, [{ kind: 'request-too-large', reason: `headers over ${LIMITS.headerBytesMax} bytes`, sourceAddress: '127.0.0.1' }]);
    assert.equal(target.handled, 0);
  }
  // Just under the limit is fine.
  const socket = await plain(http.port);
  const outcome = outcomeOf(socket);
  socket.write(`GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: ${'b'.repeat(LIMITS.headerBytesMax - 200)}\r\n\r\n`);
  assert.equal(statusLineOf((await outcome).received), 'HTTP/1.1 200 OK');
});

test('a client that never reads its answer is cut at idleSocketTimeoutMs, and recorded', async () => {
  // 64 MiB answer: more than the loopback socket buffers hold, so the server's writes stall.
  const slowReader = await listener({ limits: { ...LIMITS, idleSocketTimeoutMs: 300 }, bigAnswerBytes: 64 * 1_048_576 });
  try {
    const socket = await plain(slowReader.port);
    socket.pause();
    const closed = new Promise((resolve) => { socket.on('close', resolve); });
    socket.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
    // Reading resumes only once the server has given up on the client (or after 10 s, and the test fails):
    // a fixed pause lost the race on a loaded machine, whose timers can fire late.
    for (let waitedMs = 0; slowReader.events.length === 0 && waitedMs < 10_000; waitedMs += 50) {
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
    socket.resume();
    let read = 0;
    socket.on('data', (chunk: Buffer) => { read += chunk.length; });
    await closed;
    assert.ok(read < 64 * 1_048_576, 'the answer was not delivered whole');
    assert.deepEqual(slowReader.events, [{ kind: 'slow-client', reason: 'answer not read within 300 ms', sourceAddress: '127.0.0.1' }]);
  } finally {
    await slowReader.close();
  }
});

test('body size: a Content-Length over bodyLimit is refused 413 before any body byte is read', async () => {
  resetCounts();
  const socket = await plain(http.port);
  const outcome = outcomeOf(socket);
  // No body is sent: if Fastify waited for it, the answer would be requestTimeout's 408.
  socket.write(`POST /transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${BODY_BYTES_MAX * 100}\r\n\r\n`);
  const { received } = await outcome;
  assert.equal(statusLineOf(received), 'HTTP/1.1 413 Payload Too Large');
  assert.match(received, /\r\nconnection: close\r\n/i, 'the connection is closed: the rest of the body is never read');
  assert.match(received, /FST_ERR_CTP_BODY_TOO_LARGE/);
  assert.equal(http.handled, 0);
  assert.deepEqual(http.events, []);
});

test('body size: a chunked body is refused 413 as soon as it passes bodyLimit, and the connection closed', async () => {
  resetCounts();
  const socket = await plain(http.port);
  const outcome = outcomeOf(socket);
  socket.write('POST /transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
  // Up to 4 MiB in 256-byte chunks, one per tick, for as long as the server takes them.
  const chunk = `100\r\n${'c'.repeat(256)}\r\n`;
  let sent = 0;
  while (sent < 4 * 1_048_576 && !socket.destroyed && socket.writable) {
    socket.write(chunk);
    sent += 256;
    await new Promise((resolve) => { setImmediate(resolve); });
  }
  const { received } = await outcome;
  assert.equal(statusLineOf(received), 'HTTP/1.1 413 Payload Too Large');
  assert.match(received, /\r\nconnection: close\r\n/i);
  assert.ok(sent < 4 * 1_048_576, `the server hung up long before the client was done (${sent} bytes sent)`);
  assert.equal(http.handled, 0);
  // Just under the limit, chunked, is accepted.
  const ok = await plain(http.port);
  const okOutcome = outcomeOf(ok);
  const body = 'd'.repeat(BODY_BYTES_MAX);
  ok.write(`POST /transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n200\r\n${body.slice(0, 512)}\r\n200\r\n${body.slice(512)}\r\n0\r\n\r\n`);
  const okReceived = (await okOutcome).received;
  assert.equal(statusLineOf(okReceived), 'HTTP/1.1 200 OK');
  assert.match(okReceived, /\{"bytes":1024\}/);
});

test('a malformed request is still answered 400 and closed when the guard is the only clientError listener', async () => {
  const server = createHttpServer(connectionServerOptions(LIMITS), (_request, response) => { response.end('ok'); });
  const captured = capturedSecurityEvents();
  guardConnectionLimits(server, LIMITS, captured);
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  try {
    const socket = await plain((server.address() as AddressInfo).port);
    const outcome = outcomeOf(socket);
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    assert.equal(statusLineOf((await outcome).received), 'HTTP/1.1 400 Bad Request');
    assert.deepEqual(captured.events, []);
  } finally {
    await new Promise((resolve) => { server.close(resolve); });
  }
});

test('the guard refuses a server made without connectionServerOptions, and invalid limits', () => {
  const events = capturedSecurityEvents();
  assert.throws(() => { guardConnectionLimits(createHttpServer(), LIMITS, events); }, /not created with connectionServerOptions/);
  assert.throws(() => { guardConnectionLimits(createHttpServer({ ...connectionServerOptions(LIMITS), maxHeaderSize: 65_536 }), LIMITS, events); }, /not created with connectionServerOptions/);
  assert.equal(connectionLimitsProblem(DEFAULT_CONNECTION_LIMITS), undefined);
  assert.equal(connectionLimitsProblem(LIMITS), undefined);
  assert.match(connectionLimitsProblem({ ...LIMITS, headersTimeoutMs: 900 }) ?? '', /headersTimeoutMs must not exceed requestTimeoutMs/);
  assert.match(connectionLimitsProblem({ ...LIMITS, handshakeTimeoutMs: 0 }) ?? '', /handshakeTimeoutMs/);
  assert.match(connectionLimitsProblem({ ...LIMITS, idleSocketTimeoutMs: 10 }) ?? '', /idleSocketTimeoutMs/);
  assert.match(connectionLimitsProblem({ ...LIMITS, headerBytesMax: 100 }) ?? '', /headerBytesMax/);
  assert.match(connectionLimitsProblem({ ...LIMITS, keepAliveTimeoutMs: 1.5 }) ?? '', /keepAliveTimeoutMs/);
  assert.throws(() => connectionServerOptions({ ...LIMITS, requestTimeoutMs: 100 }), RangeError);
  // Node checks for late requests a tenth of the shorter timeout apart, 10 ms to 1 s.
  assert.equal(checkingIntervalMs(LIMITS), 40);
  assert.equal(checkingIntervalMs(DEFAULT_CONNECTION_LIMITS), 500);
  assert.equal(checkingIntervalMs({ ...LIMITS, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 }), 1_000);
  assert.equal(checkingIntervalMs({ ...LIMITS, headersTimeoutMs: 50 }), 10);
});

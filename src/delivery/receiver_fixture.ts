// For the delivery tests: a participant's callback receiver on 127.0.0.1 that
// records every request byte for byte and answers as the test says, and a
// clock the tests move by hand.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { capturedSecurityEvents } from '../audit/index.ts';
import { createParticipantRegistry } from '../participants/index.ts';
import type { Storage } from '../storage/index.ts';
import type { Clock } from '../support/index.ts';
import { createLogger, type Logger } from '../support/index.ts';
import { DEFAULT_CALLBACK_NETWORKS } from '../config/index.ts';
import { createCallbackAddressPolicy } from './callback_addresses.ts';

/** The receivers here listen on loopback: the delivery tests allow it, as the demo and simulators do. */
export const LOOPBACK_CALLBACKS = createCallbackAddressPolicy({ networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback: true }, () => []);

/** What a test worker needs beyond storage, clock and log: the loopback policy and a place for its security events. */
export function testWorkerControls() {
  return { callbackAddresses: LOOPBACK_CALLBACKS, securityEvents: capturedSecurityEvents() };
}

export interface Receipt {
  method: string;
  /** The request target exactly as sent (path, still percent-encoded). */
  url: string;
  /** Header names and values in the order they came, names as sent. */
  rawHeaders: [string, string][];
  body: Buffer;
}

/**
 * How to answer one request: a status (with headers, after a delay, with a body or one that never
 * ends), or never (the connection hangs until the client gives up or the test ends).
 */
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number; body?: string; endless?: boolean } | 'hang';

export interface Receiver {
  readonly baseUrl: string;
  readonly receipts: Receipt[];
  /** Replies for the next requests, in order; when none is left, `fallback` answers. */
  replies: Reply[];
  fallback: Reply;
  /** Requests being answered at this moment, and the most there ever were at once. */
  readonly concurrent: { now: number; max: number };
  /** Connections accepted, and (over https) how many of them resumed an earlier TLS session. */
  readonly connections: { opened: number; resumed: number };
  /** Closes every open connection, keeping the server listening. */
  dropConnections(): void;
  /** Resolves once no request is being answered (every connection of an answered or hung request closed). */
  idle(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** With `tls`, the receiver speaks HTTPS with that certificate. */
export async function startReceiver(tls?: { cert: string; key: string }): Promise<Receiver> {
  const concurrent = { now: 0, max: 0 };
  const connections = { opened: 0, resumed: 0 };
  let idleWaiters: (() => void)[] = [];
  const finished = () => {
    concurrent.now -= 1;
    if (concurrent.now > 0) return;
    for (const wake of idleWaiters) wake();
    idleWaiters = [];
  };
  const receiver = {
    baseUrl: '',
    receipts: [] as Receipt[],
    replies: [] as Reply[],
    fallback: { status: 200 } as Reply,
    concurrent,
    connections,
    dropConnections: (): void => undefined,
    idle: () => (concurrent.now === 0 ? Promise.resolve() : new Promise<void>((resolve) => { idleWaiters.push(resolve); })),
    reset() {
      this.receipts.length = 0;
      this.replies = [];
      this.fallback = { status: 200 };
      concurrent.max = concurrent.now;
    },
    close: () => Promise.resolve(),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    concurrent.now += 1;
    concurrent.max = Math.max(concurrent.max, concurrent.now);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawHeaders: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      receiver.receipts.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders, body: Buffer.concat(chunks) });
      const reply = receiver.replies.shift() ?? receiver.fallback;
      if (reply === 'hang') {
        res.on('close', finished);
        return;
      }
      setTimeout(() => {
        res.writeHead(reply.status, reply.headers);
        if (reply.endless === true) {
          const chunk = Buffer.alloc(16 * 1024, 'x');
          const more = () => { while (!res.destroyed && res.write(chunk)) { /* until the socket pushes back */ } };
          res.on('drain', more);
          res.on('close', finished);
          more();
          return;
        }
        res.end(reply.body);
        finished();
      }, reply.delayMs ?? 0);
    });
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler);
  // Over https a connection counts once its handshake is done, which says whether it resumed a session.
  server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    connections.opened += 1;
    if (socket instanceof TLSSocket && socket.isSessionReused()) connections.resumed += 1;
  });
  receiver.dropConnections = () => { server.closeAllConnections(); };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.baseUrl = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  };
  return receiver;
}

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(startMs = 1_750_000_000_000): ManualClock {
  let nowMs = startMs;
  return {
    nowMs: () => nowMs,
    advance: (ms) => { nowMs += ms; },
    set: (ms) => { nowMs = ms; },
  };
}

/** A logger whose JSON lines land in `lines`. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('debug', { write: (line: string) => { lines.push(line); } }), lines };
}

/** Sets an endpoint through the registry, which checks the template as an operator's request would be. */
export async function setEndpoint(storage: Storage, clock: Clock, name: string, type: string, value: string): Promise<void> {
  const registry = createParticipantRegistry({ db: storage.db, engine: storage.engine, clock });
  const result = await registry.setEndpoint(name, type, value);
  if (!result.ok) throw new Error(`setEndpoint ${type}: ${result.error.detail}`);
}


// A test participant of the assessment: onboarded through the admin API by
// the simulator's own onboarding code (a scheme CA certificate from a CSR,
// a signing key, callback endpoints, a net debit cap and a test funds-in,
// each sensitive step made by the automation maker and approved by its
// checker), with a receiver for the hub's callbacks (the simulator's server,
// which records what arrives instead of answering it: the probes play the
// DFSP by hand) and a token source bound to its certificate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AdminClient } from '../demo/index.ts';
import { onboardDfsp } from '../demo/index.ts';
import type { ResolvedOperation, FspiopMethod, FspiopResource } from '../fspiop/index.ts';
import { enrolDfspTls, ephemeralDfspCredentials, signingPublicKeyPem, DEFAULT_SIM_LIMITS, type DfspCredentials, type DfspTls, createAccessTokenSource, type AccessTokenSource, createSimServer, type Arrival } from '../sim/index.ts';
import { systemClock } from '../support/index.ts';
import type { Logger } from '../support/index.ts';
import { clientTlsOf, fspiopConnection, messageHeaders, signBodyText, type FspiopConnection, type MessageParts, type RawAnswer } from './fspiop_client.ts';
import { ASSESS_LIMITS } from './limits.ts';
import { sdkStableJson } from '../ilp/index.ts';

export interface TestParticipant {
  readonly name: string;
  readonly credentials: DfspCredentials;
  readonly tls: DfspTls;
  /** Where the hub's callbacks for it arrive. */
  readonly callbackUrl: string;
  readonly connection: FspiopConnection;
  readonly tokens: AccessTokenSource;
  /** Everything the hub sent it so far, oldest first. */
  readonly arrivals: readonly Arrival[];
  /** Resolves with the first arrival (already there or to come) that `matches`, or undefined after ASSESS_LIMITS.callbackWaitMs. */
  waitFor(matches: (arrival: Arrival) => boolean, waitMs?: number): Promise<Arrival | undefined>;
  /** A signed FSPIOP request as a correct DFSP sends it; `tamper` changes what goes out after signing. */
  send(request: SendRequest): Promise<RawAnswer>;
  close(): Promise<void>;
}

export interface SendRequest {
  readonly resource: FspiopResource;
  readonly method: FspiopMethod;
  readonly uri: string;
  readonly destination: string | undefined;
  /** A JSON value (serialised as the simulator signs it) or the exact text to sign and send. */
  readonly body?: unknown;
  readonly bodyText?: string;
  /** Changes made after signing: headers replaced or removed (undefined), the body bytes replaced, no token. */
  readonly tamper?: {
    readonly headers?: Readonly<Record<string, string | undefined>>;
    readonly body?: Buffer;
    readonly token?: string | null;
    readonly nowMs?: number;
    readonly source?: string;
  };
  /** Another connection (another certificate) to send it on. */
  readonly via?: FspiopConnection;
}

export interface OnboardOptions {
  readonly admin: AdminClient;
  readonly hubFspiopUrl: string;
  readonly name: string;
  readonly currency: string;
  /** Net debit cap and funds in: a test amount. */
  readonly testAmount: string;
  readonly callbackHost: string;
  readonly log: Logger;
}

/** What the hub sent a participant, and waits for what it is yet to send. */
function arrivalLog() {
  const arrivals: Arrival[] = [];
  const waiters = new Set<{ matches: (arrival: Arrival) => boolean; resolve: (arrival: Arrival | undefined) => void }>();
  return {
    arrivals,
    onArrival: (arrival: Arrival): void => {
      if (arrivals.length < ASSESS_LIMITS.arrivalsMax) arrivals.push(arrival);
      for (const waiter of waiters) {
        if (waiter.matches(arrival)) {
          waiters.delete(waiter);
          waiter.resolve(arrival);
        }
      }
    },
    waitFor: (matches: (arrival: Arrival) => boolean, waitMs: number = ASSESS_LIMITS.callbackWaitMs): Promise<Arrival | undefined> => {
      const found = arrivals.find(matches);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => {
        const waiter = { matches, resolve: (arrival: Arrival | undefined) => { clearTimeout(timer); resolve(arrival); } };
        const timer = setTimeout(() => { waiters.delete(waiter); resolve(undefined); }, waitMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Starts the receiver on a free port of `callbackHost`; its base URL. */
async function listenForCallbacks(server: Server, callbackHost: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, callbackHost, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const host = callbackHost.includes(':') ? `[${callbackHost}]` : callbackHost;
  return `https://${host}:${port}`;
}

interface Sender {
  readonly name: string;
  readonly credentials: DfspCredentials;
  readonly tokens: AccessTokenSource;
  readonly connection: FspiopConnection;
}

/** A signed FSPIOP request as a correct DFSP sends it, with the request's tampering applied after signing. */
async function sendSigned({ name, credentials, tokens, connection }: Sender, request: SendRequest): Promise<RawAnswer> {
  const tamper = request.tamper ?? {};
  const parts: MessageParts = { resource: request.resource, method: request.method, uri: request.uri, source: tamper.source ?? name, destination: request.destination, nowMs: tamper.nowMs ?? Date.now() };
  const token = tamper.token === null ? undefined : tamper.token ?? await tokens.token();
  const headers = new Map(Object.entries(messageHeaders(parts, token)));
  let body: Buffer | undefined;
  const text = request.bodyText ?? (request.body === undefined ? undefined : sdkStableJson(request.body));
  if (text !== undefined) {
    headers.set('fspiop-signature', await signBodyText({ ...parts, date: headers.get('date') ?? '' }, text, credentials.signingKey));
    body = Buffer.from(text, 'utf8');
  }
  for (const [header, value] of Object.entries(tamper.headers ?? {})) {
    if (value === undefined) headers.delete(header);
    else headers.set(header, value);
  }
  if (tamper.body !== undefined) body = tamper.body;
  return (request.via ?? connection).send({ method: request.method, path: request.uri, headers: Object.fromEntries(headers), body });
}

/** Onboards a test participant and starts its receiver; `close()` stops the receiver (cleanup on the hub is separate). */
export async function onboardTestParticipant(options: OnboardOptions): Promise<TestParticipant> {
  const { admin, name, log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'interlock-assess-'));
  try {
    const credentials = await ephemeralDfspCredentials();
    const tls = await enrolDfspTls(admin, name, dir);
    const received = arrivalLog();
    const server: Server = createSimServer({
      name, limits: DEFAULT_SIM_LIMITS, clock: systemClock, log, tls,
      handles: () => true, onArrival: received.onArrival, onRefused: (_operation: ResolvedOperation | undefined) => undefined,
    });
    const callbackUrl = await listenForCallbacks(server, options.callbackHost);
    const closeServer = () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); });
    try {
      await onboardDfsp(admin, {
        name, currency: options.currency, netDebitCap: Number(options.testAmount), fundsIn: options.testAmount, callbackUrl, signingPublicKeyPem: signingPublicKeyPem(credentials),
      }, log);
    } catch (error) {
      await closeServer();
      throw error;
    }
    const connection = fspiopConnection(options.hubFspiopUrl, clientTlsOf(tls));
    const tokens = createAccessTokenSource({ fspId: name, hubFspiopUrl: options.hubFspiopUrl, tls, clock: systemClock });
    const sender: Sender = { name, credentials, tokens, connection };
    return {
      name, credentials, tls, callbackUrl, connection, tokens, arrivals: received.arrivals,
      waitFor: received.waitFor,
      send: (request) => sendSigned(sender, request),
      async close() {
        connection.close();
        await tokens.close();
        await closeServer();
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

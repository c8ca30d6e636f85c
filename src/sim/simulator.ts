// A simulated DFSP: a participant that answers the hub's lookups, quote
// requests and prepares correctly (ILP condition and fulfilment included), and
// drives lookups, quotes and transfers as a payer. For the demo, the tests and
// the benchmark; one per participant name, in the hub's process or its own.
import type { Server } from 'node:http';
import type { ResolvedOperation } from '../fspiop/index.ts';
import { isLoopbackHost, systemClock } from '../support/index.ts';
import { createHubClient, type HubRequest } from './hub_client.ts';
import { assertSimLimits, DEFAULT_SIM_LIMITS, type SimLimits } from './limits.ts';
import { createPayee } from './payee.ts';
import { callbackKey, createPayer, type QuoteInput, type QuoteResult, type TransferResult } from './payer.ts';
import { createPending } from './pending.ts';
import { createSimServer, type Arrival } from './server.ts';
import type { DfspCredentials, PartyAnswer, PrepareBody, SimulatedDfspOptions, TransferStateBody } from './types.ts';

export interface SimulatedDfsp {
  readonly name: string;
  /** What it signs with (its public key is what the hub must have registered). */
  readonly credentials: DfspCredentials;
  /** Base URL the simulator listens on, with the port actually bound. */
  readonly url: string;
  /** Registers every party with the hub; resolves once the hub has confirmed each one. */
  registerParties(): Promise<void>;
  lookup(partyIdType: string, partyIdentifier: string): Promise<PartyAnswer>;
  quote(input: QuoteInput): Promise<QuoteResult>;
  transfer(quote: QuoteResult, overrides?: Partial<PrepareBody>): Promise<TransferResult>;
  getTransfer(transferId: string, payeeFsp?: string): Promise<TransferStateBody>;
  /** Requests waiting for their callbacks. */
  pendingCount(): number;
  close(): Promise<void>;
}

/** Operations a DFSP receives from the hub and the simulator serves. */
const HANDLED: ReadonlySet<string> = new Set([
  'GET /parties/{Type}/{ID}', 'GET /parties/{Type}/{ID}/{SubId}', 'POST /quotes', 'POST /transfers', 'PATCH /transfers/{ID}',
  'PUT /participants/{Type}/{ID}', 'PUT /participants/{Type}/{ID}/error', 'PUT /participants/{Type}/{ID}/{SubId}', 'PUT /participants/{Type}/{ID}/{SubId}/error',
  'PUT /parties/{Type}/{ID}', 'PUT /parties/{Type}/{ID}/error', 'PUT /parties/{Type}/{ID}/{SubId}', 'PUT /parties/{Type}/{ID}/{SubId}/error',
  'PUT /quotes/{ID}', 'PUT /quotes/{ID}/error', 'PUT /transfers/{ID}', 'PUT /transfers/{ID}/error',
]);


/** The simulator's limits; crashes on options a simulator must not run with. */
function checkedLimits(options: SimulatedDfspOptions): SimLimits {
  const limits: SimLimits = { ...DEFAULT_SIM_LIMITS, ...options.limits };
  assertSimLimits(limits);
  if (!isLoopbackHost(options.listen.host)) throw new Error(`simulator ${options.name}: listen.host must be a loopback address (it is a simulator), not ${options.listen.host}`);
  if (options.ilpSecret.length === 0) throw new Error(`simulator ${options.name}: ilpSecret is empty`);
  return limits;
}

/** Starts listening where the options say; the base URL, with the port actually bound. */
async function listenAt(server: Server, options: SimulatedDfspOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.listen.port;
  const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  return `${options.credentials.tls === undefined ? 'http' : 'https'}://${host}:${port}`;
}

export async function createSimulatedDfsp(options: SimulatedDfspOptions): Promise<SimulatedDfsp> {
  const { name, log, onTraffic } = options;
  const limits = checkedLimits(options);
  const clock = options.clock ?? systemClock;

  const client = createHubClient({ name, hubFspiopUrl: options.hubFspiopUrl, limits, clock, signingKey: options.credentials.signingKey, tls: options.credentials.tls });
  const pending = createPending(limits);

  function tell(direction: 'sent' | 'received', method: string, path: string, source: string | undefined, destination: string | undefined, body: unknown): void {
    onTraffic?.({ dfsp: name, direction, method, path, source, destination, body });
  }

  async function send(request: HubRequest) {
    tell('sent', request.method, request.uri, name, request.destination, request.body);
    return client.send(request);
  }

  const payer = createPayer({ name, parties: options.parties, currency: options.currency, limits, clock, pending, send });
  const payee = createPayee({
    name, parties: options.parties, ilpSecret: options.ilpSecret, ilpVersion: options.ilpVersion, currency: options.currency, limits, clock, log,
    send: async (request) => (await send(request)).status,
  });

  function onArrival(arrival: Arrival): void {
    tell('received', arrival.operation.method, arrival.path, arrival.source, arrival.destination, arrival.body);
    const fail = (error: unknown) => { log.error({ dfsp: name, operation: arrival.operation.key, err: error }, 'simulator could not answer the hub'); };
    const key = arrival.operation.key;
    if (key === 'GET /parties/{Type}/{ID}' || key === 'GET /parties/{Type}/{ID}/{SubId}') {
      payee.answerLookup(arrival).catch(fail);
    } else if (key === 'POST /quotes') {
      payee.answerQuote(arrival).catch(fail);
    } else if (key === 'POST /transfers') {
      payee.answerPrepare(arrival).catch(fail);
    } else if (!payer.settle(arrival)) {
      // A callback settles the request waiting for it. An unexpected one (the hub's COMMITTED notice to the
      // payee, a PATCH, a late or repeated answer) needs nothing more than its 200.
      log.debug({ dfsp: name, operation: key, path: arrival.path }, 'callback with no request waiting for it');
    }
  }

  function onRefused(operation: ResolvedOperation | undefined, failure: { code: string; detail: string }): void {
    // A callback the simulator refused would otherwise leave its request waiting until the deadline.
    if (operation === undefined) return;
    const found = callbackKey({ operation, path: '', source: '', destination: undefined, body: undefined });
    if (found !== undefined) pending.reject(found.key, new Error(`${name} refused the hub's ${operation.key}: ${failure.code} ${failure.detail}`));
  }

  const server: Server = createSimServer({
    name, limits, clock, log, handles: (operation) => HANDLED.has(operation.key), onArrival, onRefused,
    ...(options.credentials.tls === undefined ? {} : { tls: options.credentials.tls }),
  });
  const url = await listenAt(server, options);
  log.debug({ dfsp: name, url, parties: options.parties.length, ilpVersion: options.ilpVersion }, 'simulated DFSP listening');

  return {
    name,
    credentials: options.credentials,
    url,
    registerParties: () => payer.registerParties(),
    lookup: (type, id) => payer.lookup(type, id),
    quote: (input) => payer.quote(input),
    transfer: (accepted, overrides) => payer.transfer(accepted, overrides),
    getTransfer: (transferId, payeeFsp) => payer.getTransfer(transferId, payeeFsp),
    pendingCount: () => pending.size(),
    async close() {
      pending.clear(`simulator ${name} closed`);
      await new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        server.closeAllConnections();
      });
      client.close();
    },
  };
}

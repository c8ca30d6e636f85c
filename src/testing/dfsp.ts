// DFSPs for end-to-end tests over HTTP: a DFSP's callback server that records
// what the hub sends, the onboarding of a scheme through the admin API (as an
// operator does it), and FSPIOP requests written the way a DFSP writes them.
// Shared by the end-to-end tests, whether the hub runs in the test's process
// (startHub) or as `interlock start` in a child process.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { signMessage } from '../signature/index.ts';
import { CLIENT_CERTIFICATE_REQUIRED, TLS_POLICY } from '../support/tls_policy.ts';
import { ilpPacketFor } from './ilp_fixture.ts';
import { testTlsOf } from './scheme_pki.ts';
import type { AdminClient } from './admin_client.ts';
import { sdkStableJson } from '../ilp/index.ts';
import { ephemeralDfspCredentials, signingPublicKeyPem, type DfspCredentials } from '../sim/index.ts';
import { createAccessTokenSource, type AccessTokenSource } from '../sim/access_token.ts';
import { systemClock } from '../support/clock.ts';

/** How long next() waits for a callback unless told otherwise. */
export const CALLBACK_WAIT_MS_DEFAULT = 10_000;

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface DfspServerOptions {
  /** Listen on this port (one reserved with freePort()); any free port otherwise. */
  port?: number;
  /** Start down: nothing listens until start(), so the hub's callbacks are refused (ECONNREFUSED). Needs `port`. */
  down?: boolean;
  /**
   * Called with each request once it is recorded, before it is answered; the answer waits for the
   * promise it returns. A promise that never settles makes a DFSP that never answers.
   */
  onRequest?: (received: Received) => void | Promise<void>;
  /** Plain HTTP, for a hub with fspiop.tls off; HTTPS with a scheme certificate, asking for the hub's, otherwise. */
  plainHttp?: boolean;
  /** Over HTTPS, present this key and certificate chain instead of the DFSP's own (a server posing as another). */
  presenting?: { readonly keyPem: string; readonly certificateChainPem: string };
}

export interface DfspServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly received: Received[];
  /** The first request (already received or still to come) that matches, within `timeoutMs`. */
  next(predicate: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Requests received so far that match. */
  count(predicate: (r: Received) => boolean): number;
  /** Starts listening (a server made with `down`). */
  start(): Promise<void>;
  /** Stops listening and drops open connections, answered or not. */
  close(): Promise<void>;
}

/** A loopback port that was free a moment ago: bound to port 0, read, and released. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null, 'a bound TCP server has an address');
  await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
  return address.port;
}

/**
 * DFSP `fspId`'s callback server: records what the hub sends; answers 200 to PUT and PATCH, 202
 * otherwise. Over HTTPS it presents `fspId`'s scheme certificate: the hub sends a callback only to a
 * server whose certificate names the recipient.
 */
export async function dfspServer(fspId: string, options: DfspServerOptions = {}): Promise<DfspServer> {
  assert.ok(options.down !== true || options.port !== undefined, 'a DFSP that starts down needs its port reserved');
  const received: Received[] = [];
  const waiters: { predicate: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  const tls = options.plainHttp === true ? undefined : { ...await testTlsOf(fspId), ...options.presenting };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      const entry: Received = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      for (const waiter of waiters.filter((w) => w.predicate(entry))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
      void Promise.resolve(options.onRequest?.(entry)).then(() => {
        response.statusCode = request.method === 'PUT' || request.method === 'PATCH' ? 200 : 202;
        response.end();
      });
    });
  };
  // A DFSP's server asks for the hub's client certificate and verifies it, as the hub does a DFSP's.
  const server: Server = tls === undefined ? createServer(handler) : createHttpsServer({
    ...TLS_POLICY, ...CLIENT_CERTIFICATE_REQUIRED, key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems],
  }, handler);
  let port = options.port ?? 0;
  let listening = false;
  async function start(): Promise<void> {
    assert.ok(!listening, 'the DFSP server is already listening');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    listening = true;
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null, 'a listening server has an address');
    port = address.port;
  }
  if (options.down !== true) await start();
  return {
    get url() { return `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`; },
    get port() { return port; },
    received,
    next(predicate, timeoutMs = CALLBACK_WAIT_MS_DEFAULT) {
      const seen = received.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index === -1) return;
          waiters.splice(index, 1);
          reject(new Error(`no such request reached the DFSP at ${port} within ${timeoutMs} ms; it received: ${received.map((r) => `${r.method} ${r.url}`).join(', ') || 'nothing'}`));
        }, timeoutMs).unref();
      });
    },
    count: (predicate) => received.filter(predicate).length,
    start,
    async close() {
      if (!listening) return;
      listening = false;
      server.closeAllConnections();
      await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    },
  };
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** The answer's headers (over https). */
  headers?: IncomingHttpHeaders;
  /** The headers the request was sent with. */
  sent: Record<string, string>;
}

/** A JSON request to the admin API (as a hub's automation maker and checker, or with no token at all); the answer's body parsed (undefined when empty). */
export async function adminRequest(adminUrl: string | AdminClient, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  if (typeof adminUrl !== 'string') return adminUrl.call(method, path, body);
  const response = await fetch(adminUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown };
}

const credentials = new Map<string, Promise<DfspCredentials>>();

/** The text fspiopRequest sends for `body`: the form the signature covers (sorted keys, no spaces), as Mojaloop's SDK sends it. */
export function sentBodyText(body: unknown): string {
  return sdkStableJson(body);
}

/** The signing key of a test DFSP named `name`: made once per test process, registered by onboardScheme. */
export function testCredentialsOf(name: string): Promise<DfspCredentials> {
  let found = credentials.get(name);
  if (found === undefined) {
    found = ephemeralDfspCredentials();
    credentials.set(name, found);
  }
  return found;
}

/**
 * An FSPIOP request as a DFSP sends it: Content-Type and Accept for `resource` (no Accept on PUT), Date,
 * FSPIOP-Source/-Destination, and, with a body, FSPIOP-Signature by the source's test key (the body is sent
 * in the form signed: sorted keys, no spaces).
 */
export interface FspiopRequestOptions {
  /** Headers added to (or replacing) the ones made here: X-Forwarded-For, say. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The access token to send instead of the source's own; null: none. */
  readonly token?: string | null;
  /** The test DFSP whose certificate the connection presents, when not the source's. */
  readonly connectionOf?: string;
}

export async function fspiopRequest(fspiopUrl: string, method: string, path: string, resource: string, source: string, destination: string | undefined, body?: unknown, options: FspiopRequestOptions = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = {
    'content-type': `application/vnd.interoperability.${resource}+json;version=1.1`,
    date: new Date().toUTCString(),
    'fspiop-source': source,
    ...(destination === undefined ? {} : { 'fspiop-destination': destination }),
    ...(method === 'PUT' ? {} : { accept: `application/vnd.interoperability.${resource}+json;version=1` }),
  };
  let text: string | null = null;
  if (body !== undefined) {
    const signed = await signMessage({ method, fspiopUri: path.split('?')[0] ?? path, source, destination, date: headers['date'], body }, (await testCredentialsOf(source)).signingKey);
    headers['fspiop-signature'] = signed.signature;
    text = signed.body;
  }
  Object.assign(headers, options.headers);
  if (fspiopUrl.startsWith('http:')) {
    const response = await fetch(fspiopUrl + path, { method, headers, body: text });
    return { status: response.status, body: await response.text(), sent: headers };
  }
  // A DFSP the hub gives no token (not a participant, say) sends without one, and the hub answers that.
  const token = options.token !== undefined ? options.token : await (await tokenSourceOf(fspiopUrl, source)).token().catch(() => undefined);
  if (token !== undefined && token !== null) headers['authorization'] = `Bearer ${token}`;
  const answer = await httpsExchange(fspiopUrl + path, method, headers, text, await agentOf(options.connectionOf ?? source));
  return { ...answer, sent: headers };
}

const tokenSources = new Map<string, Promise<AccessTokenSource>>();

/** Test DFSP `name`'s access tokens from the hub at `fspiopUrl`, as the simulators get theirs (sim/access_token.ts). */
export function tokenSourceOf(fspiopUrl: string, name: string): Promise<AccessTokenSource> {
  const key = `${fspiopUrl} ${name}`;
  let source = tokenSources.get(key);
  if (source === undefined) {
    source = testTlsOf(name).then((tls) => createAccessTokenSource({ fspId: name, hubFspiopUrl: fspiopUrl, tls, clock: systemClock }));
    tokenSources.set(key, source);
  }
  return source;
}

const agents = new Map<string, Promise<HttpsAgent>>();

/** A keep-alive HTTPS agent presenting test DFSP `name`'s client certificate. */
export function agentOf(name: string): Promise<HttpsAgent> {
  let agent = agents.get(name);
  if (agent === undefined) {
    agent = testTlsOf(name).then((tls) => new HttpsAgent({ ...TLS_POLICY, keepAlive: true, key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems] }));
    agents.set(name, agent);
  }
  return agent;
}

/** One HTTPS exchange on `agent` (node:https: fetch cannot present a client certificate). */
export function httpsExchange(url: string, method: string, headers: Record<string, string>, body: string | null, agent: HttpsAgent): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method, headers: body === null ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }); });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}

/** Every callback endpoint a DFSP in these tests registers, as a path under its server's URL. */
export const DFSP_ENDPOINTS: readonly (readonly [type: string, path: string])[] = [
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', '/participants/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', '/participants/{{partyIdType}}/{{partyIdentifier}}/error'],
  ['FSPIOP_CALLBACK_URL_PARTIES_GET', '/parties/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT', '/parties/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', '/parties/{{partyIdType}}/{{partyIdentifier}}/error'],
  ['FSPIOP_CALLBACK_URL_QUOTES', ''],
  ['FSPIOP_CALLBACK_URL_TRANSFER_POST', '/transfers'],
  ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', '/transfers/{{transferId}}'],
  ['FSPIOP_CALLBACK_URL_TRANSFER_ERROR', '/transfers/{{transferId}}/error'],
];

export interface SchemeOptions {
  currency?: string;
  /** Each DFSP's net debit cap, in major units. */
  netDebitCap?: number;
  /** Each DFSP's funds in (liquidity), in major units. */
  fundsIn?: number;
}

/**
 * Onboards a scheme through the admin API, in the order the reference gives (§8): the hub's
 * accounts, then per DFSP the participant, its limit, its funds and its callback endpoints at `url`.
 */
export async function onboardScheme(adminUrl: AdminClient, dfsps: readonly { name: string; url: string }[], options: SchemeOptions = {}): Promise<void> {
  const currency = options.currency ?? 'USD';
  const expect = async (status: number, method: string, path: string, body?: unknown) => {
    const answer = await adminRequest(adminUrl, method, path, body);
    assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    await expect(201, 'POST', '/participants/Hub/accounts', { currency, type });
  }
  for (const { name, url } of dfsps) {
    await expect(201, 'POST', '/participants', { name, currency });
    await expect(201, 'POST', `/participants/${name}/initialPositionAndLimits`, { currency, limit: { type: 'NET_DEBIT_CAP', value: options.netDebitCap ?? 10_000 } });
    const accounts = await expect(200, 'GET', `/participants/${name}/accounts`) as { id: number; ledgerAccountType: string; currency: string }[];
    const settlement = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT' && a.currency === currency);
    assert.ok(settlement, `${name} has a ${currency} settlement account`);
    await expect(202, 'POST', `/participants/${name}/accounts/${settlement.id}`, {
      transferId: randomUUID(), externalReference: 'e2e', action: 'recordFundsIn', reason: 'e2e',
      amount: { amount: String(options.fundsIn ?? 5_000), currency },
    });
    for (const [type, path] of DFSP_ENDPOINTS) await expect(201, 'POST', `/participants/${name}/endpoints`, { type, value: url + path });
    await expect(201, 'POST', `/participants/${name}/keys`, { publicKey: signingPublicKeyPem(await testCredentialsOf(name)) });
  }
}

/** A participant's position in `currency`, from the admin API, in major units. */
export async function positionOf(adminUrl: AdminClient, name: string, currency = 'USD'): Promise<number> {
  const answer = await adminRequest(adminUrl, 'GET', `/participants/${name}/positions?currency=${currency}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as { value: number }).value;
}

/** A fresh ILP key-lock: the fulfilment (preimage) and its condition, base64url. */
export function ilpLock(): { fulfilment: string; condition: string } {
  const preimage = randomBytes(32);
  return { fulfilment: preimage.toString('base64url'), condition: createHash('sha256').update(preimage).digest('base64url') };
}

/** A prepare body from payerfsp to payeefsp, with an ILPv1 packet for its amount and payee. */
export function prepareBody(condition: string, options: { amount?: string; expiresInMs?: number; expiration?: string; payer?: string; payee?: string } = {}) {
  const payeeFsp = options.payee ?? 'payeefsp';
  const amount = options.amount ?? '100';
  return {
    transferId: randomUUID(),
    payerFsp: options.payer ?? 'payerfsp',
    payeeFsp,
    amount: { amount, currency: 'USD' },
    ilpPacket: ilpPacketFor(payeeFsp, amount, 'USD'),
    condition,
    expiration: options.expiration ?? new Date(Date.now() + (options.expiresInMs ?? 60_000)).toISOString(),
  };
}

/** The FSPIOP error code of an error callback's or answer's body. */
export function errorCodeOf(body: string): string {
  return (JSON.parse(body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode;
}

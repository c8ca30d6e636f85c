// The simulated DFSP, against the real hub (lookup, quote and transfer with
// ILP v1 and v4 packets; a prepare it cannot fulfil is refused) and against a
// stand-in hub that records exactly what the simulator sends and answers what
// a test needs (headers, refusals, bounds).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testPkiSettings, testTlsOf } from '../testing/scheme_pki.ts';
import { loadConfig } from '../config/index.ts';
import { adminCall, onboardDfsp, onboardHub, type AdminClient } from '../demo/scheme.ts';
import { adminClientOf } from '../testing/admin_client.ts';
import { conditionMatches } from '../ilp/index.ts';
import { startHub, type Hub } from '../main.ts';
import { createLogger } from '../support/logger.ts';
import { dfspHeaders } from './headers.ts';
import { createSimulatedDfsp, ephemeralDfspCredentials, FspiopError, signingPublicKeyPem, type SimParty, type SimulatedDfsp } from './index.ts';

const silent = createLogger('silent');
const PAYER_PARTY: SimParty = { partyIdType: 'MSISDN', partyIdentifier: '46700000001', name: 'Astrid Payer' };
const PAYEE_PARTY: SimParty = { partyIdType: 'MSISDN', partyIdentifier: '46700000002', name: 'Bo Payee' };
const PAYEE4_PARTY: SimParty = { partyIdType: 'MSISDN', partyIdentifier: '46700000004', name: 'Cecilia Payee' };

async function positionOf(admin: AdminClient, name: string): Promise<string> {
  const answer = await adminCall(admin, 'GET', `/participants/${name}/positions?currency=USD`);
  assert.equal(answer.status, 200);
  return String((answer.body as { value: unknown }).value);
}

describe('a simulated DFSP through the hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-sim-'));
  let hub: Hub | undefined;
  let payer: SimulatedDfsp;
  let payee: SimulatedDfsp;
  let payee4: SimulatedDfsp;
  const started: SimulatedDfsp[] = [];
  let adminClient: AdminClient | undefined;
  const admin = (): AdminClient => {
    assert.ok(adminClient !== undefined, 'the hub is running');
    return adminClient;
  };

  before(async () => {
    const config = loadConfig({ env: {}, overrides: { ...(await testPkiSettings()), dataDir: join(dir, 'data'), 'admin.port': 0, 'fspiop.port': 0, 'log.level': 'silent', 'admin.seedAutomationClients': true, 'delivery.allowLoopbackCallbacks': true } });
    const running = await startHub(config, silent);
    hub = running;
    adminClient = adminClientOf(running, join(dir, 'data'));
    const sim = async (name: string, party: SimParty, ilpVersion: 'v1' | 'v4') => {
      const dfsp = await createSimulatedDfsp({
        name, hubFspiopUrl: running.fspiopUrl, listen: { host: '127.0.0.1', port: 0 }, parties: [party], currency: 'USD',
        ilpSecret: randomBytes(32).toString('base64'), ilpVersion, log: silent, limits: { callbackTimeoutMs: 10_000, sendTimeoutMs: 5_000 },
        credentials: { ...await ephemeralDfspCredentials(), tls: await testTlsOf(name) },
      });
      started.push(dfsp);
      return dfsp;
    };
    payer = await sim('simpayer', PAYER_PARTY, 'v1');
    payee = await sim('simpayee', PAYEE_PARTY, 'v1');
    payee4 = await sim('simpayee4', PAYEE4_PARTY, 'v4');
    await onboardHub(admin(), 'USD');
    for (const dfsp of [payer, payee, payee4]) {
      await onboardDfsp(admin(), { name: dfsp.name, currency: 'USD', netDebitCap: 1000, fundsIn: '1000', callbackUrl: dfsp.url, signingPublicKeyPem: signingPublicKeyPem(dfsp.credentials) }, silent);
      await dfsp.registerParties();
    }
  });

  after(async () => {
    for (const dfsp of started) await dfsp.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [version, payeeParty, payeeName] of [['v1', PAYEE_PARTY, 'simpayee'], ['v4', PAYEE4_PARTY, 'simpayee4']] as const) {
    test(`answers a lookup, a quote and a prepare (ILP ${version}); the transfer commits`, async () => {
      const found = await payer.lookup(payeeParty.partyIdType, payeeParty.partyIdentifier);
      assert.deepEqual(found, { party: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payeeParty.partyIdentifier, fspId: payeeName }, name: payeeParty.name } });

      const quote = await payer.quote({ payee: found.party.partyIdInfo, amount: '12.5', currency: 'USD' });
      assert.deepEqual(quote.response.transferAmount, { amount: '12.5', currency: 'USD' });
      assert.match(quote.response.condition, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(quote.response.expiration) > Date.now());
      // v1 packets start with type 1 (ILP Payment), v4 with 12 (ILP Prepare).
      assert.equal(Buffer.from(quote.response.ilpPacket, 'base64url')[0], version === 'v1' ? 1 : 12);

      const before = [await positionOf(admin(), 'simpayer'), await positionOf(admin(), payeeName)];
      const transfer = await payer.transfer(quote);
      assert.equal(transfer.result.transferState, 'COMMITTED');
      assert.ok(transfer.fulfilmentMatches);
      assert.ok(transfer.result.fulfilment !== undefined && conditionMatches(transfer.result.fulfilment, quote.response.condition));
      assert.match(transfer.result.completedTimestamp ?? '', /^\d{4}-\d{2}-\d{2}T/);
      const afterwards = [await positionOf(admin(), 'simpayer'), await positionOf(admin(), payeeName)];
      assert.equal(Number(afterwards[0]) - Number(before[0]), 12.5);
      assert.equal(Number(before[1]) - Number(afterwards[1]), 12.5);
      assert.equal((await payer.getTransfer(transfer.transferId, payeeName)).transferState, 'COMMITTED');
    });
  }

  test('refuses a prepare whose fulfilment it cannot produce (5105), and the hub releases the reservation', async () => {
    const quote = await payer.quote({ payee: { ...PAYEE_PARTY, fspId: 'simpayee' }, amount: '7', currency: 'USD' });
    const positionBefore = await positionOf(admin(), 'simpayer');
    // Terms the payee never issued: the packet is its own, the condition is not the one it derives from it.
    const forged = randomBytes(32).toString('base64url');
    const refused = await payer.transfer(quote, { condition: forged }).then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof FspiopError, String(refused));
    assert.equal(refused.errorCode, '5105');
    assert.match(refused.errorDescription, /not terms it quoted/);
    assert.equal(await positionOf(admin(), 'simpayer'), positionBefore);
  });

  test('answers a lookup of a party it does not serve with 3204, and a quote for one with 3204', async () => {
    const lookup = await payer.lookup('MSISDN', '46799999999').then(() => undefined, (error: unknown) => error);
    assert.ok(lookup instanceof FspiopError);
    assert.equal(lookup.errorCode, '3204');
    const quote = await payer.quote({ payee: { partyIdType: 'MSISDN', partyIdentifier: '46799999999', fspId: 'simpayee' }, amount: '1', currency: 'USD' })
      .then(() => undefined, (error: unknown) => error);
    assert.ok(quote instanceof FspiopError);
    assert.equal(quote.errorCode, '3204');
  });

  test('an error callback from the hub fails the request with its code', async () => {
    const quote = await payer.quote({ payee: { ...PAYEE_PARTY, fspId: 'nosuchfsp' }, amount: '1', currency: 'USD' }).then(() => undefined, (error: unknown) => error);
    assert.ok(quote instanceof FspiopError);
    // The hub accepts the request (202) and answers with PUT /quotes/{ID}/error: no such destination.
    assert.equal(quote.errorCode, '3201');
  });
});

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the hub's FSPIOP API: records each request and answers with `status` (and `body`). */
async function standInHub(answer: (r: Recorded) => { status: number; body?: unknown }): Promise<{ url: string; received: Recorded[]; server: Server }> {
  const received: Recorded[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      const { status, body: answerBody } = answer(entry);
      response.writeHead(status, answerBody === undefined ? {} : { 'content-type': 'application/json' }).end(answerBody === undefined ? undefined : JSON.stringify(answerBody));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { url: `http://127.0.0.1:${address.port}`, received, server };
}

function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a simulated DFSP against a stand-in hub', () => {
  test('sends FSPIOP headers and nothing else, and fails at once on a synchronous refusal', async () => {
    const hub = await standInHub(() => ({ status: 400, body: { errorInformation: { errorCode: '3101', errorDescription: 'Malformed syntax' } } }));
    const dfsp = await createSimulatedDfsp({ name: 'hdrfsp', hubFspiopUrl: hub.url, listen: { host: '127.0.0.1', port: 0 }, parties: [], ilpSecret: 's', ilpVersion: 'v1', log: silent, credentials: await ephemeralDfspCredentials() });
    try {
      const refused = await dfsp.lookup('MSISDN', '123').then(() => undefined, (error: unknown) => error);
      assert.ok(refused instanceof FspiopError);
      assert.deepEqual([refused.errorCode, refused.httpStatus], ['3101', 400]);
      assert.equal(dfsp.pendingCount(), 0);
      const [lookup] = hub.received;
      assert.ok(lookup);
      assert.equal(lookup.url, '/parties/MSISDN/123');
      const { date, host, connection, ...fspiop } = lookup.headers;
      assert.match(date ?? '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.ok(host !== undefined && connection !== undefined);
      // No FSPIOP-Destination on a lookup (the hub finds the FSP), and none of fetch's own headers.
      assert.deepEqual(fspiop, {
        'content-type': 'application/vnd.interoperability.parties+json;version=1.1',
        accept: 'application/vnd.interoperability.parties+json;version=1.1',
        'fspiop-source': 'hdrfsp',
        'fspiop-uri': '/parties/MSISDN/123',
        'fspiop-http-method': 'GET',
      });
    } finally {
      await dfsp.close();
      hub.server.close();
    }
  });

  test('as a receiver it checks what arrives like an FSPIOP server, answers 202 or 200, and bounds the body', async () => {
    const hub = await standInHub(() => ({ status: 200 }));
    const dfsp = await createSimulatedDfsp({
      credentials: await ephemeralDfspCredentials(),
      name: 'rcvfsp', hubFspiopUrl: hub.url, listen: { host: '127.0.0.1', port: 0 }, parties: [PAYEE_PARTY], ilpSecret: 's', ilpVersion: 'v1', log: silent,
      limits: { bodyBytesMax: 4096 },
    });
    try {
      const headers = (method: 'GET' | 'POST', resource: 'parties' | 'quotes', uri: string, destination = 'rcvfsp') =>
        dfspHeaders({ resource, method, uri, source: 'payerfsp', destination, nowMs: Date.now() });
      const missing = await send(dfsp.url, 'POST', '/quotes', { 'content-type': 'application/json' }, '{}');
      assert.equal(missing.status, 400);
      assert.equal((JSON.parse(missing.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3101');
      const elsewhere = await send(dfsp.url, 'GET', '/parties/MSISDN/1', headers('GET', 'parties', '/parties/MSISDN/1', 'otherfsp'));
      assert.equal(elsewhere.status, 400, 'a request for another FSP is refused');
      const oversize = await send(dfsp.url, 'POST', '/quotes', headers('POST', 'quotes', '/quotes'), JSON.stringify({ pad: 'x'.repeat(8192) }));
      assert.equal(oversize.status, 413);
      const unknown = await send(dfsp.url, 'GET', '/parties/MSISDN/1', headers('GET', 'parties', '/parties/MSISDN/1'));
      assert.equal(unknown.status, 202);
      // Its answer goes to the hub afterwards: the party is not one it serves.
      for (let i = 0; i < 100 && hub.received.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      const [answer] = hub.received;
      assert.ok(answer);
      assert.deepEqual([answer.method, answer.url, answer.headers['fspiop-destination']], ['PUT', '/parties/MSISDN/1/error', 'payerfsp']);
      assert.equal((JSON.parse(answer.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3204');
      assert.equal(answer.headers.accept, undefined, 'a PUT carries no Accept');
    } finally {
      await dfsp.close();
      hub.server.close();
    }
  });

  test('bounds the requests waiting for callbacks, and gives up on a callback that does not come', async () => {
    const hub = await standInHub(() => ({ status: 202 }));
    const dfsp = await createSimulatedDfsp({
      credentials: await ephemeralDfspCredentials(),
      name: 'slowfsp', hubFspiopUrl: hub.url, listen: { host: '127.0.0.1', port: 0 }, parties: [], ilpSecret: 's', ilpVersion: 'v1', log: silent,
      limits: { pendingMax: 1, callbackTimeoutMs: 300, sendTimeoutMs: 200, transferExpiryMs: 300 },
    });
    try {
      const first = dfsp.lookup('MSISDN', '1').then(() => undefined, (error: unknown) => error);
      await assert.rejects(dfsp.lookup('MSISDN', '2'), /1 requests are already waiting/);
      const timedOut = await first;
      assert.ok(timedOut instanceof Error);
      assert.match(timedOut.message, /no callback for the lookup of MSISDN 1 within 300 ms/);
      assert.equal(dfsp.pendingCount(), 0);
    } finally {
      await dfsp.close();
      hub.server.close();
    }
  });
});

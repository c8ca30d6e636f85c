// End to end over HTTP: the hub as `interlock start` runs it, onboarded through
// its admin API, with two DFSPs (plain HTTP servers on loopback) doing party
// registration → lookup → quote → transfer. Every callback travels through the
// outbox and the delivery worker.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from './config/index.ts';
import { startHub, type Hub } from './main.ts';
import { createLogger } from './support/logger.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A DFSP's callback server: records what the hub sends, answers 200 (PUT/PATCH) or 202. */
async function dfspServer(): Promise<{ url: string; received: Received[]; next(predicate: (r: Received) => boolean): Promise<Received>; close(): Promise<void> }> {
  const received: Received[] = [];
  const waiters: { predicate: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      for (const waiter of waiters.filter((w) => w.predicate(entry))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
      response.statusCode = request.method === 'PUT' || request.method === 'PATCH' ? 200 : 202;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    next: (predicate) => {
      const seen = received.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        setTimeout(() => { reject(new Error('no such callback within 10 s')); }, 10_000).unref();
      });
    },
    close: () => new Promise((resolve) => { server.close(() => { resolve(); }); }),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'interlock-e2e-'));
let hub: Hub;
let payer: Awaited<ReturnType<typeof dfspServer>>;
let payee: Awaited<ReturnType<typeof dfspServer>>;

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(hub.adminUrl + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown };
}

async function fspiop(method: string, path: string, resource: string, source: string, destination: string | undefined, body?: unknown): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    'content-type': `application/vnd.interoperability.${resource}+json;version=1.1`,
    date: new Date().toUTCString(),
    'fspiop-source': source,
    ...(destination === undefined ? {} : { 'fspiop-destination': destination }),
    ...(method === 'PUT' ? {} : { accept: `application/vnd.interoperability.${resource}+json;version=1` }),
  };
  const response = await fetch(hub.fspiopUrl + path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  return { status: response.status, body: await response.text() };
}

before(async () => {
  payer = await dfspServer();
  payee = await dfspServer();
  const config = loadConfig({ env: {}, overrides: { dataDir: join(dir, 'data'), 'admin.port': 0, 'fspiop.port': 0, 'log.level': 'silent' } });
  hub = await startHub(config, createLogger('silent'));
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    assert.equal((await admin('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
  }
  for (const [name, server] of [['payerfsp', payer], ['payeefsp', payee]] as const) {
    assert.equal((await admin('POST', '/participants', { name, currency: 'USD' })).status, 201);
    assert.equal((await admin('POST', `/participants/${name}/initialPositionAndLimits`, { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 10000 } })).status, 201);
    const accounts = (await admin('GET', `/participants/${name}/accounts`)).body as { id: number; ledgerAccountType: string }[];
    const settlement = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT');
    assert.ok(settlement);
    assert.equal((await admin('POST', `/participants/${name}/accounts/${settlement.id}`, { transferId: randomUUID(), externalReference: 'e2e', action: 'recordFundsIn', reason: 'e2e', amount: { amount: '5000', currency: 'USD' } })).status, 202);
    const endpoints: [string, string][] = [
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
    for (const [type, path] of endpoints) {
      assert.equal((await admin('POST', `/participants/${name}/endpoints`, { type, value: server.url + path })).status, 201, type);
    }
  }
});

after(async () => {
  await hub.close();
  await payer.close();
  await payee.close();
  rmSync(dir, { recursive: true, force: true });
});

test('registration, lookup, quote and transfer run end to end, and positions end right', async () => {
  const party = { partyIdType: 'MSISDN', partyIdentifier: '27713803912' };

  // The payee registers the party it serves, and is told so.
  assert.equal((await fspiop('POST', '/participants/MSISDN/27713803912', 'participants', 'payeefsp', undefined, { fspId: 'payeefsp', currency: 'USD' })).status, 202);
  const registered = await payee.next((r) => r.method === 'PUT' && r.url === '/participants/MSISDN/27713803912');
  assert.deepEqual(JSON.parse(registered.body), { fspId: 'payeefsp' });

  // The payer looks the party up without knowing its FSP; the hub asks the payee and passes the answer back.
  assert.equal((await fspiop('GET', '/parties/MSISDN/27713803912', 'parties', 'payerfsp', undefined)).status, 202);
  const asked = await payee.next((r) => r.method === 'GET' && r.url === '/parties/MSISDN/27713803912');
  assert.equal(asked.headers['fspiop-destination'], 'payeefsp');
  const partyBody = { party: { partyIdInfo: { ...party, fspId: 'payeefsp' }, name: 'Henrik Karlsson' } };
  const answered = await fspiop('PUT', '/parties/MSISDN/27713803912', 'parties', 'payeefsp', 'payerfsp', partyBody);
  assert.equal(answered.status, 200, answered.body);
  const found = await payer.next((r) => r.method === 'PUT' && r.url === '/parties/MSISDN/27713803912');
  assert.deepEqual(JSON.parse(found.body), partyBody);

  // Quote.
  const quoteId = randomUUID();
  const transactionId = randomUUID();
  const quote = {
    quoteId, transactionId,
    payee: { partyIdInfo: { ...party, fspId: 'payeefsp' } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'payerfsp' } },
    amountType: 'SEND', amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  };
  assert.equal((await fspiop('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', quote)).status, 202);
  const quoted = await payee.next((r) => r.method === 'POST' && r.url === '/quotes');
  assert.deepEqual(JSON.parse(quoted.body), quote);
  const preimage = randomBytes(32);
  const fulfilment = preimage.toString('base64url');
  const condition = createHash('sha256').update(preimage).digest('base64url');
  const ilpPacket = randomBytes(64).toString('base64url');
  const expiration = new Date(Date.now() + 60_000).toISOString();
  const quoteResponse = { transferAmount: { amount: '100', currency: 'USD' }, expiration, ilpPacket, condition };
  assert.equal((await fspiop('PUT', `/quotes/${quoteId}`, 'quotes', 'payeefsp', 'payerfsp', quoteResponse)).status, 200);
  await payer.next((r) => r.method === 'PUT' && r.url === `/quotes/${quoteId}`);

  // Transfer: prepare goes to the payee as sent; the fulfil commits and goes back to the payer.
  const transferId = randomUUID();
  const prepare = { transferId, payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { amount: '100', currency: 'USD' }, ilpPacket, condition, expiration };
  const accepted = await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare);
  assert.equal(accepted.status, 202);
  const forwarded = await payee.next((r) => r.method === 'POST' && r.url === '/transfers');
  assert.equal(forwarded.body, JSON.stringify(prepare), 'the payee receives the payer\'s exact bytes');
  const positionsDuring = (await admin('GET', '/participants/payerfsp/positions?currency=USD')).body as { value: number };
  assert.equal(positionsDuring.value, 100);
  const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
  assert.equal((await fspiop('PUT', `/transfers/${transferId}`, 'transfers', 'payeefsp', 'payerfsp', fulfil)).status, 200);
  const done = await payer.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
  assert.deepEqual(JSON.parse(done.body), fulfil);
  const confirmed = await payee.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
  assert.equal(confirmed.headers['fspiop-source'], 'Hub');
  assert.equal((JSON.parse(confirmed.body) as { transferState: string }).transferState, 'COMMITTED');

  const payerPosition = (await admin('GET', '/participants/payerfsp/positions?currency=USD')).body as { value: number };
  const payeePosition = (await admin('GET', '/participants/payeefsp/positions?currency=USD')).body as { value: number };
  assert.deepEqual([payerPosition.value, payeePosition.value], [100, -100]);
});

test('the edge refuses malformed requests synchronously, with FSPIOP codes, before any domain work', async () => {
  const code = (body: string) => (JSON.parse(body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode;
  const unknownSource = await fspiop('POST', '/transfers', 'transfers', 'nobodyfsp', 'payeefsp', {});
  assert.deepEqual([unknownSource.status, code(unknownSource.body)], [404, '3200']);
  const badBody = await fspiop('POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', { transferId: 'x' });
  assert.equal(badBody.status, 400);
  assert.ok(['3100', '3102'].includes(code(badBody.body)));
  const unknownPath = await fspiop('GET', '/nothing/here', 'transfers', 'payerfsp', undefined);
  assert.deepEqual([unknownPath.status, code(unknownPath.body)], [404, '3002']);
  const response = await fetch(`${hub.fspiopUrl}/transfers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(response.status, 400);
  assert.equal(code(await response.text()), '3101');
  const oversize = await fspiop('POST', '/quotes', 'quotes', 'payerfsp', 'payeefsp', { pad: 'x'.repeat(70_000) });
  assert.deepEqual([oversize.status, code(oversize.body)], [413, '3104']);
});

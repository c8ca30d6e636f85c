import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DEFAULT_CALLBACK_NETWORKS } from '../config/index.ts';
import { createCallbackAddressPolicy } from '../delivery/callback_addresses.ts';
import { LOOPBACK_CALLBACKS } from '../delivery/receiver_fixture.ts';
import { err, ok } from '../support/result.ts';
import { createOracleClient, parsePartyList } from './oracle_client.ts';
import type { PartyKey } from './party.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: () => Handler, seen: Seen[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      handler()(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
}

const json = (status: number, body: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const KEY: PartyKey = { partyIdType: 'MSISDN', partyIdentifier: '255 7+1', partySubIdOrType: undefined };
const TIMEOUT_MS = 300;
const BYTES_MAX = 1024;

describe('oracle client', () => {
  let oracle: { server: Server; url: string };
  let elsewhere: { server: Server; url: string };
  const seen: Seen[] = [];
  const seenElsewhere: Seen[] = [];
  let handler: Handler = json(200, { partyList: [] });
  const client = createOracleClient({ addresses: LOOPBACK_CALLBACKS, timeoutMs: TIMEOUT_MS, responseBytesMax: BYTES_MAX, partyListLengthMax: 5, clock: { nowMs: () => Date.parse('2026-11-24T10:00:00Z') } });

  before(async () => {
    oracle = await listen(() => handler, seen);
    elsewhere = await listen(() => json(200, { partyList: [{ fspId: 'evilfsp' }] }), seenElsewhere);
  });
  after(async () => {
    await close(oracle.server);
    await close(elsewhere.server);
  });
  beforeEach(() => {
    seen.length = 0;
    seenElsewhere.length = 0;
  });

  test('GET: the party is percent-encoded, currency and sub-id go in the query, FSPIOP headers from the hub; the answer is parsed', async () => {
    handler = (req, res) => {
      json(200, { partyList: [{ fspId: 'dfspa', currency: 'USD' }, { fspId: 'dfspb', partySubIdOrType: 'home' }] })(req, res);
    };
    const answer = await client.lookup(`${oracle.url}/als/`, { ...KEY, partySubIdOrType: 'home' }, 'USD');
    assert.deepEqual(answer, ok([
      { fspId: 'dfspa', currency: 'USD', partySubIdOrType: undefined },
      { fspId: 'dfspb', currency: undefined, partySubIdOrType: 'home' },
    ]));
    const request = seen.at(-1);
    assert.equal(request?.method, 'GET');
    assert.equal(request.url, '/als/participants/MSISDN/255%207%2B1?currency=USD&partySubIdOrType=home');
    assert.equal(request.headers['fspiop-source'], 'Hub');
    assert.equal(request.headers.date, 'Tue, 24 Nov 2026 10:00:00 GMT');
    assert.match(request.headers.accept ?? '', /participants\+json;version=1/);
    assert.match(request.headers['content-type'] ?? '', /participants\+json;version=1\.1/);
  });

  test('GET: 404 is "not registered"; another status is a failure', async () => {
    handler = json(404, { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } });
    assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), ok([]));
    handler = json(500, { errorInformation: { errorCode: '2001', errorDescription: 'Internal server error' } });
    assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), err('answered 500'));
  });

  test('a silent oracle, and one that trickles its answer, fail within the timeout', async () => {
    handler = () => undefined; // never answers
    let started = performance.now();
    let answer = await client.lookup(oracle.url, KEY, undefined);
    assert.deepEqual(answer, err(`no answer within ${TIMEOUT_MS} ms`));
    assert.ok(performance.now() - started < TIMEOUT_MS + 1_000, 'bounded by the timeout');

    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partyList":[');
      const timer = setInterval(() => { if (!res.destroyed) res.write(' '); }, 50);
      res.on('close', () => { clearInterval(timer); });
    };
    started = performance.now();
    answer = await client.lookup(oracle.url, KEY, undefined);
    assert.equal(answer.ok, false);
    assert.ok(performance.now() - started < TIMEOUT_MS + 1_000, 'the body is under the same deadline');
  });

  test('a redirect is not followed: the other host hears nothing', async () => {
    for (const status of [301, 302, 307, 308]) {
      handler = (_req, res) => { res.writeHead(status, { location: `${elsewhere.url}/participants/MSISDN/1` }).end(); };
      const answer = await client.lookup(oracle.url, KEY, undefined);
      assert.deepEqual(answer, err(`answered ${status}; redirects are not followed`));
    }
    handler = (_req, res) => { res.writeHead(307, { location: `${elsewhere.url}/participants/MSISDN/1` }).end(); };
    assert.equal((await client.register(oracle.url, KEY, 'dfspa', undefined)).ok, false);
    assert.equal(seenElsewhere.length, 0);
  });

  test('an answer over the size bound is refused, whether its length is declared or not', async () => {
    const big = JSON.stringify({ partyList: [{ fspId: 'dfspa', padding: 'x'.repeat(BYTES_MAX) }] });
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(big); };
    assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), err(`answer longer than ${BYTES_MAX} bytes`));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
      for (let i = 0; i < 8; i++) res.write('x'.repeat(200));
      res.end();
    };
    assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), err(`answer longer than ${BYTES_MAX} bytes`));
  });

  test('malformed answers are failures; malformed entries are dropped', async () => {
    const cases: [string | Buffer, string][] = [
      ['not json', 'the answer is not JSON'],
      ['[]', 'the answer is not a JSON object'],
      ['null', 'the answer is not a JSON object'],
      ['{"partyList":{"fspId":"dfspa"}}', 'the answer has no partyList array'],
      ['{"partylist":[]}', 'the answer has no partyList array'],
      [JSON.stringify({ partyList: Array.from({ length: 6 }, () => ({ fspId: 'dfspa' })) }), 'the partyList has more than 5 entries'],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'answer is not UTF-8'],
      // An oracle answer read one way by the hub and another by a reader of its log is no answer.
      ['{"partyList":[{"fspId":"dfspa","fspId":"dfspb"}]}', 'the answer is ambiguous: member "fspId" is given twice in the object at "/partyList/0"'],
      ['{"partyList":[{"fspId":"dfspa"}],"partyL\\u0069st":[]}', 'the answer is ambiguous: member "partyList" is given twice in the object at the root'],
    ];
    for (const [body, reason] of cases) {
      handler = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(body); };
      assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), err(reason), String(body));
    }
    const droppedEntries: unknown[][] = [
      ['dfspa', null, [], { fspId: 'x' }, { fspId: 'a/b' }],
      [{ fspId: 42 }, { fspId: 'dfspa', currency: 'XXX1' }, { fspId: 'dfspa', currency: 'usd' }, { fspId: 'dfspa', partySubIdOrType: '../x' }, { currency: 'USD' }],
    ];
    for (const partyList of droppedEntries) {
      handler = json(200, { partyList });
      assert.deepEqual(await client.lookup(oracle.url, KEY, undefined), ok([]), JSON.stringify(partyList));
    }
    // Inherited properties are not read as fields.
    assert.deepEqual(parsePartyList(JSON.parse('{"partyList":[{"__proto__":{"fspId":"dfspa"}}]}'), 5), ok([]));
    assert.deepEqual(parsePartyList({ partyList: [{ fspId: 'dfspa', currency: null, partySubIdOrType: null }] }, 5),
      ok([{ fspId: 'dfspa', currency: undefined, partySubIdOrType: undefined }]));
  });

  test('POST registers with ALS\'s oracle body and expects 201', async () => {
    handler = (_req, res) => { res.writeHead(201).end(); };
    assert.deepEqual(await client.register(oracle.url, { ...KEY, partySubIdOrType: 'home' }, 'dfspa', 'USD'), ok(undefined));
    const request = seen.at(-1);
    assert.equal(request?.method, 'POST');
    assert.equal(request.url, '/participants/MSISDN/255%207%2B1');
    assert.deepEqual(JSON.parse(request.body), { partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '255 7+1', fspId: 'dfspa', partySubIdOrType: 'home' }], currency: 'USD' });
    assert.deepEqual(await client.register(oracle.url, KEY, 'dfspa', undefined), ok(undefined));
    assert.deepEqual(JSON.parse(seen.at(-1)?.body ?? ''), { partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '255 7+1', fspId: 'dfspa' }] });
    handler = (_req, res) => { res.writeHead(200).end(); };
    assert.deepEqual(await client.register(oracle.url, KEY, 'dfspa', undefined), err('answered 200, not 201'));
  });

  test('DELETE carries currency and sub-id in the query and expects 204', async () => {
    handler = (_req, res) => { res.writeHead(204).end(); };
    assert.deepEqual(await client.remove(oracle.url, { ...KEY, partySubIdOrType: 'home' }, 'EUR'), ok(undefined));
    assert.equal(seen.at(-1)?.method, 'DELETE');
    assert.equal(seen.at(-1)?.url, '/participants/MSISDN/255%207%2B1?currency=EUR&partySubIdOrType=home');
    handler = json(400, {});
    assert.deepEqual(await client.remove(oracle.url, KEY, undefined), err('answered 400, not 204'));
  });

  test('an oracle that cannot be reached is a failure, not an exception', async () => {
    const gone = await listen(() => json(200, {}), []);
    await close(gone.server);
    const answer = await client.lookup(gone.url, KEY, undefined);
    assert.equal(answer.ok, false);
    assert.ok(!answer.ok);
    assert.match(answer.error, /^unreachable/);
  });
});

describe('oracle client: the callback network policy holds for oracle calls too', () => {
  let oracle: { server: Server; url: string };
  const seen: Seen[] = [];
  const names: Record<string, string> = { 'metadata.test': '169.254.169.254', 'oracle.test': '127.0.0.1' };
  const resolveAll = (hostname: string) => {
    const address = names[hostname];
    return Promise.resolve(address === undefined ? [] : [{ address, family: 4 }]);
  };
  const strict = createOracleClient({ addresses: createCallbackAddressPolicy({ networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback: false }, () => [], resolveAll), timeoutMs: TIMEOUT_MS });
  const demo = createOracleClient({ addresses: createCallbackAddressPolicy({ networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback: true }, () => [], resolveAll), timeoutMs: TIMEOUT_MS });
  before(async () => { oracle = await listen(() => json(200, { partyList: [] }), seen); });
  after(async () => { await close(oracle.server); });

  test('link-local, by literal or by name, is never called', async () => {
    assert.deepEqual(await demo.lookup('http://169.254.169.254/latest', KEY, undefined), err('not called: 169.254.169.254 is link-local (cloud instance metadata lives there): never a callback address'));
    assert.deepEqual(await demo.lookup('http://[::ffff:169.254.169.254]/x', KEY, undefined), err('not called: 169.254.169.254 is link-local (cloud instance metadata lives there): never a callback address'));
    assert.deepEqual(await demo.lookup('http://metadata.test/x', KEY, undefined), err('not called: metadata.test resolves to 169.254.169.254 is link-local (cloud instance metadata lives there): never a callback address'));
  });

  test('loopback only when allowed; the hub\'s own listeners never', async () => {
    const port = new URL(oracle.url).port;
    assert.deepEqual(await strict.lookup(`http://oracle.test:${port}`, KEY, undefined), err('not called: oracle.test resolves to 127.0.0.1 is loopback and delivery.allowLoopbackCallbacks is off'));
    assert.deepEqual(await strict.lookup(oracle.url, KEY, undefined), err('not called: 127.0.0.1 is loopback and delivery.allowLoopbackCallbacks is off'));
    assert.equal(seen.length, 0);
    assert.deepEqual(await demo.lookup(`http://oracle.test:${port}`, KEY, undefined), ok([]));
    assert.equal(seen.length, 1);
    const fresh = createOracleClient({ addresses: createCallbackAddressPolicy({ networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback: true }, () => [{ name: 'admin', host: '127.0.0.1', port: Number(port) }], resolveAll), timeoutMs: TIMEOUT_MS });
    assert.deepEqual(await fresh.lookup(oracle.url, KEY, undefined), err(`not called: 127.0.0.1 port ${port} is the hub's own admin listener`));
    assert.equal(seen.length, 1);
  });
});

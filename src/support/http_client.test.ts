import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { outboundAgentOptions, sendRequest, type OutboundRequest } from './http_client.ts';

describe('the outbound HTTP client', () => {
  let server: http.Server;
  let base = '';
  const agent = new http.Agent(outboundAgentOptions(4));
  const seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/hang') return;
      if (req.url === '/long') {
        res.end('x'.repeat(100));
        return;
      }
      res.writeHead(201, { 'retry-after': '7' }).end('short');
    });
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
  });

  const request = (overrides: Partial<OutboundRequest> = {}): OutboundRequest => ({
    method: 'PUT', headers: { accept: 'application/vnd.interoperability.transfers+json;version=1.1' }, body: '{}', agent, timeoutMs: 2_000, answerBytesMax: 10, answerBody: 'whole', ...overrides,
  });

  it('sends exactly the headers given, and the answer whole', async () => {
    const result = await sendRequest(new URL(`${base}/ok`), request());
    assert.ok(result.ok);
    assert.equal(result.value.status, 201);
    assert.equal(result.value.headers['retry-after'], '7');
    assert.equal(result.value.body.toString(), 'short');
    assert.deepEqual(Object.keys(seen.at(-1) ?? {}).sort(), ['accept', 'connection', 'content-length', 'host']);
  });

  it('bounds the answer: whole refuses a longer one, cut keeps its first bytes, ignore answers at the headers', async () => {
    assert.deepEqual(await sendRequest(new URL(`${base}/long`), request()), { ok: false, error: { kind: 'too-long', answerBytesMax: 10 } });
    const cut = await sendRequest(new URL(`${base}/long`), request({ answerBody: 'cut' }));
    assert.ok(cut.ok);
    assert.equal(cut.value.body.toString(), 'x'.repeat(10));
    const ignored = await sendRequest(new URL(`${base}/long`), request({ answerBody: 'ignore' }));
    assert.ok(ignored.ok);
    assert.deepEqual([ignored.value.status, ignored.value.body.length], [200, 0]);
  });

  it('ends a request the peer never answers at its deadline, and says so', async () => {
    // Only the deadline can end this request: the server never answers it.
    assert.deepEqual(await sendRequest(new URL(`${base}/hang`), request({ timeoutMs: 100 })), { ok: false, error: { kind: 'timeout', timeoutMs: 100 } });
  });

  it('never rejects: an aborted request, a URL it cannot send to, a refused connection', async () => {
    const controller = new AbortController();
    const sent = sendRequest(new URL(`${base}/hang`), request({ signal: controller.signal }));
    controller.abort();
    assert.deepEqual(await sent, { ok: false, error: { kind: 'aborted' } });
    assert.deepEqual(await sendRequest(new URL('ftp://127.0.0.1/x'), request()), { ok: false, error: { kind: 'unsendable', code: 'ERR_UNSUPPORTED_PROTOCOL' } });
    const bad = await sendRequest(new URL(`${base}/ok`), request({ headers: { 'x-bad': 'a\u0100b' } }));
    assert.ok(!bad.ok && bad.error.kind === 'unsendable');
    const closed = http.createServer();
    await new Promise<void>((resolve) => { closed.listen(0, '127.0.0.1', resolve); });
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => { closed.close(() => { resolve(); }); });
    const refused = await sendRequest(new URL(`http://127.0.0.1:${port}/`), request());
    assert.ok(!refused.ok && refused.error.kind === 'network' && refused.error.code === 'ECONNREFUSED');
  });
});

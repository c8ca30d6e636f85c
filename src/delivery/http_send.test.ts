import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki, type TestPki } from '../pki/testing.ts';
import { DEFAULT_CALLBACK_NETWORKS } from '../config/index.ts';
import { createCallbackAddressPolicy, type OwnListener } from './callback_addresses.ts';
import { createHttpSender, type HttpRequest } from './http_send.ts';
import { DEFAULT_DELIVERY_LIMITS } from './limits.ts';
import { LOOPBACK_CALLBACKS, startReceiver, type Receiver } from './receiver_fixture.ts';

const LIMITS = { ...DEFAULT_DELIVERY_LIMITS, requestTimeoutMs: 300, stopWaitMs: 400 };

function request(url: string, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { url, recipient: 'payeefsp', method: 'PUT', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), signal: new AbortController().signal, ...overrides };
}

/** A self-signed certificate for 127.0.0.1, made by openssl for this run only. */
function selfSigned(): { cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('http sender', () => {
  let receiver: Receiver;
  const sender = createHttpSender(LIMITS, {}, LOOPBACK_CALLBACKS);
  before(async () => { receiver = await startReceiver(); });
  after(async () => {
    sender.close();
    await receiver.close();
  });

  it('answers with the status once the headers arrive, though the body never ends, and cuts the body off', async () => {
    const patient = createHttpSender({ ...LIMITS, requestTimeoutMs: 5_000, stopWaitMs: 6_000 }, {}, LOOPBACK_CALLBACKS);
    try {
      receiver.replies = [{ status: 200, endless: true }];
      const startedAt = performance.now();
      assert.deepEqual(await patient.send(request(receiver.baseUrl)), { kind: 'answer', status: 200, retryAfter: null });
      // Past responseBodyBytesMax the connection is closed: the receiver's endless answer ends before the request's deadline would end it.
      await receiver.idle();
      assert.ok(performance.now() - startedAt < 5_000, 'the endless answer was cut off by its size, not by the deadline');
    } finally {
      patient.close();
    }
  });

  it('gives up on a receiver that does not answer at requestTimeoutMs, and closes the connection', async () => {
    receiver.replies = ['hang'];
    receiver.receipts.length = 0;
    // The receiver never answers: only the deadline can end this request, and it says so ('timeout').
    assert.deepEqual(await sender.send(request(receiver.baseUrl)), { kind: 'timeout' });
    assert.equal(receiver.receipts.length, 1, 'the request was sent, then cut');
    // The hung request's connection is closed by the hub, not left open.
    await receiver.idle();
  });

  it('stops at once when aborted', async () => {
    receiver.replies = ['hang'];
    const controller = new AbortController();
    const sent = sender.send(request(receiver.baseUrl, { signal: controller.signal }));
    setTimeout(() => { controller.abort(); }, 20);
    assert.deepEqual(await sent, { kind: 'aborted' });
  });

  it('reports a request Node cannot make, and a refused connection, without throwing', async () => {
    assert.equal((await sender.send(request(receiver.baseUrl, { headers: { 'x-bad': 'a\u0100b' } }))).kind, 'unsendable');
    assert.equal((await sender.send(request('ftp://127.0.0.1/x'))).kind, 'unsendable');
    assert.equal((await sender.send(request('not a URL'))).kind, 'unsendable');
    const closed = await startReceiver();
    await closed.close();
    assert.deepEqual(await sender.send(request(closed.baseUrl)), { kind: 'network', code: 'ECONNREFUSED' });
  });

  const certificate = selfSigned();
  it('over https, verifies the receiver\'s certificate: refused unless its CA is given', { skip: certificate === undefined ? 'openssl is not available to make a certificate' : false }, async () => {
    const tls = certificate!;
    const secure = await startReceiver(tls);
    const trusting = createHttpSender(LIMITS, { ca: tls.cert }, LOOPBACK_CALLBACKS);
    try {
      assert.deepEqual(await sender.send(request(secure.baseUrl)), { kind: 'network', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      // Trusted, but it names no participant: not the recipient's server.
      assert.deepEqual(await trusting.send(request(secure.baseUrl)), {
        kind: 'refused', control: 'certificate', reason: 'the receiver\'s certificate names no participant (no urn:mojaloop:fspid SAN), not payeefsp',
      });
      assert.equal(secure.receipts.length, 0);
    } finally {
      trusting.close();
      await secure.close();
    }
  });
});

describe('http sender: the receiver\'s certificate names the recipient', () => {
  let pki: TestPki;
  const receivers: Receiver[] = [];
  let sender: ReturnType<typeof createHttpSender>;
  /** A receiver presenting a scheme certificate issued to `fspId` for 127.0.0.1 and dfsp.test. */
  const receiverOf = async (fspId: string) => {
    const issued = await pki.issue(fspId, { profile: 'server', hosts: ['127.0.0.1', 'dfsp.test'] });
    const receiver = await startReceiver({ cert: issued.certificateChainPem, key: issued.keyPem });
    receivers.push(receiver);
    return receiver;
  };
  before(async () => {
    pki = await createTestPki();
    sender = createHttpSender(LIMITS, { ca: [...pki.caPems] }, LOOPBACK_CALLBACKS);
  });
  after(async () => {
    sender.close();
    for (const receiver of receivers) await receiver.close();
    pki.dispose();
  });

  it('sends to a server whose certificate names the recipient', async () => {
    const payee = await receiverOf('payeefsp');
    assert.deepEqual(await sender.send(request(payee.baseUrl)), { kind: 'answer', status: 200, retryAfter: null });
    assert.equal(payee.receipts.length, 1);
  });

  it('refuses the hub\'s own certificate and another DFSP\'s, sending nothing', async () => {
    const posingAsHub = await receiverOf('Hub');
    assert.deepEqual(await sender.send(request(posingAsHub.baseUrl)), { kind: 'refused', control: 'certificate', reason: 'the receiver\'s certificate is Hub\'s, not payeefsp\'s' });
    const payer = await receiverOf('payerfsp');
    assert.deepEqual(await sender.send(request(payer.baseUrl)), { kind: 'refused', control: 'certificate', reason: 'the receiver\'s certificate is payerfsp\'s, not payeefsp\'s' });
    assert.equal(posingAsHub.receipts.length + payer.receipts.length, 0);
  });

  it('a keep-alive connection verified for one recipient never carries another\'s callback', async () => {
    const payee = await receiverOf('payeefsp');
    assert.equal((await sender.send(request(payee.baseUrl))).kind, 'answer');
    assert.deepEqual(await sender.send(request(payee.baseUrl, { recipient: 'payerfsp' })), { kind: 'refused', control: 'certificate', reason: 'the receiver\'s certificate is payeefsp\'s, not payerfsp\'s' });
    assert.equal(payee.receipts.length, 1);
  });

  it('callbacks to one recipient share one keep-alive connection', async () => {
    const payee = await receiverOf('payeefsp');
    for (let i = 0; i < 5; i++) assert.equal((await sender.send(request(payee.baseUrl))).kind, 'answer');
    // One handshake for the five: a connection per callback tripled the hub's CPU time a flow in npm run bench.
    assert.equal(payee.connections.opened, 1);
    assert.equal(payee.receipts.length, 5);
  });

  it('checks every new connection again: no TLS session is resumed past the recipient check', async () => {
    const payee = await receiverOf('payeefsp');
    assert.equal((await sender.send(request(payee.baseUrl))).kind, 'answer');
    payee.dropConnections();
    // Time for the sender to see its idle connection closed, so that the next callback makes a new one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await sender.send(request(payee.baseUrl))).kind, 'answer');
    // Node skips checkServerIdentity on a resumed session; the sender never resumes one.
    assert.deepEqual(payee.connections, { opened: 2, resumed: 0 });
  });
});

describe('http sender: the address connected to is one the callback network policy allows', () => {
  let receiver: Receiver;
  let listeners: OwnListener[] = [];
  const names: Record<string, string> = { 'metadata.test': '169.254.169.254', 'mapped.test': '::ffff:169.254.169.254', 'dfsp.test': '127.0.0.1' };
  const resolveAll = (hostname: string) => {
    const address = names[hostname];
    return Promise.resolve(address === undefined ? [] : [{ address, family: address.includes(':') ? 6 : 4 }]);
  };
  const policy = (allowLoopback: boolean) => createCallbackAddressPolicy({ networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback }, () => listeners, resolveAll);
  const strict = createHttpSender(LIMITS, {}, policy(false));
  const demo = createHttpSender(LIMITS, {}, policy(true));
  before(async () => { receiver = await startReceiver(); });
  after(async () => {
    strict.close();
    demo.close();
    await receiver.close();
  });
  const port = () => new URL(receiver.baseUrl).port;

  it('refuses loopback when it is not allowed, literal or by name, and sends nothing', async () => {
    const refused = async (url: string) => (await strict.send(request(url)));
    assert.deepEqual(await refused(`http://127.0.0.1:${port()}/x`), { kind: 'refused', control: 'address', reason: '127.0.0.1 is loopback and delivery.allowLoopbackCallbacks is off' });
    assert.deepEqual(await refused(`http://[::1]:${port()}/x`), { kind: 'refused', control: 'address', reason: '::1 is loopback and delivery.allowLoopbackCallbacks is off' });
    assert.deepEqual(await refused(`http://dfsp.test:${port()}/x`), { kind: 'refused', control: 'address', reason: 'dfsp.test resolves to 127.0.0.1 is loopback and delivery.allowLoopbackCallbacks is off' });
    assert.equal(receiver.receipts.length, 0);
    // Allowed, the same receiver is reached by name: the name's address is what is connected to.
    assert.deepEqual(await demo.send(request(`http://dfsp.test:${port()}/x`)), { kind: 'answer', status: 200, retryAfter: null });
    assert.equal(receiver.receipts.length, 1);
    receiver.reset();
  });

  it('refuses link-local, literal, IPv4-mapped or by name, whatever else is allowed', async () => {
    for (const [url, address] of [['http://169.254.169.254/latest/meta-data', '169.254.169.254'], ['http://[::ffff:169.254.169.254]/x', '169.254.169.254'], ['http://[fe80::1]/x', 'fe80::1']] as const) {
      assert.deepEqual(await demo.send(request(url)), { kind: 'refused', control: 'address', reason: `${address} is link-local (cloud instance metadata lives there): never a callback address` }, url);
    }
    assert.deepEqual(await demo.send(request('http://metadata.test/x')), { kind: 'refused', control: 'address', reason: 'metadata.test resolves to 169.254.169.254 is link-local (cloud instance metadata lives there): never a callback address' });
    assert.deepEqual(await demo.send(request('http://mapped.test/x')), { kind: 'refused', control: 'address', reason: 'mapped.test resolves to 169.254.169.254 is link-local (cloud instance metadata lives there): never a callback address' });
  });

  it('refuses the hub\'s own listeners even with loopback allowed', async () => {
    listeners = [{ name: 'admin', host: '127.0.0.1', port: Number(port()) }];
    // A sender with no keep-alive connection to the receiver yet (the listeners are bound before delivery starts).
    const fresh = createHttpSender(LIMITS, {}, policy(true));
    try {
      assert.deepEqual(await fresh.send(request(`http://127.0.0.1:${port()}/participants`)), { kind: 'refused', control: 'address', reason: `127.0.0.1 port ${port()} is the hub's own admin listener` });
      listeners = [{ name: 'FSPIOP', host: '0.0.0.0', port: Number(port()) }];
      assert.deepEqual(await fresh.send(request(`http://dfsp.test:${port()}/transfers`)), { kind: 'refused', control: 'address', reason: `dfsp.test resolves to 127.0.0.1 port ${port()} is the hub's own FSPIOP listener` });
      assert.equal(receiver.receipts.length, 0);
    } finally {
      fresh.close();
      listeners = [];
    }
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createHttpSender, type HttpRequest } from './http_send.ts';
import { DEFAULT_DELIVERY_LIMITS } from './limits.ts';
import { startReceiver, type Receiver } from './receiver_fixture.ts';

const LIMITS = { ...DEFAULT_DELIVERY_LIMITS, requestTimeoutMs: 300, stopWaitMs: 400 };

function request(url: string, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { url, method: 'PUT', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), signal: new AbortController().signal, ...overrides };
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
  const sender = createHttpSender(LIMITS);
  before(async () => { receiver = await startReceiver(); });
  after(async () => {
    sender.close();
    await receiver.close();
  });

  it('answers with the status once the headers arrive, though the body never ends, and cuts the body off', async () => {
    const patient = createHttpSender({ ...LIMITS, requestTimeoutMs: 5_000, stopWaitMs: 6_000 });
    try {
      receiver.replies = [{ status: 200, endless: true }];
      const startedAt = performance.now();
      assert.deepEqual(await patient.send(request(receiver.baseUrl)), { kind: 'answer', status: 200, retryAfter: null });
      // Past responseBodyBytesMax the connection is closed, long before the request's deadline.
      while (receiver.concurrent.now > 0) {
        assert.ok(performance.now() - startedAt < 2_000, 'the endless answer was cut off');
        await delay(5);
      }
    } finally {
      patient.close();
    }
  });

  it('gives up on a receiver that does not answer at requestTimeoutMs', async () => {
    receiver.replies = ['hang'];
    const startedAt = performance.now();
    assert.deepEqual(await sender.send(request(receiver.baseUrl)), { kind: 'timeout' });
    const tookMs = performance.now() - startedAt;
    assert.ok(tookMs >= LIMITS.requestTimeoutMs - 5 && tookMs < LIMITS.requestTimeoutMs + 200, `${tookMs} ms`);
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
    const trusting = createHttpSender(LIMITS, { ca: tls.cert });
    try {
      assert.deepEqual(await sender.send(request(secure.baseUrl)), { kind: 'network', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      assert.deepEqual(await trusting.send(request(secure.baseUrl)), { kind: 'answer', status: 200, retryAfter: null });
      assert.equal(secure.receipts.length, 1);
    } finally {
      trusting.close();
      await secure.close();
    }
  });
});

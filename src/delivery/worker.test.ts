import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { fail } from '../fspiop/errors.ts';
import { runRefusable, runTransaction } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { enqueue } from './enqueue.ts';
import { DEFAULT_DELIVERY_LIMITS, type DeliveryLimits } from './limits.ts';
import type { OutboundMessage } from './message.ts';
import { outboxOf, type OutboxRow } from './outbox_table.ts';
import { addParticipant, setEndpointUnchecked } from '../testing/tables.ts';
import { capturingLogger, manualClock, setEndpoint, startReceiver, testWorkerControls, type Receiver } from './receiver_fixture.ts';
import { createDeliveryWorker, type DeliveryWorker } from './worker.ts';

const TRANSFER_ID = '0198c3a2-6a2b-7c1d-8e9f-0a1b2c3d4e5f';
/** A signature-shaped header value: it must reach the receiver intact and never reach a log. */
const SIGNATURE = JSON.stringify({ signature: 'S'.repeat(342), protectedHeader: 'eyJhbGciOiJSUzI1NiIsIkZTUElPUC1Tb3VyY2UiOiJIdWIifQ' });
const BODY = '{ "transferState" : "COMMITTED",\n  "completedTimestamp":"2026-11-24T01:02:03.456Z", "note": "café ✓ 𝄞 PERSONAL-DATA" }';

const TEST_LIMITS: DeliveryLimits = {
  ...DEFAULT_DELIVERY_LIMITS,
  requestTimeoutMs: 300,
  attemptsMax: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  backoffJitterPercent: 0,
  stopWaitMs: 400,
  stopAbortGraceMs: 200,
};

function transferPut(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    recipient: 'payeefsp',
    endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT',
    templateValues: { transferId: TRANSFER_ID },
    method: 'PUT',
    headers: {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
      date: 'Tue, 24 Nov 2026 01:02:03 GMT',
      'fspiop-source': 'payerfsp',
      'fspiop-destination': 'payeefsp',
      'fspiop-signature': SIGNATURE,
      'fspiop-uri': `/transfers/${TRANSFER_ID}`,
      'fspiop-http-method': 'PUT',
    },
    body: BODY,
    subject: `transfer ${TRANSFER_ID}/PUT`,
    ...overrides,
  };
}

describeOnEachEngine('delivery worker', (ctx) => {
  const clock = manualClock();
  let receiver: Receiver;
  let other: Receiver;
  let logs: string[];
  /** This test's workers, stopped after it so that their keep-alive connections close. */
  let workers: DeliveryWorker[] = [];

  const outbox = () => outboxOf(ctx.storage.db);
  const rowOf = (id: number): Promise<OutboxRow> => outbox().selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** Enqueues in a transaction of its own and returns the new row's id. */
  const put = async (m: OutboundMessage = transferPut()): Promise<number> => {
    await runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => enqueue(tx, m, clock.nowMs()));
    const newest = await outbox().selectFrom('outbox').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    return newest.id;
  };
  const newWorker = (limits: DeliveryLimits = TEST_LIMITS) => {
    const captured = capturingLogger();
    logs = captured.lines;
    const worker = createDeliveryWorker({ db: ctx.storage.db, engine: ctx.storage.engine, clock, log: captured.log, limits, ...testWorkerControls() });
    workers.push(worker);
    return worker;
  };

  before(async () => {
    receiver = await startReceiver();
    other = await startReceiver();
    await addParticipant(ctx.storage, 'payeefsp');
    await addParticipant(ctx.storage, 'payerfsp');
    await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', `${receiver.baseUrl}/payee/transfers/{{transferId}}`);
    await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_PARTIES_PUT', `${receiver.baseUrl}/payee/parties/{{partyIdType}}/{{partyIdentifier}}`);
  });

  after(async () => {
    await receiver.close();
    await other.close();
  });

  beforeEach(async () => {
    await outbox().deleteFrom('outbox').execute();
    receiver.reset();
    other.reset();
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  });

  test('sends the exact body bytes and headers, adding only Host, Connection and Content-Length', async () => {
    const worker = newWorker();
    const id = await put();
    assert.deepEqual(await worker.runOnce(), { claimed: 1 });

    assert.equal(receiver.receipts.length, 1);
    const receipt = receiver.receipts[0]!;
    assert.equal(receipt.method, 'PUT');
    assert.equal(receipt.url, `/payee/transfers/${TRANSFER_ID}`);
    assert.deepEqual(receipt.body, Buffer.from(BODY, 'utf8'));
    const sent = Object.entries(transferPut().headers);
    assert.deepEqual(receipt.rawHeaders.slice(0, sent.length), sent, 'the stored headers, in order, names and values untouched');
    assert.deepEqual(
      receipt.rawHeaders.slice(sent.length).map(([name, value]) => [name.toLowerCase(), name.toLowerCase() === 'host' ? 'host' : value]),
      [['content-length', String(Buffer.byteLength(BODY))], ['host', 'host'], ['connection', 'keep-alive']],
      'no accept, user-agent or other header of the client\'s own',
    );

    const row = await rowOf(id);
    assert.equal(row.state, 'DELIVERED');
    assert.equal(row.attempts, 1);
    assert.equal(row.last_status, 200);
    assert.equal(row.delivered_at_ms, clock.nowMs());
    assert.equal(row.claimed_by, null);
    assert.deepEqual(worker.metrics(), { looks: 1, claimed: 1, delivered: 1, retried: 0, failed: 0, released: 0, claimsLost: 0, leaseTooShortToSend: 0, errors: 0, queued: 0, inFlight: 0 });

    const delivered = logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === 'callback delivered');
    assert.deepEqual(
      { subject: delivered?.['subject'], recipient: delivered?.['recipient'], attempt: delivered?.['attempt'], outcome: delivered?.['outcome'], status: delivered?.['status'] },
      { subject: `transfer ${TRANSFER_ID}/PUT`, recipient: 'payeefsp', attempt: 1, outcome: 'DELIVERED', status: 200 },
    );
    const allLogs = logs.join('\n');
    assert.ok(!allLogs.includes('PERSONAL-DATA') && !allLogs.includes('SSSSSSSS') && !allLogs.includes('/payee/'), 'no body, signature or URL in the logs');
  });

  test('builds the URL from the endpoint current at send time, its placeholders percent-encoded, with the path suffix', async () => {
    const worker = newWorker();
    const id = await put(transferPut({
      endpointType: 'FSPIOP_CALLBACK_URL_PARTIES_PUT',
      templateValues: { partyIdType: 'MSISDN', partyIdentifier: '+1 555/0?x#y' },
      pathSuffix: '/error',
      subject: 'party lookup error',
    }));
    await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_PARTIES_PUT', `${other.baseUrl}/moved/parties/{{partyIdType}}/{{partyIdentifier}}`);
    await worker.runOnce();
    assert.equal(receiver.receipts.length, 0, 'not to the endpoint of when the message was enqueued');
    assert.deepEqual(other.receipts.map((r) => r.url), ['/moved/parties/MSISDN/%2B1%20555%2F0%3Fx%23y/error']);
    assert.equal((await rowOf(id)).state, 'DELIVERED');
  });

  test('retries a 500 after backoff, then delivers', async () => {
    const worker = newWorker();
    receiver.replies = [{ status: 500 }];
    const id = await put();
    const startMs = clock.nowMs();
    await worker.runOnce();
    let row = await rowOf(id);
    assert.deepEqual([row.state, row.attempts, row.last_status, row.last_error, row.next_attempt_at_ms, row.claimed_by], ['PENDING', 1, 500, 'HTTP 500', startMs + 1_000, null]);

    clock.advance(999);
    assert.deepEqual(await worker.runOnce(), { claimed: 0 }, 'not due before its backoff has passed');
    clock.advance(1);
    assert.deepEqual(await worker.runOnce(), { claimed: 1 });
    row = await rowOf(id);
    assert.deepEqual([row.state, row.attempts, row.last_status, row.last_error], ['DELIVERED', 2, 200, null]);
    assert.equal(receiver.receipts.length, 2);
    assert.deepEqual(receiver.receipts[1]!.body, receiver.receipts[0]!.body);
    assert.equal(worker.metrics().retried, 1);
  });

  test('retries a server that does not answer within requestTimeoutMs, then delivers', async () => {
    const worker = newWorker();
    receiver.replies = ['hang'];
    const id = await put();
    const startedAt = performance.now();
    await worker.runOnce();
    assert.ok(performance.now() - startedAt < TEST_LIMITS.requestTimeoutMs + 250, 'the attempt ended at its deadline');
    let row = await rowOf(id);
    assert.deepEqual([row.state, row.attempts, row.last_status, row.last_error], ['PENDING', 1, null, `no answer within ${TEST_LIMITS.requestTimeoutMs} ms`]);
    clock.set(row.next_attempt_at_ms);
    await worker.runOnce();
    row = await rowOf(id);
    assert.deepEqual([row.state, row.attempts], ['DELIVERED', 2]);
  });

  test('retries 408 and 429, waiting at least Retry-After, and a refused connection', async () => {
    const worker = newWorker();
    receiver.replies = [{ status: 429, headers: { 'retry-after': '30' } }, { status: 408 }];
    const id = await put();
    await worker.runOnce();
    let row = await rowOf(id);
    assert.deepEqual([row.state, row.last_status, row.next_attempt_at_ms - clock.nowMs()], ['PENDING', 429, 30_000]);
    clock.set(row.next_attempt_at_ms);
    await worker.runOnce();
    row = await rowOf(id);
    assert.deepEqual([row.state, row.last_status, row.next_attempt_at_ms - clock.nowMs()], ['PENDING', 408, 2_000]);

    const closed = await startReceiver();
    await closed.close();
    const refusedId = await put(transferPut({ templateValues: { transferId: 'other' }, subject: 'to a closed port' }));
    await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', `${closed.baseUrl}/payee/transfers/{{transferId}}`);
    try {
      clock.set(row.next_attempt_at_ms);
      await worker.runOnce();
    } finally {
      await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', `${receiver.baseUrl}/payee/transfers/{{transferId}}`);
    }
    const refused = await rowOf(refusedId);
    assert.deepEqual([refused.state, refused.last_status, refused.last_error], ['PENDING', null, 'network error ECONNREFUSED']);
  });

  test('gives up after attemptsMax: FAILED, with the last reason', async () => {
    const worker = newWorker();
    receiver.fallback = { status: 503 };
    const id = await put();
    for (let attempt = 1; attempt <= TEST_LIMITS.attemptsMax; attempt++) {
      assert.deepEqual(await worker.runOnce(), { claimed: 1 }, `attempt ${attempt}`);
      clock.set((await rowOf(id)).next_attempt_at_ms);
    }
    const row = await rowOf(id);
    assert.deepEqual([row.state, row.attempts, row.last_status, row.last_error, row.claimed_by],
      ['FAILED', 3, 503, 'HTTP 503; gave up after 3 attempts', null]);
    assert.equal(receiver.receipts.length, 3);
    clock.advance(3_600_000);
    assert.deepEqual(await worker.runOnce(), { claimed: 0 }, 'a FAILED row is never claimed again');
    assert.deepEqual([worker.metrics().retried, worker.metrics().failed], [2, 1]);
    assert.ok(logs.some((line) => line.includes('"outcome":"FAILED"') && line.includes('"recipient":"payeefsp"')));
  });

  test('a message past its notAfterMs lapses unsent: FAILED, its last attempt not counted, and never sent later', async () => {
    const worker = newWorker();
    receiver.replies = [{ status: 503 }];
    const id = await put(transferPut({ notAfterMs: clock.nowMs() + 1_500 }));
    await worker.runOnce();
    assert.equal(receiver.receipts.length, 1, 'sent while it had not lapsed');
    clock.set((await rowOf(id)).next_attempt_at_ms + 1_000);
    assert.deepEqual(await worker.runOnce(), { claimed: 1 });
    const row = await rowOf(id);
    assert.equal(receiver.receipts.length, 1, 'not sent once lapsed');
    assert.deepEqual([row.state, row.attempts], ['FAILED', 1]);
    assert.match(row.last_error ?? '', /^lapsed unsent/);
    clock.advance(3_600_000);
    assert.deepEqual(await worker.runOnce(), { claimed: 0 });
  });

  test('a 4xx other than 408 and 429 is FAILED at once', async () => {
    const worker = newWorker();
    for (const status of [400, 404]) {
      receiver.reset();
      receiver.replies = [{ status }];
      const id = await put();
      await worker.runOnce();
      const row = await rowOf(id);
      assert.deepEqual([row.state, row.attempts, row.last_status, row.last_error], ['FAILED', 1, status, `HTTP ${status}: refused by the receiver`]);
      assert.equal(receiver.receipts.length, 1);
    }
  });

  test('a redirect is not followed: FAILED, and the other server never hears of it', async () => {
    const worker = newWorker();
    receiver.replies = [{ status: 307, headers: { location: `${other.baseUrl}/elsewhere` } }];
    const id = await put();
    await worker.runOnce();
    const row = await rowOf(id);
    assert.deepEqual([row.state, row.last_status, row.last_error], ['FAILED', 307, 'HTTP 307: redirect not followed']);
    assert.equal(other.receipts.length, 0);
  });

  test('no endpoint of the type: FAILED with a clear reason, and a log line naming recipient and endpoint type', async () => {
    const worker = newWorker();
    const noEndpoint = await put(transferPut({ endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR', pathSuffix: '', subject: 'no endpoint' }));
    const noParticipant = await put(transferPut({ recipient: 'ghostfsp', subject: 'no participant' }));
    await worker.runOnce();
    assert.equal((await rowOf(noEndpoint)).last_error, 'payeefsp has no FSPIOP_CALLBACK_URL_TRANSFER_ERROR endpoint');
    assert.equal((await rowOf(noEndpoint)).state, 'FAILED');
    assert.equal((await rowOf(noParticipant)).last_error, 'ghostfsp has no FSPIOP_CALLBACK_URL_TRANSFER_PUT endpoint');
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((entry) => entry['subject'] === 'no endpoint');
    assert.deepEqual([line?.['recipient'], line?.['endpointType'], line?.['outcome']], ['payeefsp', 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR', 'FAILED']);
    assert.equal(receiver.receipts.length, 0);
  });

  test('only http and https: any other endpoint found at send time is FAILED, not sent', async () => {
    const worker = newWorker();
    for (const value of ['file:///etc/passwd', 'ftp://127.0.0.1/transfers/{{transferId}}', 'javascript:alert(1)', `${receiver.baseUrl.replace('http', 'gopher')}/x`]) {
      await setEndpointUnchecked(ctx.storage, 'payerfsp', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', value);
      const id = await put(transferPut({ recipient: 'payerfsp', subject: value }));
      await worker.runOnce();
      const row = await rowOf(id);
      assert.equal(row.state, 'FAILED', value);
      assert.match(row.last_error ?? '', /not an http or https URL|not a URL with placeholders/, value);
    }
    assert.equal(receiver.receipts.length, 0);
  });

  test('a template value that would change the path is FAILED, not sent', async () => {
    const worker = newWorker();
    const id = await put(transferPut({ templateValues: { transferId: '..' } }));
    await worker.runOnce();
    assert.deepEqual([(await rowOf(id)).state, (await rowOf(id)).last_error], ['FAILED', 'the value for {{transferId}} is not a usable path segment']);
    assert.equal(receiver.receipts.length, 0);
  });

  test('restart safety: a message enqueued in a transaction that rolls back is never sent; one that commits is', async () => {
    await assert.rejects(runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await enqueue(tx, transferPut({ subject: 'rolled back by a throw' }), clock.nowMs());
      throw new Error('the state change failed');
    }), /the state change failed/);
    const refusal = await runRefusable(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await enqueue(tx, transferPut({ subject: 'rolled back by a refusal' }), clock.nowMs());
      return fail('3100', 'refused');
    });
    assert.equal(refusal.ok, false);
    await put(transferPut({ subject: 'committed' }));

    // A new worker, as after a restart: what it finds is what committed.
    assert.deepEqual(await newWorker().runOnce(), { claimed: 1 });
    assert.equal(receiver.receipts.length, 1);
    const rows = await outbox().selectFrom('outbox').select(['subject', 'state']).execute();
    assert.deepEqual(rows, [{ subject: 'committed', state: 'DELIVERED' }]);
  });
});

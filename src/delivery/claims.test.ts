// Claims across workers and processes: a row is sent by one holder at a time,
// a holder that died is replaced once its lease runs out, and one worker's
// memory and connections stay within its limits.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { openStorage, runTransaction, type Storage } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { enqueue } from './enqueue.ts';
import type { HttpAnswer, HttpRequest } from './http_send.ts';
import { DEFAULT_DELIVERY_LIMITS, type DeliveryLimits } from './limits.ts';
import type { OutboundMessage } from './message.ts';
import { claimDue } from './outbox_store.ts';
import { outboxOf, type OutboxRow } from './outbox_table.ts';
import { addParticipant } from '../testing/tables.ts';
import { capturingLogger, manualClock, setEndpoint, startReceiver, testWorkerControls, type Receiver } from './receiver_fixture.ts';
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerDeps } from './worker.ts';

const LIMITS: DeliveryLimits = {
  ...DEFAULT_DELIVERY_LIMITS,
  claimBatchRowsMax: 4,
  queuedRowsMax: 6,
  sendsConcurrentMax: 3,
  requestTimeoutMs: 2_000,
  attemptsMax: 3,
  backoffJitterPercent: 0,
  pollIntervalMs: 10,
  claimLeaseMs: 60_000,
  stopWaitMs: 2_500,
  stopAbortGraceMs: 500,
};

function message(n: number): OutboundMessage {
  return {
    recipient: 'payeefsp',
    endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT',
    templateValues: { transferId: `t${n}` },
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=1.1' },
    body: `{"n":${n}}`,
    subject: `message ${n}`,
  };
}

/** Polls `condition` every few milliseconds, for at most `ms`. */
async function until(condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    assert.ok(performance.now() < deadline, 'condition not met in time');
    await delay(5);
  }
}

describeOnEachEngine('delivery claims', (ctx) => {
  const clock = manualClock();
  let receiver: Receiver;
  let workers: DeliveryWorker[] = [];
  const outbox = () => outboxOf(ctx.storage.db);
  const rows = (): Promise<OutboxRow[]> => outbox().selectFrom('outbox').selectAll().orderBy('id').execute();
  const enqueueMany = (count: number, storage: Storage = ctx.storage) =>
    runTransaction(storage.db, storage.engine, async (tx) => {
      for (let n = 0; n < count; n++) await enqueue(tx, message(n), clock.nowMs());
    });
  const newWorker = (overrides: Partial<DeliveryWorkerDeps> = {}) => {
    const worker = createDeliveryWorker({ db: ctx.storage.db, engine: ctx.storage.engine, clock, log: capturingLogger().log, limits: LIMITS, ...testWorkerControls(), ...overrides });
    workers.push(worker);
    return worker;
  };
  /** How many times each message reached the receiver, by its transferId. */
  const receiptsPerMessage = () => {
    const counts = new Map<string, number>();
    for (const receipt of receiver.receipts) counts.set(receipt.url, (counts.get(receipt.url) ?? 0) + 1);
    return counts;
  };

  before(async () => {
    receiver = await startReceiver();
    await addParticipant(ctx.storage, 'payeefsp');
    await setEndpoint(ctx.storage, clock, 'payeefsp', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', `${receiver.baseUrl}/transfers/{{transferId}}`);
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(async () => {
    await outbox().deleteFrom('outbox').execute();
    receiver.reset();
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  });

  test('a row whose holder died mid-send is claimed again once its lease runs out, and the dead holder\'s late outcome is not recorded', async () => {
    await enqueueMany(1);
    // Worker A "dies" mid-send: its request never ends until the test lets it.
    let releaseA: (answer: HttpAnswer) => void = () => undefined;
    let aSent = false;
    const a = newWorker({
      workerId: 'worker-a',
      send: (_request: HttpRequest) => new Promise<HttpAnswer>((resolve) => { aSent = true; releaseA = resolve; }),
    });
    const b = newWorker({ workerId: 'worker-b' });
    const aRun = a.runOnce();
    await until(() => aSent);
    let [row] = await rows();
    assert.deepEqual([row?.claimed_by, row?.attempts, row?.claimed_until_ms], ['worker-a', 1, clock.nowMs() + LIMITS.claimLeaseMs]);

    assert.deepEqual(await b.runOnce(), { claimed: 0 }, 'not while A\'s lease runs');
    clock.advance(LIMITS.claimLeaseMs - 1);
    assert.deepEqual(await b.runOnce(), { claimed: 0 }, 'not a millisecond early');
    clock.advance(1);
    receiver.replies = [{ status: 500 }];
    assert.deepEqual(await b.runOnce(), { claimed: 1 });
    [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.last_status, row?.claimed_by], ['PENDING', 2, 500, null]);
    assert.equal(receiver.receipts.length, 1);

    // A wakes up and reports success: it no longer holds the row, so nothing changes.
    releaseA({ kind: 'answer', status: 200, retryAfter: null });
    await aRun;
    [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.last_status], ['PENDING', 2, 500]);
    assert.equal(a.metrics().claimsLost, 1);

    clock.set(row!.next_attempt_at_ms);
    assert.deepEqual(await b.runOnce(), { claimed: 1 });
    [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts], ['DELIVERED', 3]);
  });

  test('a worker\'s late outcome of its own earlier claim is not recorded over its later claim', async () => {
    await enqueueMany(1);
    const hung: ((answer: HttpAnswer) => void)[] = [];
    // Every send hangs until the test answers it: the first outlives its lease (a stalled process).
    const worker = newWorker({ workerId: 'same-worker', send: () => new Promise<HttpAnswer>((resolve) => { hung.push(resolve); }) });
    const first = worker.runOnce();
    await until(() => hung.length === 1);
    clock.advance(LIMITS.claimLeaseMs);
    const second = worker.runOnce();
    await until(() => hung.length === 2);

    hung[0]!({ kind: 'answer', status: 200, retryAfter: null });
    await until(() => worker.metrics().claimsLost === 1);
    let [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.claimed_by], ['PENDING', 2, 'same-worker'], 'the later claim still holds the row');

    hung[1]!({ kind: 'answer', status: 500, retryAfter: null });
    await Promise.all([first, second]);
    [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.last_status, row?.claimed_by], ['PENDING', 2, 500, null]);
  });

  test('a late outcome after another worker handed the row back is not recorded', async () => {
    await enqueueMany(1);
    let answerA: ((answer: HttpAnswer) => void) | undefined;
    const a = newWorker({ workerId: 'worker-a', send: () => new Promise<HttpAnswer>((resolve) => { answerA = resolve; }) });
    const aRun = a.runOnce();
    // A is sending: past its check of the lease, which the clock moved on first would fail (A would hand the row back).
    await until(() => answerA !== undefined);
    clock.advance(LIMITS.claimLeaseMs);
    let bSent = false;
    const b = newWorker({
      workerId: 'worker-b',
      limits: { ...LIMITS, requestTimeoutMs: 100, stopWaitMs: 150 },
      send: (request) => new Promise<HttpAnswer>((resolve) => {
        bSent = true;
        request.signal.addEventListener('abort', () => { resolve({ kind: 'aborted' }); });
      }),
    });
    b.start();
    await until(() => bSent);
    await b.stop();
    let [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.claimed_by], ['PENDING', 1, null], 'B handed it back, its attempt uncounted');

    answerA?.({ kind: 'answer', status: 200, retryAfter: null });
    await aRun;
    [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.claimed_by, row?.delivered_at_ms], ['PENDING', 1, null, null]);
    assert.equal(a.metrics().claimsLost, 1);
  });

  test('a row whose last allowed attempt was never recorded becomes FAILED when claimed again, without another send', async () => {
    await enqueueMany(1);
    await outbox().updateTable('outbox').set({ attempts: LIMITS.attemptsMax, claimed_by: 'dead', claimed_until_ms: clock.nowMs() }).execute();
    const worker = newWorker();
    assert.deepEqual(await worker.runOnce(), { claimed: 1 });
    const [row] = await rows();
    assert.deepEqual([row?.state, row?.attempts, row?.last_error], ['FAILED', LIMITS.attemptsMax, `no outcome recorded for attempt ${LIMITS.attemptsMax}, the last allowed`]);
    assert.equal(receiver.receipts.length, 0);
  });

  test('a claim too close to its end is not sent (it could overlap the next holder\'s send) but handed back', async () => {
    await enqueueMany(1);
    // The clock jumps (a stalled process) between the claim and the send, to where a send that
    // ran its whole requestTimeoutMs would end 2 s before the lease, within clockSkewMsMax of it.
    const claimedAt = clock.nowMs();
    let reads = 0;
    const jumping = { nowMs: () => (reads++ === 0 ? claimedAt : claimedAt + 10_000 - LIMITS.requestTimeoutMs - LIMITS.clockSkewMsMax) };
    const worker = newWorker({ limits: { ...LIMITS, claimLeaseMs: 10_000 }, clock: jumping });
    await worker.runOnce();
    assert.equal(receiver.receipts.length, 0);
    assert.equal(worker.metrics().leaseTooShortToSend, 1);
    const [row] = await rows();
    assert.deepEqual([row?.state, row?.claimed_by, row?.attempts], ['PENDING', null, 0], 'handed back unsent, no attempt used');
  });

  test('two workers (on PostgreSQL, on separate connection pools) deliver every row exactly once', async () => {
    // On PostgreSQL the second storage is another connection pool, as a second hub process would
    // have. node:sqlite is synchronous, so a second connection in this same process would block the
    // thread while waiting for the first one's lock: on SQLite both workers share the connection,
    // as two workers of one process do (separate processes on one SQLite file are serialised by
    // BEGIN IMMEDIATE; the ledger's concurrency test exercises that with worker threads).
    const second = ctx.engine === 'postgres' ? openStorage(ctx.url) : ctx.storage;
    try {
      await enqueueMany(40);
      receiver.fallback = { status: 200, delayMs: 5 };
      const a = newWorker({ workerId: 'worker-a' });
      const b = newWorker({ workerId: 'worker-b', db: second.db });
      const drain = async (worker: DeliveryWorker) => {
        for (let round = 0; round < 40; round++) if ((await worker.runOnce()).claimed === 0) return;
      };
      await Promise.all([drain(a), drain(b)]);

      const all = await rows();
      assert.equal(all.length, 40);
      assert.ok(all.every((r) => r.state === 'DELIVERED' && r.attempts === 1), 'each row claimed once');
      const counts = receiptsPerMessage();
      assert.equal(counts.size, 40);
      assert.ok([...counts.values()].every((n) => n === 1), 'no row sent twice');
      assert.equal(a.metrics().delivered + b.metrics().delivered, 40);
      assert.ok(a.metrics().delivered > 0 && b.metrics().delivered > 0, `both workers took part (a ${a.metrics().delivered}, b ${b.metrics().delivered})`);
    } finally {
      if (second !== ctx.storage) await second.close();
    }
  });

  test('claims racing from four connection pools never take the same row', async () => {
    const pools = ctx.engine === 'postgres' ? [0, 1, 2, 3].map(() => openStorage(ctx.url)) : [ctx.storage];
    try {
      await enqueueMany(200);
      const claimers = [0, 1, 2, 3].map(async (i) => {
        const storage = pools[i % pools.length]!;
        const ids: number[] = [];
        // Bounded: 200 rows take 40 claims of 5; a broken claim that takes rows twice must not loop for ever.
        for (let round = 0; round < 80; round++) {
          const claimed = await claimDue(storage.db, storage.engine, `claimer-${i}`, clock.nowMs(), 5, LIMITS.claimLeaseMs);
          if (claimed.length === 0) break;
          ids.push(...claimed.map((row) => row.id));
        }
        return ids;
      });
      const taken = (await Promise.all(claimers)).flat();
      assert.equal(taken.length, 200, 'every row claimed once, none twice');
      assert.equal(new Set(taken).size, 200);
      const all = await rows();
      assert.ok(all.every((row) => row.attempts === 1 && row.claimed_by !== null));
    } finally {
      for (const storage of pools) if (storage !== ctx.storage) await storage.close();
    }
  });

  test('started: a slow receiver never sees more than sendsConcurrentMax at once, and the in-memory queue stays within queuedRowsMax', async () => {
    await enqueueMany(15);
    receiver.fallback = { status: 200, delayMs: 60 };
    const worker = newWorker({ workerId: 'bounded' });
    let heldMax = 0;
    let claimedInDbMax = 0;
    worker.start();
    await until(async () => {
      const m = worker.metrics();
      heldMax = Math.max(heldMax, m.queued + m.inFlight);
      assert.ok(m.inFlight <= LIMITS.sendsConcurrentMax, `in flight ${m.inFlight}`);
      const claimed = await outbox().selectFrom('outbox').select((eb) => eb.fn.countAll().as('n'))
        .where('state', '=', 'PENDING').where('claimed_by', '=', 'bounded').executeTakeFirstOrThrow();
      claimedInDbMax = Math.max(claimedInDbMax, Number(claimed.n));
      return m.delivered === 15;
    });
    assert.equal(receiver.concurrent.max, LIMITS.sendsConcurrentMax, 'the limit is reached and never passed');
    assert.ok(heldMax <= LIMITS.queuedRowsMax && heldMax > LIMITS.sendsConcurrentMax, `held at most ${heldMax}`);
    assert.ok(claimedInDbMax <= LIMITS.queuedRowsMax, `claimed at most ${claimedInDbMax}`);
    assert.equal(receiver.receipts.length, 15);
  });

  test('started: a message enqueued later is found by polling, or at once on wake()', async () => {
    const worker = newWorker({ limits: { ...LIMITS, pollIntervalMs: 60_000 } });
    worker.start();
    // The worker's first look is done and found nothing; the message is enqueued after it.
    await until(() => worker.metrics().looks === 1);
    await runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => enqueue(tx, message(1), clock.nowMs()));
    assert.equal(worker.metrics().looks, 1, 'the next poll is a minute away');
    assert.equal(receiver.receipts.length, 0);
    worker.wake();
    await until(() => worker.metrics().delivered === 1);

    const polling = newWorker();
    polling.start();
    await runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => enqueue(tx, message(99), clock.nowMs()));
    await until(() => polling.metrics().delivered === 1);
  });

  test('stop() lets sends in flight finish, and hands back claimed rows not yet sent', async () => {
    await enqueueMany(6);
    receiver.fallback = { status: 200, delayMs: 150 };
    const worker = newWorker({ workerId: 'stopping' });
    worker.start();
    await until(() => worker.metrics().inFlight === LIMITS.sendsConcurrentMax && worker.metrics().queued === 3);
    await worker.stop();
    const all = await rows();
    const delivered = all.filter((r) => r.state === 'DELIVERED');
    const handedBack = all.filter((r) => r.state === 'PENDING');
    assert.equal(delivered.length, LIMITS.sendsConcurrentMax);
    assert.equal(handedBack.length, 3);
    assert.ok(handedBack.every((r) => r.claimed_by === null && r.attempts === 0 && r.next_attempt_at_ms <= clock.nowMs()), 'due again at once, no attempt used');
    assert.equal(worker.metrics().released, 3);
    assert.equal(receiver.receipts.length, LIMITS.sendsConcurrentMax);
  });

  test('stop() aborts a send that outlasts stopWaitMs and hands its row back', async () => {
    await enqueueMany(1);
    let sent = false;
    const worker = newWorker({
      limits: { ...LIMITS, requestTimeoutMs: 100, stopWaitMs: 150, stopAbortGraceMs: 500 },
      // A send that ignores its own deadline and ends only when aborted.
      send: (request) => new Promise<HttpAnswer>((resolve) => {
        sent = true;
        request.signal.addEventListener('abort', () => { resolve({ kind: 'aborted' }); });
      }),
    });
    worker.start();
    await until(() => sent);
    const startedAt = performance.now();
    await worker.stop();
    assert.ok(performance.now() - startedAt < 150 + 500, 'stop() is bounded');
    const [row] = await rows();
    assert.deepEqual([row?.state, row?.claimed_by, row?.attempts], ['PENDING', null, 0]);
    assert.equal(worker.metrics().released, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, outcomeOfNoAnswer, outcomeOfStatus, shortReason } from './attempt_outcome.ts';
import { DEFAULT_DELIVERY_LIMITS, OUTBOX_MESSAGE_LIMITS } from './limits.ts';

describe('outcomeOfStatus', () => {
  it('2xx is delivered', () => {
    for (const status of [200, 202, 204, 299]) assert.deepEqual(outcomeOfStatus(status, null), { kind: 'delivered', status });
  });

  it('408, 429 and 5xx are retried, with Retry-After in seconds when given', () => {
    for (const status of [408, 429, 500, 501, 502, 503, 504, 599]) assert.equal(outcomeOfStatus(status, null).kind, 'retry', String(status));
    assert.deepEqual(outcomeOfStatus(503, ' 30 '), { kind: 'retry', status: 503, reason: 'HTTP 503', retryAfterMs: 30_000 });
    assert.deepEqual(outcomeOfStatus(429, 'Wed, 21 Oct 2015 07:28:00 GMT'), { kind: 'retry', status: 429, reason: 'HTTP 429', retryAfterMs: null });
    assert.deepEqual(outcomeOfStatus(429, '-5'), { kind: 'retry', status: 429, reason: 'HTTP 429', retryAfterMs: null });
  });

  it('3xx is FAILED: a redirect is not followed', () => {
    for (const status of [300, 301, 302, 303, 307, 308]) {
      assert.deepEqual(outcomeOfStatus(status, null), { kind: 'refused', status, reason: `HTTP ${status}: redirect not followed` });
    }
  });

  it('any other 4xx is FAILED at once', () => {
    for (const status of [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 499]) assert.equal(outcomeOfStatus(status, null).kind, 'refused', String(status));
  });

  it('a status outside 200..599 is FAILED, and not stored as a status', () => {
    for (const status of [0, 101, 600, 999]) assert.deepEqual(outcomeOfStatus(status, null), { kind: 'refused', status: null, reason: `unexpected HTTP status ${status}` });
  });
});

describe('outcomeOfNoAnswer', () => {
  it('a timeout or a network error is retried; a request that cannot be made is FAILED', () => {
    assert.deepEqual(outcomeOfNoAnswer({ kind: 'timeout' }, 250), { kind: 'retry', status: null, reason: 'no answer within 250 ms', retryAfterMs: null });
    assert.deepEqual(outcomeOfNoAnswer({ kind: 'network', code: 'ECONNREFUSED' }, 250), { kind: 'retry', status: null, reason: 'network error ECONNREFUSED', retryAfterMs: null });
    assert.equal(outcomeOfNoAnswer({ kind: 'unsendable', code: 'ERR_INVALID_CHAR' }, 250).kind, 'refused');
  });
});

describe('backoffMs', () => {
  const exact = { ...DEFAULT_DELIVERY_LIMITS, backoffBaseMs: 1_000, backoffMaxMs: 60_000, backoffJitterPercent: 0 };

  it('doubles from backoffBaseMs per attempt up to backoffMaxMs', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 100, 10_000].map((n) => backoffMs(n, exact)), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('takes off up to backoffJitterPercent at random', () => {
    const jittered = { ...exact, backoffJitterPercent: 50 };
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const wait = backoffMs(3, jittered);
      assert.ok(wait >= 2_000 && wait <= 4_000, String(wait));
      seen.add(wait);
    }
    assert.ok(seen.size > 10, 'the waits differ');
  });

  it('lengthens a wait to Retry-After, but never past backoffMaxMs', () => {
    assert.equal(backoffMs(1, exact, 30_000), 30_000);
    assert.equal(backoffMs(1, exact, 3_600_000), 60_000);
    assert.equal(backoffMs(6, exact, 1_000), 32_000);
  });
});

describe('shortReason', () => {
  it('keeps a reason to one line of at most lastErrorLengthMax characters', () => {
    assert.equal(shortReason('a\r\nb\tc'), 'a  b c');
    const long = shortReason('x'.repeat(500));
    assert.equal(long.length, OUTBOX_MESSAGE_LIMITS.lastErrorLengthMax);
    assert.ok(long.endsWith('…'));
  });
});

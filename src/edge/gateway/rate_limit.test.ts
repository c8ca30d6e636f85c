import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_RATE_LIMITS, type ApiRateLimits, type RateLimit } from '../../config/index.ts';
import { FSPIOP_APIS } from '../../fspiop/apis.ts';
import { createRateLimiter } from './rate_limit.ts';

function fakeClock(startMs = 1_700_000_000_000) {
  let nowMs = startMs;
  return { nowMs: () => nowMs, advance(ms: number) { nowMs += ms; } };
}

const limits = (limit: RateLimit): ApiRateLimits => ({ lookup: limit, quotes: limit, transfers: limit, risk: limit });

/** How many of `count` takes at the same instant are admitted. */
function admitted(take: () => unknown, count: number): number {
  let n = 0;
  for (let i = 0; i < count; i += 1) if (take() === undefined) n += 1;
  return n;
}

test('a burst is admitted, then the next request is refused with 429, 3000, Retry-After and a rate-limited event', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 2, burst: 5 }) }, clock);
  assert.equal(admitted(() => limiter.take('payerfsp', 'transfers'), 5), 5);
  const refusal = limiter.take('payerfsp', 'transfers');
  assert.ok(refusal !== undefined);
  assert.equal(refusal.httpStatus, 429);
  assert.equal(refusal.failure.code, '3000');
  assert.equal(refusal.failure.detail, 'rate limit exceeded for the transfers API; retry after 1 s');
  // 2 tokens a second: the next one is 500 ms away, rounded up to whole seconds.
  assert.deepEqual(refusal.headers, { 'Retry-After': '1' });
  assert.equal(refusal.event.kind, 'rate-limited');
  assert.match(refusal.event.reason, /transfers/);
  assert.match(refusal.event.reason, /2\/s, burst 5/);
});

test('Retry-After is the whole seconds until the next token, rounded up, and at least 1', () => {
  const clock = fakeClock();
  const slow = createRateLimiter({ limits: limits({ ratePerS: 1, burst: 1 }) }, clock);
  assert.equal(slow.take('payerfsp', 'quotes'), undefined);
  assert.equal(slow.take('payerfsp', 'quotes')?.headers?.['Retry-After'], '1');
  clock.advance(400);
  // 600 ms still to wait: 1 s, never 0.
  assert.equal(slow.take('payerfsp', 'quotes')?.headers?.['Retry-After'], '1');
  clock.advance(600);
  assert.equal(slow.take('payerfsp', 'quotes'), undefined);
});

test('a bucket refills at its rate over (fake) time, never beyond its burst', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 10, burst: 20 }) }, clock);
  assert.equal(admitted(() => limiter.take('payerfsp', 'lookup'), 25), 20);
  clock.advance(99);
  assert.notEqual(limiter.take('payerfsp', 'lookup'), undefined, '99 ms at 10/s is less than one token');
  clock.advance(1);
  assert.equal(limiter.take('payerfsp', 'lookup'), undefined, '100 ms at 10/s is one token');
  clock.advance(500);
  assert.equal(admitted(() => limiter.take('payerfsp', 'lookup'), 10), 5);
  clock.advance(3_600_000);
  assert.equal(admitted(() => limiter.take('payerfsp', 'lookup'), 50), 20, 'an hour of quiet fills the bucket to its burst, no more');
});

test('a clock that steps back refills nothing and does not break the bucket', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 1, burst: 2 }) }, clock);
  assert.equal(admitted(() => limiter.take('payerfsp', 'transfers'), 3), 2);
  clock.advance(-60_000);
  assert.notEqual(limiter.take('payerfsp', 'transfers'), undefined);
  clock.advance(60_000 + 1_000);
  assert.equal(limiter.take('payerfsp', 'transfers'), undefined);
});

test('each participant and each API has its own bucket', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 1, burst: 3 }) }, clock);
  assert.equal(admitted(() => limiter.take('payerfsp', 'transfers'), 10), 3);
  assert.equal(admitted(() => limiter.take('payerfsp', 'quotes'), 10), 3);
  assert.equal(admitted(() => limiter.take('payerfsp', 'lookup'), 10), 3);
  assert.equal(admitted(() => limiter.take('payeefsp', 'transfers'), 10), 3);
  assert.equal(limiter.size, 4);
});

test('the scheme limits differ per API', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: { lookup: { ratePerS: 1, burst: 1 }, quotes: { ratePerS: 1, burst: 2 }, transfers: { ratePerS: 1, burst: 7 }, risk: { ratePerS: 1, burst: 3 } } }, clock);
  assert.equal(admitted(() => limiter.take('payerfsp', 'lookup'), 10), 1);
  assert.equal(admitted(() => limiter.take('payerfsp', 'quotes'), 10), 2);
  assert.equal(admitted(() => limiter.take('payerfsp', 'transfers'), 10), 7);
});

test('a participant override replaces the scheme limit for its APIs only', () => {
  const clock = fakeClock();
  const overrides = new Map([['bigfsp', { transfers: { ratePerS: 100, burst: 50 } }]]);
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 1, burst: 3 }), overrides }, clock);
  assert.equal(admitted(() => limiter.take('bigfsp', 'transfers'), 100), 50);
  assert.equal(admitted(() => limiter.take('bigfsp', 'quotes'), 100), 3);
  assert.equal(admitted(() => limiter.take('smallfsp', 'transfers'), 100), 3);
  assert.deepEqual(limiter.limitOf('bigfsp', 'transfers'), { ratePerS: 100, burst: 50 });
  assert.deepEqual(limiter.limitOf('bigfsp', 'lookup'), { ratePerS: 1, burst: 3 });
  const refusal = limiter.take('bigfsp', 'transfers');
  assert.match(refusal?.event.reason ?? '', /100\/s, burst 50/);
});

test('limits are copied at creation: later changes to the configuration objects change nothing', () => {
  const clock = fakeClock();
  const scheme = { ratePerS: 1, burst: 2 };
  const limiter = createRateLimiter({ limits: limits(scheme) }, clock);
  scheme.burst = 1_000;
  assert.equal(admitted(() => limiter.take('payerfsp', 'transfers'), 10), 2);
});

test('invalid limits are refused at creation', () => {
  const clock = fakeClock();
  for (const bad of [{ ratePerS: 0, burst: 1 }, { ratePerS: 1, burst: 0 }, { ratePerS: 0.5, burst: 1 }, { ratePerS: 1, burst: 1.5 }, { ratePerS: Number.NaN, burst: 1 }, { ratePerS: 2_000_000, burst: 1 }]) {
    assert.throws(() => createRateLimiter({ limits: limits(bad) }, clock), RangeError, JSON.stringify(bad));
    assert.throws(() => createRateLimiter({ limits: DEFAULT_RATE_LIMITS, overrides: new Map([['x1', { quotes: bad }]]) }, clock), RangeError);
  }
  assert.throws(() => createRateLimiter({ limits: DEFAULT_RATE_LIMITS, bucketsMax: 0 }, clock), RangeError);
});

test('buckets are bounded: past bucketsMax the least recently used is dropped', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ limits: limits({ ratePerS: 1, burst: 2 }), bucketsMax: 100 }, clock);
  // Drain one bucket, then keep it recently used while 1,000 others pass through.
  assert.equal(admitted(() => limiter.take('busyfsp', 'transfers'), 2), 2);
  for (let i = 0; i < 1_000; i += 1) {
    void limiter.take(`fsp${i}`, FSPIOP_APIS[i % 3]!);
    assert.ok(limiter.size <= 100);
    if (i % 50 === 0) assert.notEqual(limiter.take('busyfsp', 'transfers'), undefined, 'the busy bucket is kept: still empty');
  }
  assert.equal(limiter.size, 100);
  // An evicted bucket comes back full: fsp0 took one of its 2 tokens long ago and now has 2 again.
  assert.equal(admitted(() => limiter.take('fsp0', 'lookup'), 5), 2);
});

test('property: a bucket never holds more than its burst, and over any window admits at most burst + rate × window', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 30 }),
    fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 200, size: 'max' }),
    (ratePerS, burst, gapsMs) => {
      const clock = fakeClock();
      const limiter = createRateLimiter({ limits: limits({ ratePerS, burst }) }, clock);
      const times: number[] = [];
      const admits: boolean[] = [];
      for (const gap of gapsMs) {
        clock.advance(gap);
        times.push(clock.nowMs());
        admits.push(limiter.take('payerfsp', 'transfers') === undefined);
      }
      // Every window [times[i], times[j]]: admitted × 1000 ≤ burst × 1000 + ratePerS × (ms of the window).
      for (let i = 0; i < times.length; i += 1) {
        let count = 0;
        for (let j = i; j < times.length; j += 1) {
          if (admits[j] === true) count += 1;
          const windowMs = times[j]! - times[i]!;
          if (count * 1000 > burst * 1000 + ratePerS * windowMs) return false;
        }
      }
      // Never more than the burst at one instant, however long the quiet: only `burst` of burst + 5 at once.
      clock.advance(10_000_000);
      return admitted(() => limiter.take('payerfsp', 'transfers'), burst + 5) === burst;
    },
  ), { numRuns: 300 });
});

test('property: Retry-After is honest: a client that waits that long is admitted', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 10 }),
    fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 60, size: 'max' }),
    (ratePerS, burst, gapsMs) => {
      const clock = fakeClock();
      const limiter = createRateLimiter({ limits: limits({ ratePerS, burst }) }, clock);
      for (const gap of gapsMs) {
        clock.advance(gap);
        const refusal = limiter.take('payerfsp', 'quotes');
        if (refusal === undefined) continue;
        const retryAfterS = Number(refusal.headers?.['Retry-After']);
        if (!Number.isInteger(retryAfterS) || retryAfterS < 1) return false;
        clock.advance(retryAfterS * 1_000);
        if (limiter.take('payerfsp', 'quotes') !== undefined) return false;
      }
      return true;
    },
  ), { numRuns: 300 });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertDeliveryLimits, claimHeldMsMax, DEFAULT_DELIVERY_LIMITS } from './limits.ts';

describe('delivery limits', () => {
  it('the defaults hold together', () => {
    assertDeliveryLimits(DEFAULT_DELIVERY_LIMITS);
    // (ceil(64 / 16) + 1) * 10 s: a claimed row is sent within 50 s; with 2 s of clock skew, inside the 60 s lease.
    assert.equal(claimHeldMsMax(DEFAULT_DELIVERY_LIMITS), 50_000);
  });

  it('refuses limits that cannot work together', () => {
    const broken = [
      { claimLeaseMs: 50_000 },
      { clockSkewMsMax: 10_000 },
      { clockSkewMsMax: -1 },
      { claimBatchRowsMax: 65 },
      { sendsConcurrentMax: 65, claimLeaseMs: 1_000_000 },
      { backoffBaseMs: 70_000 },
      { stopWaitMs: 10_000 },
      { backoffJitterPercent: 101 },
      { attemptsMax: 0 },
      { requestTimeoutMs: 1.5 },
      { pollIntervalMs: Number.NaN },
    ];
    for (const change of broken) {
      assert.throws(() => { assertDeliveryLimits({ ...DEFAULT_DELIVERY_LIMITS, ...change }); }, assert.AssertionError, JSON.stringify(change));
    }
  });
});

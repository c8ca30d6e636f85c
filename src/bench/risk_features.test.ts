// The feature-store benchmark, small, so that it cannot rot: the same run as
// `npm run bench:risk-features`, with 300 payments of history and 50 measured,
// on SQLite. No timing is asserted; the run must have counted its payments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchRiskFeatures } from './risk_features.ts';

test('the feature-store benchmark reads and records every payment', async () => {
  const figures = await benchRiskFeatures('sqlite', { history: 300, payments: 50, parties: 20, fsps: 3 });
  assert.ok(figures.counterRows > 0, 'the history was recorded');
  assert.equal(typeof figures.lastPayerCount7d, 'number');
  assert.ok((figures.lastPayerCount7d as number) > 0, 'the last payer had paid before, within 7 days');
  assert.ok(figures.readAndRecordMs.p99 >= figures.readAndRecordMs.p50);
});

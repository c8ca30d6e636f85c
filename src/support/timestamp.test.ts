import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDateTimeMs } from './timestamp.ts';

test('parseDateTimeMs takes an FSPIOP DateTime, with or without milliseconds, in any zone', () => {
  assert.equal(parseDateTimeMs('2026-12-03T15:00:00.000Z'), Date.UTC(2026, 11, 3, 15));
  assert.equal(parseDateTimeMs('2026-12-03T15:00:00Z'), Date.UTC(2026, 11, 3, 15));
  assert.equal(parseDateTimeMs('2026-12-03T16:30:00.5+01:30'), Date.UTC(2026, 11, 3, 15, 0, 0, 500));
});

test('parseDateTimeMs refuses what Date.parse would take or roll over', () => {
  for (const text of ['1', 'May 5', '2026-12-03', '2026-12-03 15:00:00Z', '2025-02-30T00:00:00Z', '2026-12-03T24:00:00Z',
    '2026-12-03T15:60:00Z', '2026-12-03T15:00:00.1234Z', '2026-12-03T15:00:00+24:00', '2026-12-03T15:00:00', ' 2026-12-03T15:00:00Z']) {
    assert.equal(parseDateTimeMs(text), undefined, text);
  }
});

// The feature store: every feature computed exactly for a constructed history,
// windows at their bucket boundaries, exact counts under two hub processes
// writing at once, pruning that removes only what no window reads, and a
// flood that stays bounded in rows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { openStorage, runTransaction, type Storage } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { isRoundAmount, PAIR_RETENTION_MS, pruneBeforeMs, pruneFeatures, readFeatures, recordPayment, windowStartMs, type PaymentOutcome } from './features.ts';
import { riskTables } from './tables.ts';
import { FEATURE_NAMES, SUBJECTS, WINDOWS, type Features, type PaymentFacts } from './types.ts';

const key = (name: string): string => createHash('sha256').update(name).digest('base64url');
const at = (iso: string): number => Date.parse(iso);
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

describeOnEachEngine('risk features', (ctx) => {
  let second: Storage | undefined;
  before(() => {
    if (ctx.engine === 'postgres') second = openStorage(ctx.url);
  });
  after(async () => {
    await second?.close();
  });

  /** A payment between parties named after `tag` (so that each test's history is its own). */
  const payment = (tag: string, overrides: Partial<PaymentFacts> = {}): PaymentFacts => ({
    stage: 'transfer', id: `${tag}-${Math.random()}`, payerFsp: `${tag}-payerfsp`, payeeFsp: `${tag}-payeefsp`,
    payerParty: key(`${tag}-payer`), payeeParty: key(`${tag}-payee`), payerName: null, payeeName: null,
    currency: 'USD', amountMinor: 100n, sourceAddress: `10.0.${createHash('sha256').update(tag).digest().readUInt16BE(0)}`, nowMs: at('2026-01-10T12:30:35Z'), ...overrides,
  });
  const record = async (facts: PaymentFacts, outcome: PaymentOutcome = 'accepted', storage: Storage = ctx.storage): Promise<void> => {
    await runTransaction(storage.db, storage.engine, (tx) => recordPayment(tx, storage.engine, facts, outcome));
  };
  const read = (facts: PaymentFacts): Promise<Features> => readFeatures(ctx.storage.db, ctx.engine, facts);

  test('every feature name is given; those of a missing key are null', async () => {
    const features = await read(payment('names', { payerParty: null, payeeParty: null, sourceAddress: null }));
    assert.deepEqual(new Set(Object.keys(features)), FEATURE_NAMES);
    for (const w of WINDOWS) {
      for (const subject of ['payerParty', 'payeeParty', 'pair', 'source']) {
        assert.equal(features[`${subject}.count.${w}`], null);
        assert.equal(features[`${subject}.sumMinor.${w}`], null);
      }
      assert.equal(features[`payerFsp.count.${w}`], 0);
      assert.equal(features[`payeeFsp.sumMinor.${w}`], 0n);
    }
    for (const name of ['pairFirstSeen', 'payerDormantMs', 'payerFanOut24h', 'payeeFanIn24h', 'payerReceivedMinor1h', 'payerFailed24h',
      'payerDenied', 'payeeDenied', 'payerWatched', 'payeeWatched', 'payerSanctioned', 'payeeSanctioned', 'payerFraudReports', 'payeeFraudReports']) {
      assert.equal(features[name], null, name);
    }
    assert.equal(features['amountMinor'], 100n);
    const known = await read(payment('names-known'));
    assert.deepEqual([known['pairFirstSeen'], known['payerDormantMs'], known['payerFanOut24h'], known['payeeFanIn24h'], known['payerReceivedMinor1h'], known['payerFailed24h']],
      [true, null, 0, 0, 0n, 0]);
    assert.deepEqual([known['payerDenied'], known['payeeWatched'], known['payerSanctioned'], known['payerFraudReports'], known['payeeFraudReports']], [false, false, null, 0, 0]);
  });

  test('counts (every currency) and sums (the payment\'s currency) per subject and window, at the windows\' bucket boundaries', async () => {
    const nowMs = at('2026-01-10T12:30:35Z');
    // The windows read at 12:30:35 start at the bucket start before now, less the window.
    assert.equal(windowStartMs('1m', nowMs), at('2026-01-10T12:29:30Z'));
    assert.equal(windowStartMs('1h', nowMs), at('2026-01-10T11:30:00Z'));
    assert.equal(windowStartMs('24h', nowMs), at('2026-01-09T12:00:00Z'));
    assert.equal(windowStartMs('7d', nowMs), at('2026-01-03T12:00:00Z'));
    const history: [string, bigint, string][] = [
      ['2026-01-10T12:29:30.000Z', 1n, 'USD'], ['2026-01-10T12:29:29.999Z', 2n, 'USD'],
      ['2026-01-10T11:30:00.000Z', 4n, 'USD'], ['2026-01-10T11:29:59.999Z', 8n, 'USD'],
      ['2026-01-09T12:00:00.000Z', 16n, 'USD'], ['2026-01-09T11:59:59.999Z', 32n, 'USD'],
      ['2026-01-03T12:00:00.000Z', 64n, 'USD'], ['2026-01-03T11:59:59.999Z', 128n, 'USD'],
      ['2026-01-10T12:30:00.000Z', 1000n, 'EUR'],
    ];
    for (const [time, amountMinor, currency] of history) await record(payment('windows', { nowMs: at(time), amountMinor, currency }));
    const features = await read(payment('windows', { nowMs }));
    const expected = { '1m': [2, 1n], '1h': [4, 7n], '24h': [6, 31n], '7d': [8, 127n] } as const;
    for (const subject of SUBJECTS) {
      for (const w of WINDOWS) {
        assert.deepEqual([features[`${subject}.count.${w}`], features[`${subject}.sumMinor.${w}`]], expected[w], `${subject} ${w}`);
      }
    }
    const inEuro = await read(payment('windows', { nowMs, currency: 'EUR' }));
    assert.deepEqual([inEuro['payerParty.count.1m'], inEuro['payerParty.sumMinor.1m'], inEuro['payerParty.sumMinor.7d']], [2, 1000n, 1000n]);
    // Ten seconds later the 1 m window starts at 12:29:40: the payments at 12:29:30 and 12:29:29.999 are out, the one at 12:30 in.
    const later = await read(payment('windows', { nowMs: nowMs + 10_000 }));
    assert.deepEqual([later['payerParty.count.1m'], later['payerParty.sumMinor.1m']], [1, 0n]);
    // The 7 d window moves by 6 h buckets: until 18:00 it still starts on Jan 3 at 12:00; from 18:00, at 18:00.
    assert.equal((await read(payment('windows', { nowMs: at('2026-01-10T17:59:59.999Z') })))['payerParty.count.7d'], 8);
    assert.equal((await read(payment('windows', { nowMs: at('2026-01-10T18:00:00Z') })))['payerParty.count.7d'], 7);
    // Another payer of the same payee DFSP counts for the DFSP, not for the parties.
    const other = await read(payment('windows', { nowMs, payerParty: key('someone else'), payerFsp: 'other-fsp' }));
    assert.deepEqual([other['payerParty.count.7d'], other['payerFsp.count.7d'], other['payeeFsp.count.7d'], other['pair.count.7d']], [0, 0, 8, 0]);
  });

  test('first-seen pair, dormancy, fan-out and fan-in over 24 h, pass-through, failures, hour of day', async () => {
    const nowMs = at('2026-01-10T12:30:35Z');
    const [p, q, r, s] = ['p', 'q', 'r', 's'].map((n) => key(`named-${n}`)) as [string, string, string, string];
    const pays = (payer: string, payee: string, time: number, amountMinor = 100n, currency = 'USD') =>
      record(payment('named', { payerParty: payer, payeeParty: payee, nowMs: time, amountMinor, currency }));
    await pays(p, q, nowMs - 3 * HOUR_MS);
    await pays(p, q, nowMs - 2 * HOUR_MS);
    // Fan-out of p over 24 h: q, r and two more payees; one paid exactly 24 h ago counts, one paid a millisecond before does not.
    await pays(p, r, nowMs - 10 * MINUTE_MS);
    await pays(p, key('named-edge-in'), nowMs - DAY_MS);
    await pays(p, key('named-edge-out'), nowMs - DAY_MS - 1);
    await pays(p, key('named-old'), nowMs - 3 * DAY_MS);
    // Fan-in of r: p and two more payers.
    await pays(key('named-x'), r, nowMs - HOUR_MS);
    await pays(key('named-y'), r, nowMs - 5 * HOUR_MS);
    await pays(key('named-z'), r, nowMs - 25 * HOUR_MS);
    // p received: 500 USD-minor and 300 EUR-minor in the last hour, 700 USD-minor two hours ago.
    await pays(s, p, nowMs - 30 * MINUTE_MS, 500n);
    await pays(s, p, nowMs - 10 * MINUTE_MS, 300n, 'EUR');
    await pays(s, p, nowMs - 2 * HOUR_MS, 700n);
    // p's failures: two within 24 h, one 26 h ago.
    for (const ago of [HOUR_MS, 23 * HOUR_MS, 26 * HOUR_MS]) await record(payment('named', { payerParty: p, payeeParty: q, nowMs: nowMs - ago }), 'failed');

    const features = await read(payment('named', { payerParty: p, payeeParty: r, nowMs }));
    assert.equal(features['pairFirstSeen'], false);
    assert.equal(features['payerDormantMs'], 10 * MINUTE_MS);
    assert.equal(features['payerFanOut24h'], 3); // q, r and edge-in (not edge-out, not old)
    assert.equal(features['payeeFanIn24h'], 3); // p, x, y (z paid 25 h ago)
    assert.equal(features['payerReceivedMinor1h'], 500n);
    assert.equal(features['payerPassThroughPct'], 20, 'paying 100 of the 500 just received is 20 %');
    assert.equal((await read(payment('named', { payerParty: p, payeeParty: r, nowMs, amountMinor: 490n })))['payerPassThroughPct'], 98, 'nearly all of it straight out');
    assert.equal((await read(payment('named', { payerParty: key('received-nothing'), payeeParty: r, nowMs })))['payerPassThroughPct'], null, 'nothing came in: unknown');
    assert.equal(features['payerFailed24h'], 2);
    assert.equal(features['hourOfDay'], 12);
    assert.equal((await read(payment('named', { payerParty: q, payeeParty: p, nowMs })))['pairFirstSeen'], true, 'a pair has a direction');
    assert.equal((await read(payment('named', { payerParty: r, payeeParty: p, nowMs })))['payerDormantMs'], null, 'r never paid');
    assert.equal((await read(payment('named', { payerParty: p, payeeParty: q, nowMs, currency: 'EUR' })))['payerReceivedMinor1h'], 300n);
    assert.equal((await read(payment('named', { nowMs: at('2026-01-10T23:59:59.999Z') })))['hourOfDay'], 23);
    assert.equal((await read(payment('named', { nowMs: at('2026-01-11T00:00:00Z') })))['hourOfDay'], 0);
  });

  test('a party paying itself: one activity row, and what it received is counted once', async () => {
    const self = key('self');
    const nowMs = at('2026-01-10T12:30:35Z');
    await record(payment('self', { payerParty: self, payeeParty: self, nowMs: nowMs - 20 * MINUTE_MS, amountMinor: 40n }));
    await record(payment('self', { payerParty: self, payeeParty: self, nowMs: nowMs - 5 * MINUTE_MS, amountMinor: 2n }));
    const features = await read(payment('self', { payerParty: self, payeeParty: self, nowMs }));
    assert.deepEqual([features['payerParty.count.1h'], features['payeeParty.sumMinor.1h'], features['payerReceivedMinor1h'], features['pairFirstSeen'], features['payerDormantMs'], features['payerFanOut24h']],
      [2, 42n, 42n, false, 5 * MINUTE_MS, 1]);
    const activity = await riskTables(ctx.storage.db).selectFrom('risk_party_activity').selectAll().where('party_key', '=', self).execute();
    assert.deepEqual(activity.map((r) => [r.last_paid_ms, r.last_received_ms, r.last_seen_ms]), [[nowMs - 5 * MINUTE_MS, nowMs - 5 * MINUTE_MS, nowMs - 5 * MINUTE_MS]]);
  });

  test('round amounts: whole multiples of 100 major units of the currency', async () => {
    assert.deepEqual([isRoundAmount(10_000n, 'USD'), isRoundAmount(10_001n, 'USD'), isRoundAmount(5_000n, 'USD'), isRoundAmount(0n, 'USD')], [true, false, false, false]);
    assert.deepEqual([isRoundAmount(100n, 'JPY'), isRoundAmount(150n, 'JPY'), isRoundAmount(100_000n, 'KWD'), isRoundAmount(10_000n, 'KWD')], [true, false, true, false]);
    assert.equal(isRoundAmount(100n, 'QQQ'), null);
    assert.equal((await read(payment('round', { amountMinor: 250_000n })))['amountRound'], true);
    assert.equal((await read(payment('round', { amountMinor: 250_050n })))['amountRound'], false);
  });

  test('two hub processes recording the same subjects at once count exactly', async () => {
    const stores = second === undefined ? [ctx.storage] : [ctx.storage, second];
    const nowMs = at('2026-01-10T12:30:35Z');
    const perLane = 40;
    const lanes = 4;
    const amounts = (lane: number, i: number): bigint => BigInt(lane * 1000 + i + 1);
    await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
      const storage = stores[lane % stores.length]!;
      for (let i = 0; i < perLane; i++) await record(payment('race', { nowMs: nowMs - 5_000 + i, amountMinor: amounts(lane, i) }), 'accepted', storage);
    }));
    const total = Array.from({ length: lanes }, (_, lane) => Array.from({ length: perLane }, (_, i) => amounts(lane, i))).flat().reduce((a, b) => a + b, 0n);
    const features = await read(payment('race', { nowMs: nowMs + 1 }));
    for (const subject of SUBJECTS) {
      for (const w of WINDOWS) assert.deepEqual([features[`${subject}.count.${w}`], features[`${subject}.sumMinor.${w}`]], [lanes * perLane, total], `${subject} ${w}`);
    }
    const pairs = await riskTables(ctx.storage.db).selectFrom('risk_pairs').selectAll().where('payer_key', '=', key('race-payer')).execute();
    assert.deepEqual(pairs.map((r) => [r.first_seen_ms, r.last_seen_ms]), [[nowMs - 5_000, nowMs - 5_000 + perLane - 1]]);
  });

  test('a flood of payments for one party stays bounded in rows', async () => {
    const startMs = at('2026-02-01T00:00:05Z');
    const payments = 1_500;
    const stepMs = 10_000;
    for (let i = 0; i < payments; i++) await record(payment('flood', { nowMs: startMs + i * stepMs }));
    const endMs = startMs + (payments - 1) * stepMs;
    await pruneFeatures(ctx.storage.db, ctx.engine, endMs);
    const rows = await riskTables(ctx.storage.db).selectFrom('risk_counters').select(['granularity_ms']).where('subject', '=', 'payerParty').where('subject_key', '=', key('flood-payer')).execute();
    const of = (g: number) => rows.filter((r) => r.granularity_ms === g).length;
    // At most the longest window in buckets, the bucket now is in, and the one-bucket margin.
    assert.ok(of(10_000) <= 60_000 / 10_000 + 2, `10 s buckets: ${of(10_000)}`);
    assert.ok(of(60_000) <= 60 + 2, `1 min buckets: ${of(60_000)}`);
    assert.ok(of(3_600_000) <= Math.ceil((endMs - startMs) / HOUR_MS) + 1, `1 h buckets: ${of(3_600_000)}`);
    assert.equal(of(21_600_000), 1, 'one 6 h bucket');
    assert.equal((await riskTables(ctx.storage.db).selectFrom('risk_pairs').selectAll().where('payer_key', '=', key('flood-payer')).execute()).length, 1);
    const features = await read(payment('flood', { nowMs: endMs + 1 }));
    assert.equal(features['payerParty.count.1m'], 7, 'the 1 m window after pruning: the payments from 04:08:55 on (its start is 04:08:50)');
    assert.equal(features['payerParty.count.24h'], payments);
  });

  test('pruning removes only what is out of every window, and pairs and activity after their retention', async () => {
    const nowMs = at('2027-03-01T08:20:35Z');
    const times = [10_000, 60_000, 3_600_000, 21_600_000].flatMap((g) => [pruneBeforeMs(g, nowMs) - 1, pruneBeforeMs(g, nowMs)]);
    for (const time of times) await record(payment('prune', { nowMs: time }));
    await record(payment('prune', { payerParty: key('prune-old'), payeeParty: key('prune-old-payee'), nowMs: nowMs - PAIR_RETENTION_MS - 1 }));
    await record(payment('prune', { payerParty: key('prune-kept'), payeeParty: key('prune-kept-payee'), nowMs: nowMs - PAIR_RETENTION_MS }));
    const before = await read(payment('prune', { nowMs }));
    const report = await pruneFeatures(ctx.storage.db, ctx.engine, nowMs);
    assert.equal(report.more, false);
    assert.ok(report.counters >= 3 && report.pairs >= 1 && report.activity >= 2, JSON.stringify(report));
    assert.deepEqual(await read(payment('prune', { nowMs })), before, 'every window reads the same after pruning');
    const left = await riskTables(ctx.storage.db).selectFrom('risk_counters').select(['granularity_ms', 'bucket_start_ms'])
      .where('subject', '=', 'payerParty').where('subject_key', '=', key('prune-payer')).execute();
    for (const g of [10_000, 60_000, 3_600_000, 21_600_000]) {
      const starts = left.filter((r) => r.granularity_ms === g).map((r) => r.bucket_start_ms);
      assert.ok(starts.length > 0 && starts.every((s) => s >= pruneBeforeMs(g, nowMs)), `granularity ${g}: only buckets from ${pruneBeforeMs(g, nowMs)} left (${starts.join(', ')})`);
    }
    assert.equal(pruneBeforeMs(3_600_000, nowMs), at('2027-03-01T08:00:00Z') - DAY_MS - HOUR_MS);
    assert.equal(pruneBeforeMs(21_600_000, nowMs), at('2027-03-01T06:00:00Z') - 7 * DAY_MS - 6 * HOUR_MS);
    const pairs = await riskTables(ctx.storage.db).selectFrom('risk_pairs').select('payer_key').where('payer_key', 'in', [key('prune-old'), key('prune-kept')]).execute();
    assert.deepEqual(pairs.map((r) => r.payer_key), [key('prune-kept')]);
    const activity = await riskTables(ctx.storage.db).selectFrom('risk_party_activity').select('party_key')
      .where('party_key', 'in', [key('prune-old'), key('prune-old-payee'), key('prune-kept'), key('prune-kept-payee')]).execute();
    assert.deepEqual(activity.map((r) => r.party_key).sort(), [key('prune-kept'), key('prune-kept-payee')].sort());
  });
});

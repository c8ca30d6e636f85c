// The feature store: what the hub knows of a payment's parties, DFSPs, pair
// and source from the payments before it, kept in its own tables so that
// every hub process on one database sees the same (migration 0070).
//
// Windows. Counts and sums are kept in time buckets: 10 s buckets serve the
// 1 m window, 1 min buckets the 1 h window, 1 h buckets the 24 h window (and
// the payer's failures over 24 h), 6 h buckets the 7 d window (29 rows of a
// busy subject to read rather than 169). A window W read at nowMs over
// buckets of G covers the buckets starting at or after
//     windowStartMs = floor(nowMs / G)·G − W,
// that is the payments made at or after windowStartMs: every payment of the
// last W, and those up to one bucket older. A window is never shorter than W
// and at most W + G long (1 m: 60–70 s; 1 h: 60–61 min; 24 h: 24–25 h; 7 d:
// 7 d–7 d 6 h), so a velocity rule errs on counting too much, never too little.
// The distinct counts (fan-out, fan-in) are exact over the last 24 h: a pair
// counts when its last payment was at or after nowMs − 24 h.
//
// Counts are over every currency; sums are the payment's currency's, in minor
// units. A bucket's sum saturates at SUM_MINOR_SATURATION (10^16 minor units),
// so that a flood of huge amounts cannot overflow a counter or a 7 d sum.
//
// Writes. An accepted payment is three upserts (counters: one statement of up
// to 24 rows, one per subject and granularity; its pair; its parties'
// activity, one statement of one or two rows); a failed one is one upsert
// (the payer's failures). Every upsert adds to what is there (count = count +
// excluded.count) so that concurrent hub processes count exactly, and writes
// its rows in key order, so that two payments' upserts never wait for each
// other in opposite orders. Reads are three queries (counters, pairs and
// activity, lists).
//
// Storage. Per subject key a counter row per bucket with payments and
// currency: at most 8 (10 s) + 62 (1 min) + 26 (1 h) + 30 (6 h) = 126 rows
// per currency after pruning, whatever the number of payments; about 120
// bytes a row with its age index entry. Per pair of parties one row, per
// party one row, kept for PAIR_RETENTION_MS after the last payment. A payment
// adds at most 24 counter rows (fewer when it falls in buckets its subjects
// already have: a busy subject adds none), one pair row and two activity rows,
// about 3 KB at most.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Engine } from '../storage/index.ts';
import { currencyScale } from '../support/index.ts';
import { listFlags } from './lists.ts';
import { fraudReportFeatures } from './fraud_reports.ts';
import { riskTables, type CounterSubject, type RiskCountersTable } from './tables.ts';
import { WINDOW_MS, WINDOWS, type FeatureSubject, type Features, type FeatureValue, type FeatureWindow, type PartyKey, type PaymentFacts } from './types.ts';

/** The bucket granularity each window is read from. */
export const WINDOW_GRANULARITY_MS: Readonly<Record<FeatureWindow, number>> = { '1m': 10_000, '1h': 60_000, '24h': 3_600_000, '7d': 21_600_000 };
export const GRANULARITIES_MS = [10_000, 60_000, 3_600_000, 21_600_000] as const;
/** The longest window each granularity serves (pruning keeps it, and one bucket more). */
const LONGEST_WINDOW_MS: Readonly<Record<number, number>> = { 10_000: WINDOW_MS['1m'], 60_000: WINDOW_MS['1h'], 3_600_000: WINDOW_MS['24h'], 21_600_000: WINDOW_MS['7d'] };
const FAILURES_WINDOW: FeatureWindow = '24h';
const RECEIVED_WINDOW: FeatureWindow = '1h';
const FAN_WINDOW_MS = WINDOW_MS['24h'];
/** Pairs and party activity are kept this long after their last payment (then a pair is "first seen" again, a party "never paid"). */
export const PAIR_RETENTION_MS = 400 * 86_400_000;
/** A bucket's sum stops growing here (10^16 minor units: the buckets of any window stay far below 2^63). */
export const SUM_MINOR_SATURATION = 10n ** 16n;
/** Rows one prune statement deletes. */
export const PRUNE_BATCH_ROWS = 1_000;
/** Statements one pruneFeatures call runs at most (it reports whether more is left). */
const PRUNE_BATCHES_MAX = 1_000;
const ROUND_MAJOR_UNITS = 100n;

export type PaymentOutcome = 'accepted' | 'failed';

const bucketStartMs = (nowMs: number, granularityMs: number): number => Math.floor(nowMs / granularityMs) * granularityMs;

/** The first instant window `window` covers when read at nowMs (see the header). */
export function windowStartMs(window: FeatureWindow, nowMs: number): number {
  return bucketStartMs(nowMs, WINDOW_GRANULARITY_MS[window]) - WINDOW_MS[window];
}

/** The keys a payment's counters are kept under; null where the message gave no key. */
export function subjectKeys(facts: PaymentFacts): Readonly<Record<FeatureSubject, string | null>> {
  return {
    payerParty: facts.payerParty,
    payeeParty: facts.payeeParty,
    payerFsp: facts.payerFsp,
    payeeFsp: facts.payeeFsp,
    pair: facts.payerParty !== null && facts.payeeParty !== null ? `${facts.payerParty}|${facts.payeeParty}` : null,
    source: facts.sourceAddress,
  };
}

/** Per window, a count (all currencies) and a sum (the payment's currency). */
type WindowTotals = Record<FeatureWindow, { count: number; sumMinor: bigint }>;

const greatest = (engine: Engine, a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
  engine === 'postgres' ? sql<number>`greatest(${a}, ${b})` : sql<number>`max(${a}, ${b})`;
/** The later of two times either of which may be null (PostgreSQL's greatest skips nulls; SQLite's max does not). */
const greatestOfNullable = (engine: Engine, a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
  engine === 'postgres' ? sql<number>`greatest(${a}, ${b})` : sql<number>`coalesce(max(${a}, ${b}), ${a}, ${b})`;

/** The counter rows' totals for every (subject, key) asked, in one query. */
/** A subject and key to total, and the windows wanted (the others come back as zero). */
type Asked = readonly [CounterSubject, string, readonly FeatureWindow[]];

/** Where the counter rows of `asked` are: one indexed range per subject, key and window (each window has a granularity of its own). */
function counterRanges(engine: Engine, asked: readonly Asked[], nowMs: number): { from: RawBuilder<unknown>; where: RawBuilder<unknown> } {
  const ranges = new Map<string, [CounterSubject, string, number, number]>();
  for (const [subject, key, windows] of asked) {
    for (const w of windows) ranges.set(`${subject} ${key} ${w}`, [subject, key, WINDOW_GRANULARITY_MS[w], windowStartMs(w, nowMs)]);
  }
  const all = [...ranges.values()];
  if (engine === 'sqlite') {
    // SQLite searches the primary key once per term of the OR.
    return { from: sql`risk_counters`, where: sql.join(all.map(([subject, key, g, fromMs]) => sql`(subject = ${subject} and subject_key = ${key} and granularity_ms = ${g} and bucket_start_ms >= ${fromMs})`), sql` or `) };
  }
  // PostgreSQL plans every statement afresh: four arrays joined plan as fast whatever their length, where an OR of 26 terms took a millisecond.
  const column = (i: 0 | 1 | 2 | 3) => all.map((range) => range[i]);
  return {
    from: sql`unnest(cast(${column(0)} as text[]), cast(${column(1)} as text[]), cast(${column(2)} as bigint[]), cast(${column(3)} as bigint[])) as wanted(w_subject, w_key, w_granularity_ms, w_from_ms)
      join risk_counters on subject = w_subject and subject_key = w_key and granularity_ms = w_granularity_ms and bucket_start_ms >= w_from_ms`,
    where: sql`true`,
  };
}

async function counterTotals<S>(db: Kysely<S>, engine: Engine, asked: readonly Asked[], currency: string, nowMs: number): Promise<Map<string, WindowTotals>> {
  const totals = new Map<string, WindowTotals>();
  if (asked.length === 0) return totals;
  const columns = WINDOWS.flatMap((w) => {
    const inWindow = sql`granularity_ms = ${WINDOW_GRANULARITY_MS[w]} and bucket_start_ms >= ${windowStartMs(w, nowMs)}`;
    return [
      sql`cast(coalesce(sum(case when ${inWindow} then payment_count end), 0) as bigint) as ${sql.ref(`count_${w}`)}`,
      sql`coalesce(sum(case when ${inWindow} and currency = ${currency} then sum_minor end), 0) as ${sql.ref(`sum_${w}_minor`)}`,
    ];
  });
  const { from, where } = counterRanges(engine, asked, nowMs);
  const { rows } = await sql<Record<string, unknown> & { subject: string; subject_key: string }>`
    select subject, subject_key, ${sql.join(columns)} from ${from} where ${where} group by subject, subject_key`.execute(db);
  for (const row of rows) {
    const windows = Object.fromEntries(WINDOWS.map((w) => [w, { count: Number(row[`count_${w}`]), sumMinor: row[`sum_${w}_minor`] as bigint }])) as WindowTotals;
    totals.set(`${row.subject} ${row.subject_key}`, windows);
  }
  return totals;
}

interface PartyFacts { pairFirstSeenMs: number | null; payerLastPaidMs: number | null; fanOut: number; fanIn: number }

/** The pair's first payment, the payer's last payment, and the distinct counterparties of the last 24 h, in one query. */
async function partyFacts<S>(db: Kysely<S>, payer: PartyKey | null, payee: PartyKey | null, nowMs: number): Promise<PartyFacts> {
  if (payer === null && payee === null) return { pairFirstSeenMs: null, payerLastPaidMs: null, fanOut: 0, fanIn: 0 };
  const sinceMs = nowMs - FAN_WINDOW_MS;
  const { rows } = await sql<{ pair_first_seen_ms: number | null; payer_last_paid_ms: number | null; fan_out: number; fan_in: number }>`select
    (select first_seen_ms from risk_pairs where payer_key = ${payer} and payee_key = ${payee}) as pair_first_seen_ms,
    (select last_paid_ms from risk_party_activity where party_key = ${payer}) as payer_last_paid_ms,
    (select count(*) from risk_pairs where payer_key = ${payer} and last_seen_ms >= ${sinceMs}) as fan_out,
    (select count(*) from risk_pairs where payee_key = ${payee} and last_seen_ms >= ${sinceMs}) as fan_in`.execute(db);
  const row = rows[0];
  return { pairFirstSeenMs: row?.pair_first_seen_ms ?? null, payerLastPaidMs: row?.payer_last_paid_ms ?? null, fanOut: row?.fan_out ?? 0, fanIn: row?.fan_in ?? 0 };
}

/** Whether the amount is a whole, non-zero multiple of 100 major units of its currency (null: unknown currency). */
export function isRoundAmount(amountMinor: bigint, currency: string): boolean | null {
  const scale = currencyScale(currency);
  if (scale === undefined) return null;
  return amountMinor > 0n && amountMinor % (ROUND_MAJOR_UNITS * 10n ** BigInt(scale)) === 0n;
}

/** The amount as a whole percentage of what the payer received in the hour (null when it received nothing): near 100 when money goes straight out. */
function passThroughPct(amountMinor: bigint, receivedMinor: bigint): number | null {
  if (receivedMinor <= 0n) return null;
  const pct = (amountMinor * 100n) / receivedMinor;
  // Bounded: a band rule needs no more than "many times what came in".
  return Number(pct > 1_000_000n ? 1_000_000n : pct);
}

/**
 * Every feature of FEATURE_NAMES for this payment, from the payments recorded before it. Null where a key
 * is missing. payerSanctioned and payeeSanctioned are null here: the risk service fills them from its
 * sanctions screening of the names. The fraud report counts are the DFSPs' reports naming the party (fraud_reports.ts).
 */
export async function readFeatures<S>(db: Kysely<S>, engine: Engine, facts: PaymentFacts): Promise<Features> {
  const keys = subjectKeys(facts);
  const payer = facts.payerParty;
  const asked: Asked[] = [];
  for (const [subject, key] of Object.entries(keys) as [FeatureSubject, string | null][]) if (key !== null) asked.push([subject, key, WINDOWS]);
  if (payer !== null) asked.push(['payeeParty', payer, [RECEIVED_WINDOW]], ['payerFailed', payer, [FAILURES_WINDOW]]);
  const totals = await counterTotals(db, engine, asked, facts.currency, facts.nowMs);
  const party = await partyFacts(db, payer, facts.payeeParty, facts.nowMs);
  const flags = await listFlags(db, payer, facts.payeeParty);
  const empty = (): WindowTotals => Object.fromEntries(WINDOWS.map((w) => [w, { count: 0, sumMinor: 0n }])) as WindowTotals;
  const of = (subject: CounterSubject, key: string) => totals.get(`${subject} ${key}`) ?? empty();

  const features: Record<string, FeatureValue> = {};
  for (const [subject, key] of Object.entries(keys) as [FeatureSubject, string | null][]) {
    for (const w of WINDOWS) {
      features[`${subject}.count.${w}`] = key === null ? null : of(subject, key)[w].count;
      features[`${subject}.sumMinor.${w}`] = key === null ? null : of(subject, key)[w].sumMinor;
    }
  }
  const known = <T>(key: PartyKey | null, value: () => T): T | null => (key === null ? null : value());
  Object.assign(features, {
    amountMinor: facts.amountMinor,
    amountRound: isRoundAmount(facts.amountMinor, facts.currency),
    hourOfDay: new Date(facts.nowMs).getUTCHours(),
    pairFirstSeen: keys.pair === null ? null : party.pairFirstSeenMs === null,
    payerDormantMs: party.payerLastPaidMs === null ? null : Math.max(0, facts.nowMs - party.payerLastPaidMs),
    payerFanOut24h: known(payer, () => party.fanOut),
    payeeFanIn24h: known(facts.payeeParty, () => party.fanIn),
    payerReceivedMinor1h: known(payer, () => of('payeeParty', payer ?? '')[RECEIVED_WINDOW].sumMinor),
    payerPassThroughPct: known(payer, () => passThroughPct(facts.amountMinor, of('payeeParty', payer ?? '')[RECEIVED_WINDOW].sumMinor)),
    payerFailed24h: known(payer, () => of('payerFailed', payer ?? '')[FAILURES_WINDOW].count),
    ...flags,
    payerSanctioned: null,
    payeeSanctioned: null,
    ...await fraudReportFeatures(db, payer, facts.payeeParty),
  });
  return features;
}

const counterRow = (subject: CounterSubject, key: string, granularityMs: number, facts: PaymentFacts): RiskCountersTable => ({
  subject, subject_key: key, granularity_ms: granularityMs, bucket_start_ms: bucketStartMs(facts.nowMs, granularityMs), currency: facts.currency,
  payment_count: 1, sum_minor: facts.amountMinor < SUM_MINOR_SATURATION ? facts.amountMinor : SUM_MINOR_SATURATION,
});

const rowOrder = (a: RiskCountersTable, b: RiskCountersTable): number =>
  a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.subject_key < b.subject_key ? -1 : a.subject_key > b.subject_key ? 1 : a.granularity_ms - b.granularity_ms;

/** Adds the rows to the counters, one statement (written out: Kysely's insert builder cost more than the statement on SQLite). */
async function addToCounters<S>(db: Kysely<S>, rows: RiskCountersTable[]): Promise<void> {
  if (rows.length === 0) return;
  rows.sort(rowOrder);
  const values = rows.map((r) => sql`(${r.subject}, ${r.subject_key}, ${r.granularity_ms}, ${r.bucket_start_ms}, ${r.currency}, ${r.payment_count}, ${r.sum_minor})`);
  await sql`insert into risk_counters (subject, subject_key, granularity_ms, bucket_start_ms, currency, payment_count, sum_minor) values ${sql.join(values)}
    on conflict (subject, subject_key, granularity_ms, bucket_start_ms, currency) do update set
      payment_count = risk_counters.payment_count + excluded.payment_count,
      sum_minor = case when risk_counters.sum_minor > ${SUM_MINOR_SATURATION} - excluded.sum_minor then ${SUM_MINOR_SATURATION} else risk_counters.sum_minor + excluded.sum_minor end`.execute(db);
}

async function touchPair<S>(db: Kysely<S>, engine: Engine, payer: PartyKey, payee: PartyKey, nowMs: number): Promise<void> {
  const least = engine === 'postgres' ? sql<number>`least(risk_pairs.first_seen_ms, excluded.first_seen_ms)` : sql<number>`min(risk_pairs.first_seen_ms, excluded.first_seen_ms)`;
  await riskTables(db).insertInto('risk_pairs').values({ payer_key: payer, payee_key: payee, first_seen_ms: nowMs, last_seen_ms: nowMs })
    .onConflict((oc) => oc.columns(['payer_key', 'payee_key']).doUpdateSet({
      first_seen_ms: least,
      last_seen_ms: greatest(engine, sql`risk_pairs.last_seen_ms`, sql`excluded.last_seen_ms`),
    })).execute();
}

async function touchActivity<S>(db: Kysely<S>, engine: Engine, payer: PartyKey | null, payee: PartyKey | null, nowMs: number): Promise<void> {
  const rows = new Map<PartyKey, { party_key: PartyKey; last_paid_ms: number | null; last_received_ms: number | null; last_seen_ms: number }>();
  if (payer !== null) rows.set(payer, { party_key: payer, last_paid_ms: nowMs, last_received_ms: null, last_seen_ms: nowMs });
  if (payee !== null) rows.set(payee, { party_key: payee, last_paid_ms: rows.get(payee)?.last_paid_ms ?? null, last_received_ms: nowMs, last_seen_ms: nowMs });
  if (rows.size === 0) return;
  const later = (column: string) => greatestOfNullable(engine, sql`${sql.ref(`risk_party_activity.${column}`)}`, sql`${sql.ref(`excluded.${column}`)}`);
  await riskTables(db).insertInto('risk_party_activity').values([...rows.values()].sort((a, b) => (a.party_key < b.party_key ? -1 : 1)))
    .onConflict((oc) => oc.column('party_key').doUpdateSet({
      last_paid_ms: later('last_paid_ms'),
      last_received_ms: later('last_received_ms'),
      last_seen_ms: later('last_seen_ms'),
    })).execute();
}

/**
 * Records what happened to a payment, in the caller's transaction. 'accepted': it counts in every window of
 * its subjects, its pair is seen, its payer paid and its payee received. 'failed' (refused, failed or
 * aborted): a failure of its payer party; a payment recorded as accepted and then failed stays counted in
 * the windows (it was attempted) and counts as a failure too.
 */
export async function recordPayment<S>(db: Kysely<S>, engine: Engine, facts: PaymentFacts, outcome: PaymentOutcome): Promise<void> {
  if (outcome === 'failed') {
    if (facts.payerParty !== null) await addToCounters(db, [counterRow('payerFailed', facts.payerParty, WINDOW_GRANULARITY_MS[FAILURES_WINDOW], facts)]);
    return;
  }
  const rows: RiskCountersTable[] = [];
  for (const [subject, key] of Object.entries(subjectKeys(facts)) as [FeatureSubject, string | null][]) {
    if (key !== null) for (const g of GRANULARITIES_MS) rows.push(counterRow(subject, key, g, facts));
  }
  await addToCounters(db, rows);
  if (facts.payerParty !== null && facts.payeeParty !== null) await touchPair(db, engine, facts.payerParty, facts.payeeParty, facts.nowMs);
  await touchActivity(db, engine, facts.payerParty, facts.payeeParty, facts.nowMs);
}

export interface PruneReport {
  readonly counters: number;
  readonly pairs: number;
  readonly activity: number;
  /** Rows may remain to prune (the call ran its maximum of statements). */
  readonly more: boolean;
}

/** Deletes up to PRUNE_BATCH_ROWS rows of `table` matching `condition`, one statement; how many it deleted. */
async function deleteBatch<S>(db: Kysely<S>, engine: Engine, table: string, condition: RawBuilder<unknown>): Promise<number> {
  // risk_counters has no rowid on SQLite (WITHOUT ROWID): its primary key names a row.
  const columns = engine === 'postgres' ? 'ctid' : table === 'risk_counters' ? 'subject, subject_key, granularity_ms, bucket_start_ms, currency' : 'rowid';
  const result = await sql`delete from ${sql.table(table)} where (${sql.raw(columns)}) in (select ${sql.raw(columns)} from ${sql.table(table)} where ${condition} limit ${PRUNE_BATCH_ROWS})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Deletes what no window can read any more: counter buckets that start before their granularity's longest
 * window read at nowMs (and one bucket more, for hub processes whose clocks differ a little), and pairs and
 * party activity whose last payment is older than PAIR_RETENTION_MS. Each statement deletes at most
 * PRUNE_BATCH_ROWS rows on its own (no long transaction); run it on the database, not in a transaction.
 */
export async function pruneFeatures<S>(db: Kysely<S>, engine: Engine, nowMs: number): Promise<PruneReport> {
  let statements = 0;
  const drain = async (table: string, condition: RawBuilder<unknown>): Promise<number> => {
    let total = 0;
    while (statements < PRUNE_BATCHES_MAX) {
      statements++;
      const deleted = await deleteBatch(db, engine, table, condition);
      total += deleted;
      if (deleted < PRUNE_BATCH_ROWS) return total;
    }
    return total;
  };
  let counters = 0;
  for (const g of GRANULARITIES_MS) {
    counters += await drain('risk_counters', sql`granularity_ms = ${g} and bucket_start_ms < ${pruneBeforeMs(g, nowMs)}`);
  }
  const pairs = await drain('risk_pairs', sql`last_seen_ms < ${nowMs - PAIR_RETENTION_MS}`);
  const activity = await drain('risk_party_activity', sql`last_seen_ms < ${nowMs - PAIR_RETENTION_MS}`);
  return { counters, pairs, activity, more: statements >= PRUNE_BATCHES_MAX };
}

/** Buckets of `granularityMs` starting before this are out of every window read at nowMs or later. */
export function pruneBeforeMs(granularityMs: number, nowMs: number): number {
  return bucketStartMs(nowMs, granularityMs) - (LONGEST_WINDOW_MS[granularityMs] ?? WINDOW_MS['7d']) - granularityMs;
}

// Benchmark of the FRMS feature store (`npm run bench:risk-features`), issue
// 16: what reading a payment's features and recording it cost, per payment.
// On a fresh database it loads a history of H payments among P parties and F
// DFSPs spread over the last 7 days (so that every window's buckets are
// filled), then runs N payments one after another, each in its own
// transaction as the transfer path would: readFeatures, then recordPayment.
// It reports p50, p99 and max of the read, the record, the two together
// (inside the transaction) and the whole transaction with its commit.
//
//   npm run bench:risk-features [-- --storage sqlite|postgres|both] [--history H] [--payments N] [--parties P] [--fsps F]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { readFeatures, recordPayment, type PaymentFacts } from '../risk/index.ts';
import { runTransaction, type Engine } from '../storage/index.ts';
import { freshStorage } from '../testing/index.ts';

const WEEK_MS = 7 * 86_400_000;
const CURRENCIES = ['USD', 'USD', 'USD', 'EUR'];
export const PAYMENTS_MAX = 1_000_000;

export interface RiskBenchOptions { history: number; payments: number; parties: number; fsps: number }

export interface Percentiles { p50: number; p99: number; max: number }
export interface RiskBenchFigures {
  engine: Engine;
  options: RiskBenchOptions;
  loadMs: number;
  counterRows: number;
  readMs: Percentiles;
  recordMs: Percentiles;
  readAndRecordMs: Percentiles;
  transactionMs: Percentiles;
  /** Features of the last payment (so that a caller can check the run counted). */
  lastPayerCount7d: unknown;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

/** A deterministic generator (xorshift32), so that runs compare. */
function generator(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % below;
  };
}

function paymentMaker(options: RiskBenchOptions): (nowMs: number, i: number) => PaymentFacts {
  const next = generator(16);
  const parties = Array.from({ length: options.parties }, (_, i) => createHash('sha256').update(`party-${i}`).digest('base64url'));
  return (nowMs, i) => ({
    stage: 'transfer', id: `p${i}`, payerFsp: `fsp${next(options.fsps)}`, payeeFsp: `fsp${next(options.fsps)}`,
    payerParty: parties[next(parties.length)] ?? null, payeeParty: parties[next(parties.length)] ?? null, payerName: null, payeeName: null,
    currency: CURRENCIES[next(CURRENCIES.length)] ?? 'USD', amountMinor: BigInt(1 + next(100_000)), sourceAddress: `10.0.${next(4)}.${next(250)}`, nowMs,
  });
}

export async function benchRiskFeatures(engine: Engine, options: RiskBenchOptions): Promise<RiskBenchFigures> {
  const { storage, dispose } = await freshStorage(engine);
  try {
    const make = paymentMaker(options);
    const startMs = Date.parse('2026-06-01T00:00:00Z');
    const loadStarted = performance.now();
    for (let i = 0; i < options.history; i++) {
      const facts = make(startMs + Math.floor((i * WEEK_MS) / Math.max(1, options.history)), i);
      await runTransaction(storage.db, engine, (tx) => recordPayment(tx, engine, facts, i % 50 === 0 ? 'failed' : 'accepted'));
    }
    const loadMs = performance.now() - loadStarted;
    const samples = { read: [] as number[], record: [] as number[], both: [] as number[], transaction: [] as number[] };
    let lastPayerCount7d: unknown;
    for (let i = 0; i < options.payments; i++) {
      const facts = make(startMs + WEEK_MS + i * 50, options.history + i);
      const began = performance.now();
      await runTransaction(storage.db, engine, async (tx) => {
        const t0 = performance.now();
        const features = await readFeatures(tx, engine, facts);
        const t1 = performance.now();
        await recordPayment(tx, engine, facts, 'accepted');
        const t2 = performance.now();
        samples.read.push(t1 - t0);
        samples.record.push(t2 - t1);
        samples.both.push(t2 - t0);
        lastPayerCount7d = features['payerParty.count.7d'];
      });
      samples.transaction.push(performance.now() - began);
    }
    const counters = await sql<{ rows: number }>`select count(*) as rows from risk_counters`.execute(storage.db);
    return {
      engine, options, loadMs: Math.round(loadMs), counterRows: counters.rows[0]?.rows ?? 0,
      readMs: percentiles(samples.read), recordMs: percentiles(samples.record), readAndRecordMs: percentiles(samples.both), transactionMs: percentiles(samples.transaction), lastPayerCount7d,
    };
  } finally {
    await dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    storage: { type: 'string', default: 'sqlite' }, history: { type: 'string', default: '20000' }, payments: { type: 'string', default: '5000' },
    parties: { type: 'string', default: '2000' }, fsps: { type: 'string', default: '10' },
  } });
  const count = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1 || n > PAYMENTS_MAX) throw new Error(`--${name} must be an integer 1..${PAYMENTS_MAX}`);
    return n;
  };
  const options = { history: count('history', values.history), payments: count('payments', values.payments), parties: count('parties', values.parties), fsps: count('fsps', values.fsps) };
  const engines: Engine[] = values.storage === 'both' ? ['sqlite', 'postgres'] : [values.storage === 'postgres' ? 'postgres' : 'sqlite'];
  for (const engine of engines) {
    const figures = await benchRiskFeatures(engine, options);
    process.stdout.write(`${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  }
}

if (import.meta.main) await main();

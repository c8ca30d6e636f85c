// Reservations racing on separate database connections can never take a
// position past its cap or its liquidity, nor a settlement account into
// overdraft; commits racing aborts decide each reservation once; copies of
// one funds request move money once.
//
// Real concurrency, on each engine:
// - "pool": one Storage, every operation issued at once; on PostgreSQL they
//   run on up to ten pooled connections. (On SQLite one Storage is one
//   connection and Kysely queues them, which proves nothing, so SQLite races
//   only in workers.)
// - "workers": worker threads, each with its own Storage on the same database
//   (its own SQLite connection on the same file, or its own PostgreSQL pool,
//   as several hub processes would have), released together from a start line.
import assert from 'node:assert/strict';
import { afterEach, before, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Kysely, type KyselyPlugin, type OperationNode, type QueryId } from 'kysely';
import type { Schema } from '../storage/index.ts';
import { NormaliseResultsPlugin } from '../storage/normalise_results.ts';
import { openPostgres } from '../storage/postgres.ts';
import { describeOnEachEngine, type EngineContext } from '../testing/engines.ts';
import { assertOk, createLedgerFixture, newTransferId, runRaceOps, type LedgerFixture, type RaceOp, type RaceOutcome, type TestParticipant } from '../testing/ledger_fixture.ts';
import type { RaceWorkerData } from '../testing/ledger_race_worker.ts';
import { availableLiquidityMinor, valueMinor } from './balances.ts';
import { checkLedger } from './check.ts';
import { createFunds } from './funds.ts';
import { testTables } from '../testing/tables.ts';

const WORKERS = 3;
/**
 * Operations each worker has in flight at once: on PostgreSQL, the connections
 * it opens. Three workers and the suite's own pool stay well inside a default
 * max_connections of 100 while another test file runs beside this one.
 */
const WORKER_IN_FLIGHT_MAX = 4;
const RACERS = 40;
const AMOUNT_MINOR = 100n;
/** How many of the racers the cap or the liquidity admits. */
const ADMITTED = 13;
const WORKER_URL = new URL('../testing/ledger_race_worker.ts', import.meta.url);

type Mode = 'pool' | 'workers';

/** Runs `ops` in worker threads, dealt round-robin, all released at once; outcomes in the order of `ops`, and each worker's span. */
async function raceInWorkers(url: string, ops: RaceOp[]): Promise<{ outcomes: RaceOutcome[]; spans: { startMs: number; endMs: number }[] }> {
  const startLine = new SharedArrayBuffer(4);
  const shares = Array.from({ length: WORKERS }, (_, w) => ops.map((op, i) => ({ op, i })).filter(({ i }) => i % WORKERS === w));
  const workers = shares.map((share) => new Worker(WORKER_URL, { workerData: { url, ops: share.map(({ op }) => op), inFlightMax: WORKER_IN_FLIGHT_MAX, startLine } satisfies RaceWorkerData }));
  const message = (worker: Worker, type: string): Promise<{ outcomes: RaceOutcome[] }> => new Promise((resolve, reject) => {
    worker.on('message', (m: { type: string; outcomes: RaceOutcome[] }) => { if (m.type === type) resolve(m); });
    worker.once('error', reject);
    worker.once('exit', (code) => { reject(new Error(`worker exited with code ${code} before "${type}"`)); });
  });
  try {
    const done = workers.map((worker) => message(worker, 'done'));
    await Promise.all(workers.map((worker) => message(worker, 'ready')));
    const flag = new Int32Array(startLine);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const results = await Promise.all(done);
    const outcomes: RaceOutcome[] = new Array<RaceOutcome>(ops.length);
    results.forEach(({ outcomes: workerOutcomes }, w) => {
      (shares[w] ?? []).forEach(({ i }, k) => { outcomes[i] = workerOutcomes[k]!; });
    });
    const spans = results.map(({ outcomes: o }) => ({ startMs: Math.min(...o.map((x) => x.startMs)), endMs: Math.max(...o.map((x) => x.endMs)) }));
    return { outcomes, spans };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** The first table a query names (its FROM, INTO or UPDATE), for telling queries apart in a plugin. */
function firstTable(node: OperationNode): string | undefined {
  const text = JSON.stringify(node, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  const found = /"kind":"TableNode","table":\{"kind":"SchemableIdentifierNode","identifier":\{"kind":"IdentifierNode","name":"([a-z_]+)"/.exec(text);
  return found?.[1];
}

/**
 * A Kysely plugin that holds the first result read from one of `tables` until
 * released: a way to stop a transaction between two of its statements.
 */
function pauseAfterFirstRead(tables: readonly string[]) {
  const names = new Map<QueryId, string | undefined>();
  let armed = true;
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let reached = (_table: string): void => undefined;
  const paused = new Promise<string>((resolve) => { reached = resolve; });
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      names.set(args.queryId, firstTable(args.node));
      return args.node;
    },
    transformResult: async (args) => {
      const table = names.get(args.queryId);
      names.delete(args.queryId);
      if (armed && table !== undefined && tables.includes(table)) {
        armed = false;
        reached(table);
        await released;
      }
      return args.result;
    },
  };
  return { plugin, paused, release };
}

describeOnEachEngine('concurrent reservations', (context: EngineContext) => {
  let f: LedgerFixture;
  before(async () => {
    f = createLedgerFixture(context.storage);
    await f.openHubAccounts('USD');
  });
  afterEach(async () => {
    const report = await checkLedger(context.storage.db);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.warnings, []);
  });

  async function race(mode: Mode, ops: RaceOp[]): Promise<RaceOutcome[]> {
    if (mode === 'pool') return runRaceOps(f, ops);
    const { outcomes, spans } = await raceInWorkers(context.url, ops);
    // The race was real: at some moment every worker had an operation under way.
    const lastStart = Math.max(...spans.map((s) => s.startMs));
    const firstEnd = Math.min(...spans.map((s) => s.endMs));
    assert.ok(lastStart < firstEnd, `workers did not overlap: ${JSON.stringify(spans)}`);
    return outcomes;
  }

  const count = (outcomes: RaceOutcome[], predicate: (o: RaceOutcome) => boolean): number => outcomes.filter(predicate).length;
  const codes = (outcomes: RaceOutcome[]): string => JSON.stringify(outcomes.map((o) => (o.ok ? (o.duplicate ? 'dup' : 'ok') : o.code)));

  /** Reservations from `payer`, spread over two payees, each a fresh transfer id. */
  function reservations(payer: TestParticipant, payees: TestParticipant[], n: number, amountMinor: bigint): RaceOp[] {
    return Array.from({ length: n }, (_, i) => ({ kind: 'reserve', payer, payee: payees[i % payees.length]!, amountMinor, transferId: newTransferId('race') }));
  }

  // On SQLite a transaction holds the write lock from its first statement (BEGIN
  // IMMEDIATE), so no other connection can commit inside it; on PostgreSQL one can.
  if (context.engine === 'postgres') {
    it('[interleaved] a copy of a funds request that commits between the duplicate check\'s reads is a duplicate, not 3106', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const pause = pauseAfterFirstRead(['journal_entries', 'funds_requests']);
      const slow = new Kysely<Schema>({ dialect: openPostgres(context.url).dialect, plugins: [new NormaliseResultsPlugin(), pause.plugin] });
      try {
        const request = f.fundsRequest(p, 250n, newTransferId('interleaved'));
        const late = createFunds({ db: slow, engine: 'postgres', clock: f.clock }).recordFundsIn(request);
        await pause.paused;
        assert.deepEqual(assertOk(await f.funds.recordFundsIn(request)), { duplicate: false, state: 'COMMITTED' });
        pause.release();
        assert.deepEqual(assertOk(await late), { duplicate: true, state: 'COMMITTED' });
        assert.equal((await f.account(p.settlementId)).credits_posted_minor, 250n);
      } finally {
        pause.release();
        await slow.destroy();
      }
    });
  }

  const modes: Mode[] = context.engine === 'postgres' ? ['pool', 'workers'] : ['workers'];
  for (const mode of modes) {
    it(`[${mode}] ${RACERS} reservations against a cap that admits ${ADMITTED}: exactly ${ADMITTED} pass, the rest get 4200`, async () => {
      // The cap admits 13 × 100 and falls one minor unit short of 14 × 100.
      const payer = await f.participant({ fundsMinor: 1_000_000n, ndcMinor: BigInt(ADMITTED + 1) * AMOUNT_MINOR - 1n });
      const payees = [await f.participant({ ndcMinor: 0n }), await f.participant({ ndcMinor: 0n })];
      const outcomes = await race(mode, reservations(payer, payees, RACERS, AMOUNT_MINOR));
      assert.equal(count(outcomes, (o) => o.ok), ADMITTED, codes(outcomes));
      assert.equal(count(outcomes, (o) => !o.ok && o.code === '4200'), RACERS - ADMITTED, codes(outcomes));
      const position = await f.account(payer.positionId);
      assert.equal(valueMinor(position), BigInt(ADMITTED) * AMOUNT_MINOR);
      assert.equal(position.debits_pending_minor, BigInt(ADMITTED) * AMOUNT_MINOR);
      const received = (await f.account(payees[0]!.positionId)).credits_pending_minor + (await f.account(payees[1]!.positionId)).credits_pending_minor;
      assert.equal(received, BigInt(ADMITTED) * AMOUNT_MINOR);
    });

    it(`[${mode}] ${RACERS} reservations against liquidity that admits ${ADMITTED}: exactly ${ADMITTED} pass, the rest get 4001`, async () => {
      const payer = await f.participant({ fundsMinor: BigInt(ADMITTED + 1) * AMOUNT_MINOR - 1n, ndcMinor: 1_000_000n });
      const payees = [await f.participant({ ndcMinor: 0n }), await f.participant({ ndcMinor: 0n })];
      const outcomes = await race(mode, reservations(payer, payees, RACERS, AMOUNT_MINOR));
      assert.equal(count(outcomes, (o) => o.ok), ADMITTED, codes(outcomes));
      assert.equal(count(outcomes, (o) => !o.ok && o.code === '4001'), RACERS - ADMITTED, codes(outcomes));
      const { position, settlement } = await f.accountsOf(payer);
      assert.equal(valueMinor(position), BigInt(ADMITTED) * AMOUNT_MINOR);
      assert.equal(availableLiquidityMinor(position, settlement), AMOUNT_MINOR - 1n);
    });

    it(`[${mode}] funds out racing reservations on one participant never overdraws`, async () => {
      const fundsMinor = 10_000n;
      const reserveMinor = 300n;
      const outMinor = 700n;
      const payer = await f.participant({ fundsMinor, ndcMinor: 1_000_000n });
      const payees = [await f.participant({ ndcMinor: 0n }), await f.participant({ ndcMinor: 0n })];
      const transfers = reservations(payer, payees, 20, reserveMinor);
      const outs: RaceOp[] = Array.from({ length: 20 }, () => ({ kind: 'fundsOut', p: payer, amountMinor: outMinor, transferId: newTransferId('race-out') }));
      // Interleaved, so each worker holds both kinds.
      const ops = transfers.flatMap((t, i) => [t, outs[i]!]);
      const outcomes = await race(mode, ops);
      const reserveOutcomes = outcomes.filter((_, i) => i % 2 === 0);
      const outOutcomes = outcomes.filter((_, i) => i % 2 === 1);
      for (const o of reserveOutcomes) assert.ok(o.ok || o.code === '4001', codes(outcomes));
      for (const o of outOutcomes) assert.ok((o.ok && !o.duplicate) || o.code === '4001', codes(outcomes));
      const reserved = BigInt(count(reserveOutcomes, (o) => o.ok)) * reserveMinor;
      const withdrawn = BigInt(count(outOutcomes, (o) => o.ok)) * outMinor;

      const { position, settlement } = await f.accountsOf(payer);
      assert.equal(valueMinor(position), reserved);
      assert.equal(settlement.debits_pending_minor, withdrawn);
      assert.ok(valueMinor(settlement) <= 0n, `settlement overdrawn: ${valueMinor(settlement)}`);
      const left = availableLiquidityMinor(position, settlement);
      assert.equal(left, fundsMinor - reserved - withdrawn);
      assert.ok(left >= 0n, `liquidity below zero: ${left}`);
      // Nothing was released during the race, so what was refused cannot fit in what is left.
      if (reserveOutcomes.some((o) => !o.ok)) assert.ok(left < reserveMinor, `a reservation was refused with ${left} left`);
      if (outOutcomes.some((o) => !o.ok)) assert.ok(left < outMinor, `a funds out was refused with ${left} left`);
      assert.ok(reserved > 0n && withdrawn > 0n, 'both kinds won some of the race');

      // Settle up: the payer can commit everything it was granted, and the ledger still holds.
      await race(mode, [
        ...transfers.filter((_, i) => reserveOutcomes[i]?.ok).map((t) => ({ kind: 'commit' as const, transferId: t.transferId })),
        ...outs.filter((_, i) => outOutcomes[i]?.ok).map((o) => ({ kind: 'fundsOutCommit' as const, p: payer, transferId: o.transferId })),
      ]);
      const after = await f.accountsOf(payer);
      assert.equal(after.settlement.debits_posted_minor, withdrawn);
      assert.equal(after.position.debits_posted_minor, reserved);
      assert.ok(valueMinor(after.settlement) <= 0n);
    });

    it(`[${mode}] commits racing aborts on the same reservations: each is decided exactly once`, async () => {
      const payer = await f.participant({ fundsMinor: 100_000n, ndcMinor: 100_000n });
      const payee = await f.participant({ ndcMinor: 0n });
      const transfers = reservations(payer, [payee], 12, AMOUNT_MINOR);
      const outs: RaceOp[] = Array.from({ length: 12 }, () => ({ kind: 'fundsOut', p: payer, amountMinor: AMOUNT_MINOR, transferId: newTransferId('race-out') }));
      for (const o of await runRaceOps(f, [...transfers, ...outs])) assert.ok(o.ok && !o.duplicate);

      // For each reservation a commit and an abort, twice over, spread so that they land on different connections.
      const decisions: RaceOp[] = [];
      for (let round = 0; round < 2; round++) {
        for (const t of transfers) decisions.push({ kind: round === 0 ? 'commit' : 'abort', transferId: t.transferId }, { kind: round === 0 ? 'abort' : 'commit', transferId: t.transferId });
        for (const o of outs) decisions.push({ kind: round === 0 ? 'fundsOutCommit' : 'fundsOutAbort', p: payer, transferId: o.transferId }, { kind: round === 0 ? 'fundsOutAbort' : 'fundsOutCommit', p: payer, transferId: o.transferId });
      }
      const outcomes = await race(mode, decisions);
      let committed = 0n;
      let withdrawn = 0n;
      for (const t of [...transfers, ...outs]) {
        const mine = decisions.map((d, i) => ({ d, o: outcomes[i]! })).filter(({ d }) => (d as { transferId: string }).transferId === t.transferId);
        const winners = mine.filter(({ o }) => o.ok && !o.duplicate);
        assert.equal(winners.length, 1, `${t.transferId}: ${codes(mine.map(({ o }) => o))}`);
        const winner = (winners[0] as { d: RaceOp }).d.kind;
        const commits = winner === 'commit' || winner === 'fundsOutCommit';
        for (const { d, o } of mine) {
          if (winners[0]?.d === d) continue;
          const same = (d.kind === 'commit' || d.kind === 'fundsOutCommit') === commits;
          // A repeated funds decision is a duplicate; any other late decision is refused.
          if (t.kind === 'fundsOut' && same) assert.ok(o.ok && o.duplicate, `${t.transferId} ${d.kind}: ${codes([o])}`);
          else assert.equal(o.code, '3100', `${t.transferId} ${d.kind}: ${codes([o])}`);
        }
        if (commits && t.kind === 'reserve') committed += AMOUNT_MINOR;
        if (commits && t.kind === 'fundsOut') withdrawn += AMOUNT_MINOR;
      }
      const { position, settlement } = await f.accountsOf(payer);
      assert.equal(position.debits_pending_minor, 0n);
      assert.equal(position.debits_posted_minor, committed);
      assert.equal(settlement.debits_pending_minor, 0n);
      assert.equal(settlement.debits_posted_minor, withdrawn);
      assert.equal((await f.account(payee.positionId)).credits_posted_minor, committed);
    });

    it(`[${mode}] the same funds in sent on several connections at once moves the money once`, async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const ids = Array.from({ length: 8 }, () => newTransferId('race-in'));
      // Each request four times, spread over the connections or workers.
      const ops: RaceOp[] = [0, 1, 2, 3].flatMap(() => ids.map((transferId) => ({ kind: 'fundsIn' as const, p, amountMinor: 250n, transferId })));
      const outcomes = await race(mode, ops);
      for (const transferId of ids) {
        const mine = outcomes.filter((_, i) => (ops[i] as { transferId: string }).transferId === transferId);
        assert.ok(mine.every((o) => o.ok), codes(mine));
        assert.equal(count(mine, (o) => !o.duplicate), 1, `${transferId}: ${codes(mine)}`);
      }
      const settlement = await f.account(p.settlementId);
      assert.equal(settlement.credits_posted_minor, 8n * 250n);
      const entries = await testTables(context.storage.db).selectFrom('journal_entries').select('id').where('transfer_id', 'in', ids).execute();
      assert.equal(entries.length, ids.length);
    });
  }
});

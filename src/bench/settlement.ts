// Benchmark of settlement over a large window (`npm run bench:settlement`),
// issue 15: closing a window of a million committed transfers and netting it
// stay fast. On a fresh database it onboards participants, loads T committed
// transfers into the open window (bulk INSERTs of each transfer's PENDING and
// POST journal entries, then each account's counters set from what was
// loaded, so that the ledger check passes), and times, each on its own:
// closing the window, creating the settlement over it, each settlement step
// over every account, closing an empty window on the same journal, closing
// while commits are in flight, and the two consistency checks. Not run by the
// tests at this size (settlement.test.ts runs it small).
//
//   npm run bench:settlement [-- --storage sqlite|postgres|both] [--transfers N] [--participants N] [--seed N] [--keep]
//
// --keep leaves the database in place (its path or URL on stderr), to EXPLAIN the queries against it.
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { checkLedger, type Tx } from '../ledger/index.ts';
import { checkSettlements, createSettlementModels, createSettlements, createWindows, type AccountUpdate, type SettlementStep } from '../settlement/index.ts';
import { runTransaction, type Engine, type Storage } from '../storage/index.ts';
import { createLedgerFixture, freshStorage, type LedgerFixture, type TestParticipant } from '../testing/index.ts';

const CURRENCY = 'USD';
const ACTOR = 'bench';
/** Transfers per INSERT statement, and per transaction of the load. */
const TRANSFERS_PER_INSERT = 5_000;
const TRANSFERS_PER_TRANSACTION = 50_000;
/** Largest transfer amount, in minor units (1,000.00 USD). */
const AMOUNT_MAX_MINOR = 100_000;
/** Commits in flight while a window closes. */
const COMMITS_IN_FLIGHT = 8;
export const TRANSFERS_MAX = 10_000_000;
export const PARTICIPANTS_MAX = 1_000;

export interface BenchOptions {
  transfers: number;
  participants: number;
  seed: number;
  /** Keep the database afterwards (to EXPLAIN its queries), and print where it is. */
  keep?: boolean;
}

/** One engine's figures, in ms, with the checks that prove the run left a consistent ledger. */
export interface BenchFigures {
  engine: Engine;
  transfers: number;
  participants: number;
  journalEntries: number;
  loadMs: number;
  closeMs: number;
  closeEmptyMs: number;
  closeWithCommitsInFlightMs: number;
  commitsInFlight: number;
  createSettlementMs: number;
  recordMs: number;
  reserveMs: number;
  commitMs: number;
  confirmMs: number;
  checkSettlementsMs: number;
  checkLedgerMs: number;
  settlementAccounts: number;
  settlementState: string;
  /** Sum of the settlement's net amounts: zero when it nets. */
  netSumMinor: bigint;
  ledgerProblems: string[];
  settlementProblems: string[];
}

/** A small, seeded generator (mulberry32): the same seed loads the same transfers on either engine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const elapsedMs = (startedMs: number) => Math.round((performance.now() - startedMs) * 10) / 10;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: elapsedMs(started) };
}

interface Counters { debitsPostedMinor: bigint; creditsPostedMinor: bigint }

/**
 * Inserts `count` transfers' PENDING entries in one statement, then their POST entries in the window from
 * them. The values are integers and ids this code makes, so they are written into the statement (no bound
 * parameters: SQLite's limit on them would cap the batch).
 */
async function insertBatch(tx: Tx, batch: { first: number; count: number; windowId: number; nowMs: number },
  next: () => { payer: TestParticipant; payee: TestParticipant; amountMinor: number }, counters: Map<number, Counters>): Promise<void> {
  const rows: string[] = [];
  for (let i = batch.first; i < batch.first + batch.count; i++) {
    const { payer, payee, amountMinor } = next();
    rows.push(`('bench-${i}', ${payer.positionId}, ${payee.positionId}, ${amountMinor})`);
    const debit = counters.get(payer.positionId);
    const credit = counters.get(payee.positionId);
    assert.ok(debit !== undefined && credit !== undefined);
    debit.debitsPostedMinor += BigInt(amountMinor);
    credit.creditsPostedMinor += BigInt(amountMinor);
  }
  const lastId = (await sql<{ id: number | null }>`select max(id) as id from journal_entries`.execute(tx)).rows[0]?.id ?? 0;
  await sql`insert into journal_entries (transfer_id, phase, pending_entry_id, kind, debit_account_id, credit_account_id, currency, amount_minor, created_by, created_at_ms)
    select v.column1, 'PENDING', null, 'TRANSFER', v.column2, v.column3, ${CURRENCY}, v.column4, ${ACTOR}, ${batch.nowMs}
    from (values ${sql.raw(rows.join(', '))}) as v`.execute(tx);
  await sql`insert into journal_entries (transfer_id, phase, pending_entry_id, kind, debit_account_id, credit_account_id, currency, amount_minor, created_by, created_at_ms, settlement_window_id)
    select transfer_id, 'POST', id, kind, debit_account_id, credit_account_id, currency, amount_minor, created_by, created_at_ms, ${batch.windowId}
    from journal_entries where id > ${lastId} and phase = 'PENDING' order by id`.execute(tx);
}

/** Loads `transfers` committed transfers between random pairs into window `windowId`, and sets the counters the journal gives. */
async function loadTransfers(storage: Storage, participants: readonly TestParticipant[], options: BenchOptions, windowId: number, nowMs: number): Promise<void> {
  const random = seededRandom(options.seed);
  const pick = () => participants[Math.floor(random() * participants.length)] ?? participants[0];
  const next = () => {
    const payer = pick();
    let payee = pick();
    while (payee === payer) payee = pick();
    assert.ok(payer !== undefined && payee !== undefined);
    return { payer, payee, amountMinor: 1 + Math.floor(random() * AMOUNT_MAX_MINOR) };
  };
  const counters = new Map(participants.map((p) => [p.positionId, { debitsPostedMinor: 0n, creditsPostedMinor: 0n }]));
  for (let first = 0; first < options.transfers; first += TRANSFERS_PER_TRANSACTION) {
    const end = Math.min(options.transfers, first + TRANSFERS_PER_TRANSACTION);
    await runTransaction(storage.db, storage.engine, async (tx) => {
      for (let batch = first; batch < end; batch += TRANSFERS_PER_INSERT) {
        await insertBatch(tx, { first: batch, count: Math.min(TRANSFERS_PER_INSERT, end - batch), windowId, nowMs }, next, counters);
      }
    });
  }
  // Each transfer's PENDING and POST leave the pending counters as they were: only the posted ones move.
  await runTransaction(storage.db, storage.engine, async (tx) => {
    for (const [accountId, c] of counters) {
      await sql`update accounts set debits_posted_minor = debits_posted_minor + ${c.debitsPostedMinor},
        credits_posted_minor = credits_posted_minor + ${c.creditsPostedMinor}, changed_at_ms = ${nowMs} where id = ${accountId}`.execute(tx);
    }
  });
  // What autovacuum does after a load this size: the planner sees the journal as it is.
  if (storage.engine === 'postgres') await sql`analyze journal_entries`.execute(storage.db);
}

/** The hub's accounts, a settlement model, and `count` funded participants. */
async function onboard(fixture: LedgerFixture, storage: Storage, count: number): Promise<TestParticipant[]> {
  await fixture.openHubAccounts(CURRENCY);
  const model = await createSettlementModels({ db: storage.db, engine: storage.engine, clock: fixture.clock }).create({
    name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: CURRENCY,
    requireLiquidityCheck: true, ledgerAccountType: 'POSITION', settlementAccountType: 'SETTLEMENT', autoPositionReset: true,
  });
  assert.ok(model.ok, model.ok ? '' : model.error.detail);
  const participants: TestParticipant[] = [];
  // Funds and caps far above what a million transfers of at most 1,000.00 can net to.
  for (let i = 0; i < count; i++) participants.push(await fixture.participant({ fundsMinor: 10n ** 15n, ndcMinor: 10n ** 15n }, `benchfsp${i + 1}`));
  return participants;
}

/** Reserves transfers through the ledger, then closes the open window while their commits are in flight; answers the close's time. */
async function closeWithCommitsInFlight(fixture: LedgerFixture, windows: ReturnType<typeof createWindows>, participants: readonly TestParticipant[]): Promise<number> {
  const transferIds: string[] = [];
  for (let i = 0; i < COMMITS_IN_FLIGHT; i++) {
    const payer = participants[i % participants.length];
    const payee = participants[(i + 1) % participants.length];
    assert.ok(payer !== undefined && payee !== undefined);
    const transferId = `bench-in-flight-${i}`;
    const reserved = await fixture.reserve(payer, payee, 100n, transferId);
    assert.ok(reserved.ok, reserved.ok ? '' : reserved.error.detail);
    transferIds.push(transferId);
  }
  const open = await windows.open();
  const commits = transferIds.map((id) => fixture.commit(id));
  const [close, ...committed] = await Promise.all([timed(() => windows.close(open.id, 'bench: close with commits in flight', ACTOR)), ...commits]);
  assert.ok(close.value.ok, close.value.ok ? '' : close.value.error.detail);
  for (const commit of committed) assert.ok(commit.ok, commit.ok ? '' : commit.error.detail);
  return close.ms;
}

const STEPS = [['record', 'PS_TRANSFERS_RECORDED'], ['reserve', 'PS_TRANSFERS_RESERVED'], ['commit', 'PS_TRANSFERS_COMMITTED'], ['confirm', 'SETTLED']] as const;

/** Creates the settlement over `windowId` and steps every account through to SETTLED, each step one request; answers each's time. */
async function settle(settlements: ReturnType<typeof createSettlements>, windowId: number) {
  const created = await timed(() => settlements.create({ modelName: 'DEFERREDNET', reason: 'bench', windowIds: [windowId] }, ACTOR));
  assert.ok(created.value.ok, created.value.ok ? '' : created.value.error.detail);
  const { settlement, accounts } = created.value.value;
  const stepMs = new Map<string, number>();
  for (const [name, step] of STEPS) {
    const updates: AccountUpdate[] = accounts.map((a) => ({ participantId: a.participant_id, accountId: a.account_id, state: step satisfies SettlementStep, reason: `bench: ${step}` }));
    const moved = await timed(() => settlements[name](settlement.id, updates, ACTOR));
    assert.ok(moved.value.ok, moved.value.ok ? '' : moved.value.error.detail);
    const refused = moved.value.value.outcomes.find((o) => 'error' in o);
    assert.ok(refused === undefined, `account ${refused?.accountId ?? ''} did not move to ${step}`);
    stepMs.set(name, moved.ms);
  }
  const after = await settlements.get(settlement.id);
  assert.ok(after !== undefined);
  return {
    createSettlementMs: created.ms,
    recordMs: stepMs.get('record') ?? 0, reserveMs: stepMs.get('reserve') ?? 0, commitMs: stepMs.get('commit') ?? 0, confirmMs: stepMs.get('confirm') ?? 0,
    settlementAccounts: after.accounts.length,
    settlementState: after.settlement.state,
    netSumMinor: after.accounts.reduce((sum, a) => sum + a.net_minor, 0n),
  };
}

/** Runs the benchmark on a fresh database on `engine`, removed afterwards. */
export async function benchSettlement(engine: Engine, options: BenchOptions): Promise<BenchFigures> {
  const { storage, url, dispose } = await freshStorage(engine);
  try {
    const fixture = createLedgerFixture(storage);
    const deps = { db: storage.db, engine, clock: fixture.clock };
    const windows = createWindows(deps);
    const participants = await onboard(fixture, storage, options.participants);
    const window = await windows.open();
    const load = await timed(() => loadTransfers(storage, participants, options, window.id, fixture.clock.nowMs()));
    const close = await timed(() => windows.close(window.id, 'bench: a window of transfers', ACTOR));
    assert.ok(close.value.ok, close.value.ok ? '' : close.value.error.detail);
    // The next window is empty, on a journal that holds the whole load.
    const closeEmpty = await timed(async () => windows.close((await windows.open()).id, 'bench: an empty window', ACTOR));
    assert.ok(closeEmpty.value.ok);
    const closeWithCommitsInFlightMs = await closeWithCommitsInFlight(fixture, windows, participants);
    const settled = await settle(createSettlements(deps), window.id);
    const settlementCheck = await timed(() => checkSettlements(storage.db));
    const ledgerCheck = await timed(() => checkLedger(storage.db));
    return {
      engine, transfers: options.transfers, participants: options.participants, journalEntries: ledgerCheck.value.entriesChecked,
      loadMs: load.ms, closeMs: close.ms, closeEmptyMs: closeEmpty.ms, closeWithCommitsInFlightMs, commitsInFlight: COMMITS_IN_FLIGHT,
      ...settled,
      checkSettlementsMs: settlementCheck.ms, checkLedgerMs: ledgerCheck.ms,
      ledgerProblems: ledgerCheck.value.problems, settlementProblems: settlementCheck.value.problems,
    };
  } finally {
    if (options.keep === true) {
      await storage.close();
      process.stderr.write(`kept the ${engine} database: ${url}\n`);
    } else {
      await dispose();
    }
  }
}

function table(f: BenchFigures): string {
  const rows: [string, number | string][] = [
    [`load ${f.transfers} transfers (set-up, not a figure)`, f.loadMs],
    [`close the window (${f.transfers} transfers, ${f.participants} participants)`, f.closeMs],
    ['close an empty window (same journal)', f.closeEmptyMs],
    [`close with ${f.commitsInFlight} commits in flight`, f.closeWithCommitsInFlightMs],
    ['create the settlement (net the window)', f.createSettlementMs],
    [`record (${f.settlementAccounts} accounts)`, f.recordMs],
    [`reserve (${f.settlementAccounts} accounts)`, f.reserveMs],
    [`commit (${f.settlementAccounts} accounts)`, f.commitMs],
    [`confirm (${f.settlementAccounts} accounts)`, f.confirmMs],
    [`checkSettlements (${f.settlementProblems.length === 0 ? 'ok' : 'PROBLEMS'})`, f.checkSettlementsMs],
    [`checkLedger, ${f.journalEntries} entries (${f.ledgerProblems.length === 0 ? 'ok' : 'PROBLEMS'})`, f.checkLedgerMs],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [`${f.engine}: settlement ${f.settlementState}, net sum ${f.netSumMinor}`, ...rows.map(([name, ms]) => `  ${name.padEnd(width)}  ${String(ms).padStart(10)} ms`)].join('\n') + '\n';
}

function parseOptions(): { engines: Engine[]; options: BenchOptions } {
  const { values } = parseArgs({ options: {
    storage: { type: 'string', default: 'sqlite' }, transfers: { type: 'string', default: '1000000' },
    participants: { type: 'string', default: '20' }, seed: { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
  } });
  const usage = 'usage: npm run bench:settlement [-- --storage sqlite|postgres|both] [--transfers N] [--participants N] [--seed N] [--keep]';
  const options = { transfers: Number(values.transfers), participants: Number(values.participants), seed: Number(values.seed), keep: values.keep };
  const engines: Record<string, Engine[]> = { sqlite: ['sqlite'], postgres: ['postgres'], both: ['sqlite', 'postgres'] };
  const chosen = Object.hasOwn(engines, values.storage) ? engines[values.storage] : undefined;
  if (chosen === undefined || !Number.isSafeInteger(options.transfers) || options.transfers < 1 || options.transfers > TRANSFERS_MAX
    || !Number.isSafeInteger(options.participants) || options.participants < 2 || options.participants > PARTICIPANTS_MAX
    || !Number.isSafeInteger(options.seed)) {
    throw new Error(`${usage}\n  transfers 1..${TRANSFERS_MAX}, participants 2..${PARTICIPANTS_MAX}`);
  }
  return { engines: chosen, options };
}

if (import.meta.main) {
  const { engines, options } = parseOptions();
  const all: BenchFigures[] = [];
  for (const engine of engines) {
    const figures = await benchSettlement(engine, options);
    process.stdout.write(table(figures));
    all.push(figures);
  }
  process.stdout.write(JSON.stringify({ bench: 'settlement', seed: options.seed, runs: all }, (_key, value: unknown) => typeof value === 'bigint' ? String(value) : value) + '\n');
  if (all.some((f) => f.ledgerProblems.length > 0 || f.settlementProblems.length > 0)) process.exitCode = 1;
}

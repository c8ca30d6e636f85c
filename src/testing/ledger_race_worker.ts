// A worker thread for the ledger's concurrency test: it opens its own Storage
// on the database it is given (its own SQLite connection, or its own
// PostgreSQL pool), waits at a start line shared with the other workers, then
// issues its operations at once and reports their outcomes.
import { parentPort, workerData } from 'node:worker_threads';
import { openStorage } from '../storage/index.ts';
import { createLedgerFixture, runRaceOps, type RaceOp } from './ledger_fixture.ts';
import { testTables } from './tables.ts';

export interface RaceWorkerData {
  url: string;
  ops: RaceOp[];
  /** Operations in flight at once (on PostgreSQL, connections this worker opens). */
  inFlightMax: number;
  /** An Int32Array's buffer: index 0 turns 1 when every worker is ready. */
  startLine: SharedArrayBuffer;
}

const { url, ops, inFlightMax, startLine } = workerData as RaceWorkerData;
const storage = openStorage(url);
try {
  const fixture = createLedgerFixture(storage);
  // Connect before the start line, so that the race is between transactions, not between start-ups.
  await testTables(storage.db).selectFrom('accounts').select('id').limit(1).execute();
  parentPort?.postMessage({ type: 'ready' });
  Atomics.wait(new Int32Array(startLine), 0, 0);
  parentPort?.postMessage({ type: 'done', outcomes: await runRaceOps(fixture, ops, inFlightMax) });
} finally {
  await storage.close();
}

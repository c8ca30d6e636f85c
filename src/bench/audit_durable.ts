// Benchmark of durable, batched audit appends (`npm run bench:audit`), on
// SQLite (synchronous=FULL, WAL) and, when one answers, PostgreSQL: each
// append settles only once its batch committed. Not run by the tests.
//
//   npm run bench:audit [-- --entries N] [--in-flight N]
//
// For each engine and each number of appends kept in flight, it prints the
// appends/s, the latency of an append (p50, p99), and the time to sign the checkpoint after.
// Anchor: Tessera reports about 10,000 appends/s on NVMe (security.md §1).
import { parseArgs } from 'node:util';
import { createLogger } from '../support/index.ts';
import { freshStorage, postgresUnavailable } from '../testing/index.ts';
import type { Engine } from '../storage/index.ts';
import { createAuditLog, logKeys, testEntry, TEST_ORIGIN } from '../audit/index.ts';
// The tests' entries and keys: a benchmark appends what the tests append.

interface Run {
  readonly engine: Engine;
  readonly inFlight: number;
  readonly entries: number;
  readonly appendsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly checkpointMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function run(engine: Engine, entries: number, inFlight: number): Promise<Run> {
  const { storage, dispose } = await freshStorage(engine);
  const auditLog = await createAuditLog({
    db: storage.db, engine, clock: { nowMs: () => Date.now() }, log: createLogger('silent'), origin: TEST_ORIGIN,
    privateKey: logKeys().privateKey, checkpointIntervalMs: 3_600_000, witnesses: [],
  });
  try {
    const latenciesMs: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < entries) {
        const i = next++;
        const started = performance.now();
        const result = await auditLog.append(testEntry(i));
        if (!result.ok) throw new Error(`append refused: ${result.error.reason}`);
        latenciesMs.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const elapsedS = (performance.now() - started) / 1000;
    const checkpointStarted = performance.now();
    await auditLog.checkpointNow();
    const checkpointMs = performance.now() - checkpointStarted;
    latenciesMs.sort((a, b) => a - b);
    return {
      engine, inFlight, entries,
      appendsPerSecond: Math.round(entries / elapsedS),
      latencyP50Ms: Math.round(percentile(latenciesMs, 0.5) * 10) / 10,
      latencyP99Ms: Math.round(percentile(latenciesMs, 0.99) * 10) / 10,
      checkpointMs: Math.round(checkpointMs * 10) / 10,
    };
  } finally {
    await auditLog.close();
    await dispose();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { entries: { type: 'string', default: '50000' }, 'in-flight': { type: 'string', multiple: true } } });
  const entries = Number(values.entries);
  const inFlights = (values['in-flight'] ?? ['1', '64', '4096']).map(Number);
  if (!Number.isSafeInteger(entries) || entries < 1 || inFlights.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error('usage: npm run bench:audit [-- --entries N] [--in-flight N]...');
  }
  const engines: Engine[] = (await postgresUnavailable()) === undefined ? ['sqlite', 'postgres'] : ['sqlite'];
  process.stdout.write('engine     in-flight  entries   appends/s  p50 ms  p99 ms  checkpoint ms\n');
  for (const engine of engines) {
    for (const inFlight of inFlights) {
      // One client in flight commits one entry at a time: fewer entries keep the run short.
      const r = await run(engine, inFlight === 1 ? Math.min(entries, 2_000) : entries, inFlight);
      process.stdout.write(`${r.engine.padEnd(10)} ${String(r.inFlight).padStart(9)} ${String(r.entries).padStart(8)} ${String(r.appendsPerSecond).padStart(11)} ${String(r.latencyP50Ms).padStart(7)} ${String(r.latencyP99Ms).padStart(7)} ${String(r.checkpointMs).padStart(14)}\n`);
    }
  }
}

// Micro-benchmark of the sequencer's in-memory step: appending to the compact
// range. Not run by the tests. `node src/bench/translog_append.ts [n]` prints JSON.
//
// Two figures: appends of ready leaf hashes (the compact range alone: one node
// hash per append on average), and appends that also hash a 512-byte entry
// into its leaf (what the sequencer does per entry). Durable appends are bound
// by storage (fsync), measured by the storage benchmark; this is the ceiling
// the hashing puts above it.
import { randomBytes } from 'node:crypto';
import { createCompactRange, HASH_BYTES, leafHash } from '../translog/index.ts';

export interface AppendBench {
  readonly appends: number;
  /** Appends of precomputed leaf hashes per second. */
  readonly appendsPerSecond: number;
  /** Appends per second when each append also computes the leaf hash of a 512-byte entry. */
  readonly hashedAppendsPerSecond: number;
  /** The root after the run, so the work cannot be optimised away. */
  readonly rootHex: string;
}

const ENTRY_BYTES = 512;
const POOL_SIZE = 1024;

function perSecond(count: number, startedNs: bigint): number {
  const elapsedS = Number(process.hrtime.bigint() - startedNs) / 1e9;
  return Math.round(count / elapsedS);
}

/** Appends `n` leaves to a fresh compact range (twice: without and with leaf hashing) and reports the rates. */
export function benchAppends(n: number): AppendBench {
  // A pool of distinct leaves and entries, reused: n random values would dominate the run's memory.
  const leafPool = randomBytes(POOL_SIZE * HASH_BYTES);
  const entryPool = randomBytes(POOL_SIZE * ENTRY_BYTES);
  const slice = (pool: Buffer, width: number, i: number): Buffer => pool.subarray((i % POOL_SIZE) * width, ((i % POOL_SIZE) + 1) * width);

  const range = createCompactRange();
  let started = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) range.append(slice(leafPool, HASH_BYTES, i));
  const appendsPerSecond = perSecond(n, started);

  const hashed = createCompactRange();
  started = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) hashed.append(leafHash(slice(entryPool, ENTRY_BYTES, i)));
  const hashedAppendsPerSecond = perSecond(n, started);

  return { appends: n, appendsPerSecond, hashedAppendsPerSecond, rootHex: Buffer.from(range.root()).toString('hex') };
}

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error('usage: node src/bench/translog_append.ts [appends]');
  benchAppends(Math.min(n, 10_000)); // warm-up: let the JIT compile the append path
  process.stdout.write(`${JSON.stringify(benchAppends(n))}\n`);
}

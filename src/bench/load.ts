// Closed-loop load: `concurrency` workers each run `exchange` back to back
// until `durationMs` has passed; latencies are recorded per exchange.
export interface LoadResult {
  completed: number;
  errors: number;
  elapsedMs: number;
  latenciesMs: number[];
  firstErrors: string[];
}

export const FIRST_ERRORS_KEPT = 5;

export async function runLoad(concurrency: number, durationMs: number, exchange: (worker: number, n: number) => Promise<void>): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + durationMs;
  const latenciesMs: number[] = [];
  const firstErrors: string[] = [];
  let errors = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const t0 = performance.now();
      try {
        await exchange(worker, n);
        latenciesMs.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        if (firstErrors.length < FIRST_ERRORS_KEPT) firstErrors.push(error instanceof Error ? error.message : String(error));
      }
    }
  }));
  return { completed: latenciesMs.length, errors, elapsedMs: performance.now() - started, latenciesMs, firstErrors };
}

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? Number.NaN;
}

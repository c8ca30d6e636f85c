// Periodic background work (transfer expiry, pruning) in one place.
import assert from 'node:assert/strict';
import type { Logger } from './logger.ts';

/**
 * Runs `task` every `intervalMs`, never two at once. A failure of the database is logged and the
 * next run tries again; a failed assertion is a programmer's error and crashes the process.
 */
export function every(intervalMs: number, task: () => Promise<unknown>, log: Logger, name: string): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void task().catch((error: unknown) => {
      if (error instanceof assert.AssertionError) throw error;
      log.error({ err: error, task: name }, 'periodic task failed');
    }).finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return () => { clearInterval(timer); };
}

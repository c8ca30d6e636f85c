// Requests waiting for their callbacks: FSPIOP answers a request with 202 and
// the result comes later as a PUT. Each waiter is settled by the matching
// callback, its error callback, or its deadline; the number waiting is bounded.
import type { SimLimits } from './limits.ts';

/** An FSPIOP error: from an error callback, or the hub's synchronous refusal. */
export class FspiopError extends Error {
  override readonly name = 'FspiopError';
  readonly errorCode: string;
  readonly errorDescription: string;
  /** The HTTP status of a synchronous refusal; undefined for an error callback. */
  readonly httpStatus: number | undefined;
  constructor(errorCode: string, errorDescription: string, httpStatus?: number) {
    super(`${errorCode} ${errorDescription}`);
    this.errorCode = errorCode;
    this.errorDescription = errorDescription;
    this.httpStatus = httpStatus;
  }
}

/** The errorInformation in a body, or a generic one when the body carries none. */
export function fspiopErrorOf(body: unknown, httpStatus?: number): FspiopError {
  const info = (body as { errorInformation?: { errorCode?: unknown; errorDescription?: unknown } } | undefined)?.errorInformation;
  const code = typeof info?.errorCode === 'string' ? info.errorCode : '2001';
  const description = typeof info?.errorDescription === 'string' ? info.errorDescription : 'no errorInformation in the answer';
  return new FspiopError(code, description, httpStatus);
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface Waiting<T> {
  readonly promise: Promise<T>;
  /** Fails this waiter alone (its request was refused at once, so no callback will come). */
  cancel(error: Error): void;
}

export interface Pending {
  /**
   * Waits for the callback named `key`; register before sending, since the
   * callback may arrive before the request's own answer. Several waiters may
   * share a key (two lookups of one party); a callback settles them all.
   * Throws when pendingMax requests are already waiting.
   */
  wait<T>(key: string, what: string): Waiting<T>;
  /** Settles the waiters on `key`; false when none was waiting (an unsolicited or late callback). */
  resolve(key: string, value: unknown): boolean;
  reject(key: string, error: Error): boolean;
  /** How many waiters there are. */
  size(): number;
  /** Fails every waiter (the simulator is closing). */
  clear(reason: string): void;
}

export function createPending(limits: Pick<SimLimits, 'pendingMax' | 'callbackTimeoutMs'>): Pending {
  const waiting = new Map<string, Waiter[]>();
  let count = 0;

  function take(key: string): Waiter[] {
    const waiters = waiting.get(key) ?? [];
    waiting.delete(key);
    count -= waiters.length;
    for (const w of waiters) clearTimeout(w.timer);
    return waiters;
  }

  /** Removes one waiter; false if it was already settled. */
  function remove(key: string, waiter: Waiter): boolean {
    const list = waiting.get(key);
    const index = list?.indexOf(waiter) ?? -1;
    if (list === undefined || index < 0) return false;
    list.splice(index, 1);
    count -= 1;
    if (list.length === 0) waiting.delete(key);
    clearTimeout(waiter.timer);
    return true;
  }

  return {
    wait<T>(key: string, what: string): Waiting<T> {
      // Refused before anything is sent: a full table must not grow, nor cause requests whose answers it cannot hold.
      if (count >= limits.pendingMax) throw new Error(`${limits.pendingMax} requests are already waiting for callbacks; ${what} not sent`);
      const { promise, resolve, reject } = Promise.withResolvers<T>();
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          if (remove(key, waiter)) reject(new Error(`no callback for ${what} within ${limits.callbackTimeoutMs} ms`));
        }, limits.callbackTimeoutMs),
      };
      const list = waiting.get(key);
      if (list === undefined) waiting.set(key, [waiter]);
      else list.push(waiter);
      count += 1;
      return { promise, cancel: (error) => { if (remove(key, waiter)) reject(error); } };
    },
    resolve(key, value) {
      const waiters = take(key);
      for (const w of waiters) w.resolve(value);
      return waiters.length > 0;
    },
    reject(key, error) {
      const waiters = take(key);
      for (const w of waiters) w.reject(error);
      return waiters.length > 0;
    },
    size: () => count,
    clear(reason) {
      for (const key of [...waiting.keys()]) {
        for (const w of take(key)) w.reject(new Error(reason));
      }
    },
  };
}

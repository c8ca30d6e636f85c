// Rate limits: a token bucket per (participant, API). Each bucket holds up to
// `burst` tokens and refills at `ratePerS` tokens a second; a request takes
// one token or is refused with HTTP 429, FSPIOP 3000 (FSPIOP has no
// rate-limit code) and Retry-After. The participant is the one the connection's
// certificate established, so a bucket is only ever made for a participant that
// passed mutual TLS; the API is the operation's (fspiop/apis.ts).
//
// Arithmetic is in integer milli-tokens: a rate of r tokens a second is exactly
// r milli-tokens a millisecond, so refills never drift however often they run.
//
// The limits are per hub process. Hub processes on one database each keep
// their own buckets: a deployment of N processes behind a balancer configures
// each with the scheme's limit divided by N (a shared store would make the
// limit global; there is none yet).
//
// Memory is bounded: at most `bucketsMax` buckets. A full bucket holds nothing a
// new one would not, so dropping it loses nothing; when the cap is reached the
// least recently used bucket is dropped (normally a full one: participants are
// few and the cap is far above them, so a partly empty bucket dropped early
// would only give an idle participant a fresh burst).
import type { Clock } from '../../support/index.ts';
import { rateLimitProblem, type ApiRateLimits, type RateLimit, type RateLimitOverrides } from '../../config/index.ts';
import { FSPIOP_APIS, type FspiopApi } from '../../fspiop/index.ts';
import type { GatewayRefusal } from './refusal.ts';

export interface RateLimiterConfig {
  /** The scheme's limits, for every participant. */
  readonly limits: ApiRateLimits;
  /** Participants with limits of their own. */
  readonly overrides?: RateLimitOverrides;
  /** Most buckets kept at once; default BUCKETS_MAX_DEFAULT. */
  readonly bucketsMax?: number;
}

export interface RateLimiter {
  /** Takes one token from the participant's bucket for the API: undefined when admitted, else the refusal. */
  take(participant: string, api: FspiopApi): GatewayRefusal | undefined;
  /** The limit that applies to the participant for the API. */
  limitOf(participant: string, api: FspiopApi): RateLimit;
  /** Buckets held now (at most bucketsMax). */
  readonly size: number;
}

export const BUCKETS_MAX_DEFAULT = 10_000;

const MILLI = 1_000;

interface Bucket {
  /** Milli-tokens, 0..burst·1000. */
  milliTokens: number;
  /** When milliTokens was last brought up to date (ms, integer, never moves back). */
  atMs: number;
}

function checked(limit: RateLimit, where: string): RateLimit {
  const problem = rateLimitProblem(limit);
  if (problem !== undefined) throw new RangeError(`rate limit ${where}: ${problem}`);
  return { ratePerS: limit.ratePerS, burst: limit.burst };
}

export function createRateLimiter(config: RateLimiterConfig, clock: Clock): RateLimiter {
  const bucketsMax = config.bucketsMax ?? BUCKETS_MAX_DEFAULT;
  if (!Number.isSafeInteger(bucketsMax) || bucketsMax < 1) throw new RangeError('rate limit bucketsMax must be a positive integer');
  // Copied and checked once: later changes to the caller's objects change nothing here.
  const scheme = new Map<FspiopApi, RateLimit>(FSPIOP_APIS.map((api) => [api, checked(config.limits[api], api)]));
  const own = new Map<string, Map<FspiopApi, RateLimit>>();
  for (const [participant, limits] of config.overrides ?? new Map<string, Partial<Record<FspiopApi, RateLimit>>>()) {
    const apis = new Map<FspiopApi, RateLimit>();
    for (const api of FSPIOP_APIS) {
      const limit = limits[api];
      if (limit !== undefined) apis.set(api, checked(limit, `${participant}:${api}`));
    }
    own.set(participant, apis);
  }
  /** Insertion order is recency: a bucket is moved to the end each time it is used. */
  const buckets = new Map<string, Bucket>();

  function limitOf(participant: string, api: FspiopApi): RateLimit {
    const limit = own.get(participant)?.get(api) ?? scheme.get(api);
    if (limit === undefined) throw new Error(`rate limit: unknown API ${api}`);
    return limit;
  }

  /** Brings a bucket up to `nowMs`: elapsed ms × ratePerS milli-tokens, capped at the burst. */
  function refill(bucket: Bucket, limit: RateLimit, nowMs: number): void {
    if (nowMs <= bucket.atMs) return; // a clock that steps back refills nothing, and takes nothing back
    const capacity = limit.burst * MILLI;
    const toFullMs = Math.ceil((capacity - bucket.milliTokens) / limit.ratePerS);
    const elapsedMs = nowMs - bucket.atMs;
    bucket.milliTokens = elapsedMs >= toFullMs ? capacity : bucket.milliTokens + elapsedMs * limit.ratePerS;
    bucket.atMs = nowMs;
  }

  function bucketFor(key: string, limit: RateLimit, nowMs: number): Bucket {
    const found = buckets.get(key);
    if (found !== undefined) {
      buckets.delete(key);
      buckets.set(key, found);
      refill(found, limit, nowMs);
      return found;
    }
    while (buckets.size >= bucketsMax) {
      const oldest = buckets.keys().next();
      if (oldest.done === true) break;
      buckets.delete(oldest.value);
    }
    const fresh = { milliTokens: limit.burst * MILLI, atMs: nowMs };
    buckets.set(key, fresh);
    return fresh;
  }

  return {
    take(participant, api) {
      const limit = limitOf(participant, api);
      const nowMs = Math.floor(clock.nowMs());
      // The API name has no ':', so "api:participant" names one pair only.
      const bucket = bucketFor(`${api}:${participant}`, limit, nowMs);
      if (bucket.milliTokens >= MILLI) {
        bucket.milliTokens -= MILLI;
        return undefined;
      }
      const waitMs = Math.ceil((MILLI - bucket.milliTokens) / limit.ratePerS);
      const retryAfterS = Math.max(1, Math.ceil(waitMs / 1_000));
      return {
        failure: { code: '3000', detail: `rate limit exceeded for the ${api} API; retry after ${retryAfterS} s` },
        httpStatus: 429,
        headers: { 'Retry-After': String(retryAfterS) },
        event: { kind: 'rate-limited', reason: `${api} API over its limit of ${limit.ratePerS}/s, burst ${limit.burst}` },
      };
    },
    limitOf,
    get size() {
      return buckets.size;
    },
  };
}

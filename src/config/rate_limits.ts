// The gateway's rate limits as configuration: the scheme's limits per API
// (gateway.rateLimits.<api>), participants' own (gateway.rateLimits.overrides),
// and the bounds both are checked against. edge/gateway/rate_limit.ts enforces them.
import { FSPIOP_APIS, type FspiopApi, fail, type FspiopResult } from '../fspiop/index.ts';
import { isParticipantName, ok } from '../support/index.ts';

export interface RateLimit {
  /** Tokens added a second (integer). */
  readonly ratePerS: number;
  /** The bucket's capacity: how many requests may come at once after a quiet spell (integer). */
  readonly burst: number;
}

export type ApiRateLimits = Readonly<Record<FspiopApi, RateLimit>>;

/** A participant's own limits for some APIs; the others keep the scheme's. */
export type RateLimitOverrides = ReadonlyMap<string, Readonly<Partial<Record<FspiopApi, RateLimit>>>>;

/** Bounds of a configured rate and burst. */
export const RATE_PER_S_MAX = 1_000_000;
export const BURST_MAX = 1_000_000;
/** Most per-participant override entries (participant:api pairs) accepted from configuration. */
export const OVERRIDE_ENTRIES_MAX = 3 * 1_000;
/** Recommended scheme defaults, per participant and hub process. */
export const DEFAULT_RATE_LIMITS: ApiRateLimits = {
  lookup: { ratePerS: 200, burst: 400 },
  quotes: { ratePerS: 200, burst: 400 },
  transfers: { ratePerS: 200, burst: 400 },
  // The extension: a signal asked before a payment, fraud reports now and then (bounded per day besides).
  risk: { ratePerS: 100, burst: 200 },
};

/** The reason a limit is not valid, or undefined. */
export function rateLimitProblem(limit: RateLimit): string | undefined {
  if (!Number.isSafeInteger(limit.ratePerS) || limit.ratePerS < 1 || limit.ratePerS > RATE_PER_S_MAX) return `ratePerS must be an integer from 1 to ${RATE_PER_S_MAX}`;
  if (!Number.isSafeInteger(limit.burst) || limit.burst < 1 || limit.burst > BURST_MAX) return `burst must be an integer from 1 to ${BURST_MAX}`;
  return undefined;
}

/**
 * Per-participant limits from configuration text: comma-separated
 * `participant:api=ratePerS/burst` entries, e.g. "bigfsp:transfers=500/1000,bigfsp:quotes=500/1000".
 */
export function parseRateLimitOverrides(text: string): FspiopResult<RateLimitOverrides> {
  const overrides = new Map<string, Partial<Record<FspiopApi, RateLimit>>>();
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length > OVERRIDE_ENTRIES_MAX) return fail('3100', `at most ${OVERRIDE_ENTRIES_MAX} rate limit overrides`);
  for (const entry of entries) {
    const match = /^([^:=\s]+):([a-z]+)=([0-9]{1,7})\/([0-9]{1,7})$/.exec(entry);
    const [, participant = '', apiText = '', rate = '', burst = ''] = match ?? [];
    const api = FSPIOP_APIS.find((known) => known === apiText);
    if (match === null || !isParticipantName(participant) || api === undefined) {
      return fail('3100', `rate limit override ${JSON.stringify(entry.slice(0, 80))}: expected participant:api=ratePerS/burst, api one of ${FSPIOP_APIS.join(', ')}`);
    }
    const limit = { ratePerS: Number(rate), burst: Number(burst) };
    const problem = rateLimitProblem(limit);
    if (problem !== undefined) return fail('3100', `rate limit override ${JSON.stringify(entry)}: ${problem}`);
    const limits = overrides.get(participant) ?? {};
    if (limits[api] !== undefined) return fail('3100', `rate limit override for ${participant}:${api} given twice`);
    overrides.set(participant, { ...limits, [api]: limit });
  }
  return ok(overrides);
}

// Every bound of the account lookup service, with its unit and the reason for
// its value, and the relations between them checked once when the service is made.
import assert from 'node:assert/strict';

/** FSPIOP PartyIdentifier and PartySubIdOrType are 1..128 characters (API Definition v1.1 §7.3); fspiop/party_identifiers.ts holds the rule. */
export { PARTY_IDENTIFIER_LENGTH_MAX } from '../fspiop/index.ts';

/** Longest oracle endpoint URL (the length central-ledger and ALS store for endpoints). */
export const ORACLE_ENDPOINT_LENGTH_MAX = 512;

export interface LookupLimits {
  /**
   * How long a forwarded GET /parties may be answered: the asked FSP's PUT /parties is forwarded
   * to the requester only within this window. Long enough for an FSP to ask its own core system
   * (the SDK's default party-lookup timeout is 30 s), short enough that a stale lookup cannot be
   * used to inject party data much later.
   */
  readonly lookupWindowMs: number;
  /**
   * Lookups one requester may have outstanding at once. Each forwarded GET /parties keeps a row for
   * lookupWindowMs; this bounds the rows one FSP can make the hub hold (and the lookups it can fan out).
   */
  readonly lookupsOutstandingPerRequesterMax: number;
  /** Expired lookup rows removed by each new lookup: more than one, so that removal outpaces insertion. */
  readonly lookupPruneBatchMax: number;
  /** One call to an external oracle, connection to last byte of the answer. An oracle answers from an index. */
  readonly oracleTimeoutMs: number;
  /** An oracle's answer body: a party list of a few entries is a few hundred bytes. */
  readonly oracleResponseBytesMax: number;
  /** Entries read from an oracle's partyList; a longer list is refused as malformed. */
  readonly oraclePartyListLengthMax: number;
}

export const DEFAULT_LOOKUP_LIMITS: LookupLimits = {
  lookupWindowMs: 60_000,
  lookupsOutstandingPerRequesterMax: 10_000,
  lookupPruneBatchMax: 100,
  oracleTimeoutMs: 5_000,
  oracleResponseBytesMax: 64 * 1024,
  oraclePartyListLengthMax: 100,
};

/** Crashes on limits that cannot work together: a programmer's or operator's error, found at start. */
export function assertLookupLimits(limits: LookupLimits): void {
  for (const key of Object.keys(DEFAULT_LOOKUP_LIMITS) as (keyof LookupLimits)[]) {
    assert.ok(Number.isSafeInteger(limits[key]) && limits[key] > 0, `lookup limit ${key} must be a positive integer, got ${limits[key]}`);
  }
  assert.ok(limits.lookupPruneBatchMax > 1, 'lookupPruneBatchMax must exceed 1, so that each lookup removes more expired rows than it adds');
  // The oracle is asked before the lookup is forwarded; an oracle that may take the whole window leaves none for the answer.
  assert.ok(limits.oracleTimeoutMs < limits.lookupWindowMs, 'oracleTimeoutMs must be less than lookupWindowMs');
}

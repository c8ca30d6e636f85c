// Account lookup: which FSP serves a party (/participants), and the party
// lookup itself (/parties), routed between the FSP that asks and the FSP that
// answers. Each request is one database transaction whose effects are rows
// and outbox messages; a call to an external oracle happens before that
// transaction, never inside it, so that a slow oracle holds no locks.
//
// What an attacker FSP must not be able to do, and where it is stopped:
// - register a party for another FSP: fspId must be the sender (3100);
// - take over a party another FSP serves, in any currency: one FSP per party
//   (3003; the scheme operator resolves disputes), so that a lookup, which
//   carries no currency, never has two FSPs to choose from;
// - delete another FSP's party: answered as if absent (3204);
// - push party data (names) to an FSP that did not ask it: a PUT /parties is
//   forwarded only within the window of a lookup that the hub itself forwarded
//   from that requester to that sender, for that party (3100 otherwise);
// - choose where an oracle or callback request goes: identifiers are checked
//   (party.ts) and percent-encoded; oracles' redirects are not followed.
import type { Inbound } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import type { Db, Engine } from '../storage/index.ts';
import type { LookupContext } from './context.ts';
import { assertLookupLimits, DEFAULT_LOOKUP_LIMITS, type LookupLimits } from './limits.ts';
import type { OracleClient } from './oracle_client.ts';
import { createOracleAdmin } from './oracles.ts';
import { answerLookup, lookupParty, pruneExpiredLookups, type PartiesAnswerBody } from './parties.ts';
import { deleteParty } from './participants_delete.ts';
import { queryParty } from './participants_query.ts';
import { registerParty, type RegistrationBody } from './participants_register.ts';
import type { PartyPath } from './party.ts';

export type { LookupOutcome } from './context.ts';
export type { PartiesAnswerBody } from './parties.ts';
export type { RegistrationBody } from './participants_register.ts';

export interface LookupDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Writes a message to the outbox inside the caller's transaction. */
  enqueue: LookupContext['enqueue'];
  /** Calls external oracles (a fake in tests). */
  oracleClient: OracleClient;
  limits?: LookupLimits;
}

interface Query { currency?: string | undefined }

export function createLookupService(deps: LookupDeps) {
  const context: LookupContext = { ...deps, limits: deps.limits ?? DEFAULT_LOOKUP_LIMITS };
  assertLookupLimits(context.limits);
  return {
    registerParty: (inbound: Inbound, path: PartyPath, body: RegistrationBody) => registerParty(context, inbound, path, body),
    queryParty: (inbound: Inbound, path: PartyPath, query?: Query) => queryParty(context, inbound, path, query),
    deleteParty: (inbound: Inbound, path: PartyPath, query?: Query) => deleteParty(context, inbound, path, query),
    lookupParty: (inbound: Inbound, path: PartyPath) => lookupParty(context, inbound, path),
    answerParty: (inbound: Inbound, path: PartyPath, body: PartiesAnswerBody) => answerLookup(context, inbound, path, 'answer', body),
    answerPartyError: (inbound: Inbound, path: PartyPath) => answerLookup(context, inbound, path, 'error'),
    pruneExpiredLookups: () => pruneExpiredLookups(context),
    ...createOracleAdmin({ db: deps.db, engine: deps.engine, clock: deps.clock }),
  };
}

export type LookupService = ReturnType<typeof createLookupService>;

// What every lookup operation shares: its dependencies, its outcome, and the
// two ways it answers the sender (an error callback, or the answer to a
// registration, query or deletion), each written to the outbox in the
// transaction of the change it reports.
import type { OutboundMessage } from '../delivery/index.ts';
import type { Failure, Inbound } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { callbackEndpoint, findParticipant, type EndpointType, type Participant } from '../participants/index.ts';
import type { Clock } from '../support/index.ts';
import { runTransaction, type Db, type Engine } from '../storage/index.ts';
import type { LookupLimits } from './limits.ts';
import { participantsAnswer, participantsError, partiesError } from './messages.ts';
import type { OracleClient, OracleEntry } from './oracle_client.ts';
import { storedSubId, type PartyKey } from './party.ts';

export interface LookupContext {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Writes a message to the outbox inside the caller's transaction. */
  enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
  /** Calls external oracles (a fake in tests). */
  oracleClient: OracleClient;
  limits: LookupLimits;
}

/** What the lookup service decided; every effect is already in the database and outbox. */
export type LookupOutcome =
  | { kind: 'registered' | 'already-registered' | 'answered' | 'deleted' }
  | { kind: 'forwarded'; to: string }
  /** An error callback went to the sender (when it is a known participant). `cause` is for the hub's logs only. */
  | { kind: 'refused'; failure: Failure; cause?: string }
  /** The path or a parameter is malformed: nothing stored or sent; the edge answers synchronously (HTTP 400). */
  | { kind: 'invalid'; failure: Failure };

export type LookupResource = 'participants' | 'parties';

export const failWith = (code: Failure['code'], detail: string): Failure => ({ code, detail });
export const NOT_FOUND = failWith('3204', 'no FSP serves this party');
export const SENDER_NOT_ACTIVE = failWith('3200', 'the sending FSP is not an active participant');
export const keyColumns = (key: PartyKey) => ({ party_id_type: key.partyIdType, party_identifier: key.partyIdentifier, party_sub_id: storedSubId(key) });
/** An oracle entry is about this party only if its sub-identifier is the path's (both absent, or equal). */
export const sameSubId = (key: PartyKey) => (entry: OracleEntry) => entry.partySubIdOrType === key.partySubIdOrType;

export async function hasEndpoint(tx: Tx, p: Participant, type: EndpointType): Promise<boolean> {
  return (await callbackEndpoint(tx, p.id, type)) !== undefined;
}

/** An error callback to the sender, on the resource it used; nothing else changes. */
export async function refuse(context: LookupContext, tx: Tx, resource: LookupResource, key: PartyKey, inbound: Inbound, failure: Failure, nowMs: number, cause?: string): Promise<LookupOutcome> {
  // Only a participant can be called back; the edge refuses unknown sources before this.
  const sender = await findParticipant(tx, inbound.source);
  if (sender?.is_hub === 0) {
    const make = resource === 'participants' ? participantsError : partiesError;
    await context.enqueue(tx, make(key, inbound.source, failure, inbound.contentVersion, nowMs), nowMs);
  }
  return cause === undefined ? { kind: 'refused', failure } : { kind: 'refused', failure, cause };
}

/** As refuse, in a transaction of its own. */
export function refuseAlone(context: LookupContext, resource: LookupResource, key: PartyKey, inbound: Inbound, failure: Failure, cause?: string): Promise<LookupOutcome> {
  return runTransaction(context.db, context.engine, (tx) => refuse(context, tx, resource, key, inbound, failure, context.clock.nowMs(), cause));
}

/** The answer to the sender of a registration, query or deletion, in a transaction of its own. */
export function answerAlone(context: LookupContext, key: PartyKey, inbound: Inbound, fspId: string, outcome: LookupOutcome): Promise<LookupOutcome> {
  return runTransaction(context.db, context.engine, async (tx) => {
    const nowMs = context.clock.nowMs();
    await context.enqueue(tx, participantsAnswer(key, inbound.source, fspId, inbound.contentVersion, nowMs), nowMs);
    return outcome;
  });
}

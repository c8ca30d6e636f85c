// /parties: the lookup itself, routed between the FSP that asks and the FSP
// that answers. A lookup the hub forwarded is recorded, so that its answer,
// and no other, is let through within the lookup window.
import assert from 'node:assert/strict';
import type { Inbound } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { findActiveFsp } from '../participants/index.ts';
import { forUpdateSkipLocked, runTransaction } from '../storage/index.ts';
import { failWith, hasEndpoint, keyColumns, refuse, SENDER_NOT_ACTIVE, type LookupContext, type LookupOutcome } from './context.ts';
import { endpointFor, forwardAnswer, forwardLookup } from './messages.ts';
import { consult, resolve, type Consultation } from './oracle_selection.ts';
import { checkPartyPath, type PartyKey, type PartyPath } from './party.ts';
import { lookupTables } from './tables.ts';

/** The part of a PUT /parties body the hub checks against the path and the sender. */
export interface PartiesAnswerBody {
  party: { partyIdInfo: { partyIdType: string; partyIdentifier: string; partySubIdOrType?: string | undefined; fspId?: string | undefined } };
}

/** Why a PUT /parties body does not describe the party in its path as served by its sender, or undefined. */
function answerProblem(key: PartyKey, sender: string, body: PartiesAnswerBody | undefined): string | undefined {
  const info: unknown = (body as { party?: { partyIdInfo?: unknown } } | undefined)?.party?.partyIdInfo;
  if (typeof info !== 'object' || info === null) return 'party.partyIdInfo is missing';
  const { partyIdType, partyIdentifier, partySubIdOrType, fspId } = info as Record<string, unknown>;
  if (partyIdType !== key.partyIdType || partyIdentifier !== key.partyIdentifier) return 'party.partyIdInfo does not name the party in the path';
  if ((partySubIdOrType ?? undefined) !== key.partySubIdOrType) return 'party.partyIdInfo.partySubIdOrType does not match the path';
  if (fspId !== undefined && fspId !== sender) return 'party.partyIdInfo.fspId must be the answering FSP';
  return undefined;
}

/** Removes up to lookupPruneBatchMax expired lookups; other hub processes' rows in progress are skipped, not waited for. */
async function pruneExpired(context: LookupContext, tx: Tx, nowMs: number): Promise<number> {
  const tables = lookupTables(tx);
  const expired = forUpdateSkipLocked(tables.selectFrom('party_lookups').select('id').where('expires_at_ms', '<=', nowMs)
    .orderBy('expires_at_ms').limit(context.limits.lookupPruneBatchMax), context.engine);
  const deleted = await tables.deleteFrom('party_lookups').where('id', 'in', expired).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

/** Removes expired lookups in one batch (for a periodic sweep; each lookup also prunes a batch). Returns how many. */
export function pruneExpiredLookups(context: LookupContext): Promise<number> {
  return runTransaction(context.db, context.engine, (tx) => pruneExpired(context, tx, context.clock.nowMs()));
}

/**
 * GET /parties/{Type}/{ID}[/{SubId}]: forwarded to the FSP in FSPIOP-Destination,
 * or else to the FSP the oracle names; recorded, so that its answer can be
 * let through (and no other).
 */
export async function lookupParty(context: LookupContext, inbound: Inbound, path: PartyPath): Promise<LookupOutcome> {
  const checked = checkPartyPath(path);
  if (!checked.ok) return { kind: 'invalid', failure: checked.error };
  const key = checked.value;
  const consultation = inbound.destination === undefined ? await consult(context, inbound.source, key, undefined) : undefined;
  return runTransaction(context.db, context.engine, (tx) => forwardLookupOnce(context, tx, inbound, key, consultation));
}

async function forwardLookupOnce(context: LookupContext, tx: Tx, inbound: Inbound, key: PartyKey, consultation: Consultation | undefined): Promise<LookupOutcome> {
  const nowMs = context.clock.nowMs();
  const requesterGone = inbound.destination === undefined && consultation === undefined;
  if (requesterGone || (await findActiveFsp(tx, inbound.source)) === undefined) return refuse(context, tx, 'parties', key, inbound, SENDER_NOT_ACTIVE, nowMs);
  let askedName: string;
  if (inbound.destination === undefined) {
    assert.ok(consultation !== undefined, 'the oracle is consulted when no destination is given');
    const owner = await resolve(tx, key, undefined, consultation);
    if (!owner.found) return refuse(context, tx, 'parties', key, inbound, owner.failure, nowMs, owner.cause);
    askedName = owner.fspId;
  } else {
    askedName = inbound.destination;
  }
  const asked = await findActiveFsp(tx, askedName);
  if (asked === undefined) return refuse(context, tx, 'parties', key, inbound, failWith('3201', 'FSPIOP-Destination is not an active participant'), nowMs);
  if (!(await hasEndpoint(tx, asked, endpointFor('parties-get', key)))) {
    return refuse(context, tx, 'parties', key, inbound, failWith('3201', 'the destination FSP has no endpoint for party lookups'), nowMs);
  }

  await pruneExpired(context, tx, nowMs);
  const tables = lookupTables(tx);
  const outstanding = await tables.selectFrom('party_lookups').select((eb) => eb.fn.countAll().as('n'))
    .where('requester_fsp', '=', inbound.source).where('expires_at_ms', '>', nowMs).executeTakeFirstOrThrow();
  if (Number(outstanding.n) >= context.limits.lookupsOutstandingPerRequesterMax) {
    return refuse(context, tx, 'parties', key, inbound, failWith('2005', 'too many party lookups are waiting for answers; try again later'), nowMs);
  }
  const expiresAtMs = nowMs + context.limits.lookupWindowMs;
  await tables.insertInto('party_lookups').values({ requester_fsp: inbound.source, asked_fsp: asked.name, ...keyColumns(key), created_at_ms: nowMs, expires_at_ms: expiresAtMs })
    .onConflict((oc) => oc.columns(['requester_fsp', 'asked_fsp', 'party_id_type', 'party_identifier', 'party_sub_id']).doUpdateSet({ expires_at_ms: expiresAtMs }))
    .execute();
  await context.enqueue(tx, forwardLookup(key, asked.name, inbound), nowMs);
  return { kind: 'forwarded', to: asked.name };
}

/**
 * PUT /parties/{Type}/{ID}[/{SubId}] (an answer) or …/error, from the FSP that
 * was asked, forwarded with its own headers and bytes to the requester in
 * FSPIOP-Destination, if and only if that requester's lookup of this party
 * was forwarded to this sender and has not expired. Several answers within
 * the window all go through (a sender's retry is not an attack; the window
 * bounds the rest).
 */
export async function answerLookup(context: LookupContext, inbound: Inbound, path: PartyPath, kind: 'answer' | 'error', body?: PartiesAnswerBody): Promise<LookupOutcome> {
  const checked = checkPartyPath(path);
  if (!checked.ok) return { kind: 'invalid', failure: checked.error };
  const key = checked.value;
  return runTransaction(context.db, context.engine, async (tx) => {
    const nowMs = context.clock.nowMs();
    if ((await findActiveFsp(tx, inbound.source)) === undefined) return refuse(context, tx, 'parties', key, inbound, SENDER_NOT_ACTIVE, nowMs);
    if (kind === 'answer') {
      const problem = answerProblem(key, inbound.source, body);
      if (problem !== undefined) return refuse(context, tx, 'parties', key, inbound, failWith('3100', problem), nowMs);
    }
    const requesterName = inbound.destination;
    if (requesterName === undefined) return refuse(context, tx, 'parties', key, inbound, failWith('3100', 'FSPIOP-Destination must name the FSP that asked'), nowMs);
    const lookup = await lookupTables(tx).selectFrom('party_lookups').select('id')
      .where('requester_fsp', '=', requesterName).where('asked_fsp', '=', inbound.source).where((eb) => eb.and(keyColumns(key)))
      .where('expires_at_ms', '>', nowMs).executeTakeFirst();
    if (lookup === undefined) {
      return refuse(context, tx, 'parties', key, inbound, failWith('3100', 'no lookup of this party by FSPIOP-Destination is waiting for an answer from this FSP'), nowMs);
    }
    const requester = await findActiveFsp(tx, requesterName);
    if (requester === undefined) return refuse(context, tx, 'parties', key, inbound, failWith('3201', 'FSPIOP-Destination is not an active participant'), nowMs);
    if (!(await hasEndpoint(tx, requester, endpointFor(kind === 'answer' ? 'parties-put' : 'parties-error', key)))) {
      return refuse(context, tx, 'parties', key, inbound, failWith('3201', 'the destination FSP has no endpoint for party answers'), nowMs);
    }
    await context.enqueue(tx, forwardAnswer(key, requesterName, inbound, kind), nowMs);
    return { kind: 'forwarded', to: requesterName };
  });
}

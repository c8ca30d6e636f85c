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
import assert from 'node:assert/strict';
import type { OutboundMessage } from '../delivery/message.ts';
import type { Failure } from '../fspiop/errors.ts';
import type { Inbound } from '../fspiop/inbound.ts';
import { findAccount, type Tx } from '../ledger/index.ts';
import { callbackEndpoint, findActiveFsp, findParticipant, type EndpointType } from '../participants/index.ts';
import type { Clock } from '../support/clock.ts';
import { isParticipantName } from '../support/ids.ts';
import { runTransaction, type Db, type Engine, type Participant } from '../storage/index.ts';
import { assertLookupLimits, DEFAULT_LOOKUP_LIMITS, type LookupLimits } from './limits.ts';
import { endpointFor, forwardAnswer, forwardLookup, participantsAnswer, participantsError, partiesError } from './messages.ts';
import type { OracleClient, OracleEntry, OracleLookup } from './oracle_client.ts';
import { chooseOracle, createOracleAdmin } from './oracles.ts';
import { checkCurrency, checkPartyPath, storedSubId, type Checked, type PartyKey, type PartyPath } from './party.ts';

export interface LookupDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Writes a message to the outbox inside the caller's transaction. */
  enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
  /** Calls external oracles (a fake in tests). */
  oracleClient: OracleClient;
  limits?: LookupLimits;
}

/** POST /participants/{Type}/{ID}[/{SubId}], as the edge parsed it. */
export interface RegistrationBody {
  fspId: string;
  currency?: string | undefined;
}

/** The part of a PUT /parties body the hub checks against the path and the sender. */
export interface PartiesAnswerBody {
  party: { partyIdInfo: { partyIdType: string; partyIdentifier: string; partySubIdOrType?: string | undefined; fspId?: string | undefined } };
}

/** What the lookup service decided; every effect is already in the database and outbox. */
export type LookupOutcome =
  | { kind: 'registered' | 'already-registered' | 'answered' | 'deleted' }
  | { kind: 'forwarded'; to: string }
  /** An error callback went to the sender (when it is a known participant). `cause` is for the hub's logs only. */
  | { kind: 'refused'; failure: Failure; cause?: string }
  /** The path or a parameter is malformed: nothing stored or sent; the edge answers synchronously (HTTP 400). */
  | { kind: 'invalid'; failure: Failure };

type Resolution = { found: true; fspId: string } | { found: false; failure: Failure; cause?: string };
type Consultation = { kind: 'builtin' } | { kind: 'unserved' } | { kind: 'external'; answer: OracleLookup };

const fail = (code: Failure['code'], detail: string): Failure => ({ code, detail });
const NOT_FOUND = fail('3204', 'no FSP serves this party');
const keyColumns = (key: PartyKey) => ({ party_id_type: key.partyIdType, party_identifier: key.partyIdentifier, party_sub_id: storedSubId(key) });
/** An oracle entry is about this party only if its sub-identifier is the path's (both absent, or equal). */
const sameSubId = (key: PartyKey) => (entry: OracleEntry) => entry.partySubIdOrType === key.partySubIdOrType;

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

export function createLookupService(deps: LookupDeps) {
  const { db, engine, clock, enqueue, oracleClient } = deps;
  const limits = deps.limits ?? DEFAULT_LOOKUP_LIMITS;
  assertLookupLimits(limits);

  async function hasEndpoint(tx: Tx, p: Participant, type: EndpointType): Promise<boolean> {
    return (await callbackEndpoint(tx, p.id, type)) !== undefined;
  }

  /** An error callback to the sender, on the resource it used; nothing else changes. */
  async function refuse(tx: Tx, resource: 'participants' | 'parties', key: PartyKey, inbound: Inbound, failure: Failure, nowMs: number, cause?: string): Promise<LookupOutcome> {
    // Only a participant can be called back; the edge refuses unknown sources before this.
    const sender = await findParticipant(tx, inbound.source);
    if (sender?.is_hub === 0) {
      const make = resource === 'participants' ? participantsError : partiesError;
      await enqueue(tx, make(key, inbound.source, failure, inbound.contentVersion, nowMs), nowMs);
    }
    return cause === undefined ? { kind: 'refused', failure } : { kind: 'refused', failure, cause };
  }

  const refuseAlone = (resource: 'participants' | 'parties', key: PartyKey, inbound: Inbound, failure: Failure, cause?: string): Promise<LookupOutcome> =>
    runTransaction(db, engine, (tx) => refuse(tx, resource, key, inbound, failure, clock.nowMs(), cause));

  /** The answer to the sender of a registration, query or deletion. */
  const answerAlone = (key: PartyKey, inbound: Inbound, fspId: string, outcome: LookupOutcome): Promise<LookupOutcome> =>
    runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      await enqueue(tx, participantsAnswer(key, inbound.source, fspId, inbound.contentVersion, nowMs), nowMs);
      return outcome;
    });

  // -- Oracles ----------------------------------------------------------------

  /**
   * Asks the oracle for `key`'s type, if it is an external one (outside any transaction), on behalf
   * of `requester`. Undefined when the requester is not an active FSP: only one can make the hub call an oracle.
   */
  async function consult(requester: string, key: PartyKey, currency: string | undefined): Promise<Consultation | undefined> {
    const choice = await chooseOracle(db, key.partyIdType, currency);
    if (choice.kind !== 'external') return choice;
    if ((await findActiveFsp(db, requester)) === undefined) return undefined;
    return { kind: 'external', answer: await oracleClient.lookup(choice.oracle.endpoint, key, currency) };
  }

  /** The one active FSP that serves `key` (in `currency`, if given), by the oracle's answer. */
  async function resolve(tx: Tx, key: PartyKey, currency: string | undefined, consultation: Consultation): Promise<Resolution> {
    switch (consultation.kind) {
      case 'unserved':
        return { found: false, failure: NOT_FOUND, cause: `no oracle serves ${key.partyIdType}${currency === undefined ? '' : ` in ${currency}`}` };
      case 'builtin': {
        const owner = await tx.selectFrom('oracle_parties').selectAll().where((eb) => eb.and(keyColumns(key))).executeTakeFirst();
        if (owner === undefined) return { found: false, failure: NOT_FOUND };
        if (currency !== undefined) {
          const covered = await tx.selectFrom('oracle_party_currencies').select('currency').where((eb) => eb.and(keyColumns(key)))
            .where('currency', 'in', [currency, '']).executeTakeFirst();
          if (covered === undefined) return { found: false, failure: NOT_FOUND };
        }
        // A deactivated FSP's parties cannot be paid; the requester hears the same as for an unknown party.
        return (await findActiveFsp(tx, owner.fsp_id)) === undefined ? { found: false, failure: NOT_FOUND, cause: 'the FSP serving the party is not active' } : { found: true, fspId: owner.fsp_id };
      }
      case 'external': {
        const { answer } = consultation;
        if (!answer.ok) return { found: false, failure: fail('2006', 'the oracle is unavailable'), cause: `oracle: ${answer.reason}` };
        const named = [...new Set(answer.entries.filter(sameSubId(key))
          .filter((e) => currency === undefined || e.currency === undefined || e.currency === currency).map((e) => e.fspId))];
        if (named.length === 0) return { found: false, failure: NOT_FOUND };
        // The oracle is outside the hub's trust boundary: only the FSPs it names that are active participants count.
        const active = (await tx.selectFrom('participants').select('name').where('name', 'in', named)
          .where('is_active', '=', 1).where('is_hub', '=', 0).execute()).map((p) => p.name);
        if (active.length === 0) return { found: false, failure: NOT_FOUND, cause: 'the oracle named no active participant' };
        // Two FSPs for one party is a dispute for the operator, not a choice for the hub: asking both would let either answer.
        if (active.length > 1) return { found: false, failure: fail('3204', 'the party resolves to more than one FSP'), cause: `oracle named ${active.length} FSPs` };
        const [fspId] = active;
        assert.ok(fspId !== undefined);
        return { found: true, fspId };
      }
      default:
        throw new Error('unreachable');
    }
  }

  // -- /participants: which FSP serves a party ----------------------------------

  /** Why `inbound` may not register `fspId`'s party in `currency`, or undefined. */
  async function registrantProblem(tx: Tx, inbound: Inbound, fspId: string, currency: string | undefined): Promise<Failure | undefined> {
    if (fspId !== inbound.source) return fail('3100', 'fspId must be the sending FSP: an FSP registers only the parties it serves');
    const sender = await findActiveFsp(tx, inbound.source);
    if (sender === undefined) return fail('3200', 'the sending FSP is not an active participant');
    if (currency !== undefined) {
      // A party registered in a currency its FSP cannot transfer in would draw payments that must fail.
      const account = await findAccount(tx, sender.id, currency, 'POSITION');
      if (account?.is_active !== 1) return fail('3003', `the FSP holds no active account in ${currency}`);
    }
    return undefined;
  }

  function checkRegistration(path: PartyPath, body: RegistrationBody): Checked<{ key: PartyKey; fspId: string; currency: string | undefined }> {
    const key = checkPartyPath(path);
    if (!key.valid) return key;
    if (!isParticipantName(body.fspId)) return { valid: false, failure: fail('3100', 'fspId must be a participant name') };
    const currency = checkCurrency(body.currency);
    if (!currency.valid) return currency;
    return { valid: true, value: { key: key.value, fspId: body.fspId, currency: currency.value } };
  }

  /**
   * POST /participants/{Type}/{ID}[/{SubId}] {fspId, currency?}: an FSP says it
   * serves a party. Registering again is harmless (answered the same); a party
   * another FSP serves, in any currency, is refused with 3003 and left as it is.
   */
  async function registerParty(inbound: Inbound, path: PartyPath, body: RegistrationBody): Promise<LookupOutcome> {
    const checked = checkRegistration(path, body);
    if (!checked.valid) return { kind: 'invalid', failure: checked.failure };
    const { key, fspId, currency } = checked.value;
    const choice = await chooseOracle(db, key.partyIdType, currency);

    if (choice.kind === 'builtin') {
      return runTransaction(db, engine, async (tx) => {
        const nowMs = clock.nowMs();
        const problem = await registrantProblem(tx, inbound, fspId, currency);
        if (problem !== undefined) return refuse(tx, 'participants', key, inbound, problem, nowMs);
        // Claim the party, then read who holds it. Two FSPs claiming at once cannot both win: the
        // primary key admits one row, and on PostgreSQL the second insert waits for the first to commit.
        await tx.insertInto('oracle_parties').values({ ...keyColumns(key), fsp_id: fspId, created_at_ms: nowMs, changed_at_ms: nowMs })
          .onConflict((oc) => oc.columns(['party_id_type', 'party_identifier', 'party_sub_id']).doNothing()).execute();
        let ownerQuery = tx.selectFrom('oracle_parties').select('fsp_id').where((eb) => eb.and(keyColumns(key)));
        if (engine === 'postgres') ownerQuery = ownerQuery.forUpdate();
        const owner = await ownerQuery.executeTakeFirstOrThrow();
        if (owner.fsp_id !== fspId) {
          return refuse(tx, 'participants', key, inbound, fail('3003', 'the party is registered to another FSP; the scheme operator resolves such conflicts'), nowMs);
        }
        const added = await tx.insertInto('oracle_party_currencies').values({ ...keyColumns(key), currency: currency ?? '', created_at_ms: nowMs })
          .onConflict((oc) => oc.columns(['party_id_type', 'party_identifier', 'party_sub_id', 'currency']).doNothing()).executeTakeFirst();
        await tx.updateTable('oracle_parties').set({ changed_at_ms: nowMs }).where((eb) => eb.and(keyColumns(key))).execute();
        await enqueue(tx, participantsAnswer(key, inbound.source, fspId, inbound.contentVersion, nowMs), nowMs);
        return { kind: added.numInsertedOrUpdatedRows === 1n ? 'registered' : 'already-registered' };
      });
    }

    // An external oracle hears of a registration only once the sender has been checked.
    const refused = await runTransaction(db, engine, async (tx): Promise<LookupOutcome | undefined> => {
      const problem = await registrantProblem(tx, inbound, fspId, currency);
      return problem === undefined ? undefined : refuse(tx, 'participants', key, inbound, problem, clock.nowMs());
    });
    if (refused !== undefined) return refused;
    if (choice.kind === 'unserved') return refuseAlone('participants', key, inbound, fail('3003', 'no oracle serves this party type in this currency'));
    const { endpoint } = choice.oracle;
    // The same rule as the built-in oracle: another FSP's registration, in any currency, is not added to.
    const existing = await oracleClient.lookup(endpoint, key, undefined);
    if (!existing.ok) return refuseAlone('participants', key, inbound, fail('3003', 'the oracle could not be consulted'), `oracle: ${existing.reason}`);
    const entries = existing.entries.filter(sameSubId(key));
    if (entries.some((e) => e.fspId !== fspId)) {
      return refuseAlone('participants', key, inbound, fail('3003', 'the party is registered to another FSP; the scheme operator resolves such conflicts'));
    }
    if (entries.some((e) => e.currency === currency)) return answerAlone(key, inbound, fspId, { kind: 'already-registered' });
    const written = await oracleClient.register(endpoint, key, fspId, currency);
    if (!written.ok) return refuseAlone('participants', key, inbound, fail('3003', 'the oracle did not store the party'), `oracle: ${written.reason}`);
    return answerAlone(key, inbound, fspId, { kind: 'registered' });
  }

  /** GET /participants/{Type}/{ID}[/{SubId}][?currency]: the FSP that serves the party, or 3204. */
  async function queryParty(inbound: Inbound, path: PartyPath, query: { currency?: string | undefined } = {}): Promise<LookupOutcome> {
    const key = checkPartyPath(path);
    if (!key.valid) return { kind: 'invalid', failure: key.failure };
    const currency = checkCurrency(query.currency);
    if (!currency.valid) return { kind: 'invalid', failure: currency.failure };
    const consultation = await consult(inbound.source, key.value, currency.value);
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      if (consultation === undefined || (await findActiveFsp(tx, inbound.source)) === undefined) {
        return refuse(tx, 'participants', key.value, inbound, fail('3200', 'the sending FSP is not an active participant'), nowMs);
      }
      const owner = await resolve(tx, key.value, currency.value, consultation);
      if (!owner.found) return refuse(tx, 'participants', key.value, inbound, owner.failure, nowMs, owner.cause);
      await enqueue(tx, participantsAnswer(key.value, inbound.source, owner.fspId, inbound.contentVersion, nowMs), nowMs);
      return { kind: 'answered' };
    });
  }

  /**
   * DELETE /participants/{Type}/{ID}[/{SubId}][?currency]: the FSP that
   * registered a party withdraws it (in one currency, or entirely). To any other
   * FSP the party does not exist (3204), whoever serves it.
   */
  async function deleteParty(inbound: Inbound, path: PartyPath, query: { currency?: string | undefined } = {}): Promise<LookupOutcome> {
    const checkedKey = checkPartyPath(path);
    if (!checkedKey.valid) return { kind: 'invalid', failure: checkedKey.failure };
    const checkedCurrency = checkCurrency(query.currency);
    if (!checkedCurrency.valid) return { kind: 'invalid', failure: checkedCurrency.failure };
    const key = checkedKey.value;
    const currency = checkedCurrency.value;
    const notYours = fail('3204', 'no such party is registered by this FSP');
    const choice = await chooseOracle(db, key.partyIdType, currency);

    if (choice.kind === 'builtin') {
      return runTransaction(db, engine, async (tx) => {
        const nowMs = clock.nowMs();
        if ((await findActiveFsp(tx, inbound.source)) === undefined) return refuse(tx, 'participants', key, inbound, fail('3200', 'the sending FSP is not an active participant'), nowMs);
        let ownerQuery = tx.selectFrom('oracle_parties').select('fsp_id').where((eb) => eb.and(keyColumns(key)));
        if (engine === 'postgres') ownerQuery = ownerQuery.forUpdate();
        const owner = await ownerQuery.executeTakeFirst();
        if (owner?.fsp_id !== inbound.source) return refuse(tx, 'participants', key, inbound, notYours, nowMs);
        let removal = tx.deleteFrom('oracle_party_currencies').where((eb) => eb.and(keyColumns(key)));
        if (currency !== undefined) removal = removal.where('currency', '=', currency);
        const removed = await removal.executeTakeFirst();
        if (removed.numDeletedRows === 0n) return refuse(tx, 'participants', key, inbound, notYours, nowMs);
        const left = await tx.selectFrom('oracle_party_currencies').select('currency').where((eb) => eb.and(keyColumns(key))).executeTakeFirst();
        // The last currency gone, the party is free for another FSP to register.
        if (left === undefined) await tx.deleteFrom('oracle_parties').where((eb) => eb.and(keyColumns(key))).execute();
        await enqueue(tx, participantsAnswer(key, inbound.source, inbound.source, inbound.contentVersion, nowMs), nowMs);
        return { kind: 'deleted' };
      });
    }

    const refused = await runTransaction(db, engine, async (tx): Promise<LookupOutcome | undefined> =>
      (await findActiveFsp(tx, inbound.source)) === undefined
        ? refuse(tx, 'participants', key, inbound, fail('3200', 'the sending FSP is not an active participant'), clock.nowMs())
        : undefined);
    if (refused !== undefined) return refused;
    if (choice.kind === 'unserved') return refuseAlone('participants', key, inbound, notYours, 'no oracle serves this type and currency');
    const { endpoint } = choice.oracle;
    const existing = await oracleClient.lookup(endpoint, key, undefined);
    if (!existing.ok) return refuseAlone('participants', key, inbound, fail('3040', 'the oracle could not be consulted'), `oracle: ${existing.reason}`);
    const entries = existing.entries.filter(sameSubId(key));
    const mine = entries.filter((e) => e.fspId === inbound.source && (currency === undefined || e.currency === currency));
    // An oracle's DELETE removes the party whoever registered it: with another FSP's entry there, nothing is deleted.
    if (mine.length === 0 || entries.some((e) => e.fspId !== inbound.source)) return refuseAlone('participants', key, inbound, notYours);
    const removed = await oracleClient.remove(endpoint, key, currency);
    if (!removed.ok) return refuseAlone('participants', key, inbound, fail('3040', 'the oracle did not delete the party'), `oracle: ${removed.reason}`);
    return answerAlone(key, inbound, inbound.source, { kind: 'deleted' });
  }

  // -- /parties: the lookup, routed ----------------------------------------------

  /** Removes up to lookupPruneBatchMax expired lookups; other hub processes' rows in progress are skipped, not waited for. */
  async function pruneExpired(tx: Tx, nowMs: number): Promise<number> {
    let expired = tx.selectFrom('party_lookups').select('id').where('expires_at_ms', '<=', nowMs).orderBy('expires_at_ms').limit(limits.lookupPruneBatchMax);
    if (engine === 'postgres') expired = expired.forUpdate().skipLocked();
    const deleted = await tx.deleteFrom('party_lookups').where('id', 'in', expired).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  /**
   * GET /parties/{Type}/{ID}[/{SubId}]: forwarded to the FSP in FSPIOP-Destination,
   * or else to the FSP the oracle names; recorded, so that its answer can be
   * let through (and no other).
   */
  async function lookupParty(inbound: Inbound, path: PartyPath): Promise<LookupOutcome> {
    const checked = checkPartyPath(path);
    if (!checked.valid) return { kind: 'invalid', failure: checked.failure };
    const key = checked.value;
    const consultation = inbound.destination === undefined ? await consult(inbound.source, key, undefined) : undefined;
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      const requesterGone = inbound.destination === undefined && consultation === undefined;
      if (requesterGone || (await findActiveFsp(tx, inbound.source)) === undefined) {
        return refuse(tx, 'parties', key, inbound, fail('3200', 'the sending FSP is not an active participant'), nowMs);
      }
      let askedName: string;
      if (inbound.destination === undefined) {
        assert.ok(consultation !== undefined, 'the oracle is consulted when no destination is given');
        const owner = await resolve(tx, key, undefined, consultation);
        if (!owner.found) return refuse(tx, 'parties', key, inbound, owner.failure, nowMs, owner.cause);
        askedName = owner.fspId;
      } else {
        askedName = inbound.destination;
      }
      const asked = await findActiveFsp(tx, askedName);
      if (asked === undefined) return refuse(tx, 'parties', key, inbound, fail('3201', 'FSPIOP-Destination is not an active participant'), nowMs);
      if (!(await hasEndpoint(tx, asked, endpointFor('parties-get', key)))) {
        return refuse(tx, 'parties', key, inbound, fail('3201', 'the destination FSP has no endpoint for party lookups'), nowMs);
      }

      await pruneExpired(tx, nowMs);
      const outstanding = await tx.selectFrom('party_lookups').select((eb) => eb.fn.countAll().as('n'))
        .where('requester_fsp', '=', inbound.source).where('expires_at_ms', '>', nowMs).executeTakeFirstOrThrow();
      if (Number(outstanding.n) >= limits.lookupsOutstandingPerRequesterMax) {
        return refuse(tx, 'parties', key, inbound, fail('2005', 'too many party lookups are waiting for answers; try again later'), nowMs);
      }
      const expiresAtMs = nowMs + limits.lookupWindowMs;
      await tx.insertInto('party_lookups').values({ requester_fsp: inbound.source, asked_fsp: asked.name, ...keyColumns(key), created_at_ms: nowMs, expires_at_ms: expiresAtMs })
        .onConflict((oc) => oc.columns(['requester_fsp', 'asked_fsp', 'party_id_type', 'party_identifier', 'party_sub_id']).doUpdateSet({ expires_at_ms: expiresAtMs }))
        .execute();
      await enqueue(tx, forwardLookup(key, asked.name, inbound), nowMs);
      return { kind: 'forwarded', to: asked.name };
    });
  }

  /**
   * PUT /parties/{Type}/{ID}[/{SubId}] (an answer) or …/error, from the FSP that
   * was asked, forwarded with its own headers and bytes to the requester in
   * FSPIOP-Destination, if and only if that requester's lookup of this party
   * was forwarded to this sender and has not expired. Several answers within
   * the window all go through (a sender's retry is not an attack; the window
   * bounds the rest).
   */
  async function answerLookup(inbound: Inbound, path: PartyPath, kind: 'answer' | 'error', body?: PartiesAnswerBody): Promise<LookupOutcome> {
    const checked = checkPartyPath(path);
    if (!checked.valid) return { kind: 'invalid', failure: checked.failure };
    const key = checked.value;
    return runTransaction(db, engine, async (tx) => {
      const nowMs = clock.nowMs();
      if ((await findActiveFsp(tx, inbound.source)) === undefined) return refuse(tx, 'parties', key, inbound, fail('3200', 'the sending FSP is not an active participant'), nowMs);
      if (kind === 'answer') {
        const problem = answerProblem(key, inbound.source, body);
        if (problem !== undefined) return refuse(tx, 'parties', key, inbound, fail('3100', problem), nowMs);
      }
      const requesterName = inbound.destination;
      if (requesterName === undefined) return refuse(tx, 'parties', key, inbound, fail('3100', 'FSPIOP-Destination must name the FSP that asked'), nowMs);
      const lookup = await tx.selectFrom('party_lookups').select('id')
        .where('requester_fsp', '=', requesterName).where('asked_fsp', '=', inbound.source).where((eb) => eb.and(keyColumns(key)))
        .where('expires_at_ms', '>', nowMs).executeTakeFirst();
      if (lookup === undefined) {
        return refuse(tx, 'parties', key, inbound, fail('3100', 'no lookup of this party by FSPIOP-Destination is waiting for an answer from this FSP'), nowMs);
      }
      const requester = await findActiveFsp(tx, requesterName);
      if (requester === undefined) return refuse(tx, 'parties', key, inbound, fail('3201', 'FSPIOP-Destination is not an active participant'), nowMs);
      if (!(await hasEndpoint(tx, requester, endpointFor(kind === 'answer' ? 'parties-put' : 'parties-error', key)))) {
        return refuse(tx, 'parties', key, inbound, fail('3201', 'the destination FSP has no endpoint for party answers'), nowMs);
      }
      await enqueue(tx, forwardAnswer(key, requesterName, inbound, kind), nowMs);
      return { kind: 'forwarded', to: requesterName };
    });
  }

  /** Removes expired lookups in one batch (for a periodic sweep; each lookup also prunes a batch). Returns how many. */
  async function pruneExpiredLookups(): Promise<number> {
    return runTransaction(db, engine, (tx) => pruneExpired(tx, clock.nowMs()));
  }

  return {
    registerParty,
    queryParty,
    deleteParty,
    lookupParty,
    answerParty: (inbound: Inbound, path: PartyPath, body: PartiesAnswerBody) => answerLookup(inbound, path, 'answer', body),
    answerPartyError: (inbound: Inbound, path: PartyPath) => answerLookup(inbound, path, 'error'),
    pruneExpiredLookups,
    ...createOracleAdmin({ db, engine, clock }),
  };
}

export type LookupService = ReturnType<typeof createLookupService>;

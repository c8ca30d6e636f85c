// POST /participants/{Type}/{ID}[/{SubId}] {fspId, currency?}: an FSP says it
// serves a party. Registering again is harmless (answered the same); a party
// another FSP serves, in any currency, is refused with 3003 and left as it is.
import { fail, type Failure, type FspiopResult } from '../fspiop/index.ts';
import type { Inbound } from '../fspiop/index.ts';
import { findAccount, type Tx } from '../ledger/index.ts';
import { findActiveFsp } from '../participants/index.ts';
import { isParticipantName, ok } from '../support/index.ts';
import { forUpdate, runTransaction } from '../storage/index.ts';
import { answerAlone, failWith, keyColumns, refuse, refuseAlone, sameSubId, SENDER_NOT_ACTIVE, type LookupContext, type LookupOutcome } from './context.ts';
import { participantsAnswer } from './messages.ts';
import { chooseOracle } from './oracles.ts';
import { checkCurrency, checkPartyPath, type PartyKey, type PartyPath } from './party.ts';
import { lookupTables } from './tables.ts';

/** POST /participants/{Type}/{ID}[/{SubId}], as the edge parsed it. */
export interface RegistrationBody {
  fspId: string;
  currency?: string | undefined;
}

interface Registration { key: PartyKey; fspId: string; currency: string | undefined }

const TAKEN = 'the party is registered to another FSP; the scheme operator resolves such conflicts';

/** Why `inbound` may not register `fspId`'s party in `currency`, or undefined. */
async function registrantProblem(tx: Tx, inbound: Inbound, fspId: string, currency: string | undefined): Promise<Failure | undefined> {
  if (fspId !== inbound.source) return failWith('3100', 'fspId must be the sending FSP: an FSP registers only the parties it serves');
  const sender = await findActiveFsp(tx, inbound.source);
  if (sender === undefined) return SENDER_NOT_ACTIVE;
  if (currency !== undefined) {
    // A party registered in a currency its FSP cannot transfer in would draw payments that must fail.
    const account = await findAccount(tx, sender.id, currency, 'POSITION');
    if (account?.is_active !== 1) return failWith('3003', `the FSP holds no active account in ${currency}`);
  }
  return undefined;
}

function checkRegistration(path: PartyPath, body: RegistrationBody): FspiopResult<Registration> {
  const key = checkPartyPath(path);
  if (!key.ok) return key;
  if (!isParticipantName(body.fspId)) return fail('3100', 'fspId must be a participant name');
  const currency = checkCurrency(body.currency);
  if (!currency.ok) return currency;
  return ok({ key: key.value, fspId: body.fspId, currency: currency.value });
}

export async function registerParty(context: LookupContext, inbound: Inbound, path: PartyPath, body: RegistrationBody): Promise<LookupOutcome> {
  const checked = checkRegistration(path, body);
  if (!checked.ok) return { kind: 'invalid', failure: checked.error };
  const { key, currency } = checked.value;
  const choice = await chooseOracle(context.db, key.partyIdType, currency);
  if (choice.kind === 'builtin') return runTransaction(context.db, context.engine, (tx) => registerBuiltin(context, tx, inbound, checked.value));

  // An external oracle hears of a registration only once the sender has been checked.
  const refused = await runTransaction(context.db, context.engine, async (tx): Promise<LookupOutcome | undefined> => {
    const problem = await registrantProblem(tx, inbound, checked.value.fspId, currency);
    return problem === undefined ? undefined : refuse(context, tx, 'participants', key, inbound, problem, context.clock.nowMs());
  });
  if (refused !== undefined) return refused;
  if (choice.kind === 'unserved') return refuseAlone(context, 'participants', key, inbound, failWith('3003', 'no oracle serves this party type in this currency'));
  return registerExternal(context, inbound, checked.value, choice.oracle.endpoint);
}

async function registerBuiltin(context: LookupContext, tx: Tx, inbound: Inbound, { key, fspId, currency }: Registration): Promise<LookupOutcome> {
  const nowMs = context.clock.nowMs();
  const problem = await registrantProblem(tx, inbound, fspId, currency);
  if (problem !== undefined) return refuse(context, tx, 'participants', key, inbound, problem, nowMs);
  const tables = lookupTables(tx);
  // Claim the party, then read who holds it. Two FSPs claiming at once cannot both win: the
  // primary key admits one row, and on PostgreSQL the second insert waits for the first to commit.
  await tables.insertInto('oracle_parties').values({ ...keyColumns(key), fsp_id: fspId, created_at_ms: nowMs, changed_at_ms: nowMs })
    .onConflict((oc) => oc.columns(['party_id_type', 'party_identifier', 'party_sub_id']).doNothing()).execute();
  const owner = await forUpdate(tables.selectFrom('oracle_parties').select('fsp_id').where((eb) => eb.and(keyColumns(key))), context.engine).executeTakeFirstOrThrow();
  if (owner.fsp_id !== fspId) return refuse(context, tx, 'participants', key, inbound, failWith('3003', TAKEN), nowMs);
  const added = await tables.insertInto('oracle_party_currencies').values({ ...keyColumns(key), currency: currency ?? '', created_at_ms: nowMs })
    .onConflict((oc) => oc.columns(['party_id_type', 'party_identifier', 'party_sub_id', 'currency']).doNothing()).executeTakeFirst();
  await tables.updateTable('oracle_parties').set({ changed_at_ms: nowMs }).where((eb) => eb.and(keyColumns(key))).execute();
  await context.enqueue(tx, participantsAnswer(key, inbound.source, fspId, inbound.contentVersion, nowMs), nowMs);
  return { kind: added.numInsertedOrUpdatedRows === 1n ? 'registered' : 'already-registered' };
}

async function registerExternal(context: LookupContext, inbound: Inbound, { key, fspId, currency }: Registration, endpoint: string): Promise<LookupOutcome> {
  // The same rule as the built-in oracle: another FSP's registration, in any currency, is not added to.
  const existing = await context.oracleClient.lookup(endpoint, key, undefined);
  if (!existing.ok) return refuseAlone(context, 'participants', key, inbound, failWith('3003', 'the oracle could not be consulted'), `oracle: ${existing.error}`);
  const entries = existing.value.filter(sameSubId(key));
  if (entries.some((e) => e.fspId !== fspId)) return refuseAlone(context, 'participants', key, inbound, failWith('3003', TAKEN));
  if (entries.some((e) => e.currency === currency)) return answerAlone(context, key, inbound, fspId, { kind: 'already-registered' });
  const written = await context.oracleClient.register(endpoint, key, fspId, currency);
  if (!written.ok) return refuseAlone(context, 'participants', key, inbound, failWith('3003', 'the oracle did not store the party'), `oracle: ${written.error}`);
  return answerAlone(context, key, inbound, fspId, { kind: 'registered' });
}

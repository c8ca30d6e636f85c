// DELETE /participants/{Type}/{ID}[/{SubId}][?currency]: the FSP that
// registered a party withdraws it (in one currency, or entirely). To any other
// FSP the party does not exist (3204), whoever serves it.
import type { Inbound } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { findActiveFsp } from '../participants/index.ts';
import { forUpdate, runTransaction } from '../storage/index.ts';
import { answerAlone, failWith, keyColumns, refuse, refuseAlone, sameSubId, SENDER_NOT_ACTIVE, type LookupContext, type LookupOutcome } from './context.ts';
import { participantsAnswer } from './messages.ts';
import { chooseOracle } from './oracles.ts';
import { checkCurrency, checkPartyPath, type PartyKey, type PartyPath } from './party.ts';
import { lookupTables } from './tables.ts';

interface Withdrawal { key: PartyKey; currency: string | undefined }

const NOT_YOURS = failWith('3204', 'no such party is registered by this FSP');

export async function deleteParty(context: LookupContext, inbound: Inbound, path: PartyPath, query: { currency?: string | undefined } = {}): Promise<LookupOutcome> {
  const checkedKey = checkPartyPath(path);
  if (!checkedKey.ok) return { kind: 'invalid', failure: checkedKey.error };
  const checkedCurrency = checkCurrency(query.currency);
  if (!checkedCurrency.ok) return { kind: 'invalid', failure: checkedCurrency.error };
  const withdrawal = { key: checkedKey.value, currency: checkedCurrency.value };
  const choice = await chooseOracle(context.db, withdrawal.key.partyIdType, withdrawal.currency);
  if (choice.kind === 'builtin') return runTransaction(context.db, context.engine, (tx) => deleteBuiltin(context, tx, inbound, withdrawal));

  const refused = await runTransaction(context.db, context.engine, async (tx): Promise<LookupOutcome | undefined> =>
    (await findActiveFsp(tx, inbound.source)) === undefined
      ? refuse(context, tx, 'participants', withdrawal.key, inbound, SENDER_NOT_ACTIVE, context.clock.nowMs())
      : undefined);
  if (refused !== undefined) return refused;
  if (choice.kind === 'unserved') return refuseAlone(context, 'participants', withdrawal.key, inbound, NOT_YOURS, 'no oracle serves this type and currency');
  return deleteExternal(context, inbound, withdrawal, choice.oracle.endpoint);
}

async function deleteBuiltin(context: LookupContext, tx: Tx, inbound: Inbound, { key, currency }: Withdrawal): Promise<LookupOutcome> {
  const nowMs = context.clock.nowMs();
  if ((await findActiveFsp(tx, inbound.source)) === undefined) return refuse(context, tx, 'participants', key, inbound, SENDER_NOT_ACTIVE, nowMs);
  const tables = lookupTables(tx);
  const owner = await forUpdate(tables.selectFrom('oracle_parties').select('fsp_id').where((eb) => eb.and(keyColumns(key))), context.engine).executeTakeFirst();
  if (owner?.fsp_id !== inbound.source) return refuse(context, tx, 'participants', key, inbound, NOT_YOURS, nowMs);
  let removal = tables.deleteFrom('oracle_party_currencies').where((eb) => eb.and(keyColumns(key)));
  if (currency !== undefined) removal = removal.where('currency', '=', currency);
  const removed = await removal.executeTakeFirst();
  if (removed.numDeletedRows === 0n) return refuse(context, tx, 'participants', key, inbound, NOT_YOURS, nowMs);
  const left = await tables.selectFrom('oracle_party_currencies').select('currency').where((eb) => eb.and(keyColumns(key))).executeTakeFirst();
  // The last currency gone, the party is free for another FSP to register.
  if (left === undefined) await tables.deleteFrom('oracle_parties').where((eb) => eb.and(keyColumns(key))).execute();
  await context.enqueue(tx, participantsAnswer(key, inbound.source, inbound.source, inbound.contentVersion, nowMs), nowMs);
  return { kind: 'deleted' };
}

async function deleteExternal(context: LookupContext, inbound: Inbound, { key, currency }: Withdrawal, endpoint: string): Promise<LookupOutcome> {
  const existing = await context.oracleClient.lookup(endpoint, key, undefined);
  if (!existing.ok) return refuseAlone(context, 'participants', key, inbound, failWith('3040', 'the oracle could not be consulted'), `oracle: ${existing.error}`);
  const entries = existing.value.filter(sameSubId(key));
  const mine = entries.filter((e) => e.fspId === inbound.source && (currency === undefined || e.currency === currency));
  // An oracle's DELETE removes the party whoever registered it: with another FSP's entry there, nothing is deleted.
  if (mine.length === 0 || entries.some((e) => e.fspId !== inbound.source)) return refuseAlone(context, 'participants', key, inbound, NOT_YOURS);
  const removed = await context.oracleClient.remove(endpoint, key, currency);
  if (!removed.ok) return refuseAlone(context, 'participants', key, inbound, failWith('3040', 'the oracle did not delete the party'), `oracle: ${removed.error}`);
  return answerAlone(context, key, inbound, inbound.source, { kind: 'deleted' });
}

// Which FSP serves a party: the built-in oracle's rows, or an external
// oracle's answer (asked outside any transaction) checked against the
// participants that are active.
import assert from 'node:assert/strict';
import type { Failure } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { activeFspNames, findActiveFsp } from '../participants/index.ts';
import { failWith, keyColumns, NOT_FOUND, sameSubId, type LookupContext } from './context.ts';
import type { OracleLookup } from './oracle_client.ts';
import { chooseOracle } from './oracles.ts';
import type { PartyKey } from './party.ts';
import { lookupTables } from './tables.ts';

export type Resolution = { found: true; fspId: string } | { found: false; failure: Failure; cause?: string };
export type Consultation = { kind: 'builtin' } | { kind: 'unserved' } | { kind: 'external'; answer: OracleLookup };

/**
 * Asks the oracle for `key`'s type, if it is an external one (outside any transaction), on behalf
 * of `requester`. Undefined when the requester is not an active FSP: only one can make the hub call an oracle.
 */
export async function consult(context: LookupContext, requester: string, key: PartyKey, currency: string | undefined): Promise<Consultation | undefined> {
  const choice = await chooseOracle(context.db, key.partyIdType, currency);
  if (choice.kind !== 'external') return choice;
  if ((await findActiveFsp(context.db, requester)) === undefined) return undefined;
  return { kind: 'external', answer: await context.oracleClient.lookup(choice.oracle.endpoint, key, currency) };
}

/** The one active FSP that serves `key` (in `currency`, if given), by the oracle's answer. */
export async function resolve(tx: Tx, key: PartyKey, currency: string | undefined, consultation: Consultation): Promise<Resolution> {
  switch (consultation.kind) {
    case 'unserved':
      return { found: false, failure: NOT_FOUND, cause: `no oracle serves ${key.partyIdType}${currency === undefined ? '' : ` in ${currency}`}` };
    case 'builtin':
      return resolveBuiltin(tx, key, currency);
    case 'external':
      return resolveExternal(tx, key, currency, consultation.answer);
    default:
      throw new Error('unreachable');
  }
}

async function resolveBuiltin(tx: Tx, key: PartyKey, currency: string | undefined): Promise<Resolution> {
  const tables = lookupTables(tx);
  const owner = await tables.selectFrom('oracle_parties').selectAll().where((eb) => eb.and(keyColumns(key))).executeTakeFirst();
  if (owner === undefined) return { found: false, failure: NOT_FOUND };
  if (currency !== undefined) {
    const covered = await tables.selectFrom('oracle_party_currencies').select('currency').where((eb) => eb.and(keyColumns(key)))
      .where('currency', 'in', [currency, '']).executeTakeFirst();
    if (covered === undefined) return { found: false, failure: NOT_FOUND };
  }
  // A deactivated FSP's parties cannot be paid; the requester hears the same as for an unknown party.
  return (await findActiveFsp(tx, owner.fsp_id)) === undefined ? { found: false, failure: NOT_FOUND, cause: 'the FSP serving the party is not active' } : { found: true, fspId: owner.fsp_id };
}

async function resolveExternal(tx: Tx, key: PartyKey, currency: string | undefined, answer: OracleLookup): Promise<Resolution> {
  if (!answer.ok) return { found: false, failure: failWith('2006', 'the oracle is unavailable'), cause: `oracle: ${answer.error}` };
  const named = [...new Set(answer.value.filter(sameSubId(key))
    .filter((e) => currency === undefined || e.currency === undefined || e.currency === currency).map((e) => e.fspId))];
  if (named.length === 0) return { found: false, failure: NOT_FOUND };
  // The oracle is outside the hub's trust boundary: only the FSPs it names that are active participants count.
  const active = await activeFspNames(tx, named);
  if (active.length === 0) return { found: false, failure: NOT_FOUND, cause: 'the oracle named no active participant' };
  // Two FSPs for one party is a dispute for the operator, not a choice for the hub: asking both would let either answer.
  if (active.length > 1) return { found: false, failure: failWith('3204', 'the party resolves to more than one FSP'), cause: `oracle named ${active.length} FSPs` };
  const [fspId] = active;
  assert.ok(fspId !== undefined);
  return { found: true, fspId };
}

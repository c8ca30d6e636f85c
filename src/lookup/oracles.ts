// External oracles: registered by the operator in ALS's admin shape
// (POST /oracles {oracleIdType, endpoint: {value, endpointType: "URL"},
// currency?, isDefault}), and chosen for each lookup by type and currency.
import { httpUrlProblem, ok } from '../support/index.ts';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import { runRefusable, type Db, type Engine } from '../storage/index.ts';
import { ORACLE_ENDPOINT_LENGTH_MAX } from './limits.ts';
import { checkCurrency, isPartyIdType, PARTY_ID_TYPES, type PartyIdType } from './party.ts';
import { lookupTables, type Oracle } from './tables.ts';

/** An oracle as ALS's admin API shows it (GET /oracles). */
export interface OracleView {
  oracleId: number;
  oracleIdType: PartyIdType;
  endpoint: { value: string; endpointType: 'URL' };
  currency?: string;
  isDefault: boolean;
  createdDate: string;
}

/** The admin request, not yet checked. */
export interface OracleInput {
  oracleIdType: unknown;
  endpoint: unknown;
  currency?: unknown;
  isDefault?: unknown;
}

// Whitespace and control characters are refused rather than left to the URL parser, which silently drops some of them.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNPRINTABLE = /[\s\u0000-\u001f\u007f]/;

/** Why `value` cannot be an oracle's base URL, or undefined when it can: http(s), a host, no credentials, query or fragment. */
export function oracleEndpointProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > ORACLE_ENDPOINT_LENGTH_MAX) return `endpoint.value must be a URL of 1..${ORACLE_ENDPOINT_LENGTH_MAX} characters`;
  if (UNPRINTABLE.test(value)) return 'endpoint.value must not contain spaces or control characters';
  // Even an empty "?" or "#" is refused: the hub appends its own path and query.
  if (/[?#]/.test(value)) return 'endpoint.value must not carry a query or fragment';
  return httpUrlProblem(value, 'endpoint.value');
}

export function oracleView(oracle: Oracle): OracleView {
  return {
    oracleId: oracle.id,
    oracleIdType: oracle.oracle_id_type,
    endpoint: { value: oracle.endpoint, endpointType: 'URL' },
    ...(oracle.currency === '' ? {} : { currency: oracle.currency }),
    isDefault: oracle.is_default === 1,
    createdDate: new Date(oracle.created_at_ms).toISOString(),
  };
}

/** Which oracle answers for a party type and currency. */
export type OracleChoice =
  | { kind: 'builtin' }
  | { kind: 'external'; oracle: Oracle }
  /** Oracles are registered for the type, but none for this currency and none is the default. */
  | { kind: 'unserved' };

/**
 * Once any external oracle is registered for a type, it replaces the built-in
 * one for that type. Among them: the one for the currency asked, else the one
 * without a currency, else the default, else (no currency asked) the only one.
 */
export async function chooseOracle(db: Db, type: PartyIdType, currency: string | undefined): Promise<OracleChoice> {
  const oracles = await lookupTables(db).selectFrom('oracles').selectAll().where('oracle_id_type', '=', type).orderBy('id').execute();
  if (oracles.length === 0) return { kind: 'builtin' };
  const chosen = (currency === undefined ? undefined : oracles.find((o) => o.currency === currency))
    ?? oracles.find((o) => o.currency === '')
    ?? oracles.find((o) => o.is_default === 1)
    ?? (currency === undefined && oracles.length === 1 ? oracles[0] : undefined);
  return chosen === undefined ? { kind: 'unserved' } : { kind: 'external', oracle: chosen };
}

export function createOracleAdmin({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  async function createOracle(input: OracleInput, createdBy: string): Promise<FspiopResult<OracleView>> {
    if (!isPartyIdType(input.oracleIdType)) return fail('3100', `oracleIdType must be one of ${PARTY_ID_TYPES.join(', ')}`);
    const endpoint = input.endpoint;
    if (typeof endpoint !== 'object' || endpoint === null) return fail('3100', 'endpoint must be {value, endpointType: "URL"}');
    const { value, endpointType } = endpoint as { value?: unknown; endpointType?: unknown };
    if (endpointType !== 'URL') return fail('3100', 'endpoint.endpointType must be "URL"');
    const problem = oracleEndpointProblem(value);
    if (problem !== undefined) return fail('3100', problem);
    const currency = checkCurrency(input.currency);
    if (!currency.ok) return fail('3100', currency.error.detail);
    if (input.isDefault !== undefined && typeof input.isDefault !== 'boolean') return fail('3100', 'isDefault must be a boolean');
    const type = input.oracleIdType;
    const isDefault = input.isDefault === true ? 1 : 0;

    return runRefusable(db, engine, async (tx) => {
      const existing = await lookupTables(tx).selectFrom('oracles').selectAll().where('oracle_id_type', '=', type).execute();
      if (existing.some((o) => o.currency === (currency.value ?? ''))) {
        return fail('3000', `an oracle for ${type}${currency.value === undefined ? ' without a currency' : ` in ${currency.value}`} is already registered`);
      }
      if (isDefault === 1 && existing.some((o) => o.is_default === 1)) return fail('3000', `a default oracle for ${type} is already registered`);
      const created = await lookupTables(tx).insertInto('oracles').values({
        oracle_id_type: type, endpoint: value as string, currency: currency.value ?? '', is_default: isDefault,
        created_at_ms: clock.nowMs(), created_by: createdBy,
      }).returningAll().executeTakeFirstOrThrow();
      return ok(oracleView(created));
    });
  }

  async function listOracles(filter: { type?: PartyIdType; currency?: string } = {}): Promise<OracleView[]> {
    let query = lookupTables(db).selectFrom('oracles').selectAll().orderBy('id');
    if (filter.type !== undefined) query = query.where('oracle_id_type', '=', filter.type);
    if (filter.currency !== undefined) query = query.where('currency', '=', filter.currency);
    return (await query.execute()).map(oracleView);
  }

  async function deleteOracle(oracleId: number): Promise<FspiopResult<void>> {
    if (!Number.isSafeInteger(oracleId) || oracleId < 1) return fail('3100', 'oracleId must be a positive integer');
    const deleted = await lookupTables(db).deleteFrom('oracles').where('id', '=', oracleId).executeTakeFirst();
    return deleted.numDeletedRows === 0n ? fail('3200', `no oracle ${oracleId}`) : ok(undefined);
  }

  return { createOracle, listOracles, deleteOracle };
}

// Settlement models (central-settlement's /settlementModels). Interlock
// settles deferred, net and multilateral against POSITION accounts; a model
// of another kind is refused rather than stored and silently not honoured.
import type { Kysely } from 'kysely';
import { fail, type Failure, type FspiopResult } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import { isSupportedCurrency, err, ok } from '../support/index.ts';
import { runRefusable, type Db, type Engine } from '../storage/index.ts';
import { settlementTables, type SettlementModel, type SettlementTables } from './tables.ts';

const failure = (code: '3000' | '3100' | '3200', detail: string): Failure => fail(code, detail).error;

/** The connection or a transaction, seeing the settlement module's table. */
type SettlementDb = Kysely<SettlementTables>;

export interface SettlementModelInput {
  name: string;
  settlementGranularity: string;
  settlementInterchange: string;
  settlementDelay: string;
  currency: string | null;
  requireLiquidityCheck: boolean;
  ledgerAccountType: string;
  settlementAccountType: string;
  autoPositionReset: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9_. -]{2,50}$/;

/** The name of the active model that already covers `currency` (null: the default for all currencies). */
async function activeModelCovering(db: SettlementDb, currency: string | null, exceptName?: string): Promise<string | undefined> {
  let query = db.selectFrom('settlement_models').select('name').where('is_active', '=', 1).where('ledger_account_type', '=', 'POSITION');
  query = currency === null ? query.where('currency', 'is', null) : query.where('currency', '=', currency);
  if (exceptName !== undefined) query = query.where('name', '<>', exceptName);
  return (await query.executeTakeFirst())?.name;
}

/**
 * Whether reservations in `currency` must be covered by settlement funds: the
 * active settlement model for the currency decides, else the active default
 * model (no currency); with no model at all the answer is yes.
 */
export async function liquidityCheckRequired(db: Db, currency: string): Promise<boolean> {
  const models = await settlementTables(db)
    .selectFrom('settlement_models')
    .select(['currency', 'require_liquidity_check'])
    .where('is_active', '=', 1)
    .where('ledger_account_type', '=', 'POSITION')
    .where((eb) => eb.or([eb('currency', '=', currency), eb('currency', 'is', null)]))
    .execute();
  const model = models.find((m) => m.currency === currency) ?? models.find((m) => m.currency === null);
  return model === undefined || model.require_liquidity_check === 1;
}

export function createSettlementModels({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  const tables = settlementTables(db);
  /**
   * Whether `create(input)` would be refused, and why: what the admin API asks
   * when the creation is requested, so that a checker never sees a request the
   * hub would refuse. create() checks again, in its transaction.
   */
  async function createRefusal(input: SettlementModelInput, reader: SettlementDb = tables): Promise<Failure | undefined> {
    if (!NAME_PATTERN.test(input.name)) return failure('3100', 'name must be 2..50 letters, digits, spaces, ".", "_" or "-"');
    if (input.settlementGranularity !== 'NET' || input.settlementDelay !== 'DEFERRED') {
      return failure('3100', 'only DEFERRED NET settlement is built: no gross or immediate settlement (CGS)');
    }
    if (input.settlementInterchange !== 'MULTILATERAL') return failure('3100', 'only MULTILATERAL settlement is built: no netting pair by pair');
    if (input.ledgerAccountType !== 'POSITION') return failure('3100', `ledgerAccountType must be POSITION: no ${input.ledgerAccountType.slice(0, 32)} accounts (no interchange fees)`);
    if (input.settlementAccountType !== 'SETTLEMENT') return failure('3100', 'settlementAccountType must be SETTLEMENT');
    if (input.currency !== null && !isSupportedCurrency(input.currency)) return failure('3100', `currency ${input.currency} is not a supported ISO 4217 currency`);
    if (await reader.selectFrom('settlement_models').select('id').where('name', '=', input.name).executeTakeFirst()) {
      return failure('3000', `settlement model ${input.name} already exists`);
    }
    const clash = await activeModelCovering(reader, input.currency);
    if (clash !== undefined) return failure('3000', `active settlement model ${clash} already covers ${input.currency ?? 'all currencies'}`);
    return undefined;
  }

  async function create(input: SettlementModelInput): Promise<FspiopResult<SettlementModel>> {
    return runRefusable(db, engine, async (tx) => {
      const refusal = await createRefusal(input, settlementTables(tx));
      if (refusal !== undefined) return err(refusal);
      const model = await settlementTables(tx).insertInto('settlement_models').values({
        name: input.name,
        settlement_granularity: 'NET',
        settlement_interchange: 'MULTILATERAL',
        settlement_delay: 'DEFERRED',
        currency: input.currency,
        require_liquidity_check: input.requireLiquidityCheck ? 1 : 0,
        ledger_account_type: 'POSITION',
        settlement_account_type: 'SETTLEMENT',
        auto_position_reset: input.autoPositionReset ? 1 : 0,
        is_active: 1,
        created_at_ms: clock.nowMs(),
      }).returningAll().executeTakeFirstOrThrow();
      return ok(model);
    });
  }

  /** Whether `setActive(name, isActive)` would be refused, and why (asked when the change is requested). */
  async function setActiveRefusal(name: string, isActive: boolean, reader: SettlementDb = tables): Promise<Failure | undefined> {
    const model = await reader.selectFrom('settlement_models').selectAll().where('name', '=', name).executeTakeFirst();
    if (model === undefined) return failure('3200', `settlement model ${name} does not exist`);
    const clash = isActive ? await activeModelCovering(reader, model.currency, name) : undefined;
    if (clash !== undefined) return failure('3000', `active settlement model ${clash} already covers ${model.currency ?? 'all currencies'}`);
    return undefined;
  }

  const list = (): Promise<SettlementModel[]> => tables.selectFrom('settlement_models').selectAll().orderBy('id').execute();
  const get = (name: string): Promise<SettlementModel | undefined> =>
    tables.selectFrom('settlement_models').selectAll().where('name', '=', name).executeTakeFirst();

  async function setActive(name: string, isActive: boolean): Promise<FspiopResult<SettlementModel>> {
    return runRefusable(db, engine, async (tx) => {
      const own = settlementTables(tx);
      const refusal = await setActiveRefusal(name, isActive, own);
      if (refusal !== undefined) return err(refusal);
      const model = await own.selectFrom('settlement_models').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
      await own.updateTable('settlement_models').set({ is_active: isActive ? 1 : 0 }).where('id', '=', model.id).execute();
      return ok({ ...model, is_active: isActive ? 1 : 0 });
    });
  }

  return { create, createRefusal, list, get, setActive, setActiveRefusal };
}

export type SettlementModels = ReturnType<typeof createSettlementModels>;

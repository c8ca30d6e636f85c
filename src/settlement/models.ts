// Settlement models (central-settlement's /settlementModels). Interlock
// settles deferred, net and multilateral against POSITION accounts; a model
// of another kind is refused rather than stored and silently not honoured.
import { fail, ok, type Result } from '../fspiop/errors.ts';
import type { Clock } from '../support/clock.ts';
import { isSupportedCurrency } from '../support/money.ts';
import { runTransaction, type Db, type Engine, type SettlementModel } from '../storage/index.ts';

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
async function activeModelCovering(db: Db, currency: string | null, exceptName?: string): Promise<string | undefined> {
  let query = db.selectFrom('settlement_models').select('name').where('is_active', '=', 1).where('ledger_account_type', '=', 'POSITION');
  query = currency === null ? query.where('currency', 'is', null) : query.where('currency', '=', currency);
  if (exceptName !== undefined) query = query.where('name', '<>', exceptName);
  return (await query.executeTakeFirst())?.name;
}

export function createSettlementModels({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  async function create(input: SettlementModelInput): Promise<Result<SettlementModel>> {
    if (!NAME_PATTERN.test(input.name)) return fail('3100', 'name must be 2..50 letters, digits, spaces, ".", "_" or "-"');
    if (input.settlementGranularity !== 'NET' || input.settlementInterchange !== 'MULTILATERAL' || input.settlementDelay !== 'DEFERRED') {
      return fail('3100', 'only DEFERRED NET MULTILATERAL settlement is supported');
    }
    if (input.ledgerAccountType !== 'POSITION') return fail('3100', 'ledgerAccountType must be POSITION');
    if (input.settlementAccountType !== 'SETTLEMENT') return fail('3100', 'settlementAccountType must be SETTLEMENT');
    if (input.currency !== null && !isSupportedCurrency(input.currency)) return fail('3100', `currency ${input.currency} is not a supported ISO 4217 currency`);
    return runTransaction(db, engine, async (tx) => {
      if (await tx.selectFrom('settlement_models').select('id').where('name', '=', input.name).executeTakeFirst()) {
        return fail('3000', `settlement model ${input.name} already exists`);
      }
      const clash = await activeModelCovering(tx, input.currency);
      if (clash !== undefined) return fail('3000', `active settlement model ${clash} already covers ${input.currency ?? 'all currencies'}`);
      const model = await tx.insertInto('settlement_models').values({
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

  const list = (): Promise<SettlementModel[]> => db.selectFrom('settlement_models').selectAll().orderBy('id').execute();
  const get = (name: string): Promise<SettlementModel | undefined> =>
    db.selectFrom('settlement_models').selectAll().where('name', '=', name).executeTakeFirst();

  async function setActive(name: string, isActive: boolean): Promise<Result<SettlementModel>> {
    return runTransaction(db, engine, async (tx) => {
      const model = await tx.selectFrom('settlement_models').selectAll().where('name', '=', name).executeTakeFirst();
      if (model === undefined) return fail('3200', `settlement model ${name} does not exist`);
      const clash = isActive ? await activeModelCovering(tx, model.currency, name) : undefined;
      if (clash !== undefined) return fail('3000', `active settlement model ${clash} already covers ${model.currency ?? 'all currencies'}`);
      await tx.updateTable('settlement_models').set({ is_active: isActive ? 1 : 0 }).where('id', '=', model.id).execute();
      return ok({ ...model, is_active: isActive ? 1 : 0 });
    });
  }

  return { create, list, get, setActive };
}

export type SettlementModels = ReturnType<typeof createSettlementModels>;

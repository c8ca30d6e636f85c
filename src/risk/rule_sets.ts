// Rule sets are data, versioned. A new version is a DRAFT; promoting one to
// SHADOW (evaluated on every payment and recorded, never enforced) or to LIVE
// (enforced) retires the version that held that place; at most one SHADOW
// and one LIVE exist at any time (partial unique indexes). The admin API makes
// each promotion a maker-checker change request; this module only keeps the
// versions and their states, and refuses any transition not listed here.
import { err, ok, type Clock, type Result } from '../support/index.ts';
import { forUpdate, runRefusable, type Db, type Engine } from '../storage/index.ts';
import { riskDecisionTables, type RiskRuleSetRow, type RuleSetState } from './decision_tables.ts';

/** Longest rule set definition, as JSON text. */
export const DEFINITION_CHARS_MAX = 262_144;
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Most versions one listing answers (names and states only). */
export const RULE_SET_VERSIONS_LISTED_MAX = 10_000;

/** The promotions allowed, from → to. */
const PROMOTIONS: Readonly<Record<RuleSetState, readonly RuleSetState[]>> = {
  DRAFT: ['SHADOW', 'LIVE', 'RETIRED'],
  SHADOW: ['LIVE', 'RETIRED'],
  LIVE: ['RETIRED'],
  RETIRED: [],
};

/** Whether a definition is a valid rule set: its problems, none when valid (rule_set.ts). */
export type RuleSetValidator = (definition: unknown) => readonly string[];

export function createRuleSetStore({ db, engine, clock, validate }: { db: Db; engine: Engine; clock: Clock; validate: RuleSetValidator }) {
  const tables = riskDecisionTables(db);

  /** Stores `definition` as the next version of rule set `name`, a DRAFT. */
  async function saveDraft(name: string, definition: unknown, actor: string): Promise<Result<RiskRuleSetRow, string>> {
    if (!NAME_PATTERN.test(name)) return err('a rule set name is 1 to 64 letters, digits, ".", "_" or "-"');
    const problems = validate(definition);
    if (problems.length > 0) return err(`the rule set is not valid: ${problems.slice(0, 10).join('; ')}`);
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) return err('a rule set is a JSON object');
    const length = JSON.stringify(definition).length;
    if (length > DEFINITION_CHARS_MAX) return err(`the rule set is ${length} characters; at most ${DEFINITION_CHARS_MAX}`);
    return runRefusable(db, engine, async (tx) => {
      const own = riskDecisionTables(tx);
      const latest = await forUpdate(own.selectFrom('risk_rule_sets').select('version').where('name', '=', name).orderBy('version', 'desc').limit(1), engine).executeTakeFirst();
      const nowMs = clock.nowMs();
      const version = (latest?.version ?? 0) + 1;
      // The store names and numbers the versions: the stored definition says the same, so every decision's trace names the version that made it.
      const text = JSON.stringify({ ...definition, name, version });
      const row = await own.insertInto('risk_rule_sets').values({
        name, version, state: 'DRAFT', definition: text,
        created_at_ms: nowMs, created_by: actor, changed_at_ms: nowMs, changed_by: actor, change_request_id: null,
      }).returningAll().executeTakeFirstOrThrow();
      return ok(row);
    });
  }

  /** Moves version `version` of `name` to `to`, retiring the version that held a SHADOW or LIVE place. */
  async function promote(name: string, version: number, to: RuleSetState, actor: string, changeRequestId: string | null): Promise<Result<RiskRuleSetRow, string>> {
    return runRefusable(db, engine, async (tx) => {
      const own = riskDecisionTables(tx);
      const row = await forUpdate(own.selectFrom('risk_rule_sets').selectAll().where('name', '=', name).where('version', '=', version), engine).executeTakeFirst();
      if (row === undefined) return err(`rule set ${name} version ${version} does not exist`);
      if (!PROMOTIONS[row.state].includes(to)) return err(`rule set ${name} version ${version} is ${row.state}; it cannot become ${to}`);
      const nowMs = clock.nowMs();
      const changed = { changed_at_ms: nowMs, changed_by: actor, change_request_id: changeRequestId };
      if (to === 'SHADOW' || to === 'LIVE') {
        await own.updateTable('risk_rule_sets').set({ state: 'RETIRED', ...changed }).where('state', '=', to).execute();
      }
      const promoted = await own.updateTable('risk_rule_sets').set({ state: to, ...changed })
        .where('name', '=', name).where('version', '=', version).returningAll().executeTakeFirstOrThrow();
      return ok(promoted);
    });
  }

  /** The LIVE and SHADOW versions, if any; read through `reader` (the caller's transaction, on SQLite's one connection). */
  async function active(reader: Db = db): Promise<{ live: RiskRuleSetRow | undefined; shadow: RiskRuleSetRow | undefined }> {
    const rows = await riskDecisionTables(reader).selectFrom('risk_rule_sets').selectAll().where('state', 'in', ['LIVE', 'SHADOW']).execute();
    return { live: rows.find((r) => r.state === 'LIVE'), shadow: rows.find((r) => r.state === 'SHADOW') };
  }

  const versions = (name: string): Promise<RiskRuleSetRow[]> => tables.selectFrom('risk_rule_sets').selectAll().where('name', '=', name).orderBy('version').execute();

  /** Every version of every rule set, without its definition, by name and version (at most RULE_SET_VERSIONS_LISTED_MAX). */
  const list = (): Promise<Omit<RiskRuleSetRow, 'definition'>[]> => tables.selectFrom('risk_rule_sets')
    .select(['name', 'version', 'state', 'created_at_ms', 'created_by', 'changed_at_ms', 'changed_by', 'change_request_id'])
    .orderBy('name').orderBy('version').limit(RULE_SET_VERSIONS_LISTED_MAX).execute();

  const get = (name: string, version: number): Promise<RiskRuleSetRow | undefined> =>
    tables.selectFrom('risk_rule_sets').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();

  /** Why promote(name, version, to) would be refused now, if it would (asked when the promotion is requested). */
  async function promotionRefusal(name: string, version: number, to: RuleSetState): Promise<string | undefined> {
    const row = await get(name, version);
    if (row === undefined) return `rule set ${name} version ${version} does not exist`;
    return PROMOTIONS[row.state].includes(to) ? undefined : `rule set ${name} version ${version} is ${row.state}; it cannot become ${to}`;
  }

  return { saveDraft, promote, active, versions, list, get, promotionRefusal };
}

export type RuleSetStore = ReturnType<typeof createRuleSetStore>;

// Issue 16: the FRMS's rule sets (versioned: draft → shadow → live → retired,
// at most one shadow and one live at a time) and its decisions, each with its
// full trace. A decision is evidence: it is never changed after it is written.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const RULE_SET_STATES = "'DRAFT', 'SHADOW', 'LIVE', 'RETIRED'";
const VERDICTS = "'ALLOW', 'ALERT', 'HOLD', 'BLOCK'";
/** The largest rule set definition and decision trace kept, as JSON text. */
const DEFINITION_CHARS_MAX = 262_144;
const TRACE_CHARS_MAX = 65_536;

const idOn = (engine: Engine) => (c: ColumnDefinitionBuilder) =>
  engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('risk_rule_sets')
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 64`))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(RULE_SET_STATES)})`))
    .addColumn('definition', 'text', (c) => c.notNull().check(sql`length(definition) <= ${sql.lit(DEFINITION_CHARS_MAX)}`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('change_request_id', 'text')
    .addPrimaryKeyConstraint('risk_rule_sets_pk', ['name', 'version'])
    .execute();
  await sql`create unique index risk_rule_sets_one_live on risk_rule_sets (state) where state = 'LIVE'`.execute(db);
  await sql`create unique index risk_rule_sets_one_shadow on risk_rule_sets (state) where state = 'SHADOW'`.execute(db);

  await db.schema
    .createTable('risk_decisions')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('quote', 'transfer')`))
    /** The quote or transfer id. */
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('payer_fsp', 'text', (c) => c.notNull())
    .addColumn('payee_fsp', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull().check(sql`verdict in (${sql.raw(VERDICTS)})`))
    /** 1: the live rule set's decision, enforced; 0: a shadow rule set's, recorded only. */
    .addColumn('is_enforced', 'smallint', (c) => c.notNull().check(sql`is_enforced in (0, 1)`))
    .addColumn('rule_set_name', 'text', (c) => c.notNull())
    .addColumn('rule_set_version', 'integer', (c) => c.notNull())
    .addColumn('trace', 'text', (c) => c.notNull().check(sql`length(trace) <= ${sql.lit(TRACE_CHARS_MAX)}`))
    .addColumn('failure', 'text')
    .addColumn('decision_us', 'integer', (c) => c.notNull().check(sql`decision_us >= 0`))
    .addColumn('decided_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index risk_decisions_by_subject on risk_decisions (subject_id)`.execute(db);
  await sql`create index risk_decisions_by_time on risk_decisions (decided_at_ms)`.execute(db);
  await sql`create index risk_decisions_by_verdict on risk_decisions (verdict, decided_at_ms) where verdict <> 'ALLOW'`.execute(db);
  if (engine === 'sqlite') {
    for (const operation of ['update', 'delete']) {
      await sql`create trigger ${sql.raw(`risk_decisions_no_${operation}`)} before ${sql.raw(operation)} on risk_decisions
        begin select raise(abort, 'risk_decisions is append-only'); end`.execute(db);
    }
  } else {
    await sql`create function risk_decisions_append_only() returns trigger language plpgsql as $$
      begin raise exception 'risk_decisions is append-only'; end $$`.execute(db);
    await sql`create trigger risk_decisions_append_only before update or delete or truncate on risk_decisions
      for each statement execute function risk_decisions_append_only()`.execute(db);
  }
}

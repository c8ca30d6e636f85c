// Issue 13: roles and grants an existing hub seeded under the previous rules.
//
//   1. The bootstrap administrator never holds a privilege that approves a
//      funds movement: such privileges leave the bootstrap role, and a
//      bootstrap operator loses any grant of a role that carries one (the
//      penetration test's administrator granted itself operations-checker).
//      The grants removed are the dangerous state itself; the audit log keeps
//      who granted them.
//   2. Creating a settlement model and switching one on or off became
//      maker-checker functions: the direct privileges become the _REQUEST
//      ones in every role that held them, the roles that approve funds-in
//      (the checkers) can approve them, and the separation-of-duties
//      exclusions of the new functions are added.
//
// The privilege names are written out: a migration is fixed text.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const MONEY_APPROVALS = [
  'FUNDS_IN_APPROVE', 'FUNDS_OUT_APPROVE', 'INITIAL_POSITION_AND_LIMITS_APPROVE', 'NDC_CHANGE_APPROVE',
  'SETTLEMENT_MODEL_CREATE_APPROVE', 'SETTLEMENT_MODEL_STATUS_APPROVE', 'FUNDS_OUT_COMMIT', 'FUNDS_OUT_ABORT',
];
const RENAMED: readonly (readonly [string, string])[] = [
  ['SETTLEMENT_MODEL_CREATE', 'SETTLEMENT_MODEL_CREATE_REQUEST'],
  ['SETTLEMENT_MODEL_STATUS_CHANGE', 'SETTLEMENT_MODEL_STATUS_REQUEST'],
];
const NEW_FUNCTIONS = ['SETTLEMENT_MODEL_CREATE', 'SETTLEMENT_MODEL_STATUS'];

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  const money = sql.join(MONEY_APPROVALS.map((p) => sql.lit(p)));
  await sql`delete from role_privileges where role = 'bootstrap-admin' and privilege in (${money})`.execute(db);
  await sql`delete from principal_roles
    where principal_id in (select id from operators where is_bootstrap = 1)
      and role in (select role from role_privileges where privilege in (${money}))`.execute(db);

  for (const [from, to] of RENAMED) {
    await sql`insert into role_privileges (role, privilege) select role, ${sql.lit(to)} from role_privileges where privilege = ${sql.lit(from)} on conflict do nothing`.execute(db);
    await sql`delete from role_privileges where privilege = ${sql.lit(from)}`.execute(db);
  }
  for (const fn of NEW_FUNCTIONS) {
    const approve = `${fn}_APPROVE`;
    const request = `${fn}_REQUEST`;
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(approve)} from role_privileges
      where privilege = 'FUNDS_IN_APPROVE' and role <> 'bootstrap-admin'
        and role not in (select role from role_privileges where privilege = ${sql.lit(request)})
      on conflict do nothing`.execute(db);
    // Normalised as sod.ts does: the smaller name first ("…_APPROVE" < "…_REQUEST").
    await sql`insert into sod_exclusions (privilege_a, privilege_b, created_at_ms, created_by)
      values (${sql.lit(approve)}, ${sql.lit(request)}, ${sql.lit(Date.now())}, 'migration 0040') on conflict do nothing`.execute(db);
  }
}

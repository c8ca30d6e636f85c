// A hub upgraded from the previous version keeps none of the dangerous state
// (migration 0040): a bootstrap role or bootstrap administrator able to
// approve money loses it, and the old direct settlement model privileges
// become maker-checker ones, with their separation-of-duties exclusions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Storage } from '../../storage/index.ts';
import { up } from '../../migrations/0040_bootstrap_never_approves_money.ts';
import { describeOnEachEngine } from '../../testing/engines.ts';
import { createTestAdminApi, type TestAdminApi } from '../../testing/admin_api.ts';
import { testTables } from '../../testing/tables.ts';

describeOnEachEngine('migration 0040 on an existing hub', (ctx) => {
  let storage: Storage;
  let api: TestAdminApi;

  before(async () => {
    storage = ctx.storage;
    api = await createTestAdminApi(storage);
  });
  after(async () => {
    await api.close();
  });

  test('migration 0040 removes money approvals from the bootstrap administrator and makes settlement models maker-checker', async () => {
    const { db } = storage;
    const admin = await api.iam.operators.findByUsername('admin');
    assert.ok(admin !== undefined);
    // The state the previous version allowed, written as it would have been stored.
    await sql`insert into role_privileges (role, privilege) values ('bootstrap-admin', 'FUNDS_IN_APPROVE')`.execute(db);
    await sql`insert into principal_roles (principal_id, principal_kind, role, participant, granted_at_ms, granted_by) values (${admin.id}, 'operator', 'operations-checker', '*', 0, 'admin')`.execute(db);
    await sql`insert into roles (name, description, created_at_ms, created_by, changed_at_ms) values ('legacy-maker', 'old', 0, 'x', 0)`.execute(db);
    await sql`insert into role_privileges (role, privilege) values ('legacy-maker', 'SETTLEMENT_MODEL_CREATE'), ('legacy-maker', 'SETTLEMENT_MODEL_STATUS_CHANGE')`.execute(db);
    await sql`delete from sod_exclusions where privilege_a like 'SETTLEMENT_MODEL%'`.execute(db);

    await up(db as never, storage.engine);

    const privileges = async (role: string) => (await testTables(db).selectFrom('role_privileges').select('privilege').where('role', '=', role).execute()).map((r) => r.privilege).sort();
    assert.ok(!(await privileges('bootstrap-admin')).includes('FUNDS_IN_APPROVE'));
    assert.deepEqual((await api.iam.rbac.listGrants(admin.id)).map((g) => g.role), ['bootstrap-admin']);
    assert.deepEqual(await privileges('legacy-maker'), ['SETTLEMENT_MODEL_CREATE_REQUEST', 'SETTLEMENT_MODEL_STATUS_REQUEST']);
    const checker = await privileges('operations-checker');
    assert.ok(checker.includes('SETTLEMENT_MODEL_CREATE_APPROVE') && checker.includes('SETTLEMENT_MODEL_STATUS_APPROVE'));
    const exclusions = (await api.iam.rbac.exclusions()).map((e) => `${e.a}|${e.b}`);
    assert.ok(exclusions.includes('SETTLEMENT_MODEL_CREATE_APPROVE|SETTLEMENT_MODEL_CREATE_REQUEST'));
    assert.ok(exclusions.includes('SETTLEMENT_MODEL_STATUS_APPROVE|SETTLEMENT_MODEL_STATUS_REQUEST'));
    // Run twice (a second process, say): nothing changes.
    await up(db as never, storage.engine);
    assert.deepEqual(await privileges('legacy-maker'), ['SETTLEMENT_MODEL_CREATE_REQUEST', 'SETTLEMENT_MODEL_STATUS_REQUEST']);
  });
});

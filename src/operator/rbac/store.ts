// Roles, grants and separation-of-duties exclusions in the database. Every
// change that could let one principal hold two excluded privileges is refused
// here (grant and definition time); authorize.ts refuses again at request
// time, which also covers an exclusion added after the grants.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok, isParticipantName } from '../../support/index.ts';
import type { Clock } from '../../support/index.ts';
import { runRefusable, type Db, type Engine } from '../../storage/index.ts';
import type { Grant } from './authorize.ts';
import { BOOTSTRAP_ROLE, DEFAULT_ROLES, moneyApprovalsIn, type RoleDefinition } from './default_roles.ts';
import { isPrivilege, type Privilege } from './privileges.ts';
import { defaultExclusions, describeExclusion, normaliseExclusion, violatedExclusions, type Exclusion } from './sod.ts';
import { rbacTables, UNSCOPED } from './tables.ts';
import { findParticipant } from '../../participants/index.ts';
import { iamTables } from '../iam/tables.ts';

const ROLE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
/** A role grants at most every privilege once; the bound keeps a request's body small. */
const ROLE_PRIVILEGES_MAX = 128;

export type PrincipalKind = 'operator' | 'client';

export interface GrantRecord {
  principalId: string;
  principalKind: PrincipalKind;
  role: string;
  participant: string | null;
  grantedAtMs: number;
  grantedBy: string;
}

async function exclusionsIn(db: Db): Promise<Exclusion[]> {
  const rows = await rbacTables(db).selectFrom('sod_exclusions').select(['privilege_a', 'privilege_b']).execute();
  return rows.filter((r) => isPrivilege(r.privilege_a) && isPrivilege(r.privilege_b)).map((r) => normaliseExclusion(r.privilege_a as Privilege, r.privilege_b as Privilege));
}

async function privilegesOfRoles(db: Db, roles: readonly string[]): Promise<Map<string, Set<Privilege>>> {
  const out = new Map<string, Set<Privilege>>(roles.map((r) => [r, new Set()]));
  if (roles.length === 0) return out;
  const rows = await rbacTables(db).selectFrom('role_privileges').select(['role', 'privilege']).where('role', 'in', [...new Set(roles)]).execute();
  for (const row of rows) if (isPrivilege(row.privilege)) out.get(row.role)?.add(row.privilege);
  return out;
}

async function grantsIn(db: Db, principalId: string): Promise<Grant[]> {
  const rows = await rbacTables(db).selectFrom('principal_roles').select(['role', 'participant']).where('principal_id', '=', principalId).execute();
  const privileges = await privilegesOfRoles(db, rows.map((r) => r.role));
  return rows.map((r) => ({ role: r.role, participant: r.participant === UNSCOPED ? null : r.participant, privileges: privileges.get(r.role) ?? new Set() }));
}

function unionOf(grants: readonly Grant[], extra: Iterable<Privilege> = []): Set<Privilege> {
  const held = new Set<Privilege>(extra);
  for (const g of grants) for (const p of g.privileges) held.add(p);
  return held;
}

/** Whether `principalId` is a bootstrap administrator: it never holds a privilege that approves a funds movement. */
async function isBootstrapOperator(db: Db, principalId: string): Promise<boolean> {
  return (await iamTables(db).selectFrom('operators').select('is_bootstrap').where('id', '=', principalId).executeTakeFirst())?.is_bootstrap === 1;
}

function bootstrapMoneyFailure(subject: string, privileges: readonly Privilege[]) {
  return fail('3000', `${subject}: the bootstrap administrator may never hold a privilege that approves a funds movement (${privileges.join(', ')})`, { httpStatus: 403 });
}

function sodFailure(principal: string, broken: readonly Exclusion[]) {
  return fail('3000', `separation of duties: ${principal} would hold ${broken.map(describeExclusion).join('; ')}`);
}

interface RbacContext { db: Db; engine: Engine; clock: Clock }
interface RoleInput { name: string; description: string; privileges: readonly string[] }
interface GrantInput { principalId: string; principalKind: PrincipalKind; role: string; participant: string | null }

/** Creates a role or replaces its privileges; refused if any holder would then break an exclusion. */
async function defineRole({ db, engine, clock }: RbacContext, input: RoleInput, by: string): Promise<FspiopResult<RoleDefinition>> {
  if (!ROLE_NAME_PATTERN.test(input.name)) return fail('3100', 'role name must be 2..64 lower-case letters, digits, ".", "_" or "-"');
  if (input.privileges.length > ROLE_PRIVILEGES_MAX) return fail('3100', `a role has at most ${ROLE_PRIVILEGES_MAX} privileges`);
  const unknown = input.privileges.filter((p) => !isPrivilege(p));
  if (unknown.length > 0) return fail('3100', `unknown privileges: ${unknown.join(', ')}`);
  const privileges = [...new Set(input.privileges as Privilege[])].sort();
  return runRefusable(db, engine, async (tx): Promise<FspiopResult<RoleDefinition>> => {
    const rules = await exclusionsIn(tx);
    const alone = violatedExclusions(new Set(privileges), rules);
    if (alone.length > 0) return sodFailure(`role ${input.name}`, alone);
    const money = moneyApprovalsIn(privileges);
    if (money.length > 0 && input.name === BOOTSTRAP_ROLE) return bootstrapMoneyFailure(`role ${input.name}`, money);
    const holders = await rbacTables(tx).selectFrom('principal_roles').select('principal_id').distinct().where('role', '=', input.name).execute();
    for (const { principal_id: holder } of holders) {
      if (money.length > 0 && await isBootstrapOperator(tx, holder)) return bootstrapMoneyFailure(`role ${input.name}, held by ${holder}`, money);
      const others = (await grantsIn(tx, holder)).filter((g) => g.role !== input.name);
      const broken = violatedExclusions(unionOf(others, privileges), rules);
      if (broken.length > 0) return sodFailure(`principal ${holder}`, broken);
    }
    const nowMs = clock.nowMs();
    await rbacTables(tx).insertInto('roles').values({ name: input.name, description: input.description, created_at_ms: nowMs, created_by: by, changed_at_ms: nowMs })
      .onConflict((oc) => oc.column('name').doUpdateSet({ description: input.description, changed_at_ms: nowMs })).execute();
    await rbacTables(tx).deleteFrom('role_privileges').where('role', '=', input.name).execute();
    if (privileges.length > 0) await rbacTables(tx).insertInto('role_privileges').values(privileges.map((privilege) => ({ role: input.name, privilege }))).execute();
    return ok({ name: input.name, description: input.description, privileges });
  });
}

async function grantRole({ db, engine, clock }: RbacContext, input: GrantInput, by: string): Promise<FspiopResult<GrantRecord>> {
  if (input.participant !== null && !isParticipantName(input.participant)) return fail('3100', 'participant must be a participant name');
  return runRefusable(db, engine, async (tx): Promise<FspiopResult<GrantRecord>> => {
    const role = await rbacTables(tx).selectFrom('roles').select('name').where('name', '=', input.role).executeTakeFirst();
    if (role === undefined) return fail('3200', `role ${input.role} does not exist`);
    if (input.participant !== null) {
      const participant = await findParticipant(tx, input.participant);
      if (participant === undefined) return fail('3200', `participant ${input.participant} does not exist`);
    }
    const privileges = (await privilegesOfRoles(tx, [input.role])).get(input.role) ?? new Set<Privilege>();
    const money = moneyApprovalsIn(privileges);
    if (money.length > 0 && await isBootstrapOperator(tx, input.principalId)) return bootstrapMoneyFailure(`role ${input.role}`, money);
    const broken = violatedExclusions(unionOf(await grantsIn(tx, input.principalId), privileges), await exclusionsIn(tx));
    if (broken.length > 0) return sodFailure(`principal ${input.principalId}`, broken);
    const nowMs = clock.nowMs();
    const participant = input.participant ?? UNSCOPED;
    const inserted = await rbacTables(tx).insertInto('principal_roles').values({
      principal_id: input.principalId, principal_kind: input.principalKind, role: input.role, participant, granted_at_ms: nowMs, granted_by: by,
    }).onConflict((oc) => oc.columns(['principal_id', 'role', 'participant']).doNothing()).returning('role').executeTakeFirst();
    if (inserted === undefined) return fail('3000', `${input.principalId} already holds ${input.role}${input.participant === null ? '' : ` for ${input.participant}`}`);
    return ok({ ...input, grantedAtMs: nowMs, grantedBy: by });
  });
}


export function createRbacStore(context: RbacContext) {
  const { db, clock } = context;
  const defineRoleIn = (input: RoleInput, by: string) => defineRole(context, input, by);

  const exclusions = () => exclusionsIn(db);
  const grantsOf = (principalId: string) => grantsIn(db, principalId);

  async function listRoles(): Promise<RoleDefinition[]> {
    const roles = await rbacTables(db).selectFrom('roles').select(['name', 'description']).orderBy('name').execute();
    const privileges = await privilegesOfRoles(db, roles.map((r) => r.name));
    return roles.map((r) => ({ name: r.name, description: r.description, privileges: [...(privileges.get(r.name) ?? [])].sort() }));
  }

  async function revoke(input: { principalId: string; role: string; participant: string | null }): Promise<FspiopResult<void>> {
    const removed = await rbacTables(db).deleteFrom('principal_roles').where('principal_id', '=', input.principalId).where('role', '=', input.role)
      .where('participant', '=', input.participant ?? UNSCOPED).executeTakeFirst();
    return removed.numDeletedRows === 0n ? fail('3200', `${input.principalId} does not hold ${input.role}`) : ok(undefined);
  }

  async function listGrants(principalId?: string): Promise<GrantRecord[]> {
    let query = rbacTables(db).selectFrom('principal_roles').selectAll().orderBy('principal_id').orderBy('role').orderBy('participant');
    if (principalId !== undefined) query = query.where('principal_id', '=', principalId);
    return (await query.execute()).map((r) => ({
      principalId: r.principal_id, principalKind: r.principal_kind, role: r.role, participant: r.participant === UNSCOPED ? null : r.participant,
      grantedAtMs: r.granted_at_ms, grantedBy: r.granted_by,
    }));
  }

  async function addExclusion(a: string, b: string, by: string): Promise<FspiopResult<Exclusion>> {
    if (!isPrivilege(a) || !isPrivilege(b) || a === b) return fail('3100', 'an exclusion names two different privileges');
    const e = normaliseExclusion(a, b);
    const inserted = await rbacTables(db).insertInto('sod_exclusions').values({ privilege_a: e.a, privilege_b: e.b, created_at_ms: clock.nowMs(), created_by: by })
      .onConflict((oc) => oc.columns(['privilege_a', 'privilege_b']).doNothing()).returning('privilege_a').executeTakeFirst();
    return inserted === undefined ? fail('3000', `${describeExclusion(e)} is already excluded`) : ok(e);
  }

  async function removeExclusion(a: string, b: string): Promise<FspiopResult<void>> {
    if (!isPrivilege(a) || !isPrivilege(b)) return fail('3100', 'an exclusion names two privileges');
    const e = normaliseExclusion(a, b);
    const removed = await rbacTables(db).deleteFrom('sod_exclusions').where('privilege_a', '=', e.a).where('privilege_b', '=', e.b).executeTakeFirst();
    return removed.numDeletedRows === 0n ? fail('3200', `${describeExclusion(e)} is not an exclusion`) : ok(undefined);
  }

  /** Principals other than `except` that hold `privilege` through any grant. */
  async function holdersOf(privilege: Privilege, except: string): Promise<string[]> {
    const rows = await rbacTables(db).selectFrom('principal_roles').innerJoin('role_privileges', 'role_privileges.role', 'principal_roles.role')
      .select('principal_roles.principal_id').distinct().where('role_privileges.privilege', '=', privilege).where('principal_roles.principal_id', '<>', except).execute();
    return rows.map((r) => r.principal_id);
  }

  /** The default roles and exclusions, at first start only (later changes are the operators'). */
  async function seedDefaults(by: string): Promise<void> {
    const nowMs = clock.nowMs();
    for (const e of defaultExclusions()) {
      await rbacTables(db).insertInto('sod_exclusions').values({ privilege_a: e.a, privilege_b: e.b, created_at_ms: nowMs, created_by: by })
        .onConflict((oc) => oc.columns(['privilege_a', 'privilege_b']).doNothing()).execute();
    }
    for (const role of DEFAULT_ROLES) {
      const exists = await rbacTables(db).selectFrom('roles').select('name').where('name', '=', role.name).executeTakeFirst();
      if (exists !== undefined) continue;
      const defined = await defineRoleIn({ name: role.name, description: role.description, privileges: role.privileges }, by);
      if (!defined.ok) throw new Error(`default role ${role.name}: ${defined.error.detail}`);
    }
  }

  return {
    exclusions, grantsOf, listRoles, defineRole: defineRoleIn, grant: (input: GrantInput, by: string) => grantRole(context, input, by), revoke, listGrants, addExclusion, removeExclusion, holdersOf, seedDefaults,
  };
}

export type RbacStore = ReturnType<typeof createRbacStore>;

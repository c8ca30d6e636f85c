// The gateway's per-participant policies as data (migration 0031): IP
// allow-list entries and API permissions. The admin API changes them only
// through maker-checker (operator/gateway_routes.ts, guarded in
// operator/guarded_services.ts); each row records when it was written, who
// asked (the change request's maker) and the change request that carried it.
// Every change bumps its policy's version in the same transaction, which is
// how the in-memory checks (ip_allowlist.ts, api_permissions.ts) learn, with a
// one-row read, that they must read again.
//
// The Hub has neither: it never calls the FSPIOP API.
import type { Kysely } from 'kysely';
import { fail, type FspiopResult, API_ROLES, FSPIOP_APIS, type ApiRole, type FspiopApi, HUB_PARTICIPANT_NAME } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { findParticipant, lockParticipant } from '../../participants/index.ts';
import { ownTables, runRefusable, type Db, type Engine } from '../../storage/index.ts';
import type { Clock, AddressFamily } from '../../support/index.ts';
import { ALL_API_GRANTS, parseApiGrants, type ApiGrants } from './api_permissions.ts';
import { parseAllowlistEntries, type IpAllowlistEntry } from './ip_allowlist.ts';

export const GATEWAY_POLICIES = ['ip-allowlist', 'api-permissions'] as const;
export type GatewayPolicy = (typeof GATEWAY_POLICIES)[number];

export interface ParticipantIpAllowlistTable {
  participant: string;
  /** Canonical CIDR text (support/ip_address.ts parseCidr). */
  cidr: string;
  family: AddressFamily;
  description: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  /** The maker of the change request that last wrote the row. */
  changed_by: string;
  change_request_id: string | null;
}

/** A participant whose permissions were stored: from then on exactly its rows below hold. */
export interface ParticipantApiPermissionSetsTable {
  participant: string;
  updated_at_ms: number;
  changed_by: string;
  change_request_id: string | null;
}

export interface ParticipantApiPermissionsTable {
  participant: string;
  api: FspiopApi;
  role: ApiRole;
}

export interface GatewayPolicyVersionsTable {
  policy: GatewayPolicy;
  version: number;
}

/** The gateway's own tables (migration 0031). */
export interface GatewayTables {
  participant_ip_allowlist: ParticipantIpAllowlistTable;
  participant_api_permission_sets: ParticipantApiPermissionSetsTable;
  participant_api_permissions: ParticipantApiPermissionsTable;
  gateway_policy_versions: GatewayPolicyVersionsTable;
}
export const gatewayTables = ownTables<GatewayTables>();

export interface IpAllowlistRecord {
  readonly cidr: string;
  readonly description: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly changedBy: string;
  readonly changeRequestId: string | null;
}

export interface ApiPermissionsRecord {
  /** False: nothing stored, the default (every API in both roles) holds. */
  readonly configured: boolean;
  readonly permissions: ApiGrants;
  readonly updatedAtMs: number | null;
  readonly changedBy: string | null;
  readonly changeRequestId: string | null;
}

/** Who changes a policy: the change request's maker, and the change request (null outside maker-checker, e.g. tooling). */
export interface PolicyChange {
  readonly by: string;
  readonly changeRequestId: string | null;
}

/** Every participant's allow-list entries (canonical CIDR text); participants with none are absent. */
export type IpAllowlistLists = ReadonlyMap<string, readonly string[]>;
/** Every participant with stored permissions; the others have ALL_API_GRANTS. */
export type ApiPermissionGrants = ReadonlyMap<string, ApiGrants>;

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
}

function allowlistRecordOf(row: ParticipantIpAllowlistTable): IpAllowlistRecord {
  return {
    cidr: row.cidr, description: row.description, createdAtMs: row.created_at_ms, updatedAtMs: row.updated_at_ms,
    changedBy: row.changed_by, changeRequestId: row.change_request_id,
  };
}

function grantsOf(rows: readonly { api: FspiopApi; role: ApiRole }[]): ApiGrants {
  const grants = {} as Record<FspiopApi, readonly ApiRole[]>;
  for (const api of FSPIOP_APIS) grants[api] = API_ROLES.filter((role) => rows.some((r) => r.api === api && r.role === role));
  return grants;
}

export const HUB_HAS_NO_GATEWAY_POLICY = 'the Hub does not call the FSPIOP API: it has no IP allow-list or API permissions';

/** The gateway's tables, on the database or in a transaction. */
type Policies = Kysely<GatewayTables>;
const participantMissing = (participant: string) => fail('3200', `participant ${participant} does not exist`);

async function version(db: Db, policy: GatewayPolicy): Promise<number> {
  const row = await gatewayTables(db).selectFrom('gateway_policy_versions').select('version').where('policy', '=', policy).executeTakeFirst();
  // The migration seeds both rows; a missing one is a database changed behind the hub's back.
  if (row === undefined) throw new Error(`gateway_policy_versions has no row for ${policy}`);
  return row.version;
}

async function bumpVersion(tables: Policies, policy: GatewayPolicy): Promise<void> {
  await tables.updateTable('gateway_policy_versions').set((eb) => ({ version: eb('version', '+', 1) })).where('policy', '=', policy).execute();
}

/** A participant's allow-list entries, by family then range. */
async function ipAllowlist(db: Db, participant: string): Promise<FspiopResult<IpAllowlistRecord[]>> {
  if ((await findParticipant(db, participant)) === undefined) return participantMissing(participant);
  const rows = await gatewayTables(db).selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant)
    .orderBy('family').orderBy('cidr').execute();
  return ok(rows.map(allowlistRecordOf));
}

/** Writes the difference between the stored list and `entries`: a range kept keeps its creation time; a changed description updates its row. */
async function writeAllowlist(tables: Policies, participant: string, entries: readonly IpAllowlistEntry[], change: PolicyChange, nowMs: number): Promise<void> {
  const existing = new Map((await tables.selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant).execute()).map((r) => [r.cidr, r]));
  const wanted = new Set(entries.map((e) => e.cidr.cidr));
  const stale = [...existing.keys()].filter((cidr) => !wanted.has(cidr));
  if (stale.length > 0) await tables.deleteFrom('participant_ip_allowlist').where('participant', '=', participant).where('cidr', 'in', stale).execute();
  const written = { updated_at_ms: nowMs, changed_by: change.by, change_request_id: change.changeRequestId };
  const added: ParticipantIpAllowlistTable[] = [];
  for (const entry of entries) {
    const kept = existing.get(entry.cidr.cidr);
    if (kept === undefined) {
      added.push({ participant, cidr: entry.cidr.cidr, family: entry.cidr.family, description: entry.description, created_at_ms: nowMs, ...written });
    } else if (kept.description !== entry.description) {
      await tables.updateTable('participant_ip_allowlist').set({ description: entry.description, ...written })
        .where('participant', '=', participant).where('cidr', '=', entry.cidr.cidr).execute();
    }
  }
  if (added.length > 0) await tables.insertInto('participant_ip_allowlist').values(added).execute();
}

/**
 * Replaces a participant's whole allow-list with `entries` ({cidr,
 * description?}, validated here whatever the caller checked).
 */
async function replaceIpAllowlist(deps: Deps, participant: string, entries: unknown, change: PolicyChange): Promise<FspiopResult<IpAllowlistRecord[]>> {
  if (participant === HUB_PARTICIPANT_NAME) return fail('3000', HUB_HAS_NO_GATEWAY_POLICY);
  const parsed = parseAllowlistEntries(entries);
  if (!parsed.ok) return fail('3100', parsed.error);
  const nowMs = deps.clock.nowMs();
  return runRefusable(deps.db, deps.engine, async (tx): Promise<FspiopResult<IpAllowlistRecord[]>> => {
    // Locking the participant's row serialises changes per participant.
    if (!(await lockParticipant(tx, deps.engine, participant))) return participantMissing(participant);
    const tables = gatewayTables(tx);
    await writeAllowlist(tables, participant, parsed.value, change, nowMs);
    await bumpVersion(tables, 'ip-allowlist');
    const rows = await tables.selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant).orderBy('family').orderBy('cidr').execute();
    return ok(rows.map(allowlistRecordOf));
  });
}

async function apiPermissions(db: Db, participant: string): Promise<FspiopResult<ApiPermissionsRecord>> {
  if ((await findParticipant(db, participant)) === undefined) return participantMissing(participant);
  const tables = gatewayTables(db);
  const set = await tables.selectFrom('participant_api_permission_sets').selectAll().where('participant', '=', participant).executeTakeFirst();
  if (set === undefined) return ok({ configured: false, permissions: ALL_API_GRANTS, updatedAtMs: null, changedBy: null, changeRequestId: null });
  const rows = await tables.selectFrom('participant_api_permissions').select(['api', 'role']).where('participant', '=', participant).execute();
  return ok({ configured: true, permissions: grantsOf(rows), updatedAtMs: set.updated_at_ms, changedBy: set.changed_by, changeRequestId: set.change_request_id });
}

/** Stores a participant's permissions ({lookup: [roles], quotes: [roles], transfers: [roles]}, validated here): exactly these hold from now on. */
async function replaceApiPermissions(deps: Deps, participant: string, permissions: unknown, change: PolicyChange): Promise<FspiopResult<ApiPermissionsRecord>> {
  if (participant === HUB_PARTICIPANT_NAME) return fail('3000', HUB_HAS_NO_GATEWAY_POLICY);
  const parsed = parseApiGrants(permissions);
  if (!parsed.ok) return fail('3100', parsed.error);
  const nowMs = deps.clock.nowMs();
  return runRefusable(deps.db, deps.engine, async (tx): Promise<FspiopResult<ApiPermissionsRecord>> => {
    if (!(await lockParticipant(tx, deps.engine, participant))) return participantMissing(participant);
    const tables = gatewayTables(tx);
    const set = { updated_at_ms: nowMs, changed_by: change.by, change_request_id: change.changeRequestId };
    await tables.insertInto('participant_api_permission_sets').values({ participant, ...set })
      .onConflict((oc) => oc.column('participant').doUpdateSet(set)).execute();
    await tables.deleteFrom('participant_api_permissions').where('participant', '=', participant).execute();
    const rows = FSPIOP_APIS.flatMap((api) => parsed.value[api].map((role) => ({ participant, api, role })));
    if (rows.length > 0) await tables.insertInto('participant_api_permissions').values(rows).execute();
    await bumpVersion(tables, 'api-permissions');
    return ok({ configured: true, permissions: parsed.value, updatedAtMs: nowMs, changedBy: change.by, changeRequestId: change.changeRequestId });
  });
}

/** Every allow-list, with the version read before it (policy_store_cache.ts). */
async function ipAllowlistSnapshot(db: Db): Promise<{ version: number; lists: IpAllowlistLists }> {
  const at = await version(db, 'ip-allowlist');
  const rows = await gatewayTables(db).selectFrom('participant_ip_allowlist').select(['participant', 'cidr']).orderBy('participant').orderBy('cidr').execute();
  const lists = new Map<string, string[]>();
  for (const row of rows) {
    const list = lists.get(row.participant);
    if (list === undefined) lists.set(row.participant, [row.cidr]);
    else list.push(row.cidr);
  }
  return { version: at, lists };
}

/** Every stored set of permissions, with the version read before them. */
async function apiPermissionsSnapshot(db: Db): Promise<{ version: number; grants: ApiPermissionGrants }> {
  const at = await version(db, 'api-permissions');
  const tables = gatewayTables(db);
  const sets = await tables.selectFrom('participant_api_permission_sets').select('participant').execute();
  const rows = await tables.selectFrom('participant_api_permissions').select(['participant', 'api', 'role']).execute();
  const byParticipant = new Map<string, { api: FspiopApi; role: ApiRole }[]>(sets.map((s) => [s.participant, []]));
  for (const row of rows) byParticipant.get(row.participant)?.push(row);
  return { version: at, grants: new Map([...byParticipant].map(([participant, granted]) => [participant, grantsOf(granted)])) };
}

export function createGatewayPolicyStore(deps: Deps) {
  const { db } = deps;
  return {
    version: (policy: GatewayPolicy) => version(db, policy),
    ipAllowlist: (participant: string) => ipAllowlist(db, participant),
    replaceIpAllowlist: (participant: string, entries: unknown, change: PolicyChange) => replaceIpAllowlist(deps, participant, entries, change),
    apiPermissions: (participant: string) => apiPermissions(db, participant),
    replaceApiPermissions: (participant: string, permissions: unknown, change: PolicyChange) => replaceApiPermissions(deps, participant, permissions, change),
    ipAllowlistSnapshot: () => ipAllowlistSnapshot(db),
    apiPermissionsSnapshot: () => apiPermissionsSnapshot(db),
  };
}

export type GatewayPolicyStore = ReturnType<typeof createGatewayPolicyStore>;

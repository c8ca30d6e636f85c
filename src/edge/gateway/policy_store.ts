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
import { fail, type FspiopResult } from '../../fspiop/errors.ts';
import { ok } from '../../support/result.ts';
import { HUB_PARTICIPANT_NAME } from '../../participants/index.ts';
import { runRefusable, type Db, type Engine } from '../../storage/index.ts';
import type { Clock } from '../../support/clock.ts';
import { ALL_API_GRANTS, parseApiGrants, type ApiGrants } from './api_permissions.ts';
import { API_ROLES, FSPIOP_APIS, type ApiRole, type FspiopApi } from './apis.ts';
import type { AddressFamily } from '../../support/ip_address.ts';
import { parseAllowlistEntries } from './ip_allowlist.ts';

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

declare module '../../storage/schema.ts' {
  interface Schema {
    participant_ip_allowlist: ParticipantIpAllowlistTable;
    participant_api_permission_sets: ParticipantApiPermissionSetsTable;
    participant_api_permissions: ParticipantApiPermissionsTable;
    gateway_policy_versions: GatewayPolicyVersionsTable;
  }
}

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

export function createGatewayPolicyStore({ db, engine, clock }: Deps) {
  async function participantExists(name: string): Promise<boolean> {
    return (await db.selectFrom('participants').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
  }

  async function version(policy: GatewayPolicy): Promise<number> {
    const row = await db.selectFrom('gateway_policy_versions').select('version').where('policy', '=', policy).executeTakeFirst();
    // The migration seeds both rows; a missing one is a database changed behind the hub's back.
    if (row === undefined) throw new Error(`gateway_policy_versions has no row for ${policy}`);
    return row.version;
  }

  /** A participant's allow-list entries, by family then range. */
  async function ipAllowlist(participant: string): Promise<FspiopResult<IpAllowlistRecord[]>> {
    if (!(await participantExists(participant))) return fail('3200', `participant ${participant} does not exist`);
    const rows = await db.selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant)
      .orderBy('family').orderBy('cidr').execute();
    return ok(rows.map(allowlistRecordOf));
  }

  /**
   * Replaces a participant's whole allow-list with `entries` ({cidr,
   * description?}, validated here whatever the caller checked). A range kept
   * keeps its creation time; a changed description updates its row.
   */
  async function replaceIpAllowlist(participant: string, entries: unknown, change: PolicyChange): Promise<FspiopResult<IpAllowlistRecord[]>> {
    if (participant === HUB_PARTICIPANT_NAME) return fail('3000', HUB_HAS_NO_GATEWAY_POLICY);
    const parsed = parseAllowlistEntries(entries);
    if (!parsed.ok) return fail('3100', parsed.error);
    const nowMs = clock.nowMs();
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<IpAllowlistRecord[]>> => {
      // Locking the participant's row serialises changes per participant on PostgreSQL (SQLite runs one writer at a time).
      let owner = tx.selectFrom('participants').select('id').where('name', '=', participant);
      if (engine === 'postgres') owner = owner.forUpdate();
      if ((await owner.executeTakeFirst()) === undefined) return fail('3200', `participant ${participant} does not exist`);
      const existing = new Map((await tx.selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant).execute()).map((r) => [r.cidr, r]));
      const wanted = new Set(parsed.value.map((e) => e.cidr.cidr));
      const stale = [...existing.keys()].filter((cidr) => !wanted.has(cidr));
      if (stale.length > 0) await tx.deleteFrom('participant_ip_allowlist').where('participant', '=', participant).where('cidr', 'in', stale).execute();
      const added: ParticipantIpAllowlistTable[] = [];
      for (const entry of parsed.value) {
        const kept = existing.get(entry.cidr.cidr);
        if (kept === undefined) {
          added.push({
            participant, cidr: entry.cidr.cidr, family: entry.cidr.family, description: entry.description,
            created_at_ms: nowMs, updated_at_ms: nowMs, changed_by: change.by, change_request_id: change.changeRequestId,
          });
        } else if (kept.description !== entry.description) {
          await tx.updateTable('participant_ip_allowlist')
            .set({ description: entry.description, updated_at_ms: nowMs, changed_by: change.by, change_request_id: change.changeRequestId })
            .where('participant', '=', participant).where('cidr', '=', entry.cidr.cidr).execute();
        }
      }
      if (added.length > 0) await tx.insertInto('participant_ip_allowlist').values(added).execute();
      await tx.updateTable('gateway_policy_versions').set((eb) => ({ version: eb('version', '+', 1) })).where('policy', '=', 'ip-allowlist').execute();
      const rows = await tx.selectFrom('participant_ip_allowlist').selectAll().where('participant', '=', participant).orderBy('family').orderBy('cidr').execute();
      return ok(rows.map(allowlistRecordOf));
    });
  }

  async function apiPermissions(participant: string): Promise<FspiopResult<ApiPermissionsRecord>> {
    if (!(await participantExists(participant))) return fail('3200', `participant ${participant} does not exist`);
    const set = await db.selectFrom('participant_api_permission_sets').selectAll().where('participant', '=', participant).executeTakeFirst();
    if (set === undefined) return ok({ configured: false, permissions: ALL_API_GRANTS, updatedAtMs: null, changedBy: null, changeRequestId: null });
    const rows = await db.selectFrom('participant_api_permissions').select(['api', 'role']).where('participant', '=', participant).execute();
    return ok({ configured: true, permissions: grantsOf(rows), updatedAtMs: set.updated_at_ms, changedBy: set.changed_by, changeRequestId: set.change_request_id });
  }

  /** Stores a participant's permissions ({lookup: [roles], quotes: [roles], transfers: [roles]}, validated here): exactly these hold from now on. */
  async function replaceApiPermissions(participant: string, permissions: unknown, change: PolicyChange): Promise<FspiopResult<ApiPermissionsRecord>> {
    if (participant === HUB_PARTICIPANT_NAME) return fail('3000', HUB_HAS_NO_GATEWAY_POLICY);
    const parsed = parseApiGrants(permissions);
    if (!parsed.ok) return fail('3100', parsed.error);
    const nowMs = clock.nowMs();
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<ApiPermissionsRecord>> => {
      let owner = tx.selectFrom('participants').select('id').where('name', '=', participant);
      if (engine === 'postgres') owner = owner.forUpdate();
      if ((await owner.executeTakeFirst()) === undefined) return fail('3200', `participant ${participant} does not exist`);
      const set = { updated_at_ms: nowMs, changed_by: change.by, change_request_id: change.changeRequestId };
      await tx.insertInto('participant_api_permission_sets').values({ participant, ...set })
        .onConflict((oc) => oc.column('participant').doUpdateSet(set)).execute();
      await tx.deleteFrom('participant_api_permissions').where('participant', '=', participant).execute();
      const rows = FSPIOP_APIS.flatMap((api) => parsed.value[api].map((role) => ({ participant, api, role })));
      if (rows.length > 0) await tx.insertInto('participant_api_permissions').values(rows).execute();
      await tx.updateTable('gateway_policy_versions').set((eb) => ({ version: eb('version', '+', 1) })).where('policy', '=', 'api-permissions').execute();
      return ok({ configured: true, permissions: parsed.value, updatedAtMs: nowMs, changedBy: change.by, changeRequestId: change.changeRequestId });
    });
  }

  /** Every allow-list, with the version read before it (policy_store_cache.ts). */
  async function ipAllowlistSnapshot(): Promise<{ version: number; lists: IpAllowlistLists }> {
    const at = await version('ip-allowlist');
    const rows = await db.selectFrom('participant_ip_allowlist').select(['participant', 'cidr']).orderBy('participant').orderBy('cidr').execute();
    const lists = new Map<string, string[]>();
    for (const row of rows) {
      const list = lists.get(row.participant);
      if (list === undefined) lists.set(row.participant, [row.cidr]);
      else list.push(row.cidr);
    }
    return { version: at, lists };
  }

  /** Every stored set of permissions, with the version read before them. */
  async function apiPermissionsSnapshot(): Promise<{ version: number; grants: ApiPermissionGrants }> {
    const at = await version('api-permissions');
    const sets = await db.selectFrom('participant_api_permission_sets').select('participant').execute();
    const rows = await db.selectFrom('participant_api_permissions').select(['participant', 'api', 'role']).execute();
    const byParticipant = new Map<string, { api: FspiopApi; role: ApiRole }[]>(sets.map((s) => [s.participant, []]));
    for (const row of rows) byParticipant.get(row.participant)?.push(row);
    return { version: at, grants: new Map([...byParticipant].map(([participant, granted]) => [participant, grantsOf(granted)])) };
  }

  return { version, ipAllowlist, replaceIpAllowlist, apiPermissions, replaceApiPermissions, ipAllowlistSnapshot, apiPermissionsSnapshot };
}

export type GatewayPolicyStore = ReturnType<typeof createGatewayPolicyStore>;

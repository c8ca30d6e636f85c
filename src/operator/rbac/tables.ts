// The RBAC tables (migration 0011) and rbac's own view of them (rbacTables).
import { ownTables } from '../../storage/index.ts';

/** principal_roles.participant of a grant that is not scoped to one participant ('*' is not a participant name). */
export const UNSCOPED = '*';

export interface RolesTable {
  name: string;
  description: string;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
}

export interface RolePrivilegesTable {
  role: string;
  privilege: string;
}

export interface PrincipalRolesTable {
  principal_id: string;
  principal_kind: 'operator' | 'client';
  role: string;
  participant: string;
  granted_at_ms: number;
  granted_by: string;
}

export interface SodExclusionsTable {
  privilege_a: string;
  privilege_b: string;
  created_at_ms: number;
  created_by: string;
}

export interface RbacTables {
  roles: RolesTable;
  role_privileges: RolePrivilegesTable;
  principal_roles: PrincipalRolesTable;
  sod_exclusions: SodExclusionsTable;
}

export const rbacTables = ownTables<RbacTables>();


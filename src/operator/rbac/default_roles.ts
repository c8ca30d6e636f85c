// The roles a hub starts with (seeded once, at first start; operators change
// them afterwards through change requests). Makers and checkers are separate
// roles, so that the default exclusions can hold: nobody is given both.
import { CHANGE_FUNCTIONS, PRIVILEGES, approvePrivilege, approvesMoney, isReadPrivilege, requestPrivilege, type ChangeFunction, type Privilege } from './privileges.ts';

export interface RoleDefinition {
  readonly name: string;
  readonly description: string;
  readonly privileges: readonly Privilege[];
}

/** Functions of identity and access management; the rest are the scheme's operations. */
const IAM_FUNCTIONS: readonly ChangeFunction[] = [
  'OPERATOR_CREATE', 'OPERATOR_STATUS', 'OPERATOR_CREDENTIAL_RESET', 'CLIENT_CREATE', 'CLIENT_STATUS',
  'ROLE_DEFINE', 'ROLE_GRANT', 'ROLE_REVOKE', 'SOD_CHANGE', 'APPROVAL_POLICY_CHANGE',
];
const OPERATIONS_FUNCTIONS = CHANGE_FUNCTIONS.filter((fn) => !IAM_FUNCTIONS.includes(fn));

const READS = [...PRIVILEGES.keys()].filter(isReadPrivilege);
// Each is on route_inventory.ts's list of non-sensitive routes, with why it needs no second person.
const OPERATIONS_DIRECT: readonly Privilege[] = [
  'HUB_ACCOUNT_CREATE', 'FUNDS_OUT_COMMIT', 'FUNDS_OUT_ABORT',
  'SETTLEMENT_WINDOW_CLOSE', 'SETTLEMENT_CREATE', 'SETTLEMENT_RECORD', 'SETTLEMENT_CONFIRM', 'RISK_RULES_DRAFT', 'RISK_CASE_WORK',
];

export const BOOTSTRAP_ROLE = 'bootstrap-admin';

export const DEFAULT_ROLES: readonly RoleDefinition[] = [
  {
    name: 'operations-maker',
    description: 'onboards and runs participants: requests every sensitive change, runs the direct ones',
    privileges: [...READS, ...OPERATIONS_DIRECT, 'CHANGE_REQUEST_CANCEL', ...OPERATIONS_FUNCTIONS.map(requestPrivilege)],
  },
  {
    name: 'operations-checker',
    description: 'approves or rejects the operations makers\' change requests',
    privileges: [...READS, 'CHANGE_REQUEST_DECIDE', ...OPERATIONS_FUNCTIONS.map(approvePrivilege)],
  },
  {
    name: 'security-admin',
    description: 'requests operator, client, role and policy changes; ends sessions',
    privileges: [...READS, 'SESSION_REVOKE', 'CHANGE_REQUEST_CANCEL', ...IAM_FUNCTIONS.map(requestPrivilege)],
  },
  {
    name: 'security-approver',
    description: 'approves or rejects the security admins\' change requests; ends sessions',
    privileges: [...READS, 'SESSION_REVOKE', 'CHANGE_REQUEST_DECIDE', ...IAM_FUNCTIONS.map(approvePrivilege)],
  },
  {
    // Analysts read the decisions and their traces without the rules' thresholds (no RISK_RULES_READ), and ask
    // for list changes; a checker of the operations team approves them.
    name: 'risk-analyst',
    description: 'reads the FRMS decisions (thresholds redacted) and lists; requests deny, watch and allow list changes',
    privileges: ['RISK_DECISIONS_READ', 'RISK_LISTS_READ', 'CHANGE_REQUEST_READ', 'CHANGE_REQUEST_CANCEL', requestPrivilege('RISK_LIST_CHANGE'), requestPrivilege('RISK_ALLOWLIST_CHANGE')],
  },
  {
    name: 'auditor',
    description: 'reads everything, changes nothing',
    privileges: READS,
  },
  {
    // The first operator: just enough to create the first team (see bootstrap.ts).
    name: BOOTSTRAP_ROLE,
    description: 'the administrator created at first start: creates the first operators and grants them roles',
    privileges: [...READS, 'OPERATOR_CREATE_REQUEST', 'ROLE_GRANT_REQUEST', 'CLIENT_CREATE_REQUEST'],
  },
];

/**
 * What the bootstrap administrator's requests may do at once, while its window
 * is open (bootstrap.ts): create operators, and grant operators other than
 * itself these roles — the IAM team that takes over through maker-checker.
 * Never automation clients (it would hold their keys), never operations roles.
 */
export const BOOTSTRAP_FUNCTIONS: readonly ChangeFunction[] = ['OPERATOR_CREATE', 'ROLE_GRANT'];
export const BOOTSTRAP_GRANTABLE_ROLES: readonly string[] = ['security-admin', 'security-approver'];

/** A role the bootstrap administrator may hold: nothing that approves a funds movement (checked here, at seeding and at ROLE_DEFINE). */
export function moneyApprovalsIn(privileges: Iterable<Privilege>): Privilege[] {
  return [...privileges].filter(approvesMoney);
}

for (const role of DEFAULT_ROLES) {
  if ((role.name === BOOTSTRAP_ROLE || BOOTSTRAP_GRANTABLE_ROLES.includes(role.name)) && moneyApprovalsIn(role.privileges).length > 0) {
    throw new Error(`default role ${role.name} must not approve funds movements: the bootstrap administrator holds or grants it alone`);
  }
}

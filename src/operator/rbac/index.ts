// Role-based access control: privileges (code constants), roles and grants
// (operator-defined, optionally for one participant), separation of duties,
// and the domain guards.
export { CHANGE_FUNCTIONS, PRIVILEGES, isPrivilege, isChangeFunction, isReadPrivilege, requestPrivilege, approvePrivilege, type ChangeFunction, type Privilege } from './privileges.ts';
export { decide, decideAny, heldPrivileges, type Grant, type Principal, type Decision } from './authorize.ts';
export { defaultExclusions, violatedExclusions, normaliseExclusion, type Exclusion } from './sod.ts';
export { createRbacStore, type RbacStore } from './store.ts';
export { DEFAULT_ROLES, BOOTSTRAP_ROLE } from './default_roles.ts';
export { guarded, withAuthority, currentAuthority, GuardViolation, type Authority, type GuardRule } from './guard.ts';

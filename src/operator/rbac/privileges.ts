// Privileges are code constants, one per admin action: a route declares the
// one it needs, the domain layer checks it again, and roles (operator-defined,
// stored in the database) are sets of these names. A name the code does not
// know is refused wherever a role is defined, so a typo never grants nothing
// silently or, worse, something unintended later.
//
// Sensitive functions go through maker-checker: each has a _REQUEST privilege
// (the maker's) and an _APPROVE privilege (the checker's), and the default
// separation-of-duties exclusions forbid one principal from holding both.

/** Functions that become change requests: one person makes, another approves. */
export const CHANGE_FUNCTIONS = [
  'PARTICIPANT_CREATE',
  'PARTICIPANT_STATUS',
  'ACCOUNT_STATUS',
  'FUNDS_IN',
  'FUNDS_OUT',
  'INITIAL_POSITION_AND_LIMITS',
  'NDC_CHANGE',
  'ENDPOINT_CHANGE',
  'SIGNING_KEY_REGISTER',
  'SIGNING_KEY_REVOKE',
  /** The scheme PKI: issue or renew a participant certificate. */
  'CERTIFICATE_CHANGE',
  'CERTIFICATE_REVOKE',
  /** The API gateway: a participant's IP allow-list, and the FSPIOP APIs and roles it may use. */
  'IP_ALLOWLIST_CHANGE',
  'API_PERMISSIONS_CHANGE',
  /** Settlement models: whether the liquidity check runs, and which model covers a currency. */
  'SETTLEMENT_MODEL_CREATE',
  'SETTLEMENT_MODEL_STATUS',
  /** Settlement steps that move money: reserve, commit, or release (abort) the participants' net settlement movements. */
  'SETTLEMENT_RESERVE',
  'SETTLEMENT_COMMIT',
  'SETTLEMENT_ABORT',
  /** The FRMS: promote a rule set version (SHADOW, LIVE, RETIRED); change the deny and watch lists; change the allow list (an override); release a held transfer (its prepare is forwarded to the payee). */
  'RISK_RULE_SET_PROMOTE',
  'RISK_LIST_CHANGE',
  'RISK_ALLOWLIST_CHANGE',
  'RISK_HOLD_RELEASE',
  'OPERATOR_CREATE',
  'OPERATOR_STATUS',
  'OPERATOR_CREDENTIAL_RESET',
  'CLIENT_CREATE',
  'CLIENT_STATUS',
  'ROLE_DEFINE',
  'ROLE_GRANT',
  'ROLE_REVOKE',
  'SOD_CHANGE',
  'APPROVAL_POLICY_CHANGE',
] as const;
export type ChangeFunction = (typeof CHANGE_FUNCTIONS)[number];

/** Privileges of actions that take effect at once: reads, and writes that need no second person. */
const DIRECT_PRIVILEGES = {
  PARTICIPANT_READ: 'read participants and their accounts list',
  ACCOUNT_READ: 'read balances, positions and funds transfers',
  ENDPOINT_READ: 'read participants\' callback endpoints',
  LIMIT_READ: 'read net debit caps',
  SETTLEMENT_MODEL_READ: 'read settlement models',
  SETTLEMENT_READ: 'read settlement windows, settlements and their reports',
  SIGNING_KEY_READ: 'read participants\' signing keys',
  CERTIFICATE_READ: 'read the certificates the scheme CA issued',
  GATEWAY_POLICY_READ: 'read participants\' IP allow-lists and API permissions',
  AUDIT_READ: 'read the audit log: checkpoints, tiles, proofs and entries',
  CHANGE_REQUEST_READ: 'read change requests',
  // The FRMS: its rule sets with their thresholds, its lists (party keys only), and its decisions with their traces.
  RISK_RULES_READ: 'read the FRMS rule sets and, in decision traces, the rules\' thresholds and band bounds',
  RISK_LISTS_READ: 'read the FRMS deny, watch and allow lists, and key a party identifier to look it up',
  RISK_DECISIONS_READ: 'read the FRMS decisions and their traces',
  // A draft is enforced nowhere: only its promotion, a change request, gives it effect.
  RISK_RULES_DRAFT: 'save a new DRAFT version of an FRMS rule set',
  OPERATOR_READ: 'read operators, clients, roles, grants, exclusions and approval policies',
  HUB_ACCOUNT_CREATE: 'open the hub\'s own accounts in a currency',
  // Settlement steps that move no money: closing a window, netting windows into a settlement, recording its
  // transfers, and confirming that the settlement bank settled what was committed.
  SETTLEMENT_WINDOW_CLOSE: 'close the open settlement window (the next one opens)',
  SETTLEMENT_CREATE: 'net closed settlement windows into a settlement',
  SETTLEMENT_RECORD: 'record a settlement\'s transfers (PS_TRANSFERS_RECORDED)',
  SETTLEMENT_CONFIRM: 'confirm a committed settlement as SETTLED',
  // The reservation was approved by a second person; committing or releasing it completes that decision.
  FUNDS_OUT_COMMIT: 'commit an approved funds-out reservation',
  FUNDS_OUT_ABORT: 'release an approved funds-out reservation',
  // Revoking access is protective and must be fast in an incident: no second person.
  SESSION_REVOKE: 'end an operator\'s sessions and tokens',
  CHANGE_REQUEST_DECIDE: 'approve or reject change requests (with the function\'s _APPROVE privilege)',
  CHANGE_REQUEST_CANCEL: 'withdraw one\'s own pending change request',
  RISK_CASE_READ: 'read the FRMS\'s cases, with their decisions\' traces and their trails',
  // Working a case moves no money: assigning, noting, closing with an outcome, and confirming a hold as fraud
  // (protective: the held transfer is aborted and its reservation released, as its expiry would).
  RISK_CASE_WORK: 'assign, annotate, close FRMS cases, and confirm a held transfer as fraud (aborts it)',
} as const;

export type DirectPrivilege = keyof typeof DIRECT_PRIVILEGES;
export type Privilege = DirectPrivilege | `${ChangeFunction}_REQUEST` | `${ChangeFunction}_APPROVE`;

export function requestPrivilege(fn: ChangeFunction): Privilege {
  return `${fn}_REQUEST`;
}

export function approvePrivilege(fn: ChangeFunction): Privilege {
  return `${fn}_APPROVE`;
}

/**
 * Functions whose approval moves money or sets how much may move: funds in
 * and out, opening positions and net debit caps, settlement models (which
 * decide whether the liquidity check runs), the settlement steps that move money, and the release of a payment the
 * FRMS held. The bootstrap administrator never
 * holds the privilege to approve any of them (bootstrap.ts, store.ts).
 */
export const MONEY_FUNCTIONS: readonly ChangeFunction[] = [
  'FUNDS_IN', 'FUNDS_OUT', 'INITIAL_POSITION_AND_LIMITS', 'NDC_CHANGE', 'SETTLEMENT_MODEL_CREATE', 'SETTLEMENT_MODEL_STATUS',
  'SETTLEMENT_RESERVE', 'SETTLEMENT_COMMIT', 'SETTLEMENT_ABORT', 'RISK_HOLD_RELEASE',
];

/** Privileges that approve, or complete an approved, funds movement. */
export function approvesMoney(privilege: Privilege): boolean {
  return privilege === 'FUNDS_OUT_COMMIT' || privilege === 'FUNDS_OUT_ABORT' || MONEY_FUNCTIONS.some((fn) => approvePrivilege(fn) === privilege);
}

const describeFunction = (fn: ChangeFunction) => fn.toLowerCase().replaceAll('_', ' ');

/** Every privilege with what it allows, in a stable order. */
export const PRIVILEGES: ReadonlyMap<Privilege, string> = new Map<Privilege, string>([
  ...Object.entries(DIRECT_PRIVILEGES) as [DirectPrivilege, string][],
  ...CHANGE_FUNCTIONS.flatMap((fn): [Privilege, string][] => [
    [requestPrivilege(fn), `request: ${describeFunction(fn)}`],
    [approvePrivilege(fn), `approve or reject: ${describeFunction(fn)}`],
  ]),
]);

export function isPrivilege(value: unknown): value is Privilege {
  return typeof value === 'string' && PRIVILEGES.has(value as Privilege);
}

export function isChangeFunction(value: unknown): value is ChangeFunction {
  return typeof value === 'string' && (CHANGE_FUNCTIONS as readonly string[]).includes(value);
}

/** A read changes nothing; any other privilege makes a role privileged (its holders need a second factor). */
export function isReadPrivilege(privilege: Privilege): boolean {
  return privilege.endsWith('_READ');
}

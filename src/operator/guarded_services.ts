// Which admin-API use of each domain service needs what (rbac/guard.ts):
// the second, independent check behind every route's own declaration. A
// method missing here cannot be called by the admin API at all.
import type { GatewayPolicyStore } from '../edge/index.ts';
import type { createFunds, createLimits } from '../ledger/index.ts';
import type { ParticipantRegistry, SigningKeyRegistry } from '../participants/index.ts';
import type { PkiService } from '../pki/index.ts';
import type { RiskCases } from '../risk/index.ts';
import type { SettlementModels, SettlementReports, Settlements, SettlementWindows } from '../settlement/index.ts';
import type { ChangeRequests } from './change_requests/service.ts';
import type { ClientStore } from './iam/clients.ts';
import type { OperatorStore } from './iam/operators.ts';
import { guarded } from './rbac/guard.ts';
import type { RbacStore } from './rbac/store.ts';
import type { RiskAdminServices } from './risk_rule_routes.ts';

export interface DomainServices {
  registry: ParticipantRegistry;
  funds: ReturnType<typeof createFunds>;
  limits: ReturnType<typeof createLimits>;
  settlementModels: SettlementModels;
  settlementWindows: SettlementWindows;
  settlements: Settlements;
  settlementReports: SettlementReports;
  signingKeys: SigningKeyRegistry;
  pki: PkiService;
  riskCases: RiskCases;
  operators: OperatorStore;
  clients: ClientStore;
  rbac: RbacStore;
  changeRequests: ChangeRequests;
  gatewayPolicies: GatewayPolicyStore;
  revokeSessions: (operatorId: string) => Promise<number>;
}

/** The domain services the admin API calls: registry, ledger, settlement models, signing keys, PKI, the FRMS's cases, and its own. */
export function guardedServices(services: DomainServices): DomainServices {
  return {
    registry: guarded('registry', services.registry, {
      get: 'read', find: 'read', list: 'read', listEndpoints: 'read',
      createHubAccount: { privilege: 'HUB_ACCOUNT_CREATE' },
      create: { fn: 'PARTICIPANT_CREATE' },
      setActive: { fn: 'PARTICIPANT_STATUS' },
      setAccountActive: { fn: 'ACCOUNT_STATUS' },
      setEndpoint: { fn: 'ENDPOINT_CHANGE' },
    }),
    funds: guarded('funds', services.funds, {
      fundsStateOn: 'read',
      recordFundsIn: { fn: 'FUNDS_IN' },
      recordFundsOutPrepareReserve: { fn: 'FUNDS_OUT' },
      recordFundsOutCommit: { privilege: 'FUNDS_OUT_COMMIT' },
      recordFundsOutAbort: { privilege: 'FUNDS_OUT_ABORT' },
    }),
    limits: guarded('limits', services.limits, {
      list: 'read',
      initialPositionAndLimits: { fn: 'INITIAL_POSITION_AND_LIMITS' },
      setNetDebitCap: { fn: 'NDC_CHANGE' },
    }),
    settlementModels: guarded('settlementModels', services.settlementModels, {
      list: 'read', get: 'read', createRefusal: 'read', setActiveRefusal: 'read',
      create: { fn: 'SETTLEMENT_MODEL_CREATE' },
      setActive: { fn: 'SETTLEMENT_MODEL_STATUS' },
    }),
    settlementWindows: guarded('settlementWindows', services.settlementWindows, {
      open: 'read', get: 'read', list: 'read',
      close: { privilege: 'SETTLEMENT_WINDOW_CLOSE' },
    }),
    settlements: guarded('settlements', services.settlements, {
      get: 'read', list: 'read',
      create: { privilege: 'SETTLEMENT_CREATE' },
      record: { privilege: 'SETTLEMENT_RECORD' },
      reserve: { fn: 'SETTLEMENT_RESERVE' },
      commit: { fn: 'SETTLEMENT_COMMIT' },
      confirm: { privilege: 'SETTLEMENT_CONFIRM' },
      abort: { fn: 'SETTLEMENT_ABORT' },
    }),
    // Reads: the routes gate them (SETTLEMENT_READ, the reconciliation for its participant).
    settlementReports: guarded('settlementReports', services.settlementReports, {
      windowReport: 'read', settlementReport: 'read', reconciliation: 'read',
    }),
    signingKeys: guarded('signingKeys', services.signingKeys, {
      list: 'read', activeKeysOf: 'read',
      register: { fn: 'SIGNING_KEY_REGISTER' },
      revoke: { fn: 'SIGNING_KEY_REVOKE' },
    }),
    pki: guarded('pki', services.pki, {
      currentCrl: 'public',
      get: 'read', list: 'read', expiring: 'read', caExpiry: 'read',
      issue: { fn: 'CERTIFICATE_CHANGE' },
      renew: { fn: 'CERTIFICATE_CHANGE' },
      revoke: { fn: 'CERTIFICATE_REVOKE' },
    }),
    riskCases: guarded('riskCases', services.riskCases, {
      list: 'read', get: 'read', releaseRefusal: 'read',
      assign: { privilege: 'RISK_CASE_WORK' },
      note: { privilege: 'RISK_CASE_WORK' },
      confirm: { privilege: 'RISK_CASE_WORK' },
      close: { privilege: 'RISK_CASE_WORK' },
      release: { fn: 'RISK_HOLD_RELEASE' },
    }),
    ...guardedAdminServices(services),
  };
}

/** The admin API's own services: operators, clients, roles, change requests, gateway policies, sessions. */
function guardedAdminServices(services: DomainServices): Pick<DomainServices, 'operators' | 'clients' | 'rbac' | 'changeRequests' | 'gatewayPolicies' | 'revokeSessions'> {
  return {
    operators: guarded('operators', services.operators, {
      find: 'read', findByUsername: 'read', list: 'read',
      create: { fn: 'OPERATOR_CREATE' },
      setActive: { fn: 'OPERATOR_STATUS' },
      resetCredential: { fn: 'OPERATOR_CREDENTIAL_RESET' },
    }),
    clients: guarded('clients', services.clients, {
      find: 'read', list: 'read',
      create: { fn: 'CLIENT_CREATE' },
      setActive: { fn: 'CLIENT_STATUS' },
    }),
    rbac: guarded('rbac', services.rbac, {
      exclusions: 'read', grantsOf: 'read', listRoles: 'read', listGrants: 'read',
      defineRole: { fn: 'ROLE_DEFINE' },
      grant: { fn: 'ROLE_GRANT' },
      revoke: { fn: 'ROLE_REVOKE' },
      addExclusion: { fn: 'SOD_CHANGE' },
      removeExclusion: { fn: 'SOD_CHANGE' },
    }),
    changeRequests: guarded('changeRequests', services.changeRequests, {
      policy: 'read',
      setPolicy: { fn: 'APPROVAL_POLICY_CHANGE' },
    }),
    gatewayPolicies: guarded('gatewayPolicies', services.gatewayPolicies, {
      ipAllowlist: 'read', apiPermissions: 'read',
      replaceIpAllowlist: { fn: 'IP_ALLOWLIST_CHANGE' },
      replaceApiPermissions: { fn: 'API_PERMISSIONS_CHANGE' },
    }),
    revokeSessions: guarded('sessions', { revoke: services.revokeSessions }, {
      // Directly by a holder of SESSION_REVOKE, or as part of deactivating an operator or resetting their credential.
      revoke: { anyOf: [{ privilege: 'SESSION_REVOKE' }, { fn: 'OPERATOR_STATUS' }, { fn: 'OPERATOR_CREDENTIAL_RESET' }] },
    }).revoke,
  };
}

/** The FRMS's rule sets, lists and decisions: a draft is direct, a promotion and each list change a change request. */
export function guardedRiskServices(risk: RiskAdminServices): RiskAdminServices {
  const listChange = (fn: 'RISK_LIST_CHANGE' | 'RISK_ALLOWLIST_CHANGE') => ({ add: { fn }, remove: { fn } }) as const;
  return {
    ruleSets: guarded('riskRuleSets', risk.ruleSets, {
      list: 'read', get: 'read', promotionRefusal: 'read',
      saveDraft: { privilege: 'RISK_RULES_DRAFT' },
      promote: { fn: 'RISK_RULE_SET_PROMOTE' },
    }),
    lists: guarded('riskLists', risk.lists, { entries: 'read', entry: 'read' }),
    listChanges: guarded('riskListChanges', risk.listChanges, listChange('RISK_LIST_CHANGE')),
    allowListChanges: guarded('riskAllowList', risk.allowListChanges, listChange('RISK_ALLOWLIST_CHANGE')),
    decisions: guarded('riskDecisions', risk.decisions, { find: 'read', get: 'read' }),
    // Keying a party reads nothing and writes nothing; the route is gated by RISK_LISTS_READ.
    partyKeyOf: risk.partyKeyOf,
  };
}

export {
  adminPublicUrl, createAdminServer, pruneAdminState, registerAdminApi, sweepChangeRequests,
  type AdminApiDeps, type AdminServerSettings, type AdminTls,
} from './admin_api.ts';
export type { DeclaredRoute } from './access.ts';
export { loggedAdminAudit, capturedAdminAudit, fanOutAdminAudit, type AdminAuditEvent, type AdminAuditSink, type AuditActor, type AuditResult } from './audit_events.ts';
export { createExecutions } from './change_requests/executor.ts';
export { EXPIRY_SWEEP_INTERVAL_MS } from './change_requests/limits.ts';
export { createChangeRequests } from './change_requests/service.ts';
export { createIam, type Iam, type IamDeps } from './iam/iam.ts';
export { discoverExternalIssuer } from './iam/external_issuer.ts';
export { IAM_PRUNE_INTERVAL_MS } from './iam/limits.ts';
export { loadOrCreateSecretBox } from './iam/secret_box.ts';
export { oneTimeCredentialDelivery } from './iam/one_time_credential.ts';
export { BOOTSTRAP_USERNAME, closeBootstrapWindow } from './iam/bootstrap.ts';
export type { AutomationCredential, AutomationCredentials } from './iam/bootstrap.ts';
export type { CredentialTerminal } from './iam/one_time_credential.ts';
export { participantTokenHandler } from './iam/index.ts';
export { access } from './access.ts';
export type { RiskAdminServices, RiskRouteDeps } from './risk_rule_routes.ts';
export { isAuditFailure, recordOrRefuse } from './audit_events.ts';
export { PORTAL_CLIENT_ID, portalRedirectUri } from './iam/authorization_server.ts';
export { inProcessFetch } from './iam/in_process_fetch.ts';
export { PAGE_HEADERS, escapeHtml, page, paragraph } from './iam/pages.ts';
export { INTERACTION_TTL_S, SESSION_TTL_S } from './iam/limits.ts';
export { SecretBoxError } from './iam/secret_box.ts';
export type { SecretBox } from './iam/secret_box.ts';
export { createBrowser, fetchTransport, signIn } from './iam/browser.ts';
export type { Browser } from './iam/browser.ts';
export { createOperatorStore } from './iam/operators.ts';
export { totpCode } from './iam/totp.ts';
export { createRbacStore } from './rbac/store.ts';
export { revokeAccount } from './iam/oidc_adapter.ts';

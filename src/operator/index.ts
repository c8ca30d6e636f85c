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

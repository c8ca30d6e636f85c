export { createAdminApi, declaredRoutesOf, iamOf, type AdminApiDeps, type AdminTls } from './admin_api.ts';
export { loggedAdminAudit, capturedAdminAudit, fanOutAdminAudit, type AdminAuditEvent, type AdminAuditSink, type AuditActor, type AuditResult } from './audit_events.ts';

// The hub's tamper-evident audit log (issue 7), built on the transparency-log
// library in src/translog/: the durable log (sequencer with group commit and
// cross-process indexes, checkpoints, witnessing), the operator-action and
// security-event sinks, the admin API's read routes and the export.
// `interlock audit …` is src/audit/cli.ts, loaded by src/cli.ts on demand.
export { createAuditLogFromConfig } from './from_config.ts';
export { createAuditLog, type AuditLog } from './audit_log.ts';
export { loadOrCreateAuditKey, loadOrCreateEd25519Key } from './key_file.ts';
export { auditSecurityEvents, SECURITY_EVENT_LIMITS } from './security_events.ts';
export { capturedSecurityEvents, fanOutSecurityEvents, loggedSecurityEvents, type SecurityEvent, type SecurityEventKind, type SecurityEvents } from './security_event.ts';
export type { AdminAuditEvent, AdminAuditSink, AuditActor, AuditActorKind, AuditResult, AuditTransaction } from './admin_event.ts';
export { auditOperatorActions, operatorActionEntry } from './operator_actions.ts';
export { registerAuditRoutes } from './routes.ts';
export { createAuditQueries, type AuditQueries } from './queries.ts';
export { KEEPS_RUNNING, logVerifier, runAuditCommand, type AuditCliOutput, type AuditCommand } from './cli.ts';
export { TEST_ORIGIN, logKeys, testEntry } from './log_fixture.ts';

// The operator portal (backend-for-frontend).
export { registerPortal, type PortalDeps } from './bff.ts';
export { createPortalSessions, type PortalSessions } from './sessions.ts';

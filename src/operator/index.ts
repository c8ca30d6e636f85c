export { createAdminApi, type AdminApiDeps } from './admin_api.ts';

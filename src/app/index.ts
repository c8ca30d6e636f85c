// What src/app/ offers the rest of the hub; everything else in it is its own.
export { completeAdminApi, createAdminIam, riskAdmin } from './admin.ts';
export type { AdminApi } from './admin.ts';
export { runOperatorCommand } from './credential_reset_cli.ts';

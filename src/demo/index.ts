// What src/demo/ offers the rest of the hub; everything else in it is its own.
export { automationAdminClient, automationCredentialsFile } from './admin_auth.ts';
export type { AdminAnswer, AdminClient } from './admin_auth.ts';
export { startDemoDfsps } from './dfsps.ts';
export type { DemoDfsps } from './dfsps.ts';
export { DEMO_OPERATORS, seedDemoOperators } from './operators_step.ts';
export { DEMO_CURRENCY, onboardDfsp, onboardHub } from './scheme.ts';

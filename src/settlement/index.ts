export { createSettlementModels, liquidityCheckRequired, type SettlementModels, type SettlementModelInput } from './models.ts';
export type { SettlementModel } from './tables.ts';

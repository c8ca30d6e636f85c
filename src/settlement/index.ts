export { createSettlementModels, type SettlementModels, type SettlementModelInput } from './models.ts';

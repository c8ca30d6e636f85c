export { createSimulatedDfsp, type SimulatedDfsp } from './simulator.ts';
export { simulatorEndpoints } from './endpoints.ts';
export { enrolDfspTls, loadDfspTls, ephemeralDfspCredentials, loadOrCreateDfspCredentials, signingPublicKeyPem } from './credentials.ts';
export { DEFAULT_SIM_LIMITS, type SimLimits } from './limits.ts';
export { FspiopError } from './pending.ts';
export type { QuoteInput, QuoteResult, TransferResult } from './payer.ts';
export type { DfspCredentials, DfspTls, IlpVersion, PartyAnswer, PartyIdInfo, PrepareBody, SimParty, SimTraffic, SimulatedDfspOptions, TransferStateBody } from './types.ts';

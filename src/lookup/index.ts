export { createLookupService, type LookupService, type LookupDeps, type LookupOutcome, type RegistrationBody, type PartiesAnswerBody } from './service.ts';
export { createOracleClient, parsePartyList, type OracleClient, type OracleClientOptions, type OracleEntry, type OracleLookup, type OracleWrite } from './oracle_client.ts';
export { chooseOracle, oracleEndpointProblem, type OracleInput, type OracleView, type OracleChoice } from './oracles.ts';
export { PARTY_ID_TYPES, isPartyIdType, checkPartyPath, checkCurrency, identifierProblem, type PartyIdType, type PartyKey, type PartyPath } from './party.ts';
export { DEFAULT_LOOKUP_LIMITS, assertLookupLimits, type LookupLimits } from './limits.ts';
export type { OracleParty, Oracle, PartyLookup } from './tables.ts';

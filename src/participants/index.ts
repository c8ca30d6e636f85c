export { createParticipantRegistry, type ParticipantRegistry, type ParticipantWithAccounts, type HubAccountType } from './registry.ts';
export { CALLBACK_ENDPOINT_TYPES, EMAIL_ENDPOINT_TYPES, isEndpointType, endpointValueProblem, type EndpointType } from './endpoint_types.ts';
export type { Participant } from './tables.ts';
export { findParticipant, findActiveFsp, activeFspNames, callbackEndpoint, callbackEndpointOf, lockParticipant, participantNames } from './lookup.ts';
export { createSigningKeyRegistry, isSigningAlg, parsePublicKey, signingAlgOf, signingKeyState, SIGNING_ALGORITHMS, SIGNING_KEY_LIMITS, type ActiveSigningKey, type KeyPolicyVerdict, type ParsedPublicKey, type SigningAlg, type SigningKeyRecord, type SigningKeyRegistration, type SigningKeyRegistry, type SigningKeyState } from './signing_keys.ts';
// The hub's name is a protocol fact (fspiop/hub.ts); re-exported for the modules that know it as a participant.

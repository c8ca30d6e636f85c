export { createParticipantRegistry, HUB_PARTICIPANT_NAME, type ParticipantRegistry, type ParticipantWithAccounts, type HubAccountType } from './registry.ts';
export { CALLBACK_ENDPOINT_TYPES, EMAIL_ENDPOINT_TYPES, isEndpointType, endpointValueProblem, type EndpointType } from './endpoint_types.ts';
export { findParticipant, findActiveFsp } from './lookup.ts';

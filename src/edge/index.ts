// What src/edge/ offers the rest of the hub; everything else in it is its own.
export { createFspiopApi } from './fspiop_api.ts';
export { startSchemeTls } from './tls/scheme_tls.ts';
export type { SchemeTls } from './tls/scheme_tls.ts';
export { addressRefusal, createGatewayControls, loadGatewayPolicies, passGateway } from './gateway/gateway.ts';
export type { GatewayControls, GatewayPolicies, GatewayRequest } from './gateway/gateway.ts';
export { PARTICIPANT_TOKEN_PATH, participantTokenEndpointUrl } from './gateway/token_endpoint.ts';
export type { TokenRequestHandler } from './gateway/token_endpoint.ts';
export { HUB_HAS_NO_GATEWAY_POLICY } from './gateway/policy_store.ts';
export type { ApiPermissionsRecord, GatewayPolicy, GatewayPolicyStore, IpAllowlistRecord } from './gateway/policy_store.ts';
export { describeApiGrants, loadApiPermissions, OPTIONAL_APIS, parseApiGrants } from './gateway/api_permissions.ts';
export type { ApiGrants } from './gateway/api_permissions.ts';
export { IP_ALLOWLIST_LIMITS, loadIpAllowlist, parseAllowlistEntries } from './gateway/ip_allowlist.ts';
export { createParticipantTokenCheck } from './gateway/access_token.ts';
export { trustedProxies } from './gateway/client_address.ts';
export { createRateLimiter } from './gateway/rate_limit.ts';

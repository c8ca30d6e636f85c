export { loadConfig, describeKeys, envName, ConfigError, AUTOMATION_CREDENTIALS_FILE, type Config, type LoadOptions, type WitnessConfig } from './config.ts';
export { ACCESS_TOKEN_MODES, IP_ALLOWLIST_MODES, type AccessTokenMode, type IpAllowlistMode } from './schema.ts';
export * from './limits.ts';
export { connectionLimitsProblem, DEFAULT_CONNECTION_LIMITS, HEADER_BYTES_MAX, HEADER_BYTES_MIN, TIMEOUT_MS_MAX, TIMEOUT_MS_MIN, type ConnectionLimits } from './connection_limits.ts';
export { BURST_MAX, DEFAULT_RATE_LIMITS, parseRateLimitOverrides, RATE_PER_S_MAX, rateLimitProblem, type ApiRateLimits, type RateLimit, type RateLimitOverrides } from './rate_limits.ts';
export { issuerUrlProblem, parseRoleMap, type ExternalIssuerConfig } from './external_issuer.ts';

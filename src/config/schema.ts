// The configuration as JSON Schema, one section per part of the hub: each key
// written once, with its type, bounds or pattern, its default, its environment
// variable and its meaning. ajv checks values against it (config.ts) and the
// TypeScript type of the values is inferred from it (ValuesOf), so a key's type
// cannot drift from its check.
//
// Two annotations beside JSON Schema's own: `env`, the key's environment
// variable, and `expected`, what an operator is told a refused value should be
// when the schema alone does not say it well (a pattern says little).
import type { FspiopApi } from '../fspiop/index.ts';
import { defaultOrigin } from './audit_values.ts';
import { DEFAULT_CONNECTION_LIMITS, HEADER_BYTES_MAX, HEADER_BYTES_MIN, TIMEOUT_MS_MAX, TIMEOUT_MS_MIN } from './connection_limits.ts';
import {
  BOOTSTRAP_WINDOW_MS_DEFAULT, BOOTSTRAP_WINDOW_MS_MAX, BOOTSTRAP_WINDOW_MS_MIN, CHECKPOINT_INTERVAL_MS_MAX, CHECKPOINT_INTERVAL_MS_MIN, CRL_NEXT_UPDATE_HOURS_MAX,
  DEFAULT_CALLBACK_NETWORKS, LEAF_LIFETIME_DAYS_MAX, SECURITY_EVENT_COALESCE_INTERVAL_MS, SECURITY_EVENT_INTERVAL_MS_MAX, SECURITY_EVENT_INTERVAL_MS_MIN, WITNESSES_MAX,
} from './limits.ts';
import { BURST_MAX, DEFAULT_RATE_LIMITS, RATE_PER_S_MAX } from './rate_limits.ts';

/**
 * gateway.accessTokens: 'off' reads no token; 'optional' lets a request without an Authorization header
 * through but refuses one whose token is bad; 'required' refuses every request without a good token.
 */
export const ACCESS_TOKEN_MODES = ['off', 'optional', 'required'] as const;
export type AccessTokenMode = (typeof ACCESS_TOKEN_MODES)[number];
/** gateway.ipAllowlistMode: 'enforce': a participant without an allow-list is refused; 'when-configured': only lists that exist are enforced. */
export const IP_ALLOWLIST_MODES = ['enforce', 'when-configured'] as const;
export type IpAllowlistMode = (typeof IP_ALLOWLIST_MODES)[number];

/** One configuration key: a JSON Schema of its value, with its environment variable and meaning. */
export interface KeySchema {
  readonly type: 'integer' | 'string' | 'boolean' | 'array';
  readonly env: string;
  readonly description: string;
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly anyOf?: readonly object[];
  readonly items?: object;
  readonly maxItems?: number;
  readonly expected?: string;
}

/** A group of keys (a section, or a part of one). */
export interface GroupSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: Readonly<Record<string, KeySchema | GroupSchema>>;
}

const key = <const K extends KeySchema>(schema: K): K => schema;
const group = <const P extends GroupSchema['properties']>(properties: P) => ({ type: 'object', additionalProperties: false, properties }) as const;

const FILE_PATH = { type: 'string', pattern: '^[^\\0]{1,4096}$', expected: 'a file path' } as const;
const HTTP_URL = { type: 'string', pattern: '^https?://[^\\s]{1,2000}$', expected: 'an http(s) URL' } as const;
const HOST_NAME = '[A-Za-z0-9.:-]{1,253}';
/** A comma-separated list of CIDR ranges, checked as ranges by checks.ts. */
const CIDR_LIST = { type: 'string', expected: 'CIDR ranges, comma-separated' } as const;

const timeoutMs = (env: string, description: string, dflt: number) =>
  key({ type: 'integer', minimum: TIMEOUT_MS_MIN, maximum: TIMEOUT_MS_MAX, default: dflt, env, description });

const rateLimit = <const A extends FspiopApi, const E extends string>(api: A, envPrefix: E) => group({
  ratePerS: key({ type: 'integer', minimum: 1, maximum: RATE_PER_S_MAX, default: DEFAULT_RATE_LIMITS[api].ratePerS, env: `${envPrefix}_RATE_PER_S`, description: `requests a second each participant may make to the ${api} API, sustained (per hub process)` }),
  burst: key({ type: 'integer', minimum: 1, maximum: BURST_MAX, default: DEFAULT_RATE_LIMITS[api].burst, env: `${envPrefix}_BURST`, description: `requests each participant may make to the ${api} API at once after a quiet spell` }),
});

const storage = group({
  url: key({ type: 'string', minLength: 1, pattern: '^[^\\0]+$', env: 'INTERLOCK_STORAGE_URL', description: 'a SQLite file path, or a postgres:// URL (default <dataDir>/interlock.sqlite)', expected: 'a SQLite file path or a postgres:// URL' }),
});

const admin = group({
  host: key({ type: 'string', pattern: '^[^\\s/]{1,253}$', default: '127.0.0.1', env: 'INTERLOCK_ADMIN_HOST', description: 'address the admin API listens on (other than loopback only with admin.tls on)', expected: 'a host name or IP address' }),
  tls: key({ type: 'string', enum: ['on', 'off'], default: 'on', env: 'INTERLOCK_ADMIN_TLS', description: 'TLS on the admin API: on (the hub\'s certificate from the scheme CA), or off (plain HTTP, loopback only)' }),
  port: key({ type: 'integer', minimum: 0, maximum: 65535, default: 3001, env: 'INTERLOCK_ADMIN_PORT', description: 'admin API port (0 = any free port)' }),
  bodyBytesMax: key({ type: 'integer', minimum: 1024, maximum: 1_048_576, default: 65_536, env: 'INTERLOCK_ADMIN_BODY_BYTES_MAX', description: 'largest admin request body, bytes' }),
  requestTimeoutMs: key({ type: 'integer', minimum: 1_000, maximum: 120_000, default: 10_000, env: 'INTERLOCK_ADMIN_REQUEST_TIMEOUT_MS', description: 'time allowed to receive a whole admin request, ms' }),
  publicUrl: key({ ...HTTP_URL, env: 'INTERLOCK_ADMIN_PUBLIC_URL', description: 'base URL used in participant links (default: the admin API\'s own address)' }),
  externalIssuer: group({
    url: key({ type: 'string', env: 'INTERLOCK_ADMIN_EXTERNAL_ISSUER_URL', description: 'an external OIDC issuer for operators (https; http only on loopback)', expected: 'an https issuer URL (http only on loopback)' }),
    audience: key({ type: 'string', pattern: '^[^\\s]{1,256}$', env: 'INTERLOCK_ADMIN_EXTERNAL_ISSUER_AUDIENCE', description: 'the audience of its access tokens for the admin API', expected: 'an audience string' }),
    rolesClaim: key({ type: 'string', pattern: '^[A-Za-z0-9_]{1,64}(\\.[A-Za-z0-9_]{1,64}){0,4}$', env: 'INTERLOCK_ADMIN_EXTERNAL_ISSUER_ROLES_CLAIM', description: 'where its tokens carry roles, a dotted path (e.g. realm_access.roles)', expected: 'a dotted claim path (at most 5 names)' }),
    roleMap: key({ type: 'string', env: 'INTERLOCK_ADMIN_EXTERNAL_ISSUER_ROLE_MAP', description: 'its roles to local roles: ext=local[@participant],…', expected: 'ext=local[@participant],…' }),
  }),
  secretsKeyFile: key({ ...FILE_PATH, env: 'INTERLOCK_ADMIN_SECRETS_KEY_FILE', description: 'the key that seals operators\' TOTP secrets and the authorization server\'s keys in the database: 32 random bytes in base64, mode 0600; hub processes on one database share it (default <dataDir>/iam_secrets.key, made at first start)' }),
  bootstrapWindowMs: key({ type: 'integer', minimum: BOOTSTRAP_WINDOW_MS_MIN, maximum: BOOTSTRAP_WINDOW_MS_MAX, default: BOOTSTRAP_WINDOW_MS_DEFAULT, env: 'INTERLOCK_ADMIN_BOOTSTRAP_WINDOW_MS', description: 'how long after the first start the bootstrap administrator may create the first operators and give them IAM roles alone, ms (it also ends once a security approver exists)' }),
  seedAutomationClients: key({ type: 'boolean', default: false, env: 'INTERLOCK_ADMIN_SEED_AUTOMATION_CLIENTS', description: 'create a maker and a checker automation client, keys in <dataDir>/admin-automation.json (demo, tests)' }),
});

const fspiop = group({
  // Any address with mutual TLS; without it (fspiop.tls off), loopback only: checked across keys (config.ts).
  host: key({ type: 'string', pattern: `^${HOST_NAME}$`, default: '127.0.0.1', env: 'INTERLOCK_FSPIOP_HOST', description: 'address the FSPIOP API listens on', expected: 'a host name or an IP address' }),
  signingKeyFile: key({ ...FILE_PATH, env: 'INTERLOCK_FSPIOP_SIGNING_KEY_FILE', description: 'the hub\'s JWS signing key (PKCS#8 PEM, mode 0600); hub processes on one database share it (default <dataDir>/hub_signing_key.pem, made at first start)' }),
  tls: key({ type: 'string', enum: ['mutual', 'off'], default: 'mutual', env: 'INTERLOCK_FSPIOP_TLS', description: 'mutual TLS on the FSPIOP API and callbacks: mutual, or off (plain HTTP, loopback only)' }),
  certificateHosts: key({
    type: 'string', pattern: `^${HOST_NAME}(,${HOST_NAME}){0,15}$`, default: 'localhost,127.0.0.1', env: 'INTERLOCK_FSPIOP_CERTIFICATE_HOSTS',
    description: 'host names and IP addresses DFSPs and operators reach the hub by, comma-separated (its TLS certificate, presented by the FSPIOP and admin APIs, names them)',
    expected: '1 to 16 host names or IP addresses, comma-separated',
  }),
  port: key({ type: 'integer', minimum: 0, maximum: 65535, default: 3000, env: 'INTERLOCK_FSPIOP_PORT', description: 'FSPIOP API port (0 = any free port)' }),
  bodyBytesMax: key({ type: 'integer', minimum: 1024, maximum: 5_242_880, default: 65_536, env: 'INTERLOCK_FSPIOP_BODY_BYTES_MAX', description: 'largest FSPIOP request body, bytes' }),
  requestTimeoutMs: key({ type: 'integer', minimum: 1_000, maximum: 120_000, default: DEFAULT_CONNECTION_LIMITS.requestTimeoutMs, env: 'INTERLOCK_FSPIOP_REQUEST_TIMEOUT_MS', description: 'time allowed to receive a whole FSPIOP request, ms' }),
  dateSkewMsMax: key({ type: 'integer', minimum: 1_000, maximum: 86_399_999, default: 300_000, env: 'INTERLOCK_FSPIOP_DATE_SKEW_MS_MAX', description: 'largest distance between a request Date and the hub clock, ms' }),
  // Against slow clients: TLS handshake, request head, keep-alive and idle connection limits; the largest request head.
  handshakeTimeoutMs: timeoutMs('INTERLOCK_FSPIOP_HANDSHAKE_TIMEOUT_MS', 'time allowed for a TLS handshake, ms', DEFAULT_CONNECTION_LIMITS.handshakeTimeoutMs),
  headersTimeoutMs: timeoutMs('INTERLOCK_FSPIOP_HEADERS_TIMEOUT_MS', 'time allowed to receive a request\'s head (line and headers), ms; at most fspiop.requestTimeoutMs', DEFAULT_CONNECTION_LIMITS.headersTimeoutMs),
  keepAliveTimeoutMs: timeoutMs('INTERLOCK_FSPIOP_KEEP_ALIVE_TIMEOUT_MS', 'how long a connection may wait idle between requests, ms', DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs),
  idleSocketTimeoutMs: key({
    type: 'integer', anyOf: [{ const: 0 }, { minimum: TIMEOUT_MS_MIN, maximum: TIMEOUT_MS_MAX }], default: DEFAULT_CONNECTION_LIMITS.idleSocketTimeoutMs, env: 'INTERLOCK_FSPIOP_IDLE_SOCKET_TIMEOUT_MS',
    description: 'a connection silent this long during a request is closed, ms (0: no limit)', expected: `0, or an integer from ${TIMEOUT_MS_MIN} to ${TIMEOUT_MS_MAX}`,
  }),
  headerBytesMax: key({ type: 'integer', minimum: HEADER_BYTES_MIN, maximum: HEADER_BYTES_MAX, default: DEFAULT_CONNECTION_LIMITS.headerBytesMax, env: 'INTERLOCK_FSPIOP_HEADER_BYTES_MAX', description: 'largest request head (line and headers), bytes' }),
});

/** The participant API gateway in front of the FSPIOP API (src/edge/gateway). */
const gateway = group({
  accessTokens: key({ type: 'string', enum: ACCESS_TOKEN_MODES, default: 'required', env: 'INTERLOCK_GATEWAY_ACCESS_TOKENS', description: 'OAuth2 access tokens bound to the DFSP\'s certificate: off, optional (checked when sent) or required' }),
  ipAllowlistMode: key({ type: 'string', enum: IP_ALLOWLIST_MODES, default: 'when-configured', env: 'INTERLOCK_GATEWAY_IP_ALLOWLIST_MODE', description: 'IP allow-lists: enforce (no list, no access) or when-configured (only existing lists are enforced)' }),
  trustedProxies: key({ ...CIDR_LIST, default: '', env: 'INTERLOCK_GATEWAY_TRUSTED_PROXIES', description: 'CIDR ranges of proxies whose X-Forwarded-For is believed, comma-separated (none by default)' }),
  policyRefreshIntervalMs: key({ type: 'integer', minimum: 1_000, maximum: 3_600_000, default: 10_000, env: 'INTERLOCK_GATEWAY_POLICY_REFRESH_INTERVAL_MS', description: 'how often IP allow-lists and API permissions changed by another hub process are read again, ms' }),
  rateLimits: group({
    ...({
      lookup: rateLimit('lookup', 'INTERLOCK_GATEWAY_RATE_LIMITS_LOOKUP'),
      quotes: rateLimit('quotes', 'INTERLOCK_GATEWAY_RATE_LIMITS_QUOTES'),
      transfers: rateLimit('transfers', 'INTERLOCK_GATEWAY_RATE_LIMITS_TRANSFERS'),
      risk: rateLimit('risk', 'INTERLOCK_GATEWAY_RATE_LIMITS_RISK'),
    } satisfies Record<FspiopApi, GroupSchema>),
    overrides: key({ type: 'string', default: '', env: 'INTERLOCK_GATEWAY_RATE_LIMITS_OVERRIDES', description: 'participants\' own limits: fsp:api=ratePerS/burst,… (e.g. bigfsp:transfers=500/1000)', expected: 'fsp:api=ratePerS/burst,…' }),
  }),
});

/** Where callbacks may go (src/delivery/callback_addresses.ts); link-local and the hub's own listeners never. */
const delivery = group({
  callbackNetworks: key({ ...CIDR_LIST, default: DEFAULT_CALLBACK_NETWORKS.join(','), env: 'INTERLOCK_DELIVERY_CALLBACK_NETWORKS', description: 'CIDR ranges callback endpoints may be in, comma-separated (default: unicast IPv4, IPv6 global and unique-local); link-local, multicast and the hub\'s own listeners are never allowed' }),
  allowLoopbackCallbacks: key({ type: 'boolean', default: false, env: 'INTERLOCK_DELIVERY_ALLOW_LOOPBACK_CALLBACKS', description: 'allow callback endpoints on loopback (127.0.0.0/8, ::1): for the demo, simulators and tests only' }),
});

const transfers = group({
  expiryMsMax: key({ type: 'integer', minimum: 1_000, maximum: 7 * 24 * 3_600_000, default: 86_400_000, env: 'INTERLOCK_TRANSFERS_EXPIRY_MS_MAX', description: 'latest expiration a prepare may ask for, ms from now' }),
  expirySweepIntervalMs: key({ type: 'integer', minimum: 100, maximum: 60_000, default: 1_000, env: 'INTERLOCK_TRANSFERS_EXPIRY_SWEEP_INTERVAL_MS', description: 'how often due transfers are expired, ms' }),
});

const settlement = group({
  windowCloseIntervalMs: key({
    type: 'integer', minimum: 0, maximum: 7 * 24 * 3_600_000, default: 0, env: 'INTERLOCK_SETTLEMENT_WINDOW_CLOSE_INTERVAL_MS',
    description: 'close the open settlement window once it has been open this long, ms (0: never; operators close windows through the admin API)',
    expected: '0, or 60000 to 604800000',
  }),
});

const risk = group({
  enabled: key({ type: 'boolean', default: true, env: 'INTERLOCK_RISK_ENABLED', description: 'the FRMS: every transfer is counted in its features, and the LIVE rule set (if any) decides on every quote and transfer before money is reserved' }),
  keyFile: key({ ...FILE_PATH, env: 'INTERLOCK_RISK_KEY_FILE', description: 'the key party identifiers are digested under (never stored in clear), 32 bytes, mode 0600; hub processes on one database share it (default <dataDir>/risk_party.key, made at first start)' }),
  sanctionsFile: key({ ...FILE_PATH, env: 'INTERLOCK_RISK_SANCTIONS_FILE', description: 'the sanctions list party names are screened against: one name per line, or a CSV with a name column (none: names are not screened)' }),
});

const pki = group({
  dir: key({ type: 'string', pattern: '^[^\\0]{1,4096}$', env: 'INTERLOCK_PKI_DIR', description: 'directory of the scheme CA files (created 0700; default <dataDir>/pki)', expected: 'a directory path' }),
  leafLifetimeDays: key({ type: 'integer', minimum: 1, maximum: LEAF_LIFETIME_DAYS_MAX, default: 365, env: 'INTERLOCK_PKI_LEAF_LIFETIME_DAYS', description: 'participant certificate lifetime when none is asked for, days' }),
  leafLifetimeDaysMax: key({ type: 'integer', minimum: 1, maximum: LEAF_LIFETIME_DAYS_MAX, default: LEAF_LIFETIME_DAYS_MAX, env: 'INTERLOCK_PKI_LEAF_LIFETIME_DAYS_MAX', description: 'longest participant certificate lifetime, days' }),
  crlNextUpdateHours: key({ type: 'integer', minimum: 1, maximum: CRL_NEXT_UPDATE_HOURS_MAX, default: 48, env: 'INTERLOCK_PKI_CRL_NEXT_UPDATE_HOURS', description: 'CRL validity, thisUpdate to nextUpdate, hours' }),
  expiryWarningDays: key({ type: 'integer', minimum: 1, maximum: 365, default: 30, env: 'INTERLOCK_PKI_EXPIRY_WARNING_DAYS', description: 'warn this many days before a certificate expires' }),
  crlReloadIntervalMs: key({ type: 'integer', minimum: 1_000, maximum: 3_600_000, default: 10_000, env: 'INTERLOCK_PKI_CRL_RELOAD_INTERVAL_MS', description: 'how often the hub reloads CRLs (and renews its own certificate when due), ms' }),
  crlUrl: key({ ...HTTP_URL, env: 'INTERLOCK_PKI_CRL_URL', description: 'CRL distribution point URL put in certificates (none if unset)' }),
});

const audit = group({
  origin: key({ type: 'string', default: defaultOrigin(), env: 'INTERLOCK_AUDIT_ORIGIN', description: 'the audit log\'s identity, a schema-less URL (host/path); never change it for a log' }),
  keyFile: key({ ...FILE_PATH, env: 'INTERLOCK_AUDIT_KEY_FILE', description: 'the audit log\'s Ed25519 key, PKCS#8 PEM, mode 0600 (default <dataDir>/audit_key.pem, made at first start)' }),
  checkpointIntervalMs: key({ type: 'integer', minimum: CHECKPOINT_INTERVAL_MS_MIN, maximum: CHECKPOINT_INTERVAL_MS_MAX, default: 1_000, env: 'INTERLOCK_AUDIT_CHECKPOINT_INTERVAL_MS', description: 'how often the audit log signs a checkpoint (when it grew) and sends it to witnesses, ms' }),
  securityEventIntervalMs: key({ type: 'integer', minimum: SECURITY_EVENT_INTERVAL_MS_MIN, maximum: SECURITY_EVENT_INTERVAL_MS_MAX, default: SECURITY_EVENT_COALESCE_INTERVAL_MS, env: 'INTERLOCK_AUDIT_SECURITY_EVENT_INTERVAL_MS', description: 'repeated security events of a source and kind are counted over this interval into one summary entry (the first is appended at once), ms' }),
  witnesses: key({
    type: 'array', maxItems: WITNESSES_MAX, default: [], env: 'INTERLOCK_AUDIT_WITNESSES', description: 'witnesses of the audit log: JSON [{"url", "verifierKey"}] (from interlock audit witness)',
    items: { type: 'object', additionalProperties: false, required: ['url', 'verifierKey'], properties: { url: { type: 'string' }, verifierKey: { type: 'string' } } },
    expected: `a JSON array of up to ${WITNESSES_MAX} {"url": "http(s)://…", "verifierKey": "name+keyid+key"} (from interlock audit witness)`,
  }),
});

const log = group({
  level: key({ type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', env: 'INTERLOCK_LOG_LEVEL', description: 'log level' }),
});

/** The whole configuration: the data directory, then one section per part of the hub. */
export const CONFIG_SCHEMA = group({
  dataDir: key({ type: 'string', pattern: '^[^\\0]{1,4096}$', default: 'data', env: 'INTERLOCK_DATA_DIR', description: 'data directory', expected: 'a directory path' }),
  storage, admin, fspiop, gateway, delivery, transfers, settlement, risk, pki, audit, log,
});

// ---- The type of the values, inferred from the schema ----

type JsonOf<S> = S extends { readonly enum: readonly (infer E)[] } ? E
  : S extends { readonly type: 'integer' } ? number
    : S extends { readonly type: 'boolean' } ? boolean
      : S extends { readonly type: 'string' } ? string
        : S extends { readonly type: 'array'; readonly items: infer I } ? readonly JsonOf<I>[]
          : S extends { readonly type: 'object'; readonly properties: infer P } ? { readonly [N in keyof P]: JsonOf<P[N]> }
            : never;

type WithDefault<P> = { [N in keyof P]: P[N] extends { readonly env: string; readonly default: unknown } ? N : never }[keyof P];
type WithoutDefault<P> = { [N in keyof P]: P[N] extends { readonly env: string } ? (P[N] extends { readonly default: unknown } ? never : N) : never }[keyof P];
type Groups<P> = { [N in keyof P]: P[N] extends { readonly env: string } ? never : N }[keyof P];

/** The values of a group: keys with a default are always there, keys without one may be absent, groups nest. */
export type ValuesOf<G> = G extends { readonly properties: infer P }
  ? { readonly [N in WithDefault<P>]: JsonOf<P[N]> } & { readonly [N in WithoutDefault<P>]?: JsonOf<P[N]> | undefined } & { readonly [N in Groups<P>]: ValuesOf<P[N]> }
  : never;

export type ConfigValues = ValuesOf<typeof CONFIG_SCHEMA>;

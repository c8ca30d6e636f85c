// One validated configuration: defaults, then a JSON file, then environment
// variables (INTERLOCK_<SECTION>_<KEY>), each key declared once below with its
// type, bounds and meaning. An unknown key or a bad value stops the start with
// an error that names the key, where it came from and what is expected.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CRL_NEXT_UPDATE_HOURS_MAX, LEAF_LIFETIME_DAYS_MAX } from '../pki/limits.ts';
import { engineOf } from '../storage/index.ts';
import { isLoopbackHost } from '../support/loopback.ts';
import { issuerUrlProblem, parseRoleMap, type ExternalIssuerConfig } from '../operator/iam/external_issuer_config.ts';
import { BOOTSTRAP_WINDOW_MS_DEFAULT, BOOTSTRAP_WINDOW_MS_MAX, BOOTSTRAP_WINDOW_MS_MIN } from '../operator/iam/limits.ts';
import { defaultOrigin, parseOrigin, parseWitnesses, type WitnessConfig } from '../audit/config_values.ts';
import { CHECKPOINT_INTERVAL_MS_MAX, CHECKPOINT_INTERVAL_MS_MIN, SECURITY_EVENT_COALESCE_INTERVAL_MS, SECURITY_EVENT_INTERVAL_MS_MAX, SECURITY_EVENT_INTERVAL_MS_MIN } from '../audit/limits.ts';
import { checkCallbackNetworks, DEFAULT_CALLBACK_NETWORKS } from '../delivery/callback_addresses.ts';
import { ACCESS_TOKEN_MODES, type AccessTokenMode } from '../edge/gateway/access_token.ts';
import { FSPIOP_APIS, type FspiopApi } from '../edge/gateway/apis.ts';
import { trustedProxies } from '../edge/gateway/client_address.ts';
import { connectionLimitsProblem, DEFAULT_CONNECTION_LIMITS, HEADER_BYTES_MAX, HEADER_BYTES_MIN, TIMEOUT_MS_MAX, TIMEOUT_MS_MIN } from '../edge/gateway/connection_limits.ts';
import { IP_ALLOWLIST_MODES, type IpAllowlistMode } from '../edge/gateway/ip_allowlist.ts';
import { BURST_MAX, DEFAULT_RATE_LIMITS, parseRateLimitOverrides, RATE_PER_S_MAX, type ApiRateLimits, type RateLimitOverrides } from '../edge/gateway/rate_limit.ts';

export interface Config {
  /** Directory for the embedded database and other files the hub owns (created 0700). */
  dataDir: string;
  storage: { url: string };
  admin: {
    host: string;
    port: number;
    /** 'on': HTTPS (TLS 1.3) with the hub's certificate from the scheme CA; 'off': plain HTTP, on loopback only. */
    tls: 'on' | 'off';
    bodyBytesMax: number;
    requestTimeoutMs: number;
    /** Base URL the admin API names itself by in participant links. */
    publicUrl: string;
    /** How long after the first start the bootstrap administrator may act alone (iam/limits.ts); the default when absent. */
    bootstrapWindowMs?: number | undefined;
    /** Set when admin.seedAutomationClients is on: where the seeded maker and checker clients' keys are written. */
    automationCredentialsFile?: string | undefined;
    /** An external OpenID Connect issuer whose users may call the admin API, with their roles mapped (admin.externalIssuer.*). */
    externalIssuer?: ExternalIssuerConfig | undefined;
    /** The key sealing the IAM's secrets in the database; undefined: <dataDir>/iam_secrets.key, made at first start. */
    secretsKeyFile?: string | undefined;
  };
  fspiop: {
    host: string;
    port: number;
    bodyBytesMax: number;
    requestTimeoutMs: number;
    /** Largest distance between a request's Date header and the hub's clock. */
    dateSkewMsMax: number;
    /** The hub's JWS signing key file; undefined: <dataDir>/hub_signing_key.pem, made at first start. */
    signingKeyFile: string | undefined;
    /** 'mutual': HTTPS with client certificates, both ways; 'off': plain HTTP, on loopback only. */
    tls: 'mutual' | 'off';
    /** Host names and addresses DFSPs reach the hub by: the hub's certificate names them. */
    certificateHosts: string[];
    /** Against slow clients: TLS handshake, request head, keep-alive and idle connection limits; the largest request head. */
    handshakeTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    idleSocketTimeoutMs: number;
    headerBytesMax: number;
  };
  /** The participant API gateway in front of the FSPIOP API (src/edge/gateway). */
  gateway: {
    /** 'required': every request carries an access token bound to its TLS certificate; 'optional': checked when present. */
    accessTokens: AccessTokenMode;
    /** 'enforce': a participant without an allow-list is refused; 'when-configured': only lists that exist are enforced. */
    ipAllowlistMode: IpAllowlistMode;
    /** CIDR ranges of the proxy hops whose X-Forwarded-For is believed. */
    trustedProxies: string[];
    /** How often policies changed by another hub process are read again. */
    policyRefreshIntervalMs: number;
    rateLimits: ApiRateLimits;
    rateLimitOverrides: RateLimitOverrides;
  };
  /** Where callbacks may go (src/delivery/callback_addresses.ts); link-local and the hub's own listeners never. */
  delivery: {
    /** CIDR ranges a callback endpoint's address must be in. */
    callbackNetworks: string[];
    /** Loopback endpoints are allowed: the demo, the simulators and tests, whose DFSPs run on this machine. */
    allowLoopbackCallbacks: boolean;
  };
  transfers: {
    /** The latest expiration a prepare may ask for, ms from now. */
    expiryMsMax: number;
    /** How often reserved transfers past their expiration are expired. */
    expirySweepIntervalMs: number;
  };
  pki: {
    /** Directory of the scheme CA's certificates, keys and root CRL (created 0700). */
    dir: string;
    /** Lifetime of a participant certificate when a request names none, days. */
    leafLifetimeDays: number;
    /** Longest lifetime a request may ask for, days (never above 397, whatever is configured). */
    leafLifetimeDaysMax: number;
    /** From a CRL's thisUpdate to its nextUpdate; a new one is signed when half of it has passed. */
    crlNextUpdateHours: number;
    /** How many days before a certificate (a participant's, the hub's or the CA's) expires the hub warns. */
    expiryWarningDays: number;
    /** How often CRLs are reloaded into the listener (and the hub's own certificate renewed when due). */
    crlReloadIntervalMs: number;
    /** Published in certificates as their CRL distribution point; none when unset. */
    crlUrl: string | undefined;
  };
  audit: {
    /** The audit log's identity: its checkpoints' first line and its key's name. Never changes for a log. */
    origin: string;
    /** The log's Ed25519 key (PKCS#8 PEM, 0600); unset: <dataDir>/audit_key.pem, made at first start. */
    keyFile: string | undefined;
    /** How often a checkpoint is signed (when the log grew) and sent to the witnesses. */
    checkpointIntervalMs: number;
    /** Repeated security events of a source and kind are counted over this interval into one entry (audit/security_events.ts). */
    securityEventIntervalMs: number;
    /** Witnesses the checkpoints go to (tlog-witness), each with its pinned cosignature key. */
    witnesses: readonly WitnessConfig[];
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

type Source = 'default' | 'file' | 'env';

interface KeySpec {
  path: string;
  describe: string;
  /** Parses a value from a string (environment) or JSON (file); returns the value, or the reason it is refused. */
  parse(value: unknown): { value: unknown } | { expected: string };
}

const integer = (min: number, max: number) => (value: unknown): { value: unknown } | { expected: string } => {
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max
    ? { value: n }
    : { expected: `an integer from ${min} to ${max}` };
};

const text = (pattern: RegExp, expected: string) => (value: unknown): { value: unknown } | { expected: string } =>
  typeof value === 'string' && pattern.test(value) ? { value } : { expected };

const boolean = (value: unknown): { value: unknown } | { expected: string } =>
  value === true || value === 'true' ? { value: true } : value === false || value === 'false' ? { value: false } : { expected: 'true or false' };

const oneOf = (values: readonly string[]) => (value: unknown): { value: unknown } | { expected: string } =>
  typeof value === 'string' && values.includes(value) ? { value } : { expected: `one of ${values.join(', ')}` };

/** A comma-separated list; empty text is the empty list. */
const splitList = (value: string): string[] => value.split(',').map((item) => item.trim()).filter((item) => item !== '');

const isLoopback = (value: unknown): boolean => typeof value === 'string' && isLoopbackHost(value);


const KEYS: readonly KeySpec[] = [
  { path: 'dataDir', describe: 'data directory', parse: text(/^[^\0]{1,4096}$/, 'a directory path') },
  {
    path: 'storage.url',
    describe: 'a SQLite file path, or a postgres:// URL',
    parse: (value) => {
      if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) return { expected: 'a SQLite file path or a postgres:// URL' };
      if (engineOf(value) === 'postgres') {
        try {
          const url = new URL(value);
          if (url.hostname === '' || url.pathname.length <= 1) return { expected: 'a postgres:// URL with a host and a database name' };
        } catch {
          return { expected: 'a valid postgres:// URL' };
        }
      }
      return { value };
    },
  },
  { path: 'admin.host', describe: 'address the admin API listens on (other than loopback only with admin.tls on)', parse: text(/^[^\s/]{1,253}$/, 'a host name or IP address') },
  { path: 'admin.tls', describe: 'TLS on the admin API: on (the hub\'s certificate from the scheme CA), or off (plain HTTP, loopback only)', parse: oneOf(['on', 'off']) },
  { path: 'admin.port', describe: 'admin API port (0 = any free port)', parse: integer(0, 65535) },
  { path: 'admin.bodyBytesMax', describe: 'largest admin request body, bytes', parse: integer(1024, 1_048_576) },
  { path: 'admin.requestTimeoutMs', describe: 'time allowed to receive a whole admin request, ms', parse: integer(1_000, 120_000) },
  { path: 'admin.publicUrl', describe: 'base URL used in participant links', parse: text(/^https?:\/\/[^\s]{1,2000}$/, 'an http(s) URL') },
  { path: 'admin.externalIssuer.url', describe: 'an external OIDC issuer for operators (https; http only on loopback)', parse: (value) => (typeof value === 'string' && issuerUrlProblem(value) === undefined ? { value } : { expected: 'an https issuer URL (http only on loopback)' }) },
  { path: 'admin.externalIssuer.audience', describe: 'the audience of its access tokens for the admin API', parse: text(/^[^\s]{1,256}$/, 'an audience string') },
  { path: 'admin.externalIssuer.rolesClaim', describe: 'where its tokens carry roles, a dotted path (e.g. realm_access.roles)', parse: (value) => {
    const parts = typeof value === 'string' ? value.split('.') : [];
    return parts.length >= 1 && parts.length <= 5 && parts.every((part) => /^[A-Za-z0-9_]{1,64}$/.test(part)) ? { value } : { expected: 'a dotted claim path (at most 5 names)' };
  } },
  { path: 'admin.externalIssuer.roleMap', describe: 'its roles to local roles: ext=local[@participant],…', parse: (value) => {
    if (typeof value !== 'string') return { expected: 'ext=local[@participant],…' };
    const map = parseRoleMap(value);
    return map.ok ? { value } : { expected: map.error.detail };
  } },
  { path: 'admin.secretsKeyFile', describe: 'the key that seals operators\' TOTP secrets and the authorization server\'s keys in the database: 32 random bytes in base64, mode 0600; hub processes on one database share it (default <dataDir>/iam_secrets.key, made at first start)', parse: text(/^[^\0]{1,4096}$/, 'a file path') },
  { path: 'admin.bootstrapWindowMs', describe: 'how long after the first start the bootstrap administrator may create the first operators and give them IAM roles alone, ms (it also ends once a security approver exists)', parse: integer(BOOTSTRAP_WINDOW_MS_MIN, BOOTSTRAP_WINDOW_MS_MAX) },
  { path: 'admin.seedAutomationClients', describe: 'create a maker and a checker automation client, keys in <dataDir>/admin-automation.json (demo, tests)', parse: boolean },
  // Any address with mutual TLS; without it (fspiop.tls off), loopback only: checked below, across keys.
  { path: 'fspiop.host', describe: 'address the FSPIOP API listens on', parse: text(/^[A-Za-z0-9.:-]{1,253}$/, 'a host name or an IP address') },
  { path: 'fspiop.signingKeyFile', describe: 'the hub\'s JWS signing key (PKCS#8 PEM, mode 0600); hub processes on one database share it (default <dataDir>/hub_signing_key.pem, made at first start)', parse: text(/^[^\0]{1,4096}$/, 'a file path') },
  { path: 'fspiop.tls', describe: 'mutual TLS on the FSPIOP API and callbacks: mutual, or off (plain HTTP, loopback only)', parse: oneOf(['mutual', 'off']) },
  {
    path: 'fspiop.certificateHosts', describe: 'host names and IP addresses DFSPs and operators reach the hub by, comma-separated (its TLS certificate, presented by the FSPIOP and admin APIs, names them)',
    parse: (value) => {
      const names = typeof value === 'string' ? value.split(',') : [];
      return names.length >= 1 && names.length <= 16 && names.every((name) => /^[A-Za-z0-9.:-]{1,253}$/.test(name))
        ? { value } : { expected: '1 to 16 host names or IP addresses, comma-separated' };
    },
  },
  { path: 'fspiop.port', describe: 'FSPIOP API port (0 = any free port)', parse: integer(0, 65535) },
  { path: 'fspiop.bodyBytesMax', describe: 'largest FSPIOP request body, bytes', parse: integer(1024, 5_242_880) },
  { path: 'fspiop.requestTimeoutMs', describe: 'time allowed to receive a whole FSPIOP request, ms', parse: integer(1_000, 120_000) },
  { path: 'fspiop.handshakeTimeoutMs', describe: 'time allowed for a TLS handshake, ms', parse: integer(TIMEOUT_MS_MIN, TIMEOUT_MS_MAX) },
  { path: 'fspiop.headersTimeoutMs', describe: 'time allowed to receive a request\'s head (line and headers), ms; at most fspiop.requestTimeoutMs', parse: integer(TIMEOUT_MS_MIN, TIMEOUT_MS_MAX) },
  { path: 'fspiop.keepAliveTimeoutMs', describe: 'how long a connection may wait idle between requests, ms', parse: integer(TIMEOUT_MS_MIN, TIMEOUT_MS_MAX) },
  { path: 'fspiop.idleSocketTimeoutMs', describe: 'a connection silent this long during a request is closed, ms (0: no limit)', parse: (value) => (value === 0 || value === '0' ? { value: 0 } : integer(TIMEOUT_MS_MIN, TIMEOUT_MS_MAX)(value)) },
  { path: 'fspiop.headerBytesMax', describe: 'largest request head (line and headers), bytes', parse: integer(HEADER_BYTES_MIN, HEADER_BYTES_MAX) },
  { path: 'gateway.accessTokens', describe: 'OAuth2 access tokens bound to the DFSP\'s certificate: off, optional (checked when sent) or required', parse: oneOf(ACCESS_TOKEN_MODES) },
  { path: 'gateway.ipAllowlistMode', describe: 'IP allow-lists: enforce (no list, no access) or when-configured (only existing lists are enforced)', parse: oneOf(IP_ALLOWLIST_MODES) },
  { path: 'gateway.trustedProxies', describe: 'CIDR ranges of proxies whose X-Forwarded-For is believed, comma-separated (none by default)', parse: (value) => {
    if (typeof value !== 'string') return { expected: 'CIDR ranges, comma-separated' };
    try {
      trustedProxies(splitList(value));
      return { value };
    } catch (error) {
      return { expected: `CIDR ranges, comma-separated (${(error as Error).message})` };
    }
  } },
  { path: 'delivery.callbackNetworks', describe: 'CIDR ranges callback endpoints may be in, comma-separated (default: unicast IPv4, IPv6 global and unique-local); link-local, multicast and the hub\'s own listeners are never allowed', parse: (value) => {
    if (typeof value !== 'string' || splitList(value).length === 0) return { expected: 'CIDR ranges, comma-separated' };
    try {
      checkCallbackNetworks(splitList(value));
      return { value };
    } catch (error) {
      return { expected: `CIDR ranges, comma-separated (${(error as Error).message})` };
    }
  } },
  { path: 'delivery.allowLoopbackCallbacks', describe: 'allow callback endpoints on loopback (127.0.0.0/8, ::1): for the demo, simulators and tests only', parse: boolean },
  { path: 'gateway.policyRefreshIntervalMs', describe: 'how often IP allow-lists and API permissions changed by another hub process are read again, ms', parse: integer(1_000, 3_600_000) },
  ...FSPIOP_APIS.flatMap((api): KeySpec[] => [
    { path: `gateway.rateLimits.${api}.ratePerS`, describe: `requests a second each participant may make to the ${api} API, sustained (per hub process)`, parse: integer(1, RATE_PER_S_MAX) },
    { path: `gateway.rateLimits.${api}.burst`, describe: `requests each participant may make to the ${api} API at once after a quiet spell`, parse: integer(1, BURST_MAX) },
  ]),
  { path: 'gateway.rateLimits.overrides', describe: 'participants\' own limits: fsp:api=ratePerS/burst,… (e.g. bigfsp:transfers=500/1000)', parse: (value) => {
    if (typeof value !== 'string') return { expected: 'fsp:api=ratePerS/burst,…' };
    const parsed = parseRateLimitOverrides(value);
    return parsed.ok ? { value } : { expected: parsed.error.detail };
  } },
  { path: 'fspiop.dateSkewMsMax', describe: 'largest distance between a request Date and the hub clock, ms', parse: integer(1_000, 86_399_999) },
  { path: 'transfers.expiryMsMax', describe: 'latest expiration a prepare may ask for, ms from now', parse: integer(1_000, 7 * 24 * 3_600_000) },
  { path: 'transfers.expirySweepIntervalMs', describe: 'how often due transfers are expired, ms', parse: integer(100, 60_000) },
  { path: 'pki.dir', describe: 'directory of the scheme CA files (created 0700)', parse: text(/^[^\0]{1,4096}$/, 'a directory path') },
  { path: 'pki.leafLifetimeDays', describe: 'participant certificate lifetime when none is asked for, days', parse: integer(1, LEAF_LIFETIME_DAYS_MAX) },
  { path: 'pki.leafLifetimeDaysMax', describe: 'longest participant certificate lifetime, days', parse: integer(1, LEAF_LIFETIME_DAYS_MAX) },
  { path: 'pki.crlNextUpdateHours', describe: 'CRL validity, thisUpdate to nextUpdate, hours', parse: integer(1, CRL_NEXT_UPDATE_HOURS_MAX) },
  { path: 'pki.expiryWarningDays', describe: 'warn this many days before a certificate expires', parse: integer(1, 365) },
  { path: 'pki.crlReloadIntervalMs', describe: 'how often the hub reloads CRLs (and renews its own certificate when due), ms', parse: integer(1_000, 3_600_000) },
  { path: 'pki.crlUrl', describe: 'CRL distribution point URL put in certificates (none if unset)', parse: text(/^https?:\/\/[^\s]{1,2000}$/, 'an http(s) URL') },
  { path: 'audit.origin', describe: 'the audit log\'s identity, a schema-less URL (host/path); never change it for a log', parse: parseOrigin },
  { path: 'audit.keyFile', describe: 'the audit log\'s Ed25519 key, PKCS#8 PEM, mode 0600 (default <dataDir>/audit_key.pem, made at first start)', parse: text(/^[^\0]{1,4096}$/, 'a file path') },
  { path: 'audit.checkpointIntervalMs', describe: 'how often the audit log signs a checkpoint (when it grew) and sends it to witnesses, ms', parse: integer(CHECKPOINT_INTERVAL_MS_MIN, CHECKPOINT_INTERVAL_MS_MAX) },
  { path: 'audit.securityEventIntervalMs', describe: 'repeated security events of a source and kind are counted over this interval into one summary entry (the first is appended at once), ms', parse: integer(SECURITY_EVENT_INTERVAL_MS_MIN, SECURITY_EVENT_INTERVAL_MS_MAX) },
  { path: 'audit.witnesses', describe: 'witnesses of the audit log: JSON [{"url", "verifierKey"}] (from interlock audit witness)', parse: parseWitnesses },
  { path: 'log.level', describe: 'log level', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) },
];

/** admin.externalIssuer.*: all four keys, or none. */
function externalIssuerOf(values: ReadonlyMap<string, unknown>): { externalIssuer?: ExternalIssuerConfig } {
  const keys = ['url', 'audience', 'rolesClaim', 'roleMap'].map((k) => `admin.externalIssuer.${k}`);
  const given = keys.filter((k) => values.get(k) !== undefined);
  if (given.length === 0) return {};
  if (given.length !== keys.length) throw new ConfigError(`config admin.externalIssuer: give all of ${keys.join(', ')} (missing ${keys.filter((k) => !given.includes(k)).join(', ')})`);
  const roleMap = parseRoleMap(values.get('admin.externalIssuer.roleMap') as string);
  if (!roleMap.ok) throw new ConfigError(`config admin.externalIssuer.roleMap: ${roleMap.error.detail}`);
  return {
    externalIssuer: {
      issuer: values.get('admin.externalIssuer.url') as string,
      audience: values.get('admin.externalIssuer.audience') as string,
      rolesClaim: values.get('admin.externalIssuer.rolesClaim') as string,
      roleMap: roleMap.value,
    },
  };
}

/** The seeded automation clients' credentials, in the data directory (admin.seedAutomationClients). */
export const AUTOMATION_CREDENTIALS_FILE = 'admin-automation.json';

export function envName(path: string): string {
  return 'INTERLOCK_' + path.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function defaults(dataDir: string): Record<string, unknown> {
  return {
    dataDir,
    'storage.url': join(dataDir, 'interlock.sqlite'),
    'admin.host': '127.0.0.1',
    'admin.port': 3001,
    'admin.tls': 'on',
    'admin.bodyBytesMax': 65_536,
    'admin.requestTimeoutMs': 10_000,
    'admin.bootstrapWindowMs': BOOTSTRAP_WINDOW_MS_DEFAULT,
    'admin.seedAutomationClients': false,
    'fspiop.host': '127.0.0.1',
    'fspiop.port': 3000,
    'fspiop.bodyBytesMax': 65_536,
    'fspiop.requestTimeoutMs': 10_000,
    'fspiop.dateSkewMsMax': 300_000,
    'fspiop.tls': 'mutual',
    'fspiop.certificateHosts': 'localhost,127.0.0.1',
    'fspiop.handshakeTimeoutMs': DEFAULT_CONNECTION_LIMITS.handshakeTimeoutMs,
    'fspiop.headersTimeoutMs': DEFAULT_CONNECTION_LIMITS.headersTimeoutMs,
    'fspiop.keepAliveTimeoutMs': DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs,
    'fspiop.idleSocketTimeoutMs': DEFAULT_CONNECTION_LIMITS.idleSocketTimeoutMs,
    'fspiop.headerBytesMax': DEFAULT_CONNECTION_LIMITS.headerBytesMax,
    'gateway.accessTokens': 'required',
    'gateway.ipAllowlistMode': 'when-configured',
    'gateway.trustedProxies': '',
    'gateway.policyRefreshIntervalMs': 10_000,
    ...Object.fromEntries(FSPIOP_APIS.flatMap((api) => [
      [`gateway.rateLimits.${api}.ratePerS`, DEFAULT_RATE_LIMITS[api].ratePerS],
      [`gateway.rateLimits.${api}.burst`, DEFAULT_RATE_LIMITS[api].burst],
    ])),
    'gateway.rateLimits.overrides': '',
    'delivery.callbackNetworks': DEFAULT_CALLBACK_NETWORKS.join(','),
    'delivery.allowLoopbackCallbacks': false,
    'transfers.expiryMsMax': 86_400_000,
    'transfers.expirySweepIntervalMs': 1_000,
    'pki.dir': join(dataDir, 'pki'),
    'pki.leafLifetimeDays': 365,
    'pki.leafLifetimeDaysMax': LEAF_LIFETIME_DAYS_MAX,
    'pki.crlNextUpdateHours': 48,
    'pki.expiryWarningDays': 30,
    'pki.crlReloadIntervalMs': 10_000,
    'audit.origin': defaultOrigin(),
    'audit.checkpointIntervalMs': 1_000,
    'audit.securityEventIntervalMs': SECURITY_EVENT_COALESCE_INTERVAL_MS,
    'audit.witnesses': [],
    'log.level': 'info',
  };
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix === '' ? key : `${prefix}.${key}`, out);
  } else {
    out.set(prefix, value);
  }
}

export interface LoadOptions {
  /** Path of a JSON configuration file; when absent, ./interlock.config.json is read if it exists. */
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Values set by the caller (the CLI, tests), applied after the environment. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const known = new Map(KEYS.map((spec) => [spec.path, spec]));
  const raw = new Map<string, { value: unknown; source: Source | 'argument' }>();

  const filePath = options.file ?? env['INTERLOCK_CONFIG'];
  const fromFile = new Map<string, unknown>();
  const path = filePath ?? 'interlock.config.json';
  let fileText: string | undefined;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the configuration file
    fileText = readFileSync(path, 'utf8');
  } catch (error) {
    if (filePath !== undefined) throw new ConfigError(`config file ${path} cannot be read: ${(error as Error).message}`);
  }
  if (fileText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fileText);
    } catch (error) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
    }
    flatten(parsed, '', fromFile);
    for (const key of fromFile.keys()) {
      if (!known.has(key)) throw new ConfigError(`config file ${path}: key ${key} is not a configuration key (known: ${[...known.keys()].join(', ')})`);
    }
  }
  for (const [key, value] of fromFile) raw.set(key, { value, source: 'file' });
  for (const spec of KEYS) {
    const value = env[envName(spec.path)];
    if (value !== undefined) raw.set(spec.path, { value, source: 'env' });
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (!known.has(key)) throw new ConfigError(`key ${key} is not a configuration key`);
    raw.set(key, { value, source: 'argument' });
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('INTERLOCK_') && name !== 'INTERLOCK_CONFIG' && !name.startsWith('INTERLOCK_TEST_') && !KEYS.some((spec) => envName(spec.path) === name)) {
      throw new ConfigError(`environment variable ${name} is not a configuration key (known: ${KEYS.map((spec) => envName(spec.path)).join(', ')})`);
    }
  }

  const dataDirValue = raw.get('dataDir')?.value ?? 'data';
  const values = new Map(Object.entries(defaults(typeof dataDirValue === 'string' ? dataDirValue : 'data')));
  for (const spec of KEYS) {
    const given = raw.get(spec.path);
    if (given === undefined) continue;
    const parsed = spec.parse(given.value);
    if ('expected' in parsed) {
      const where = given.source === 'env' ? ` (from ${envName(spec.path)})` : given.source === 'file' ? ` (from ${path})` : '';
      throw new ConfigError(`config ${spec.path}${where}: expected ${parsed.expected}, got ${JSON.stringify(given.value)}`);
    }
    values.set(spec.path, parsed.value);
  }
  // Every value below was parsed by its key's spec, or is a default of that type.
  const text = (key: string) => values.get(key) as string;
  const int = (key: string) => values.get(key) as number;
  if (int('pki.leafLifetimeDays') > int('pki.leafLifetimeDaysMax')) {
    throw new ConfigError(`config pki.leafLifetimeDays (${int('pki.leafLifetimeDays')}) must not exceed pki.leafLifetimeDaysMax (${int('pki.leafLifetimeDaysMax')})`);
  }
  if (text('fspiop.tls') === 'off' && !isLoopback(text('fspiop.host'))) {
    throw new ConfigError(`config fspiop.host (${text('fspiop.host')}): with fspiop.tls off the FSPIOP API has no mutual TLS, so it may listen on loopback only (127.0.0.0/8, ::1 or localhost)`);
  }
  if (text('admin.tls') === 'off' && !isLoopback(text('admin.host'))) {
    throw new ConfigError(`config admin.host (${text('admin.host')}): with admin.tls off operators' passwords and tokens would cross the network in clear text, so the admin API may listen on loopback only (127.0.0.0/8, ::1 or localhost)`);
  }
  if (text('gateway.accessTokens') !== 'off' && text('fspiop.tls') !== 'mutual') {
    throw new ConfigError('config gateway.accessTokens: access tokens are bound to the DFSP\'s TLS certificate, so they need fspiop.tls mutual; set gateway.accessTokens off with fspiop.tls off');
  }
  const connection = {
    handshakeTimeoutMs: int('fspiop.handshakeTimeoutMs'), headersTimeoutMs: int('fspiop.headersTimeoutMs'), requestTimeoutMs: int('fspiop.requestTimeoutMs'),
    keepAliveTimeoutMs: int('fspiop.keepAliveTimeoutMs'), idleSocketTimeoutMs: int('fspiop.idleSocketTimeoutMs'), headerBytesMax: int('fspiop.headerBytesMax'),
  };
  const connectionProblem = connectionLimitsProblem(connection);
  if (connectionProblem !== undefined) throw new ConfigError(`config fspiop: ${connectionProblem}`);
  const overrides = parseRateLimitOverrides(text('gateway.rateLimits.overrides'));
  if (!overrides.ok) throw new ConfigError(`config gateway.rateLimits.overrides: ${overrides.error.detail}`);
  const host = text('admin.host');
  const adminScheme = text('admin.tls') === 'on' ? 'https' : 'http';
  const port = int('admin.port');
  return {
    dataDir: resolve(text('dataDir')),
    storage: { url: engineOf(text('storage.url')) === 'sqlite' ? resolve(text('storage.url')) : text('storage.url') },
    admin: {
      host,
      port,
      tls: text('admin.tls') as Config['admin']['tls'],
      bodyBytesMax: int('admin.bodyBytesMax'),
      requestTimeoutMs: int('admin.requestTimeoutMs'),
      bootstrapWindowMs: int('admin.bootstrapWindowMs'),
      publicUrl: (values.get('admin.publicUrl') as string | undefined) ?? `${adminScheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ...(values.get('admin.seedAutomationClients') === true ? { automationCredentialsFile: join(resolve(text('dataDir')), AUTOMATION_CREDENTIALS_FILE) } : {}),
      ...externalIssuerOf(values),
      ...(values.get('admin.secretsKeyFile') === undefined ? {} : { secretsKeyFile: resolve(text('admin.secretsKeyFile')) }),
    },
    fspiop: {
      host: text('fspiop.host'),
      port: int('fspiop.port'),
      bodyBytesMax: int('fspiop.bodyBytesMax'),
      requestTimeoutMs: int('fspiop.requestTimeoutMs'),
      dateSkewMsMax: int('fspiop.dateSkewMsMax'),
      tls: text('fspiop.tls') as Config['fspiop']['tls'],
      signingKeyFile: values.get('fspiop.signingKeyFile') as string | undefined,
      certificateHosts: text('fspiop.certificateHosts').split(','),
      handshakeTimeoutMs: connection.handshakeTimeoutMs,
      headersTimeoutMs: connection.headersTimeoutMs,
      keepAliveTimeoutMs: connection.keepAliveTimeoutMs,
      idleSocketTimeoutMs: connection.idleSocketTimeoutMs,
      headerBytesMax: connection.headerBytesMax,
    },
    gateway: {
      accessTokens: text('gateway.accessTokens') as AccessTokenMode,
      ipAllowlistMode: text('gateway.ipAllowlistMode') as IpAllowlistMode,
      trustedProxies: splitList(text('gateway.trustedProxies')),
      policyRefreshIntervalMs: int('gateway.policyRefreshIntervalMs'),
      rateLimits: Object.fromEntries(FSPIOP_APIS.map((api) => [api, { ratePerS: int(`gateway.rateLimits.${api}.ratePerS`), burst: int(`gateway.rateLimits.${api}.burst`) }])) as Record<FspiopApi, { ratePerS: number; burst: number }>,
      rateLimitOverrides: overrides.value,
    },
    delivery: { callbackNetworks: splitList(text('delivery.callbackNetworks')), allowLoopbackCallbacks: values.get('delivery.allowLoopbackCallbacks') === true },
    transfers: { expiryMsMax: int('transfers.expiryMsMax'), expirySweepIntervalMs: int('transfers.expirySweepIntervalMs') },
    pki: {
      dir: resolve(text('pki.dir')),
      leafLifetimeDays: int('pki.leafLifetimeDays'),
      leafLifetimeDaysMax: int('pki.leafLifetimeDaysMax'),
      crlNextUpdateHours: int('pki.crlNextUpdateHours'),
      expiryWarningDays: int('pki.expiryWarningDays'),
      crlReloadIntervalMs: int('pki.crlReloadIntervalMs'),
      crlUrl: values.get('pki.crlUrl') as string | undefined,
    },
    audit: {
      origin: text('audit.origin'),
      keyFile: values.get('audit.keyFile') === undefined ? undefined : resolve(text('audit.keyFile')),
      checkpointIntervalMs: int('audit.checkpointIntervalMs'),
      securityEventIntervalMs: int('audit.securityEventIntervalMs'),
      witnesses: values.get('audit.witnesses') as WitnessConfig[],
    },
    log: { level: text('log.level') as Config['log']['level'] },
  };
}

/** The configuration keys with their environment names and descriptions, for `interlock config keys`. */
export function describeKeys(): { key: string; env: string; describe: string }[] {
  return KEYS.map((spec) => ({ key: spec.path, env: envName(spec.path), describe: spec.describe }));
}

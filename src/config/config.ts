// One validated, frozen configuration: defaults, then a JSON file, then
// environment variables, then the caller's overrides, each key declared once in
// schema.ts. An unknown key or a bad value stops the start with an error that
// names the key, where it came from and what is expected.
import { readFileSync } from 'node:fs';
import { isLoopbackHost } from '../support/index.ts';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { engineOf } from '../storage/index.ts';
import { DOMAIN_CHECKS, splitList } from './checks.ts';
import { connectionLimitsProblem } from './connection_limits.ts';
import { parseRoleMap, type ExternalIssuerConfig } from './external_issuer.ts';
import { parseRateLimitOverrides, type RateLimitOverrides } from './rate_limits.ts';
import { CONFIG_SCHEMA, type ConfigValues, type GroupSchema, type KeySchema } from './schema.ts';

type Values = ConfigValues;

/** The hub's configuration: the schema's values, with paths resolved and lists and maps parsed. */
export interface Config {
  /** Directory for the embedded database and other files the hub owns (created 0700). */
  readonly dataDir: string;
  readonly storage: { readonly url: string };
  readonly admin: Omit<Values['admin'], 'publicUrl' | 'externalIssuer' | 'seedAutomationClients'> & {
    /** Base URL the admin API names itself by in participant links. */
    readonly publicUrl: string;
    /** Set when admin.seedAutomationClients is on: where the seeded maker and checker clients' keys are written. */
    readonly automationCredentialsFile?: string | undefined;
    /** An external OpenID Connect issuer whose users may call the admin API, with their roles mapped (admin.externalIssuer.*). */
    readonly externalIssuer?: ExternalIssuerConfig | undefined;
  };
  readonly fspiop: Omit<Values['fspiop'], 'certificateHosts'> & { readonly certificateHosts: readonly string[] };
  readonly gateway: Omit<Values['gateway'], 'trustedProxies' | 'rateLimits'> & {
    readonly trustedProxies: readonly string[];
    readonly rateLimits: Omit<Values['gateway']['rateLimits'], 'overrides'>;
    readonly rateLimitOverrides: RateLimitOverrides;
  };
  readonly delivery: Omit<Values['delivery'], 'callbackNetworks'> & { readonly callbackNetworks: readonly string[] };
  readonly transfers: Values['transfers'];
  readonly settlement: Values['settlement'];
  readonly risk: Values['risk'];
  readonly pki: Omit<Values['pki'], 'dir'> & { readonly dir: string };
  readonly audit: Values['audit'];
  readonly log: Values['log'];
}

/** A witness of the audit log: its submission prefix (add-checkpoint is POSTed under it) and its cosignature verifier key, as `interlock audit witness` prints it. */
export type WitnessConfig = Config['audit']['witnesses'][number];

/** The seeded automation clients' credentials, in the data directory (admin.seedAutomationClients). */
export const AUTOMATION_CREDENTIALS_FILE = 'admin-automation.json';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

interface Key {
  readonly path: string;
  readonly schema: KeySchema;
}

function keysOf(group: GroupSchema, prefix: string): Key[] {
  return Object.entries(group.properties).flatMap(([name, schema]) => {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    return 'env' in schema ? [{ path, schema }] : keysOf(schema, path);
  });
}

const KEYS: readonly Key[] = keysOf(CONFIG_SCHEMA, '');
const KEY_OF: ReadonlyMap<string, Key> = new Map(KEYS.map((key) => [key.path, key]));

const ajv = new Ajv({ allErrors: false, useDefaults: true, coerceTypes: false });
ajv.addKeyword({ keyword: 'env', schemaType: 'string' });
ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
const validateValues = ajv.compile(CONFIG_SCHEMA);

export function envName(path: string): string {
  const key = KEY_OF.get(path);
  if (key === undefined) throw new ConfigError(`key ${path} is not a configuration key`);
  return key.schema.env;
}

/** The configuration keys with their environment names and descriptions, for `interlock config keys`. */
export function describeKeys(): { key: string; env: string; describe: string }[] {
  return KEYS.map(({ path, schema }) => ({ key: path, env: schema.env, describe: schema.description }));
}

type Source = 'file' | 'env' | 'argument';
type Given = Map<string, { value: unknown; source: Source }>;

export interface LoadOptions {
  /** Path of a JSON configuration file; when absent, ./interlock.config.json is read if it exists. */
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Values set by the caller (the CLI, tests), applied after the environment. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env['INTERLOCK_CONFIG'] ?? 'interlock.config.json';
  const given: Given = new Map();
  for (const [path, value] of readFileValues(filePath, options.file ?? env['INTERLOCK_CONFIG'])) given.set(path, { value, source: 'file' });
  for (const [path, value] of envValues(env)) given.set(path, { value, source: 'env' });
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (!KEY_OF.has(path)) throw new ConfigError(`key ${path} is not a configuration key`);
    given.set(path, { value, source: 'argument' });
  }
  return deepFreeze(resolveConfig(checkedValues(given, filePath)));
}

/** The file's keys, flattened to dotted paths; none when no file was named and the default one is absent. */
function readFileValues(path: string, named: string | undefined): Map<string, unknown> {
  const values = new Map<string, unknown>();
  let text: string;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the configuration file
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (named !== undefined) throw new ConfigError(`config file ${path} cannot be read: ${(error as Error).message}`);
    return values;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  flatten(parsed, '', values);
  for (const key of values.keys()) {
    if (!KEY_OF.has(key)) throw new ConfigError(`config file ${path}: key ${key} is not a configuration key (known: ${[...KEY_OF.keys()].join(', ')})`);
  }
  return values;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix === '' ? key : `${prefix}.${key}`, out);
  } else {
    out.set(prefix, value);
  }
}

/** INTERLOCK_* variables; any that names no key is refused (a typo would otherwise be a silent default). */
function envValues(env: Record<string, string | undefined>): Map<string, string> {
  const values = new Map<string, string>();
  for (const { path, schema } of KEYS) {
    const value = env[schema.env];
    if (value !== undefined) values.set(path, value);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('INTERLOCK_') && name !== 'INTERLOCK_CONFIG' && !name.startsWith('INTERLOCK_TEST_') && !KEYS.some(({ schema }) => schema.env === name)) {
      throw new ConfigError(`environment variable ${name} is not a configuration key (known: ${KEYS.map(({ schema }) => schema.env).join(', ')})`);
    }
  }
  return values;
}

/** Text from the environment (or a file) as the type the key's schema asks for; anything else is left for the schema to refuse. */
function coerce(schema: KeySchema, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (schema.type === 'integer' && /^[0-9]+$/.test(value)) return Number(value);
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (schema.type === 'array') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function expectedOf(schema: KeySchema): string {
  if (schema.expected !== undefined) return schema.expected;
  if (schema.enum !== undefined) return `one of ${schema.enum.join(', ')}`;
  if (schema.type === 'integer') return `an integer from ${String(schema.minimum)} to ${String(schema.maximum)}`;
  return schema.type === 'boolean' ? 'true or false' : `a ${schema.type}`;
}

function refusal(key: Key, given: Given, filePath: string, expected: string): ConfigError {
  const { value, source } = given.get(key.path) ?? { value: undefined, source: 'argument' };
  const where = source === 'env' ? ` (from ${key.schema.env})` : source === 'file' ? ` (from ${filePath})` : '';
  return new ConfigError(`config ${key.path}${where}: expected ${expected}, got ${JSON.stringify(value)}`);
}

/** The key a schema error is about: the longest key path its instance path starts with. */
function keyOfError(error: ErrorObject): Key | undefined {
  const path = error.instancePath.split('/').slice(1).join('.');
  return KEYS.filter((key) => path === key.path || path.startsWith(`${key.path}.`)).at(-1);
}

/** The given values checked against the schema, then by their domain checks; defaults filled in. */
function checkedValues(given: Given, filePath: string): Values {
  const values: Record<string, unknown> = {};
  for (const key of KEYS) {
    const parts = key.path.split('.');
    const group = parts.slice(0, -1).reduce<Record<string, unknown>>((parent, part) => (parent[part] ??= {}) as Record<string, unknown>, values);
    const entry = given.get(key.path);
    if (entry !== undefined) group[parts.at(-1) ?? ''] = coerce(key.schema, entry.value);
  }
  if (!validateValues(values)) {
    const error = validateValues.errors?.[0];
    const key = error === undefined ? undefined : keyOfError(error);
    if (key === undefined) throw new ConfigError(`config: ${ajv.errorsText(validateValues.errors)}`);
    throw refusal(key, given, filePath, expectedOf(key.schema));
  }
  for (const key of KEYS) {
    const value = key.path.split('.').reduce<unknown>((parent, part) => (parent as Record<string, unknown>)[part], values);
    const problem = value === undefined ? undefined : DOMAIN_CHECKS[key.path]?.(value as never);
    if (problem !== undefined) throw refusal(key, given, filePath, problem);
  }
  return values as Values;
}

const isLoopback = (host: string): boolean => isLoopbackHost(host);

/** What one key cannot say alone: relations between keys. */
function checkAcrossKeys(values: Values): void {
  const { admin, fspiop, gateway, pki } = values;
  if (pki.leafLifetimeDays > pki.leafLifetimeDaysMax) {
    throw new ConfigError(`config pki.leafLifetimeDays (${pki.leafLifetimeDays}) must not exceed pki.leafLifetimeDaysMax (${pki.leafLifetimeDaysMax})`);
  }
  if (fspiop.tls === 'off' && !isLoopback(fspiop.host)) {
    throw new ConfigError(`config fspiop.host (${fspiop.host}): with fspiop.tls off the FSPIOP API has no mutual TLS, so it may listen on loopback only (127.0.0.0/8, ::1 or localhost)`);
  }
  if (admin.tls === 'off' && !isLoopback(admin.host)) {
    throw new ConfigError(`config admin.host (${admin.host}): with admin.tls off operators' passwords and tokens would cross the network in clear text, so the admin API may listen on loopback only (127.0.0.0/8, ::1 or localhost)`);
  }
  if (gateway.accessTokens !== 'off' && fspiop.tls !== 'mutual') {
    throw new ConfigError('config gateway.accessTokens: access tokens are bound to the DFSP\'s TLS certificate, so they need fspiop.tls mutual; set gateway.accessTokens off with fspiop.tls off');
  }
  const connectionProblem = connectionLimitsProblem(fspiop);
  if (connectionProblem !== undefined) throw new ConfigError(`config fspiop: ${connectionProblem}`);
}

/** admin.externalIssuer.*: all four keys, or none. */
function externalIssuerOf(external: Values['admin']['externalIssuer']): { externalIssuer?: ExternalIssuerConfig } {
  const keys = ['url', 'audience', 'rolesClaim', 'roleMap'] as const;
  const given = keys.filter((name) => external[name] !== undefined);
  if (given.length === 0) return {};
  const { url, audience, rolesClaim, roleMap } = external;
  if (url === undefined || audience === undefined || rolesClaim === undefined || roleMap === undefined) {
    const names = (list: readonly string[]) => list.map((name) => `admin.externalIssuer.${name}`).join(', ');
    throw new ConfigError(`config admin.externalIssuer: give all of ${names(keys)} (missing ${names(keys.filter((name) => !given.includes(name)))})`);
  }
  const parsed = parseRoleMap(roleMap);
  if (!parsed.ok) throw new ConfigError(`config admin.externalIssuer.roleMap: ${parsed.error.detail}`);
  return { externalIssuer: { issuer: url, audience, rolesClaim, roleMap: parsed.value } };
}

function adminOf(values: Values, dataDir: string): Config['admin'] {
  const { publicUrl, externalIssuer, seedAutomationClients, secretsKeyFile, ...admin } = values.admin;
  const scheme = admin.tls === 'on' ? 'https' : 'http';
  return {
    ...admin,
    publicUrl: publicUrl ?? `${scheme}://${admin.host.includes(':') ? `[${admin.host}]` : admin.host}:${admin.port}`,
    ...(seedAutomationClients ? { automationCredentialsFile: join(dataDir, AUTOMATION_CREDENTIALS_FILE) } : {}),
    ...externalIssuerOf(externalIssuer),
    ...(secretsKeyFile === undefined ? {} : { secretsKeyFile: resolve(secretsKeyFile) }),
  };
}

function gatewayOf(gateway: Values['gateway']): Config['gateway'] {
  const { overrides, ...rateLimits } = gateway.rateLimits;
  const parsed = parseRateLimitOverrides(overrides);
  if (!parsed.ok) throw new ConfigError(`config gateway.rateLimits.overrides: ${parsed.error.detail}`);
  return { ...gateway, trustedProxies: splitList(gateway.trustedProxies), rateLimits, rateLimitOverrides: parsed.value };
}

function resolveConfig(values: Values): Config {
  checkAcrossKeys(values);
  const dataDir = resolve(values.dataDir);
  const storageUrl = values.storage.url ?? join(values.dataDir, 'interlock.sqlite');
  return {
    dataDir,
    storage: { url: engineOf(storageUrl) === 'sqlite' ? resolve(storageUrl) : storageUrl },
    admin: adminOf(values, dataDir),
    fspiop: { ...values.fspiop, certificateHosts: values.fspiop.certificateHosts.split(',') },
    gateway: gatewayOf(values.gateway),
    delivery: { ...values.delivery, callbackNetworks: splitList(values.delivery.callbackNetworks) },
    transfers: values.transfers,
    settlement: values.settlement,
    risk: values.risk,
    pki: { ...values.pki, dir: resolve(values.pki.dir ?? join(values.dataDir, 'pki')) },
    audit: { ...values.audit, keyFile: values.audit.keyFile === undefined ? undefined : resolve(values.audit.keyFile) },
    log: values.log,
  };
}

/** Frozen all the way down (maps, which freezing cannot close, are typed read-only): no part of the hub can change another's configuration. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Map)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

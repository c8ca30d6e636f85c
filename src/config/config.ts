// One validated configuration: defaults, then a JSON file, then environment
// variables (INTERLOCK_<SECTION>_<KEY>), each key declared once below with its
// type, bounds and meaning. An unknown key or a bad value stops the start with
// an error that names the key, where it came from and what is expected.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CRL_NEXT_UPDATE_HOURS_MAX, LEAF_LIFETIME_DAYS_MAX } from '../pki/limits.ts';
import { engineOf } from '../storage/index.ts';

export interface Config {
  /** Directory for the embedded database and other files the hub owns (created 0700). */
  dataDir: string;
  storage: { url: string };
  admin: {
    host: string;
    port: number;
    bodyBytesMax: number;
    requestTimeoutMs: number;
    /** Base URL the admin API names itself by in participant links. */
    publicUrl: string;
  };
  fspiop: {
    host: string;
    port: number;
    bodyBytesMax: number;
    requestTimeoutMs: number;
    /** Largest distance between a request's Date header and the hub's clock. */
    dateSkewMsMax: number;
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
    /** Published in certificates as their CRL distribution point; none when unset. */
    crlUrl: string | undefined;
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

const oneOf = (values: readonly string[]) => (value: unknown): { value: unknown } | { expected: string } =>
  typeof value === 'string' && values.includes(value) ? { value } : { expected: `one of ${values.join(', ')}` };

const loopbackOnly = (why: string) => (value: unknown): { value: unknown } | { expected: string } => {
  const loopback = value === 'localhost' || value === '::1' || (typeof value === 'string' && isIP(value) === 4 && value.startsWith('127.'));
  return loopback ? { value } : { expected: `a loopback address (127.0.0.0/8, ::1 or localhost): ${why}, so it may listen on loopback only` };
};

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
  // Until operator sign-in exists, the admin API must not be reachable from another machine.
  { path: 'admin.host', describe: 'address the admin API listens on', parse: loopbackOnly('the admin API has no operator sign-in yet') },
  { path: 'admin.port', describe: 'admin API port (0 = any free port)', parse: integer(0, 65535) },
  { path: 'admin.bodyBytesMax', describe: 'largest admin request body, bytes', parse: integer(1024, 1_048_576) },
  { path: 'admin.requestTimeoutMs', describe: 'time allowed to receive a whole admin request, ms', parse: integer(1_000, 120_000) },
  { path: 'admin.publicUrl', describe: 'base URL used in participant links', parse: text(/^https?:\/\/[^\s]{1,2000}$/, 'an http(s) URL') },
  // Until mutual TLS exists, the FSPIOP API must not be reachable from another machine either.
  { path: 'fspiop.host', describe: 'address the FSPIOP API listens on', parse: loopbackOnly('the FSPIOP API has no mutual TLS yet') },
  { path: 'fspiop.port', describe: 'FSPIOP API port (0 = any free port)', parse: integer(0, 65535) },
  { path: 'fspiop.bodyBytesMax', describe: 'largest FSPIOP request body, bytes', parse: integer(1024, 5_242_880) },
  { path: 'fspiop.requestTimeoutMs', describe: 'time allowed to receive a whole FSPIOP request, ms', parse: integer(1_000, 120_000) },
  { path: 'fspiop.dateSkewMsMax', describe: 'largest distance between a request Date and the hub clock, ms', parse: integer(1_000, 86_399_999) },
  { path: 'transfers.expiryMsMax', describe: 'latest expiration a prepare may ask for, ms from now', parse: integer(1_000, 7 * 24 * 3_600_000) },
  { path: 'transfers.expirySweepIntervalMs', describe: 'how often due transfers are expired, ms', parse: integer(100, 60_000) },
  { path: 'pki.dir', describe: 'directory of the scheme CA files (created 0700)', parse: text(/^[^\0]{1,4096}$/, 'a directory path') },
  { path: 'pki.leafLifetimeDays', describe: 'participant certificate lifetime when none is asked for, days', parse: integer(1, LEAF_LIFETIME_DAYS_MAX) },
  { path: 'pki.leafLifetimeDaysMax', describe: 'longest participant certificate lifetime, days', parse: integer(1, LEAF_LIFETIME_DAYS_MAX) },
  { path: 'pki.crlNextUpdateHours', describe: 'CRL validity, thisUpdate to nextUpdate, hours', parse: integer(1, CRL_NEXT_UPDATE_HOURS_MAX) },
  { path: 'pki.expiryWarningDays', describe: 'warn this many days before a certificate expires', parse: integer(1, 365) },
  { path: 'pki.crlUrl', describe: 'CRL distribution point URL put in certificates (none if unset)', parse: text(/^https?:\/\/[^\s]{1,2000}$/, 'an http(s) URL') },
  { path: 'log.level', describe: 'log level', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) },
];

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
    'admin.bodyBytesMax': 65_536,
    'admin.requestTimeoutMs': 10_000,
    'fspiop.host': '127.0.0.1',
    'fspiop.port': 3000,
    'fspiop.bodyBytesMax': 65_536,
    'fspiop.requestTimeoutMs': 10_000,
    'fspiop.dateSkewMsMax': 300_000,
    'transfers.expiryMsMax': 86_400_000,
    'transfers.expirySweepIntervalMs': 1_000,
    'pki.dir': join(dataDir, 'pki'),
    'pki.leafLifetimeDays': 365,
    'pki.leafLifetimeDaysMax': LEAF_LIFETIME_DAYS_MAX,
    'pki.crlNextUpdateHours': 48,
    'pki.expiryWarningDays': 30,
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
  const host = text('admin.host');
  const port = int('admin.port');
  return {
    dataDir: resolve(text('dataDir')),
    storage: { url: engineOf(text('storage.url')) === 'sqlite' ? resolve(text('storage.url')) : text('storage.url') },
    admin: {
      host,
      port,
      bodyBytesMax: int('admin.bodyBytesMax'),
      requestTimeoutMs: int('admin.requestTimeoutMs'),
      publicUrl: (values.get('admin.publicUrl') as string | undefined) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    },
    fspiop: {
      host: text('fspiop.host'),
      port: int('fspiop.port'),
      bodyBytesMax: int('fspiop.bodyBytesMax'),
      requestTimeoutMs: int('fspiop.requestTimeoutMs'),
      dateSkewMsMax: int('fspiop.dateSkewMsMax'),
    },
    transfers: { expiryMsMax: int('transfers.expiryMsMax'), expirySweepIntervalMs: int('transfers.expirySweepIntervalMs') },
    pki: {
      dir: resolve(text('pki.dir')),
      leafLifetimeDays: int('pki.leafLifetimeDays'),
      leafLifetimeDaysMax: int('pki.leafLifetimeDaysMax'),
      crlNextUpdateHours: int('pki.crlNextUpdateHours'),
      expiryWarningDays: int('pki.expiryWarningDays'),
      crlUrl: values.get('pki.crlUrl') as string | undefined,
    },
    log: { level: text('log.level') as Config['log']['level'] },
  };
}

/** The configuration keys with their environment names and descriptions, for `interlock config keys`. */
export function describeKeys(): { key: string; env: string; describe: string }[] {
  return KEYS.map((spec) => ({ key: spec.path, env: envName(spec.path), describe: spec.describe }));
}

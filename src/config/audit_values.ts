// The audit log's configuration values
// (audit.origin, audit.witnesses), checked for config/schema.ts.
import { hostname } from 'node:os';
import { WITNESSES_MAX } from './limits.ts';
import type { WitnessConfig } from './config.ts';
import { httpUrlProblem } from '../support/index.ts';
import { isKeyName, parseCosignatureVerifierKey } from '../translog/index.ts';

type Parsed = { value: unknown } | { expected: string };

// A schema-less URL, as C2SP tlog-checkpoint recommends: host[:port][/path], no spaces or '+' (a note key name).
const ORIGIN_HOST = /^[a-z0-9][a-z0-9.-]{0,252}$/;
const ORIGIN_PORT = /^[0-9]{1,5}$/;
const ORIGIN_PATH_SEGMENT = /^[A-Za-z0-9._~-]{1,64}$/;

export function parseOrigin(value: unknown): Parsed {
  const [authority = '', ...path] = typeof value === 'string' ? value.split('/') : [];
  const [host = '', port, ...more] = authority.split(':');
  return typeof value === 'string' && value.length <= 255 && isKeyName(value) && ORIGIN_HOST.test(host) && more.length === 0
    && (port === undefined || ORIGIN_PORT.test(port)) && path.length <= 8 && path.every((s) => ORIGIN_PATH_SEGMENT.test(s))
    ? { value }
    : { expected: 'the log\'s identity as a schema-less URL, e.g. hub.example.org/interlock/audit (lower-case host, optional /path)' };
}

/** The default origin, `<host name>/interlock/audit`. A log's origin must never change: set audit.origin. */
export function defaultOrigin(): string {
  const host = hostname().toLowerCase();
  const origin = `${host}/interlock/audit`;
  return 'value' in parseOrigin(origin) ? origin : 'localhost/interlock/audit';
}

/** A JSON array (a JSON string, from the environment) of {url, verifierKey}; at most WITNESSES_MAX. */
export function parseWitnesses(value: unknown): Parsed {
  const expected = `a JSON array of up to ${WITNESSES_MAX} {"url": "http(s)://…", "verifierKey": "name+keyid+key"} (from interlock audit witness)`;
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      return { expected };
    }
  }
  if (!Array.isArray(list) || list.length > WITNESSES_MAX) return { expected };
  const witnesses: WitnessConfig[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) return { expected };
    const { url, verifierKey, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof url !== 'string' || typeof verifierKey !== 'string') return { expected };
    const problem = httpUrlProblem(url, 'a witness url');
    if (problem !== undefined) return { expected: `${expected}; ${problem}` };
    const key = parseCosignatureVerifierKey(verifierKey);
    if (!key.ok) return { expected: `${expected}; ${verifierKey}: ${key.error}` };
    if (witnesses.some((w) => w.verifierKey === verifierKey)) return { expected: `${expected}; a witness key is listed twice` };
    witnesses.push({ url, verifierKey });
  }
  return { value: witnesses };
}

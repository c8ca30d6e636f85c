// The checks a key's JSON Schema cannot express: values that must parse as
// lists of CIDR ranges, a role map, rate-limit overrides, a URL of a kind, an
// audit origin or a witness list. Each is pure, and runs once the value has
// passed its schema; it returns what was expected when the value is refused.
import { parseOrigin, parseWitnesses } from './audit_values.ts';
import { engineOf } from '../storage/index.ts';
import { parseCidrList } from '../support/index.ts';
import { issuerUrlProblem, parseRoleMap } from './external_issuer.ts';
import { CALLBACK_NETWORKS_MAX, TRUSTED_PROXIES_MAX } from './limits.ts';
import { parseRateLimitOverrides } from './rate_limits.ts';

/** A comma-separated list; empty text is the empty list. */
export const splitList = (value: string): string[] => value.split(',').map((item) => item.trim()).filter((item) => item !== '');

type Check = (value: never) => string | undefined;

function storageUrl(value: string): string | undefined {
  if (engineOf(value) !== 'postgres') return undefined;
  try {
    const url = new URL(value);
    return url.hostname === '' || url.pathname.length <= 1 ? 'a postgres:// URL with a host and a database name' : undefined;
  } catch {
    return 'a valid postgres:// URL';
  }
}

function cidrList(value: string, max: number, what: string, indexed: boolean): string | undefined {
  const ranges = parseCidrList(splitList(value), max, what, indexed);
  return ranges.ok ? undefined : `CIDR ranges, comma-separated (${ranges.error})`;
}

/** Keyed by the key's dotted path; the value has the type its schema gives it. */
export const DOMAIN_CHECKS: Readonly<Record<string, Check>> = {
  'storage.url': storageUrl,
  'settlement.windowCloseIntervalMs': (value: number) => (value === 0 || value >= 60_000 ? undefined : '0 (never), or at least 60000 (a minute)'),
  'admin.externalIssuer.url': (value: string) => (issuerUrlProblem(value) === undefined ? undefined : 'an https issuer URL (http only on loopback)'),
  'admin.externalIssuer.roleMap': (value: string) => {
    const map = parseRoleMap(value);
    return map.ok ? undefined : map.error.detail;
  },
  'gateway.trustedProxies': (value: string) => cidrList(value, TRUSTED_PROXIES_MAX, 'trusted proxy', true),
  'gateway.rateLimits.overrides': (value: string) => {
    const parsed = parseRateLimitOverrides(value);
    return parsed.ok ? undefined : parsed.error.detail;
  },
  'delivery.callbackNetworks': (value: string) => (splitList(value).length === 0 ? 'CIDR ranges, comma-separated' : cidrList(value, CALLBACK_NETWORKS_MAX, 'callback network', false)),
  'audit.origin': (value: string) => {
    const parsed = parseOrigin(value);
    return 'expected' in parsed ? parsed.expected : undefined;
  },
  'audit.witnesses': (value: unknown) => {
    const parsed = parseWitnesses(value);
    return 'expected' in parsed ? parsed.expected : undefined;
  },
};

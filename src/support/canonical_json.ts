// RFC 8785 (JSON Canonicalization Scheme) for the JSON values this hub
// handles: object keys sorted by UTF-16 code units, no whitespace, ECMAScript
// number and string serialisation. Used wherever a body is hashed, so that
// key order alone never counts as a change.
import { createHash } from 'node:crypto';

// A lone surrogate has no UTF-8 encoding; RFC 8785 requires refusing it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function text(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError('canonicalJson: string with a lone surrogate');
  return JSON.stringify(value);
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map((item) => canonicalJson(item)).join(',') + ']';
  if (typeof value === 'object') {
    // Only plain JSON objects: a Date, Map, Set or typed array would encode as {} or by index and collide.
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new TypeError('canonicalJson: not a plain object');
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, v]) => text(k) + ':' + canonicalJson(v)).join(',') + '}';
  }
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}

/** Base64url SHA-256 of the canonical form. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}

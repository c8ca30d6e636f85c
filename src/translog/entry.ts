// The audit log's entry: who did what to which target, the values before and
// after, the result, from where and when. Its leaf is the entry's canonical
// JSON (RFC 8785, support/canonical_json.ts) as UTF-8, so one entry has one
// encoding and the log can be re-verified by tools in any language.
//
// The log is handed to auditors, so personal data (party names and
// identifiers) never enters it in clear (issue 7 §5). The types make that a
// decision the author of every string writes down: a string in a target or in
// the before/after values is either a PersonalDataDigest, made only by
// digestPersonalData, or AuditText, made only by auditText, whose caller
// vouches that it holds no personal data (participant names, ids the hub
// made, codes). A raw MSISDN is a plain string and does not type-check.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalJson, err, ok } from '../support/index.ts';
import { ENTRY_BYTES_MAX, ENTRY_IDENTIFIER_LENGTH_MAX, PERSONAL_DATA_SALT_BYTES_MIN } from './limits.ts';
import type { Outcome } from './outcome.ts';

/** Every employee action, and every security event (refused certificate, bad signature, denied authorization, risk decision). */
export type EntryKind = 'operator-action' | 'security-event';
export type EntryOutcome = 'succeeded' | 'refused' | 'failed';

declare const personalDataDigestBrand: unique symbol;
declare const auditTextBrand: unique symbol;

/** A keyed digest of personal data: `hmac-sha256:` and 43 base64url characters. Made only by digestPersonalData. */
export type PersonalDataDigest = string & { readonly [personalDataDigestBrand]: true };

/** Text that holds no personal data, by its author's word. Made only by auditText. */
export type AuditText = string & { readonly [auditTextBrand]: true };

/** A before/after value: JSON whose strings are all AuditText or PersonalDataDigest. */
export type AuditValue = AuditText | PersonalDataDigest | number | boolean | null | readonly AuditValue[] | { readonly [field: string]: AuditValue };

export interface AuditTarget {
  /** What kind of thing was acted on: 'participant', 'endpoint', 'transfer', 'party', 'operator', … */
  readonly type: string;
  /** Which one. A party (or anything else naming a person) is identified by a digest. */
  readonly id: AuditText | PersonalDataDigest;
}

export interface AuditResult {
  readonly outcome: EntryOutcome;
  /** Why it was refused or failed (an error code or the hub's message); null when it succeeded. */
  readonly reason: AuditText | null;
}

export interface AuditEntry {
  readonly kind: EntryKind;
  /** The operator's account id, the participant (DFSP) name, or 'hub' for the hub's own decisions. */
  readonly actor: string;
  /** The role the actor acted in (for operators, the role that authorised the action). */
  readonly actorRole: string;
  /** What was done, as a stable code: 'participant.limit.set', 'tls.certificate.refused', … */
  readonly action: string;
  readonly target: AuditTarget;
  /** The target's relevant state before the action; null when there was none. */
  readonly before: AuditValue;
  /** … and after it; null when there is none (refused, deleted). */
  readonly after: AuditValue;
  readonly result: AuditResult;
  /** The IP address the request came from; null for the hub's own actions. */
  readonly sourceAddress: string | null;
  readonly timeMs: number;
}

/** The version of the encoding, the first field a reader checks; a new field means a new version. */
export const ENTRY_ENCODING_VERSION = 1;

const DIGEST_PREFIX = 'hmac-sha256:';
const DIGEST_PATTERN = /^hmac-sha256:[A-Za-z0-9_-]{43}$/;
// Identifiers (actor, role, action, target type): printable ASCII without spaces, so prose cannot go there.
const IDENTIFIER = /^[\x21-\x7e]+$/;
const KINDS: ReadonlySet<string> = new Set<EntryKind>(['operator-action', 'security-event']);
const OUTCOMES: ReadonlySet<string> = new Set<EntryOutcome>(['succeeded', 'refused', 'failed']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * HMAC-SHA-256 of the value's UTF-8 bytes, keyed by the salt. A salted digest of a phone number is only as
 * strong as the salt's secrecy (there are few phone numbers to try), so the salt is a secret key, and HMAC is
 * the construction for a keyed SHA-256. Equal values give equal digests, so an auditor can follow one party
 * through the log without learning who it is. Pass values in one canonical form (e.g. `MSISDN/27713803912`).
 */
export function digestPersonalData(salt: Uint8Array, value: string): PersonalDataDigest {
  assert.ok(salt.length >= PERSONAL_DATA_SALT_BYTES_MIN, `digestPersonalData: the salt is at least ${PERSONAL_DATA_SALT_BYTES_MIN} bytes`);
  assert.ok(value.length > 0 && value.isWellFormed(), 'digestPersonalData: a non-empty, well-formed value');
  return `${DIGEST_PREFIX}${createHmac('sha256', salt).update(value, 'utf8').digest('base64url')}` as PersonalDataDigest;
}

export function isPersonalDataDigest(value: string): value is PersonalDataDigest {
  return DIGEST_PATTERN.test(value);
}

/**
 * Marks text as free of personal data. Lone UTF-16 surrogates (which have no UTF-8 form, and can arrive in a
 * JSON body as `\ud800`) become U+FFFD, so that recording what an operator sent never fails.
 */
export function auditText(value: string): AuditText {
  return value.toWellFormed() as AuditText;
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length <= ENTRY_IDENTIFIER_LENGTH_MAX && IDENTIFIER.test(value);
}

function isAuditValue(value: unknown, depth: number): value is AuditValue {
  if (depth > 32) return false;
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every((item) => isAuditValue(item, depth + 1));
  if (typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.entries(value).every(([key, item]) => !FORBIDDEN_KEYS.has(key) && isAuditValue(item, depth + 1));
}

/** Why `entry` is not an entry, or undefined. Every field is checked: decoded entries come from storage or an export. */
function entryProblem(entry: Record<string, unknown>): string | undefined {
  const { kind, actor, actorRole, action, target, before, after, result, sourceAddress, timeMs } = entry;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return 'kind is not an entry kind';
  if (!isIdentifier(actor)) return 'actor is not an identifier';
  if (!isIdentifier(actorRole)) return 'actorRole is not an identifier';
  if (!isIdentifier(action)) return 'action is not an identifier';
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return 'target is not an object';
  const { type, id } = target as Record<string, unknown>;
  if (!isIdentifier(type)) return 'target type is not an identifier';
  if (typeof id !== 'string' || !id.isWellFormed()) return 'target id is not text';
  if (!isAuditValue(before, 0)) return 'before is not an audit value';
  if (!isAuditValue(after, 0)) return 'after is not an audit value';
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return 'result is not an object';
  const { outcome, reason } = result as Record<string, unknown>;
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return 'result outcome is not an outcome';
  if (reason !== null && (typeof reason !== 'string' || !reason.isWellFormed())) return 'result reason is not text or null';
  if (sourceAddress !== null && (typeof sourceAddress !== 'string' || isIP(sourceAddress) === 0)) return 'sourceAddress is not an IP address or null';
  if (typeof timeMs !== 'number' || !Number.isSafeInteger(timeMs) || timeMs < 0) return 'timeMs is not a time';
  return undefined;
}

function encoded(entry: AuditEntry): Record<string, unknown> {
  // Fields listed one by one: an extra property on the caller's object never reaches the log.
  return {
    v: ENTRY_ENCODING_VERSION,
    kind: entry.kind,
    actor: entry.actor,
    actorRole: entry.actorRole,
    action: entry.action,
    target: { type: entry.target.type, id: entry.target.id },
    before: entry.before,
    after: entry.after,
    result: { outcome: entry.result.outcome, reason: entry.result.reason },
    sourceAddress: entry.sourceAddress,
    timeMs: entry.timeMs,
  };
}

/**
 * The entry's leaf bytes: RFC 8785 canonical JSON in UTF-8. A malformed entry is a programmer error; an entry
 * too large for a tlog-tiles bundle (before/after values are operator input) is refused as a value.
 */
export function encodeEntry(entry: AuditEntry): Outcome<Uint8Array> {
  const fields = encoded(entry);
  const problem = entryProblem(fields);
  assert.ok(problem === undefined, `encodeEntry: ${problem ?? ''}`);
  const bytes = Buffer.from(canonicalJson(fields), 'utf8');
  if (bytes.length > ENTRY_BYTES_MAX) return err(`the entry encodes to ${bytes.length} bytes, over ${ENTRY_BYTES_MAX}`);
  return ok(bytes);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads an entry back from its leaf bytes, refusing anything that is not the canonical encoding of an entry. */
export function decodeEntry(bytes: Uint8Array): Outcome<AuditEntry> {
  if (bytes.length > ENTRY_BYTES_MAX) return err(`the entry is over ${ENTRY_BYTES_MAX} bytes`);
  let fields: unknown;
  try {
    fields = JSON.parse(utf8.decode(bytes));
  } catch {
    return err('the entry is not UTF-8 JSON');
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return err('the entry is not a JSON object');
  const record = fields as Record<string, unknown>;
  if (record['v'] !== ENTRY_ENCODING_VERSION) return err(`the entry is not encoding version ${ENTRY_ENCODING_VERSION}`);
  const problem = entryProblem(record);
  if (problem !== undefined) return err(problem);
  // The shape is checked, so these are the entry's own fields; the brands are the encoder's promise, kept.
  const entry = record as unknown as AuditEntry;
  const again = Buffer.from(canonicalJson(encoded(entry)), 'utf8');
  if (!again.equals(bytes)) return err('the entry is not in canonical form (or has fields an entry does not have)');
  return ok(entry);
}

// Party identifiers, as they arrive in a path: untrusted until they pass here.
//
// An identifier becomes a database key, a segment of callback URLs and of
// oracle URLs, and what a payer's customer sees. So beyond FSPIOP's rules
// (1..128 characters, no '/' or '?') it may not carry what would make two
// different strings look or route alike: '#', '%' (a component that decodes
// twice would turn "%31" into "1"), whitespace, control and invisible
// formatting characters, or a whole "." or ".." (a dot segment).
import type { Failure } from '../fspiop/errors.ts';
import { isSupportedCurrency } from '../support/money.ts';
import { PARTY_IDENTIFIER_LENGTH_MAX } from './limits.ts';

import { isPartyIdType, PARTY_ID_TYPES, type PartyIdType } from '../fspiop/resources.ts';

export { PARTY_ID_TYPES, isPartyIdType, type PartyIdType } from '../fspiop/resources.ts';

/** The path parameters of /participants/{Type}/{ID}[/{SubId}] and /parties/…, as the edge decoded them. */
export interface PartyPath {
  type: string;
  id: string;
  subId?: string | undefined;
}

/** A checked party: what the hub stores, looks up and routes on. */
export interface PartyKey {
  partyIdType: PartyIdType;
  partyIdentifier: string;
  /** Absent for a party without a sub-identifier (stored as ''). */
  partySubIdOrType: string | undefined;
}

export type Checked<T> = { valid: true; value: T } | { valid: false; failure: Failure };

// '/', '?', '#' and '%' delimit or escape URL parts; \s is every Unicode space; \p{Cc} control
// characters; \p{Cf} invisible formatting (zero-width joiners, direction marks); \p{Co}, \p{Cn}
// private-use and unassigned code points, which no client displays the same way.
const FORBIDDEN = /[/?#%\s\p{Cc}\p{Cf}\p{Co}\p{Cn}]/u;

/** Whether `value` has more than `max` code points (FSPIOP lengths count characters, not UTF-16 units); stops counting past `max`. */
function codePointsExceed(value: string, max: number): boolean {
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}

/** Why `value` cannot be a PartyIdentifier or PartySubIdOrType, or undefined when it can. */
export function identifierProblem(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string') return `${name} must be a string`;
  if (!value.isWellFormed()) return `${name} is not well-formed text`;
  if (value.length === 0 || codePointsExceed(value, PARTY_IDENTIFIER_LENGTH_MAX)) return `${name} must be 1..${PARTY_IDENTIFIER_LENGTH_MAX} characters`;
  if (FORBIDDEN.test(value)) return `${name} must not contain '/', '?', '#', '%', spaces, control or invisible characters`;
  if (value === '.' || value === '..') return `${name} must not be "." or ".."`;
  return undefined;
}

const invalid = (detail: string): { valid: false; failure: Failure } => ({ valid: false, failure: { code: '3100', detail } });

export function checkPartyPath(path: PartyPath): Checked<PartyKey> {
  if (!isPartyIdType(path.type)) return invalid(`Type must be one of ${PARTY_ID_TYPES.join(', ')}`);
  const idProblem = identifierProblem(path.id, 'ID');
  if (idProblem !== undefined) return invalid(idProblem);
  if (path.subId !== undefined) {
    const subProblem = identifierProblem(path.subId, 'SubId');
    if (subProblem !== undefined) return invalid(subProblem);
  }
  return { valid: true, value: { partyIdType: path.type, partyIdentifier: path.id, partySubIdOrType: path.subId } };
}

/** An optional ISO 4217 currency (query parameter or body field). */
export function checkCurrency(currency: unknown): Checked<string | undefined> {
  if (currency === undefined) return { valid: true, value: undefined };
  if (typeof currency !== 'string' || !isSupportedCurrency(currency)) return invalid('currency must be a supported ISO 4217 currency code');
  return { valid: true, value: currency };
}

/** The path of a party resource under `resource`, percent-encoded as the delivery module encodes template values. */
export function partyUri(resource: 'participants' | 'parties', key: PartyKey, suffix = ''): string {
  const segments = [key.partyIdType, key.partyIdentifier, ...(key.partySubIdOrType === undefined ? [] : [key.partySubIdOrType])];
  return `/${resource}/${segments.map((s) => encodeURIComponent(s)).join('/')}${suffix}`;
}

/** The endpoint template values of a party. */
export function partyTemplateValues(key: PartyKey): Record<string, string> {
  return {
    partyIdType: key.partyIdType,
    partyIdentifier: key.partyIdentifier,
    ...(key.partySubIdOrType === undefined ? {} : { partySubIdOrType: key.partySubIdOrType }),
  };
}

/** The stored form of the sub-identifier: '' for none (a key column cannot be NULL). */
export const storedSubId = (key: PartyKey): string => key.partySubIdOrType ?? '';

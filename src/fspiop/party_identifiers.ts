// Identifiers the hub compares, routes on and stores, as the FSPIOP API
// defines each: party identifiers by their PartyIdType (one table, below),
// sub-identifiers, and FSP ids in bodies. All are ASCII. A character outside
// ASCII is refused, never normalised: a Cyrillic 'а' (U+0430), a fullwidth
// '１' or a zero-width joiner makes a string that looks like another one
// (an MSISDN a customer cannot tell from the real one) but is a different key.
//
// Every identifier may also not hold what would change its meaning in a URL
// (it is a path segment of callbacks and oracle calls): '/', '?', '#', '%',
// nor be '.' or '..' (dot segments that URL normalisation removes).
import type { PartyIdType } from './resources.ts';

/** FSPIOP PartyIdentifier and PartySubIdOrType are 1..128 characters (API Definition v1.1 §7.3). */
export const PARTY_IDENTIFIER_LENGTH_MAX = 128;
/** FSPIOP FspId is 1..32 characters. */
export const FSP_ID_LENGTH_MAX = 32;
/** RFC 3696 §3: the local part of an address is at most 64 characters. */
const EMAIL_LOCAL_PART_LENGTH_MAX = 64;

/** Printable ASCII without space, '#', '%', '/' and '?'. */
const FREE_FORM = /^[\x21\x22\x24\x26-\x2e\x30-\x3e\x40-\x7e]+$/;
const FREE_FORM_RULE = "printable ASCII without spaces, '/', '?', '#' or '%'";

// RFC 3696 §3: a dot-atom local part (RFC 5322 atext less '#', '%', '/' and '?', see above), '@', and a
// domain of letter-digit-hyphen labels whose last (the top-level domain) is not all digits. Quoted local
// parts and address literals are refused: they carry spaces, quotes and brackets. Checked part by part,
// so that no pattern nests repetitions.
const EMAIL_ATOM = /^[A-Za-z0-9!$&'*+=^_`{|}~-]+$/;
const LDH = /^[A-Za-z0-9-]{1,63}$/;
const HAS_LETTER = /[A-Za-z]/;

/** A DNS label: 1..63 letters, digits and hyphens, not starting or ending with a hyphen. */
function isDomainLabel(label: string): boolean {
  return LDH.test(label) && !label.startsWith('-') && !label.endsWith('-');
}

function isEmailAddress(value: string): boolean {
  const at = value.indexOf('@');
  if (at < 1 || at > EMAIL_LOCAL_PART_LENGTH_MAX || value.includes('@', at + 1)) return false;
  const labels = value.slice(at + 1).split('.');
  return value.slice(0, at).split('.').every((atom) => EMAIL_ATOM.test(atom)) &&
    labels.length >= 2 && labels.every(isDomainLabel) && HAS_LETTER.test(labels.at(-1) ?? '');
}

export interface PartyIdentifierRule {
  readonly test: (value: string) => boolean;
  /** The rule in words, for the refusal. */
  readonly rule: string;
}

const patternRule = (pattern: RegExp, rule: string): PartyIdentifierRule => ({ test: (value) => pattern.test(value), rule });
const FREE = patternRule(FREE_FORM, FREE_FORM_RULE);

/**
 * Each PartyIdType's identifiers, from the type's definition in the FSPIOP API
 * (v1.1 and v2.0 define the same eight). Types the API leaves "in any format"
 * (PERSONAL_ID, BUSINESS, DEVICE, ACCOUNT_ID, ALIAS) take the free form.
 */
export const PARTY_IDENTIFIER_RULES: Readonly<Record<PartyIdType, PartyIdentifierRule>> = {
  // "in international format according to the ITU-T E.164 standard. Optionally ... prefixed by a single plus sign".
  MSISDN: patternRule(/^\+?[0-9]{1,15}$/, "1..15 digits (ITU-T E.164), optionally after one '+'"),
  // "according to the informational RFC 3696".
  EMAIL: { test: isEmailAddress, rule: `an e-mail address as in RFC 3696: a dot-atom local part of at most ${EMAIL_LOCAL_PART_LENGTH_MAX} characters, '@', and a domain of letters, digits and '-' labels` },
  PERSONAL_ID: FREE,
  BUSINESS: FREE,
  DEVICE: FREE,
  ACCOUNT_ID: FREE,
  // "up to 34 alphanumeric characters ... without whitespace"; ISO 13616's electronic form: country code, check digits, BBAN, upper case.
  IBAN: patternRule(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/, 'an ISO 13616 IBAN in electronic form: two capital letters, two digits, then 1..30 capital letters or digits, no spaces'),
  ALIAS: FREE,
};

/** "U+0430" for the first character of `value` outside printable ASCII, or undefined. */
function firstNonAscii(value: string): string | undefined {
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (codePoint < 0x20 || codePoint > 0x7e) return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/** Whether `value` holds a character outside printable ASCII: a look-alike, an invisible or a control character. */
export function hasNonAscii(value: string): boolean {
  return firstNonAscii(value) !== undefined;
}

/** The problems every identifier shares: a string of 1..max printable ASCII characters, not a dot segment. */
function commonProblem(value: unknown, name: string, lengthMax: number): string | undefined {
  if (typeof value !== 'string') return `${name} must be a string`;
  const outside = firstNonAscii(value);
  if (outside !== undefined) return `${name} must be ASCII: it holds ${outside}, which is outside printable ASCII (look-alike, invisible and control characters are refused)`;
  if (value.length === 0 || value.length > lengthMax) return `${name} must be 1..${lengthMax} characters`;
  if (value === '.' || value === '..') return `${name} must not be "." or ".."`;
  return undefined;
}

/** Why `value` cannot be a PartyIdentifier of `type` (named `name` in the answer), or undefined when it can. */
export function partyIdentifierProblem(type: PartyIdType, value: unknown, name = 'partyIdentifier'): string | undefined {
  const common = commonProblem(value, name, PARTY_IDENTIFIER_LENGTH_MAX);
  if (common !== undefined) return common;
  const { test, rule } = PARTY_IDENTIFIER_RULES[type];
  return test(value as string) ? undefined : `${name} of type ${type} must be ${rule}`;
}

/** Why `value` cannot be a PartySubIdOrType, or undefined when it can. */
export function partySubIdProblem(value: unknown, name = 'partySubIdOrType'): string | undefined {
  const common = commonProblem(value, name, PARTY_IDENTIFIER_LENGTH_MAX);
  if (common !== undefined) return common;
  return FREE_FORM.test(value as string) ? undefined : `${name} must be ${FREE_FORM_RULE}`;
}

/** An FSP id as FSPIOP-Source and -Destination take it (headers.ts): a letter or digit, then letters, digits, '_', '.', '-'. */
const FSP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Why `value` cannot be an FspId, or undefined when it can. */
export function fspIdProblem(value: unknown, name = 'fspId'): string | undefined {
  const common = commonProblem(value, name, FSP_ID_LENGTH_MAX);
  if (common !== undefined) return common;
  return FSP_ID.test(value as string) ? undefined : `${name} must be an FSP id: letters, digits, '_', '.' or '-', starting with a letter or digit`;
}

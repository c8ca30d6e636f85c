// Identifiers from outside are untrusted until they pass one of these.

/** A UUID of versions 1–7 in lower case, as Mojaloop's central-ledger accepts (FSPIOP v2.0 CorrelationId). */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A ULID (Crockford base32, 26 characters). */
const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && (UUID_PATTERN.test(value) || ULID_PATTERN.test(value));
}

/** A participant (FSP) name as central-ledger admits it: 2..30 characters, letters, digits, '-', '_' and '.'. */
const PARTICIPANT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$/;

export function isParticipantName(value: unknown): value is string {
  return typeof value === 'string' && PARTICIPANT_NAME_PATTERN.test(value);
}

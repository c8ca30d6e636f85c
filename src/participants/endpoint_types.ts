// Participant endpoint types, as central-ledger seeds them
// (seeds/endpointType.js, with the later FX, bulk-quote and services types).
// FSPIOP callback values are URL templates with {{placeholders}}; the
// notification types take an email address, the alarm topic a topic name.
import { httpUrlProblem } from '../support/index.ts';

export const CALLBACK_ENDPOINT_TYPES = [
  'FSPIOP_CALLBACK_URL_TRANSFER_POST',
  'FSPIOP_CALLBACK_URL_TRANSFER_PUT',
  'FSPIOP_CALLBACK_URL_TRANSFER_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_DELETE',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_DELETE',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTIES_GET',
  'FSPIOP_CALLBACK_URL_PARTIES_PUT',
  'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET',
  'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT',
  'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_QUOTES',
  'FSPIOP_CALLBACK_URL_BULK_QUOTES',
  'FSPIOP_CALLBACK_URL_TRX_REQ_SERVICE',
  'FSPIOP_CALLBACK_URL_AUTHORIZATIONS',
  'FSPIOP_CALLBACK_URL_TRANSACTION',
  'FSPIOP_CALLBACK_URL_BULK_TRANSFER_POST',
  'FSPIOP_CALLBACK_URL_BULK_TRANSFER_PUT',
  'FSPIOP_CALLBACK_URL_BULK_TRANSFER_ERROR',
  'FSPIOP_CALLBACK_URL_FX_QUOTES',
  'FSPIOP_CALLBACK_URL_FX_TRANSFER_POST',
  'FSPIOP_CALLBACK_URL_FX_TRANSFER_PUT',
  'FSPIOP_CALLBACK_URL_FX_TRANSFER_ERROR',
  'FSPIOP_CALLBACK_URL_GET_SERVICES',
  'ALARM_NOTIFICATION_URL',
  // The Interlock extension (fspiop/extension.ts, docs/fspiop-extensions.md): where the hub answers a DFSP's
  // fraud reports ({{ID}}) and risk signal queries ({{partyIdType}}/{{partyIdentifier}}), and tells it of the
  // FRMS's verdicts on its transfers ({{transferId}}). A DFSP without the last is not notified.
  'INTERLOCK_CALLBACK_URL_FRAUD_REPORTS',
  'INTERLOCK_CALLBACK_URL_RISK_SIGNALS',
  'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS',
] as const;

/** A message-broker topic name for alarm notifications. */
export const TOPIC_ENDPOINT_TYPES = ['ALARM_NOTIFICATION_TOPIC'] as const;
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;

export const EMAIL_ENDPOINT_TYPES = [
  'NET_DEBIT_CAP_THRESHOLD_BREACH_EMAIL',
  'NET_DEBIT_CAP_ADJUSTMENT_EMAIL',
  'SETTLEMENT_TRANSFER_POSITION_CHANGE_EMAIL',
] as const;

export type EndpointType = (typeof CALLBACK_ENDPOINT_TYPES)[number] | (typeof EMAIL_ENDPOINT_TYPES)[number] | (typeof TOPIC_ENDPOINT_TYPES)[number];

const ALL_ENDPOINT_TYPES: readonly string[] = [...CALLBACK_ENDPOINT_TYPES, ...EMAIL_ENDPOINT_TYPES, ...TOPIC_ENDPOINT_TYPES];

/** Longest endpoint value accepted (central-ledger stores 512 characters). */
export const ENDPOINT_VALUE_LENGTH_MAX = 512;

const PLACEHOLDERS = new Set(['transferId', 'partyIdType', 'partyIdentifier', 'partySubIdOrType', 'requestId', 'commitRequestId', 'fxTransferId', 'quoteId', 'ID']);
const EMAIL_PATTERN = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$/;

export function isEndpointType(value: unknown): value is EndpointType {
  return typeof value === 'string' && ALL_ENDPOINT_TYPES.includes(value);
}

/**
 * Checks an endpoint value: an http(s) URL template whose only placeholders are
 * the ones the hub fills in, with no credentials, query or fragment; or an
 * email address for the notification types. Returns the reason it is refused.
 */
export function endpointValueProblem(type: EndpointType, value: string): string | undefined {
  if (value.length === 0 || value.length > ENDPOINT_VALUE_LENGTH_MAX) return `value must be 1..${ENDPOINT_VALUE_LENGTH_MAX} characters`;
  if ((EMAIL_ENDPOINT_TYPES as readonly string[]).includes(type)) {
    return EMAIL_PATTERN.test(value) ? undefined : 'value must be an email address';
  }
  if ((TOPIC_ENDPOINT_TYPES as readonly string[]).includes(type)) {
    return TOPIC_PATTERN.test(value) ? undefined : 'value must be a topic name of letters, digits, ".", "_" and "-"';
  }
  if (/[?#\s\\]/.test(value)) return 'value must not carry a query, fragment, whitespace or backslash';
  for (const match of value.matchAll(/\{\{([^}]*)\}\}/g)) {
    const placeholder = match[1] ?? '';
    if (!PLACEHOLDERS.has(placeholder)) return `unknown placeholder {{${placeholder}}}`;
  }
  const filled = value.replace(/\{\{[^}]*\}\}/g, 'x');
  if (/[{}]/.test(filled)) return 'value has an unbalanced {{placeholder}}';
  const urlProblem = httpUrlProblem(filled, 'value');
  if (urlProblem !== undefined) return urlProblem;
  // The hub fills placeholders with what DFSPs send: they may shape the path, never choose the host.
  const authorityEnd = value.indexOf('/', value.indexOf('//') + 2);
  if ((authorityEnd === -1 ? value : value.slice(0, authorityEnd)).includes('{{')) return 'placeholders may appear only in the path, not in the host or port';
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) return 'value must not contain "." or ".." path segments';
  return undefined;
}

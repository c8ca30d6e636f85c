// The one error catalogue: every expected failure in Interlock is a value
// carrying one of these codes, and maps here to its FSPIOP errorInformation
// and HTTP status. Codes and names follow the FSPIOP v1.1 specification and
// Mojaloop's central-services-error-handling.
import type { Err, Result } from '../support/index.ts';

interface CatalogueEntry {
  readonly name: string;
  readonly httpStatus: number;
}

const catalogue = {
  '1000': { name: 'Communication error', httpStatus: 503 },
  '1001': { name: 'Destination communication error', httpStatus: 503 },
  '2000': { name: 'Generic server error', httpStatus: 500 },
  '2001': { name: 'Internal server error', httpStatus: 500 },
  '2002': { name: 'Not implemented', httpStatus: 501 },
  '2003': { name: 'Service currently unavailable', httpStatus: 503 },
  '2004': { name: 'Server timed out', httpStatus: 500 },
  '2005': { name: 'Server busy', httpStatus: 503 },
  '2006': { name: 'Party resolution failure', httpStatus: 503 },
  '3000': { name: 'Generic client error', httpStatus: 400 },
  '3001': { name: 'Unacceptable version requested', httpStatus: 406 },
  '3002': { name: 'Unknown URI', httpStatus: 404 },
  '3003': { name: 'Add Party information error', httpStatus: 400 },
  '3040': { name: 'Delete Party information error', httpStatus: 400 },
  '3100': { name: 'Generic validation error', httpStatus: 400 },
  '3101': { name: 'Malformed syntax', httpStatus: 400 },
  '3102': { name: 'Missing mandatory element', httpStatus: 400 },
  '3103': { name: 'Too many elements', httpStatus: 400 },
  '3104': { name: 'Too large payload', httpStatus: 413 },
  '3105': { name: 'Invalid signature', httpStatus: 400 },
  '3106': { name: 'Modified request', httpStatus: 400 },
  '3107': { name: 'Missing mandatory extension parameter', httpStatus: 400 },
  '3200': { name: 'Generic ID not found', httpStatus: 404 },
  '3201': { name: 'Destination FSP Error', httpStatus: 404 },
  '3202': { name: 'Payer FSP ID not found', httpStatus: 404 },
  '3203': { name: 'Payee FSP ID not found', httpStatus: 404 },
  '3204': { name: 'Party not found', httpStatus: 404 },
  '3205': { name: 'Quote ID not found', httpStatus: 404 },
  '3206': { name: 'Transaction request ID not found', httpStatus: 404 },
  '3207': { name: 'Transaction ID not found', httpStatus: 404 },
  '3208': { name: 'Transfer ID not found', httpStatus: 404 },
  '3209': { name: 'Bulk quote ID not found', httpStatus: 404 },
  '3210': { name: 'Bulk transfer ID not found', httpStatus: 404 },
  '3300': { name: 'Generic expired error', httpStatus: 400 },
  '3301': { name: 'Transaction request expired', httpStatus: 400 },
  '3302': { name: 'Quote expired', httpStatus: 400 },
  '3303': { name: 'Transfer expired', httpStatus: 400 },
  '4000': { name: 'Generic Payer error', httpStatus: 400 },
  '4001': { name: 'Payer FSP insufficient liquidity', httpStatus: 400 },
  '4100': { name: 'Generic Payer rejection', httpStatus: 400 },
  '4101': { name: 'Payer rejected transaction request', httpStatus: 400 },
  '4102': { name: 'Payer FSP unsupported transaction type', httpStatus: 400 },
  '4103': { name: 'Payer unsupported currency', httpStatus: 400 },
  '4200': { name: 'Payer limit error', httpStatus: 400 },
  '4300': { name: 'Payer permission error', httpStatus: 400 },
  '4400': { name: 'Generic Payer blocked error', httpStatus: 400 },
  '5000': { name: 'Generic Payee error', httpStatus: 400 },
  '5001': { name: 'Payee FSP insufficient liquidity', httpStatus: 400 },
  '5100': { name: 'Payee rejection', httpStatus: 400 },
  '5101': { name: 'Payee rejected quote', httpStatus: 400 },
  '5102': { name: 'Payee FSP unsupported transaction type', httpStatus: 400 },
  '5103': { name: 'Payee FSP rejected quote', httpStatus: 400 },
  '5104': { name: 'Payee rejected transaction', httpStatus: 400 },
  '5105': { name: 'Payee FSP rejected transaction', httpStatus: 400 },
  '5106': { name: 'Payee unsupported currency', httpStatus: 400 },
  '5107': { name: 'Payee identifier no longer valid', httpStatus: 400 },
  '5200': { name: 'Payee limit error', httpStatus: 400 },
  '5300': { name: 'Payee permission error', httpStatus: 400 },
  '5400': { name: 'Generic Payee blocked error', httpStatus: 400 },
  '6000': { name: 'Generic settlement error', httpStatus: 400 },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

/** One FSPIOP extension: key 1..32 characters, value 1..128. */
export interface Extension {
  readonly key: string;
  readonly value: string;
}

/** An expected failure: a code from the catalogue and a detail for the caller (never internal state). */
export interface Failure {
  readonly code: ErrorCode;
  readonly detail: string;
  /**
   * Only where FSPIOP prescribes a status other than the code's own: 3000 is
   * 400 in general but 405 for a method the resource does not allow.
   */
  readonly httpStatus?: number;
  /** Sent as errorInformation.extensionList, e.g. the supported versions with 3001. */
  readonly extensions?: readonly Extension[];
}

/** An outcome whose expected failure is an FSPIOP error. */
export type FspiopResult<T> = Result<T, Failure>;

export function fail(
  code: ErrorCode,
  detail: string,
  options: { readonly httpStatus?: number; readonly extensions?: readonly Extension[] } = {},
): Err<Failure> {
  const { httpStatus, extensions } = options;
  return {
    ok: false,
    error: {
      code,
      detail,
      ...(httpStatus === undefined ? {} : { httpStatus }),
      ...(extensions === undefined || extensions.length === 0 ? {} : { extensions }),
    },
  };
}

export function httpStatusFor(code: ErrorCode): number {
  return catalogue[code].httpStatus;
}

/** The HTTP status of a synchronous reply carrying this failure: its own override, else its code's. */
export function httpStatusOf(failure: Failure): number {
  return failure.httpStatus ?? catalogue[failure.code].httpStatus;
}

export interface ErrorInformation {
  errorInformation: {
    errorCode: ErrorCode;
    errorDescription: string;
    extensionList?: { extension: { key: string; value: string }[] };
  };
}

const ERROR_DESCRIPTION_LENGTH_MAX = 128; // FSPIOP ErrorDescription is 1..128 characters
const EXTENSIONS_MAX = 16; // FSPIOP ExtensionList holds 1..16 extensions

/** The FSPIOP errorInformation body, in Mojaloop's "<standard name> - <detail>" form. */
export function errorInformation(failure: Failure): ErrorInformation {
  const name = catalogue[failure.code].name;
  const description = failure.detail === '' ? name : `${name} - ${failure.detail}`;
  const extensions = failure.extensions ?? [];
  return {
    errorInformation: {
      errorCode: failure.code,
      errorDescription: description.length > ERROR_DESCRIPTION_LENGTH_MAX
        ? description.slice(0, ERROR_DESCRIPTION_LENGTH_MAX - 1) + '…'
        : description,
      ...(extensions.length === 0 ? {} : { extensionList: { extension: extensions.slice(0, EXTENSIONS_MAX).map(({ key, value }) => ({ key, value })) } }),
    },
  };
}

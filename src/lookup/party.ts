// Party identifiers, as they arrive in a path: untrusted until they pass here.
//
// An identifier becomes a database key, a segment of callback URLs and of
// oracle URLs, and what a payer's customer sees. Its rules are the FSPIOP
// API's for its PartyIdType, in ASCII only (fspiop/party_identifiers.ts, the
// one table the edge applies too); a type the API does not define is 3100, an
// identifier not of its type's form 3101.
import { fail, type FspiopResult, partyIdentifierProblem, partySubIdProblem, isPartyIdType, PARTY_ID_TYPES, type PartyIdType } from '../fspiop/index.ts';
import { isSupportedCurrency, ok } from '../support/index.ts';


export { PARTY_ID_TYPES, isPartyIdType, type PartyIdType } from '../fspiop/index.ts';

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

/** Why `value` cannot be a PartySubIdOrType (or an identifier of a free-form type), or undefined when it can. */
export function identifierProblem(value: unknown, name: string): string | undefined {
  return partySubIdProblem(value, name);
}

const invalid = (detail: string, code: '3100' | '3101' = '3100') => fail(code, detail);

export function checkPartyPath(path: PartyPath): FspiopResult<PartyKey> {
  if (!isPartyIdType(path.type)) return invalid(`Type must be one of ${PARTY_ID_TYPES.join(', ')}`);
  const idProblem = partyIdentifierProblem(path.type, path.id, 'ID');
  if (idProblem !== undefined) return invalid(idProblem, '3101');
  if (path.subId !== undefined) {
    const subProblem = partySubIdProblem(path.subId, 'SubId');
    if (subProblem !== undefined) return invalid(subProblem, '3101');
  }
  return ok({ partyIdType: path.type, partyIdentifier: path.id, partySubIdOrType: path.subId });
}

/** An optional ISO 4217 currency (query parameter or body field). */
export function checkCurrency(currency: unknown): FspiopResult<string | undefined> {
  if (currency === undefined) return ok(undefined);
  if (typeof currency !== 'string' || !isSupportedCurrency(currency)) return invalid('currency must be a supported ISO 4217 currency code');
  return ok(currency);
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

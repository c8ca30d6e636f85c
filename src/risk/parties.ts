// The payer and payee of a payment as the FRMS sees them, read from a Mojaloop
// Party (a quote's payer and payee, or the Transaction object in a transfer's
// ILP packet): the party's identity, turned into its keyed digest at once, and
// its name for sanctions screening (never stored). Untrusted input: anything
// not of the expected shape is simply unknown (null), never an error: the
// message was already validated against the FSPIOP schema where it must be.
import type { PartyKeyOf } from './party_key.ts';
import type { PartyKey } from './types.ts';

/** Longest identifier or name read from a message (FSPIOP's own bounds are 128 for identifiers, 128 for names). */
const TEXT_LENGTH_MAX = 256;

export interface PartyView {
  readonly key: PartyKey | null;
  readonly name: string | null;
}

const UNKNOWN: PartyView = { key: null, name: null };

function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null && Object.hasOwn(record, name) ? (record as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= TEXT_LENGTH_MAX ? value : undefined;
}

/** A Party's name: `name`, else the personal info's complex name joined. */
function nameOf(party: unknown): string | null {
  const name = text(field(party, 'name'));
  if (name !== undefined) return name;
  const complex = field(field(party, 'personalInfo'), 'complexName');
  const parts = ['firstName', 'middleName', 'lastName'].map((part) => text(field(complex, part))).filter((part) => part !== undefined);
  return parts.length === 0 ? null : parts.join(' ');
}

/** The payer or payee Party of a quote or Transaction object, keyed. */
export function partyView(party: unknown, partyKeyOf: PartyKeyOf): PartyView {
  const info = field(party, 'partyIdInfo');
  const partyIdType = text(field(info, 'partyIdType'));
  const partyIdentifier = text(field(info, 'partyIdentifier'));
  if (partyIdType === undefined || partyIdentifier === undefined) return { ...UNKNOWN, name: nameOf(party) };
  return { key: partyKeyOf({ partyIdType, partyIdentifier, partySubIdOrType: text(field(info, 'partySubIdOrType')) }), name: nameOf(party) };
}

/** The payer and payee of a quote request or a Transaction object (both name them `payer` and `payee`). */
export function paymentParties(message: unknown, partyKeyOf: PartyKeyOf): { payer: PartyView; payee: PartyView } {
  return { payer: partyView(field(message, 'payer'), partyKeyOf), payee: partyView(field(message, 'payee'), partyKeyOf) };
}

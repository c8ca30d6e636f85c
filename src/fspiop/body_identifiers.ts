// The identifiers inside an FSPIOP body, held to party_identifiers.ts: every
// PartyIdInfo (an object with partyIdType and partyIdentifier: payer and payee
// of a quote, the party of PUT /parties, each entry of a partyList) by its
// type's rule, its partySubIdOrType, and every FSP id the hub compares or
// routes on (fspId, payerFsp, payeeFsp). The schema has already checked types
// and lengths; the JSON Schema cannot say "partyIdentifier by the rule of the
// partyIdType beside it", nor "ASCII only", so this does. Runs after
// checkBodyShape, which bounds the depth this recursion can reach.
import { isPartyIdType } from './resources.ts';
import { fspIdProblem, hasNonAscii, partyIdentifierProblem, partySubIdProblem } from './party_identifiers.ts';

/** Members holding an FSP id, wherever they appear. */
const FSP_ID_MEMBERS = new Set(['fspId', 'payerFsp', 'payeeFsp']);

export interface BodyIdentifierProblem {
  /** Where: the JSON path of the member, e.g. "payee.partyIdInfo.partyIdentifier". */
  readonly at: string;
  readonly detail: string;
  /** The value holds characters outside ASCII: a look-alike, worth a security event. */
  readonly lookAlike: boolean;
}

function problemAt(at: string, detail: string, value: unknown): BodyIdentifierProblem {
  return { at, detail, lookAlike: typeof value === 'string' && hasNonAscii(value) };
}

function partyIdInfoProblem(info: Readonly<Record<string, unknown>>, at: string): BodyIdentifierProblem | undefined {
  const type = info['partyIdType'];
  // An unknown type is the schema's to refuse (enum); the identifier's rule depends on a known one.
  if (!isPartyIdType(type)) return undefined;
  const id = info['partyIdentifier'];
  const idProblem = partyIdentifierProblem(type, id, `${at}partyIdentifier`);
  if (idProblem !== undefined) return problemAt(`${at}partyIdentifier`, idProblem, id);
  if (Object.hasOwn(info, 'partySubIdOrType')) {
    const subId = info['partySubIdOrType'];
    const subProblem = partySubIdProblem(subId, `${at}partySubIdOrType`);
    if (subProblem !== undefined) return problemAt(`${at}partySubIdOrType`, subProblem, subId);
  }
  return undefined;
}

function walk(value: unknown, at: string): BodyIdentifierProblem | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = walk(item, `${at}${String(index)}.`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const object = value as Readonly<Record<string, unknown>>;
  if (Object.hasOwn(object, 'partyIdType') && Object.hasOwn(object, 'partyIdentifier')) {
    const found = partyIdInfoProblem(object, at);
    if (found !== undefined) return found;
  }
  for (const [name, member] of Object.entries(object)) {
    if (FSP_ID_MEMBERS.has(name) && typeof member === 'string') {
      const problem = fspIdProblem(member, `${at}${name}`);
      if (problem !== undefined) return problemAt(`${at}${name}`, problem, member);
    }
    const found = walk(member, `${at}${name}.`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The first identifier in `body` that is not of its defined form, or undefined. */
export function bodyIdentifierProblem(body: unknown): BodyIdentifierProblem | undefined {
  return walk(body, '');
}

// The admin API's JSON parser. Central-ledger's bodies carry amounts as JSON
// numbers; a number whose text a float cannot hold exactly (too many digits,
// an exponent, trailing zeros) is refused rather than silently rounded, so
// that String(number) is always the sender's own text. Keys that could poison
// prototypes are refused too, and so is a member name given twice in one
// object (JSON.parse would keep the last one silently).
import type { FastifyInstance } from 'fastify';
import { describeDuplicate, findDuplicateMemberOf } from '../support/index.ts';

export class JsonBodyError extends Error {
  override readonly name = 'JsonBodyError';
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseExactJson(text: string): unknown {
  const value: unknown = JSON.parse(text, function reviver(this: unknown, key: string, value: unknown, context?: { source?: string }) {
    if (FORBIDDEN_KEYS.has(key)) throw new JsonBodyError(`key ${JSON.stringify(key)} is not allowed`);
    if (typeof value === 'number' && context?.source !== undefined && context.source !== String(value)) {
      throw new JsonBodyError(`number ${context.source} cannot be read exactly; send amounts as decimals without exponents or trailing zeros`);
    }
    return value;
  });
  const duplicate = findDuplicateMemberOf(text, value);
  if (duplicate !== undefined) throw new JsonBodyError(describeDuplicate(duplicate));
  return value;
}

/** An amount given as a JSON number or string, as its exact decimal text. */
export function amountText(value: number | string): string {
  return typeof value === 'number' ? String(value) : value;
}

/** The admin API's application/json bodies: read as text, parsed exactly (parseExactJson). */
export function useExactJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : parseExactJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

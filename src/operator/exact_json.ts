// The admin API's JSON parser. Central-ledger's bodies carry amounts as JSON
// numbers; a number whose text a float cannot hold exactly (too many digits,
// an exponent, trailing zeros) is refused rather than silently rounded, so
// that String(number) is always the sender's own text. Keys that could poison
// prototypes are refused too.
import type { FastifyInstance } from 'fastify';

export class JsonBodyError extends Error {
  override readonly name = 'JsonBodyError';
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseExactJson(text: string): unknown {
  return JSON.parse(text, function reviver(this: unknown, key: string, value: unknown, context?: { source?: string }) {
    if (FORBIDDEN_KEYS.has(key)) throw new JsonBodyError(`key ${JSON.stringify(key)} is not allowed`);
    if (typeof value === 'number' && context?.source !== undefined && context.source !== String(value)) {
      throw new JsonBodyError(`number ${context.source} cannot be read exactly; send amounts as decimals without exponents or trailing zeros`);
    }
    return value;
  });
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

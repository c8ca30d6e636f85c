// FSPIOP request bodies against the specification's own schemas (generated
// from Mojaloop's OpenAPI definition into openapi/fspiop-v1.1.schemas.json by
// scripts/build-fspiop-schemas.ts), compiled once when this module loads: a
// schema ajv refuses stops the start, not a request.
import assert from 'node:assert/strict';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fail, ok, type ErrorCode, type Failure, type Result } from './errors.ts';
import { OPERATIONS, type OperationKey } from './resources.ts';
import generated from './openapi/fspiop-v1.1.schemas.json' with { type: 'json' };

/**
 * Bounds on a parsed body that hold whatever its schema says, checked before
 * the schema and before anything else walks the body (hashing, logging,
 * canonical JSON). FSPIOP bodies are shallow: the deepest, PUT
 * /participants/{ID}, nests seven levels (partyList[i].partyId.extensionList.extension[j]);
 * deep nesting is only ever an attack on recursive code.
 */
export const BODY_SHAPE_LIMITS = {
  depthMax: 32,
  /** The longest FSPIOP string is IlpPacket, 32768 characters. */
  stringLengthMax: 32_768,
  /** The longest FSPIOP property name is 26 characters (merchantClassificationCode). */
  keyLengthMax: 64,
  /** The widest FSPIOP object, POST /quotes, has 13 properties. */
  propertiesMax: 64,
  /** The longest FSPIOP array is a bulk lookup's partyList, 10000 items. */
  arrayItemsMax: 10_000,
} as const;

/** Keys that would reach an object's prototype in code that copies bodies carelessly. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A container being walked: an array's items or an object's own keys, and how far the walk has got. */
type Frame =
  | { readonly array: readonly unknown[]; readonly depth: number; index: number }
  | { readonly object: Readonly<Record<string, unknown>>; readonly keys: readonly string[]; readonly depth: number; index: number };

const NOT_JSON: Failure = { code: '3101', detail: 'the body is not JSON' };

/**
 * Checks the shape of a parsed JSON body: nesting depth, string and key
 * lengths, object and array sizes, no prototype keys, nothing but JSON values. The root object or
 * array is depth 1. The walk keeps one frame per open container, so its
 * memory is bounded by depthMax however wide or deep the input, and no input
 * can exhaust the call stack.
 */
export function checkBodyShape(body: unknown): Result<void> {
  const stack: Frame[] = [];
  const visit = (value: unknown, depth: number): Failure | undefined => {
    switch (typeof value) {
      case 'string':
        return value.length > BODY_SHAPE_LIMITS.stringLengthMax
          ? { code: '3100', detail: `a string in the body is longer than ${BODY_SHAPE_LIMITS.stringLengthMax} characters` }
          : undefined;
      case 'number':
        return Number.isFinite(value) ? undefined : NOT_JSON;
      case 'boolean':
        return undefined;
      case 'object': {
        if (value === null) return undefined;
        if (depth + 1 > BODY_SHAPE_LIMITS.depthMax) return { code: '3101', detail: `the body nests deeper than ${BODY_SHAPE_LIMITS.depthMax} levels` };
        if (Array.isArray(value)) {
          if (value.length > BODY_SHAPE_LIMITS.arrayItemsMax) return { code: '3103', detail: `an array in the body has more than ${BODY_SHAPE_LIMITS.arrayItemsMax} items` };
          stack.push({ array: value as unknown[], depth: depth + 1, index: 0 });
          return undefined;
        }
        if (!isPlainObject(value)) return NOT_JSON;
        const keys = Object.keys(value);
        if (keys.length > BODY_SHAPE_LIMITS.propertiesMax) return { code: '3103', detail: `an object in the body has more than ${BODY_SHAPE_LIMITS.propertiesMax} properties` };
        for (const key of keys) {
          if (key.length > BODY_SHAPE_LIMITS.keyLengthMax) return { code: '3103', detail: `a property name in the body is longer than ${BODY_SHAPE_LIMITS.keyLengthMax} characters` };
          if (FORBIDDEN_KEYS.has(key)) return { code: '3103', detail: 'property names __proto__, constructor and prototype are not allowed' };
        }
        stack.push({ object: value as Record<string, unknown>, keys, depth: depth + 1, index: 0 });
        return undefined;
      }
      case 'undefined': // also an array hole, which JSON cannot produce
      case 'bigint':
      case 'symbol':
      case 'function':
        return NOT_JSON;
      default:
        throw new Error(`checkBodyShape: unexpected typeof ${typeof value}`);
    }
  };
  let failure = visit(body, 0);
  while (failure === undefined) {
    const frame = stack.at(-1);
    if (frame === undefined) break;
    if ('array' in frame) {
      if (frame.index >= frame.array.length) {
        stack.pop();
        continue;
      }
      failure = visit(frame.array[frame.index], frame.depth);
    } else {
      const key = frame.keys[frame.index];
      if (key === undefined) {
        stack.pop();
        continue;
      }
      failure = visit(frame.object[key], frame.depth);
    }
    frame.index += 1;
  }
  return failure === undefined ? ok(undefined) : { ok: false, error: failure };
}

// ajv settings: refuse anything the schema does not define exactly. No
// coercion ("5" is not 5), no defaults filled in, nothing removed, the first
// failure only (FSPIOP reports one), own properties only (a polluted
// Object.prototype cannot satisfy `required`), strict schemas (an unknown
// keyword or a loose type fails compilation), and `verbose` so that a
// failure can name the FSPIOP type (its schema title) it missed.
const ajv = new Ajv({
  strict: true,
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  ownProperties: true,
  unicodeRegExp: true,
  verbose: true,
  addUsedSchema: false,
});

interface CompiledOperation {
  /** null: the operation takes no body. */
  readonly validate: ValidateFunction | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compiles every body schema, after checking that the file and src/fspiop/resources.ts list the same operations. */
function compileAll(document: unknown): ReadonlyMap<string, CompiledOperation> {
  assert.ok(isRecord(document) && isRecord(document['operations']), 'fspiop schemas: the generated file has no operations');
  const entries = document['operations'];
  const compiled = new Map<string, CompiledOperation>();
  for (const op of OPERATIONS) {
    const entry = entries[op.key];
    assert.ok(isRecord(entry), `fspiop schemas: no entry for ${op.key}; run npm run build:schemas`);
    assert.equal(entry['method'], op.method, `fspiop schemas: ${op.key} has the wrong method`);
    assert.equal(entry['path'], op.path, `fspiop schemas: ${op.key} has the wrong path`);
    const body = entry['body'];
    assert.ok(body === null || isRecord(body), `fspiop schemas: ${op.key} body is neither a schema nor null`);
    compiled.set(op.key, { validate: body === null ? null : ajv.compile(body) });
  }
  const extra = Object.keys(entries).filter((key) => !compiled.has(key));
  assert.equal(extra.length, 0, `fspiop schemas: the generated file lists unknown operations ${extra.join(', ')}`);
  return compiled;
}

const COMPILED = compileAll(generated);

/** ajv keyword → FSPIOP code, as Mojaloop maps OpenAPI failures (createFSPIOPErrorFromOpenapiError). */
function codeFor(keyword: string): ErrorCode {
  switch (keyword) {
    case 'required': return '3102';
    case 'additionalProperties': return '3103';
    case 'type': return '3101';
    default: return '3100';
  }
}

/** A name echoed back to the sender only if it is a plain identifier; never the sender's arbitrary text. */
const ECHOABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const ENUM_LIST_LENGTH_MAX = 60;

function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const parent: unknown = error.parentSchema;
  const title = isRecord(parent) && typeof parent['title'] === 'string' && ECHOABLE_NAME.test(parent['title']) ? parent['title'] : undefined;
  switch (error.keyword) {
    case 'required':
      return typeof params['missingProperty'] === 'string' && ECHOABLE_NAME.test(params['missingProperty'])
        ? `must have property ${params['missingProperty']}`
        : 'misses a required property';
    case 'additionalProperties':
      return typeof params['additionalProperty'] === 'string' && ECHOABLE_NAME.test(params['additionalProperty'])
        ? `must not have property ${params['additionalProperty']}`
        : 'must not have additional properties';
    case 'type':
      return typeof params['type'] === 'string' ? `must be of type ${params['type']}` : 'has the wrong type';
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'].filter((v): v is string => typeof v === 'string') : [];
      const list = allowed.join(', ');
      return list !== '' && list.length <= ENUM_LIST_LENGTH_MAX ? `must be one of ${list}` : `must be one of the ${title ?? 'allowed'} values`;
    }
    case 'pattern':
      return title === undefined ? 'does not match its pattern' : `is not a valid ${title}`;
    default:
      // ajv's own messages for the remaining keywords (lengths, item counts) name only limits from the schema.
      return error.message ?? 'is invalid';
  }
}

function failureFor(error: ErrorObject): Failure {
  return { code: codeFor(error.keyword), detail: `body${error.instancePath} ${messageFor(error)}` };
}

/**
 * Checks a parsed request body against the operation's schema, after
 * checkBodyShape. `undefined` stands for "no body". The first failure maps to
 * its FSPIOP code (required → 3102, additionalProperties → 3103, type → 3101,
 * any other keyword → 3100) with a detail of the form "body/amount/currency
 * must be one of the Currency values". An operation key that is not in
 * src/fspiop/resources.ts is a programmer error and throws.
 */
export function validateBody(operationKey: OperationKey, body: unknown): Result<void> {
  const compiled = COMPILED.get(operationKey);
  if (compiled === undefined) throw new Error(`validateBody: unknown operation ${JSON.stringify(operationKey)}`);
  if (compiled.validate === null) {
    return body === undefined ? ok(undefined) : fail('3100', `${operationKey.split(' ')[0] ?? ''} on this resource takes no body`);
  }
  if (body === undefined) return fail('3102', 'the request body is required');
  const shape = checkBodyShape(body);
  if (!shape.ok) return shape;
  if (compiled.validate(body)) return ok(undefined);
  const first = compiled.validate.errors?.[0];
  assert.ok(first !== undefined, 'validateBody: ajv refused the body without saying why');
  return { ok: false, error: failureFor(first) };
}

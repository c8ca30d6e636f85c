// FSPIOP request bodies against the specification's own schemas, generated
// from Mojaloop's OpenAPI definitions by scripts/build-fspiop-schemas.ts into
// openapi/fspiop-v1.1.schemas.json and openapi/fspiop-v2.0.schemas.json. The
// request's content version picks the set (schemaSetFor). Both sets are
// compiled once, by prepareBodyValidation(), which the FSPIOP API calls as it is
// built: a schema ajv refuses stops the start, not a request. (Not when this
// module loads: everything that imports the protocol's constants would pay for it.)
import assert from 'node:assert/strict';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fail, type ErrorCode, type Failure, type FspiopResult } from './errors.ts';
import { err, ok } from '../support/index.ts';
import { SUPPORTED_CONTENT_VERSIONS, type FspiopVersion } from './headers.ts';
import { EXTENSION_OPERATIONS, OPERATIONS, type OperationKey } from './resources.ts';
import { EXTENSION_BODY_SCHEMAS } from './extension.ts';
import generatedV1_1 from './openapi/fspiop-v1.1.schemas.json' with { type: 'json' };
import generatedV2_0 from './openapi/fspiop-v2.0.schemas.json' with { type: 'json' };

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
  /** The widest FSPIOP object, POST /quotes, has 13 properties in v1.1 and 15 in v2.0. */
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

/** The failures of a size bound (depth, lengths, counts), as opposed to a body that is not JSON at all. */
const OVER_LIMIT = new WeakSet<Failure>();
function overLimit(code: ErrorCode, detail: string): Failure {
  const failure: Failure = { code, detail };
  OVER_LIMIT.add(failure);
  return failure;
}

/** Whether checkBodyShape refused a body for passing one of BODY_SHAPE_LIMITS. */
export function exceedsShapeLimit(failure: Failure): boolean {
  return OVER_LIMIT.has(failure);
}

/**
 * Checks the shape of a parsed JSON body: nesting depth, string and key
 * lengths, object and array sizes, no prototype keys, nothing but JSON values. The root object or
 * array is depth 1. The walk keeps one frame per open container, so its
 * memory is bounded by depthMax however wide or deep the input, and no input
 * can exhaust the call stack.
 */
export function checkBodyShape(body: unknown): FspiopResult<void> {
  const stack: Frame[] = [];
  const visit = (value: unknown, depth: number): Failure | undefined => {
    switch (typeof value) {
      case 'string':
        return value.length > BODY_SHAPE_LIMITS.stringLengthMax
          ? overLimit('3100', `a string in the body is longer than ${BODY_SHAPE_LIMITS.stringLengthMax} characters`)
          : undefined;
      case 'number':
        return Number.isFinite(value) ? undefined : NOT_JSON;
      case 'boolean':
        return undefined;
      case 'object': {
        if (value === null) return undefined;
        if (depth + 1 > BODY_SHAPE_LIMITS.depthMax) return overLimit('3101', `the body nests deeper than ${BODY_SHAPE_LIMITS.depthMax} levels`);
        if (Array.isArray(value)) {
          if (value.length > BODY_SHAPE_LIMITS.arrayItemsMax) return overLimit('3103', `an array in the body has more than ${BODY_SHAPE_LIMITS.arrayItemsMax} items`);
          stack.push({ array: value as unknown[], depth: depth + 1, index: 0 });
          return undefined;
        }
        if (!isPlainObject(value)) return NOT_JSON;
        const keys = Object.keys(value);
        if (keys.length > BODY_SHAPE_LIMITS.propertiesMax) return overLimit('3103', `an object in the body has more than ${BODY_SHAPE_LIMITS.propertiesMax} properties`);
        for (const key of keys) {
          if (key.length > BODY_SHAPE_LIMITS.keyLengthMax) return overLimit('3103', `a property name in the body is longer than ${BODY_SHAPE_LIMITS.keyLengthMax} characters`);
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
  return failure === undefined ? ok(undefined) : err(failure);
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

/**
 * A schema's text with its keywords in a fixed order, and everything whose
 * order ajv can see kept as it is: the names of `properties` (ajv checks them,
 * and so reports the first failure, in that order), and every array. Two
 * schemas with the same key validate every body alike, with the same first
 * error, so they share one compiled function: the v2.0 set repeats most v1.1
 * bodies, the error callbacks share one body, and the definitions list
 * keywords in different orders (v2.0 writes additionalProperties first).
 */
function schemaKey(schema: unknown): string {
  const normalise = (node: unknown, isPropertyMap: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => normalise(item, false));
    if (!isRecord(node)) return node;
    const keys = isPropertyMap ? Object.keys(node) : Object.keys(node).sort();
    // A property map becomes a list of [name, schema] pairs, so its order is visibly part of the key.
    if (isPropertyMap) return keys.map((key) => [key, normalise(node[key], false)]);
    return Object.fromEntries(keys.map((key) => [key, normalise(node[key], key === 'properties')]));
  };
  return JSON.stringify(normalise(schema, false));
}

/**
 * Compiles every body schema of one generated file, after checking that the
 * file and src/fspiop/resources.ts list the same operations. `cache` holds the
 * functions already compiled, by schemaKey.
 */
function compileAll(name: string, document: unknown, cache: Map<string, ValidateFunction>): ReadonlyMap<string, CompiledOperation> {
  assert.ok(isRecord(document) && isRecord(document['operations']), `fspiop schemas ${name}: the generated file has no operations`);
  const entries = document['operations'];
  const compiled = new Map<string, CompiledOperation>();
  for (const op of OPERATIONS) {
    const entry = entries[op.key];
    assert.ok(isRecord(entry), `fspiop schemas ${name}: no entry for ${op.key}; run npm run build:schemas`);
    assert.equal(entry['method'], op.method, `fspiop schemas ${name}: ${op.key} has the wrong method`);
    assert.equal(entry['path'], op.path, `fspiop schemas ${name}: ${op.key} has the wrong path`);
    const body = entry['body'];
    assert.ok(body === null || isRecord(body), `fspiop schemas ${name}: ${op.key} body is neither a schema nor null`);
    let validate: ValidateFunction | null = null;
    if (body !== null) {
      const key = schemaKey(body);
      validate = cache.get(key) ?? ajv.compile(body);
      cache.set(key, validate);
    }
    compiled.set(op.key, { validate });
  }
  const extra = Object.keys(entries).filter((key) => !compiled.has(key));
  assert.equal(extra.length, 0, `fspiop schemas ${name}: the generated file lists unknown operations ${extra.join(', ')}`);
  // The Interlock extension's bodies are the same in every version; its error callbacks carry the set's ErrorInformationObject.
  const errorBody = compiled.get('PUT /transfers/{ID}/error')?.validate;
  assert.ok(errorBody !== undefined && errorBody !== null, `fspiop schemas ${name}: no ErrorInformationObject for the extension's error callbacks`);
  for (const op of EXTENSION_OPERATIONS) {
    const schema = EXTENSION_BODY_SCHEMAS[op.key];
    assert.ok(schema !== undefined, `fspiop extension: no body schema for ${op.key}`);
    if (schema === 'error') {
      compiled.set(op.key, { validate: errorBody });
      continue;
    }
    if (schema === null) {
      compiled.set(op.key, { validate: null });
      continue;
    }
    const key = schemaKey(schema);
    const validate = cache.get(key) ?? ajv.compile(schema);
    cache.set(key, validate);
    compiled.set(op.key, { validate });
  }
  return compiled;
}

/** The schema sets, named by the definition each was generated from. */
export const SCHEMA_SET_NAMES = ['1.1', '2.0'] as const;
export type SchemaSetName = (typeof SCHEMA_SET_NAMES)[number];

let compiledSets: ReadonlyMap<SchemaSetName, ReadonlyMap<string, CompiledOperation>> | undefined;

/** Compiles both schema sets (once); throws when ajv refuses a schema or a supported content version has no set. */
export function prepareBodyValidation(): void {
  compiledSetsNow();
}

function compiledSetsNow(): ReadonlyMap<SchemaSetName, ReadonlyMap<string, CompiledOperation>> {
  if (compiledSets !== undefined) return compiledSets;
  const cache = new Map<string, ValidateFunction>();
  const sets = new Map<SchemaSetName, ReadonlyMap<string, CompiledOperation>>([
    ['1.1', compileAll('1.1', generatedV1_1, cache)],
    ['2.0', compileAll('2.0', generatedV2_0, cache)],
  ]);
  // Every version the headers check lets through has a set: a version added there without one fails the start.
  for (const version of SUPPORTED_CONTENT_VERSIONS) assert.ok(sets.has(schemaSetFor(version)));
  compiledSets = sets;
  return sets;
}

/**
 * The schema set a content version's bodies are checked against.
 *
 * 1.0 bodies are checked as 1.1 (Mojaloop's switch checks all three versions
 * against a single set). The package's v1.0 definition, docs/fspiop-rest-v1.0-
 * openapi3-snippets.yaml (an "Implementation Friendly Version"), gives no reason
 * to do otherwise: for the operations the hub routes it has the same properties,
 * and the same required ones, as v1.1, but states no formats (no pattern, enum or
 * length for CorrelationId, Amount, DateTime, Currency, PartyIdType…), which v1.1
 * does. v1.1 only adds optional properties there (extensionList in PartyIdInfo
 * and in the body of POST /participants/{Type}/{ID}) and PATCH /transfers/{ID},
 * which the hub sends and never receives. So every well-formed 1.0 body passes,
 * and the formats the hub relies on are checked whatever the version; a 1.0 body
 * carrying one of those v1.1 extensionLists is tolerated.
 *
 * 2.0 bodies are checked against the v2.0 definition. Its bodies for the routed
 * operations are v1.1's plus optional properties (pinned by openapi/schemas.test.ts), so a
 * v1.1 body labelled 2.0 passes, and a body with v2.0-only properties passes only
 * when labelled 2.0.
 */
export function schemaSetFor(version: FspiopVersion): SchemaSetName {
  if (version.major === 1 && (version.minor === 0 || version.minor === 1)) return '1.1';
  if (version.major === 2 && version.minor === 0) return '2.0';
  // The headers check refuses every other version (3001) before a body is read.
  throw new Error(`schemaSetFor: no schema set for content version ${version.major}.${version.minor}`);
}


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
 * Checks a parsed request body against the operation's schema in the set of
 * the request's content version (schemaSetFor), after checkBodyShape.
 * `undefined` stands for "no body". The first failure maps to its FSPIOP code
 * (required → 3102, additionalProperties → 3103, type → 3101, any other
 * keyword → 3100) with a detail of the form "body/amount/currency must be one
 * of the Currency values". An operation key that is not in
 * src/fspiop/resources.ts, or a content version the headers check would have
 * refused, is a programmer error and throws.
 *
 * `contentVersion` is the version of the request's Content-Type
 * (RequestHeaderFacts.contentVersion). Left out, the body is checked as v1.1,
 * as every body was before the v2.0 set existed: a v2.0 body with v2.0-only
 * properties is then refused with 3103. Callers that know the version pass it.
 */
export function validateBody(operationKey: OperationKey, body: unknown, contentVersion: FspiopVersion): FspiopResult<void> {
  const compiled = compiledSetsNow().get(schemaSetFor(contentVersion))?.get(operationKey);
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
  return err(failureFor(first));
}

// Generates src/fspiop/openapi/fspiop-v1.1.schemas.json, the request-body
// JSON Schemas of every operation in src/fspiop/resources.ts, from Mojaloop's
// bundled FSPIOP v1.1 OpenAPI definition in @mojaloop/api-snippets.
//
//   npm run build:schemas            writes the file
//   npm run build:schemas -- --check exits 1 if the file differs from what the package gives
//
// The hub reads only the generated JSON: neither api-snippets nor js-yaml is
// needed at run time. src/fspiop/openapi/schemas.test.ts regenerates the file
// in memory with this code and fails on any difference, so the file can drift
// neither from the package nor by hand.
//
// The translation from OpenAPI 3.0 to draft-07 JSON Schema, for ajv in strict mode:
//   - every $ref is inlined (the FSPIOP schemas are not recursive; a cycle fails the build);
//   - description, example and examples are dropped; title is kept, to show which component a part came from;
//   - `nullable: true` becomes a type union with "null" (none of the v1.1 bodies uses it today);
//   - any keyword outside a known list fails the build, so a new construct is translated deliberately.
// And two decisions, recorded in the file's "changes":
//   - every object schema with `properties` is closed (additionalProperties: false), as Mojaloop's switch
//     closes them (its services validate against the v2.0 definition, where every object is closed);
//   - CorrelationId is taken from the v2.0 definition of the same package: UUID versions 1-7 or ULID,
//     where v1.1 says versions 1-5. Mojaloop's SDK generates UUID v7 ids by default
//     (central-services-shared Util.id) and Mojaloop's switch accepts v7 and ULIDs, as src/support/ids.ts does.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA, load } from 'js-yaml';
import { OPERATIONS } from '../src/fspiop/resources.ts';

const PACKAGE = '@mojaloop/api-snippets';
const DEFINITION_V1_1 = 'docs/fspiop-rest-v1.1-openapi3-snippets.yaml';
const DEFINITION_V2_0 = 'docs/fspiop-rest-v2.0-openapi3-snippets.yaml';
const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT_FILE = 'src/fspiop/openapi/fspiop-v1.1.schemas.json';

/** The v1.1 CorrelationId this generator was written against; if the package changes it, the override must be reviewed. */
const V1_1_CORRELATION_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
/** The v2.0 CorrelationId taken in its place: the same language as isCorrelationId in src/support/ids.ts. */
const V2_0_CORRELATION_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$|^[0-9A-HJKMNP-TV-Z]{26}$';

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject { [key: string]: Json }

const DROPPED_KEYWORDS = new Set(['description', 'example', 'examples']);
const KEPT_KEYWORDS = new Set([
  'title', 'type', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'allOf', 'anyOf', 'oneOf',
]);
/** Keywords whose value is a map of name → schema, or a schema, or a list of schemas. */
const SCHEMA_MAP_KEYWORDS = new Set(['properties']);
const SCHEMA_KEYWORDS = new Set(['items', 'additionalProperties']);
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(value: unknown, key: string, where: string): Json {
  if (!isObject(value) || !Object.hasOwn(value, key)) throw new Error(`build-fspiop-schemas: ${where} has no "${key}"`);
  const found = value[key];
  if (found === undefined) throw new Error(`build-fspiop-schemas: ${where}.${key} is undefined`);
  return found;
}

interface Definition {
  readonly document: JsonObject;
  readonly sha256: string;
}

function readDefinition(packageDirectory: string, file: string): Definition {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file inside the installed package
  const text = readFileSync(join(packageDirectory, file), 'utf8');
  const document = load(text, { schema: JSON_SCHEMA, filename: file });
  if (!isObject(document)) throw new Error(`build-fspiop-schemas: ${file} is not a YAML mapping`);
  if (document['openapi'] !== '3.0.2' && document['openapi'] !== '3.0.3') {
    throw new Error(`build-fspiop-schemas: ${file} is OpenAPI ${JSON.stringify(document['openapi'])}; this generator reads 3.0.x`);
  }
  return { document, sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

interface Converter {
  readonly components: JsonObject;
  readonly overrides: ReadonlyMap<string, Json>;
}

/** Converts one OpenAPI schema into draft-07, inlining references; `stack` holds the components being inlined. */
function convert(node: Json, converter: Converter, where: string, stack: readonly string[]): JsonObject {
  if (!isObject(node)) throw new Error(`build-fspiop-schemas: ${where} is not a schema object`);
  const ref = node['$ref'];
  if (ref !== undefined) {
    if (Object.keys(node).length !== 1) throw new Error(`build-fspiop-schemas: ${where} has keywords beside $ref, which OpenAPI 3.0 ignores`);
    const prefix = '#/components/schemas/';
    if (typeof ref !== 'string' || !ref.startsWith(prefix)) throw new Error(`build-fspiop-schemas: ${where} refers outside #/components/schemas: ${JSON.stringify(ref)}`);
    const name = ref.slice(prefix.length);
    if (stack.includes(name)) throw new Error(`build-fspiop-schemas: ${where} is recursive through ${[...stack, name].join(' → ')}`);
    const target = converter.overrides.get(name) ?? child(converter.components, name, 'components.schemas');
    return convert(target, converter, `#/components/schemas/${name}`, [...stack, name]);
  }

  const out: JsonObject = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (DROPPED_KEYWORDS.has(keyword) || keyword === 'nullable') continue;
    if (!KEPT_KEYWORDS.has(keyword)) throw new Error(`build-fspiop-schemas: ${where} uses "${keyword}", which this generator does not translate`);
    if (SCHEMA_MAP_KEYWORDS.has(keyword)) {
      if (!isObject(value)) throw new Error(`build-fspiop-schemas: ${where}.${keyword} is not a map`);
      const map: JsonObject = {};
      for (const [name, schema] of Object.entries(value)) map[name] = convert(schema, converter, `${where}.${keyword}.${name}`, stack);
      out[keyword] = map;
    } else if (SCHEMA_KEYWORDS.has(keyword) && typeof value !== 'boolean') {
      out[keyword] = convert(value, converter, `${where}.${keyword}`, stack);
    } else if (SCHEMA_LIST_KEYWORDS.has(keyword)) {
      if (!Array.isArray(value)) throw new Error(`build-fspiop-schemas: ${where}.${keyword} is not a list`);
      out[keyword] = value.map((schema, i) => convert(schema, converter, `${where}.${keyword}[${i}]`, stack));
    } else {
      out[keyword] = value;
    }
  }

  const nullable = node['nullable'];
  if (nullable !== undefined && nullable !== false) {
    if (nullable !== true || typeof out['type'] !== 'string') throw new Error(`build-fspiop-schemas: ${where} is nullable without a single type`);
    out['type'] = [out['type'], 'null'];
    const values = out['enum'];
    if (Array.isArray(values) && !values.includes(null)) out['enum'] = [...values, null];
  }

  if (out['type'] === 'object') {
    if (!isObject(out['properties'])) throw new Error(`build-fspiop-schemas: ${where} is an object without properties; decide whether it is open`);
    if (out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  }
  return out;
}

interface OperationEntry {
  method: string;
  path: string;
  operationId: string;
  /** The request body's schema, or null for an operation without a body (GET, DELETE). */
  body: Json;
}

/** The generated file's text, built from the package installed in node_modules. */
export function buildFspiopSchemas(): string {
  const requireFromHere = createRequire(import.meta.url);
  const packageJsonPath = requireFromHere.resolve(`${PACKAGE}/package.json`);
  const packageDirectory = dirname(packageJsonPath);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the installed package's own package.json
  const packageJson: unknown = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
  if (!isObject(packageJson) || packageJson['name'] !== PACKAGE || typeof packageJson['version'] !== 'string') {
    throw new Error(`build-fspiop-schemas: ${packageJsonPath} is not ${PACKAGE}'s package.json`);
  }
  const version = packageJson['version'];

  const v1 = readDefinition(packageDirectory, DEFINITION_V1_1);
  const v2 = readDefinition(packageDirectory, DEFINITION_V2_0);
  const components = child(child(v1.document, 'components', DEFINITION_V1_1), 'schemas', `${DEFINITION_V1_1} components`);
  if (!isObject(components)) throw new Error(`build-fspiop-schemas: ${DEFINITION_V1_1} components.schemas is not a map`);
  const v2Components = child(child(v2.document, 'components', DEFINITION_V2_0), 'schemas', `${DEFINITION_V2_0} components`);

  const v1CorrelationId = child(child(components, 'CorrelationId', DEFINITION_V1_1), 'pattern', 'v1.1 CorrelationId');
  if (v1CorrelationId !== V1_1_CORRELATION_ID_PATTERN) {
    throw new Error(`build-fspiop-schemas: ${PACKAGE} ${version} changed the v1.1 CorrelationId to ${JSON.stringify(v1CorrelationId)}; review the override`);
  }
  const v2CorrelationId = child(v2Components, 'CorrelationId', DEFINITION_V2_0);
  if (child(v2CorrelationId, 'pattern', 'v2.0 CorrelationId') !== V2_0_CORRELATION_ID_PATTERN) {
    throw new Error(`build-fspiop-schemas: ${PACKAGE} ${version} changed the v2.0 CorrelationId; check it against src/support/ids.ts`);
  }
  const converter: Converter = { components, overrides: new Map([['CorrelationId', v2CorrelationId]]) };

  const paths = child(v1.document, 'paths', DEFINITION_V1_1);
  const operations: Record<string, OperationEntry> = {};
  for (const op of OPERATIONS) {
    const where = `${DEFINITION_V1_1} ${op.key}`;
    const operation = child(child(paths, op.path, `${DEFINITION_V1_1} paths`), op.method.toLowerCase(), `${DEFINITION_V1_1} ${op.path}`);
    const operationId = child(operation, 'operationId', where);
    if (typeof operationId !== 'string') throw new Error(`build-fspiop-schemas: ${where} has no operationId`);
    let body: Json = null;
    if (isObject(operation) && operation['requestBody'] !== undefined) {
      const requestBody = child(operation, 'requestBody', where);
      if (child(requestBody, 'required', `${where} requestBody`) !== true) throw new Error(`build-fspiop-schemas: ${where} has an optional body`);
      const content = child(requestBody, 'content', `${where} requestBody`);
      if (!isObject(content) || Object.keys(content).join() !== 'application/json') {
        throw new Error(`build-fspiop-schemas: ${where} body is not only application/json`);
      }
      const schema = child(child(content, 'application/json', `${where} content`), 'schema', `${where} application/json`);
      body = { $schema: 'http://json-schema.org/draft-07/schema#', ...convert(schema, converter, `${where} body`, []) };
    }
    operations[op.key] = { method: op.method, path: op.path, operationId, body };
  }

  const generated = {
    generatedBy: 'scripts/build-fspiop-schemas.ts (npm run build:schemas); do not edit',
    source: {
      package: PACKAGE,
      version,
      definition: DEFINITION_V1_1,
      sha256: v1.sha256,
      info: { title: child(child(v1.document, 'info', DEFINITION_V1_1), 'title', 'info'), version: child(child(v1.document, 'info', DEFINITION_V1_1), 'version', 'info') },
    },
    changes: [
      {
        what: 'additionalProperties: false on every object schema that lists properties',
        why: 'Mojaloop\'s switch validates against the v2.0 definition, whose objects are all closed; an open schema lets unchecked data reach logs, hashes and forwarded bodies',
      },
      {
        what: `CorrelationId taken from ${DEFINITION_V2_0} (sha256 ${v2.sha256}): UUID versions 1-7 or ULID, instead of v1.1's versions 1-5`,
        why: 'Mojaloop\'s SDK generates UUID v7 ids by default and Mojaloop\'s switch accepts v7 and ULIDs; src/support/ids.ts accepts the same',
      },
    ],
    operations,
  };
  return `${JSON.stringify(generated, null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const output = join(REPOSITORY_ROOT, OUTPUT_FILE);
  const text = buildFspiopSchemas();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(output, 'utf8');
    } catch {
      // a missing file differs
    }
    if (current !== text) {
      process.stderr.write(`build-fspiop-schemas: ${relative(process.cwd(), output)} is out of date; run npm run build:schemas\n`);
      return 1;
    }
    process.stdout.write(`build-fspiop-schemas: ${relative(process.cwd(), output)} is up to date\n`);
    return 0;
  }
  writeFileSync(output, text, 'utf8');
  const parsed = JSON.parse(text) as { operations: Record<string, { body: unknown }> };
  const withBody = Object.values(parsed.operations).filter((op) => op.body !== null).length;
  process.stdout.write(`build-fspiop-schemas: wrote ${relative(process.cwd(), output)} (${Object.keys(parsed.operations).length} operations, ${withBody} body schemas)\n`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));

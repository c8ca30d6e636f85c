// Generates the request-body JSON Schemas of every operation in
// src/fspiop/resources.ts, one file per FSPIOP definition the hub validates
// against, from Mojaloop's bundled OpenAPI definitions in @mojaloop/api-snippets:
//
//   src/fspiop/openapi/fspiop-v1.1.schemas.json  from docs/fspiop-rest-v1.1-openapi3-snippets.yaml
//                                                (content versions 1.0 and 1.1, see src/fspiop/body_validation.ts)
//   src/fspiop/openapi/fspiop-v2.0.schemas.json  from docs/fspiop-rest-v2.0-openapi3-snippets.yaml
//                                                (content version 2.0)
//
//   npm run build:schemas            writes both files
//   npm run build:schemas -- --check exits 1 if either file differs from what the package gives
//
// The hub reads only the generated JSON: neither api-snippets nor js-yaml is
// needed at run time. src/fspiop/openapi/schemas.test.ts regenerates both files
// in memory with this code and fails on any difference, so they can drift
// neither from the package, nor from src/support/iso4217.ts, nor by hand.
// Only the operations the hub routes are generated: v2.0's own resources
// (fxQuotes, fxTransfers, services/FXP) are not, as the hub does not serve them.
//
// The translation from OpenAPI 3.0 to draft-07 JSON Schema, for ajv in strict mode, the same for both definitions:
//   - every $ref is inlined (the FSPIOP schemas are not recursive; a cycle fails the build);
//   - description, example and examples are dropped; title is kept, to show which component a part came from;
//   - `nullable: true` becomes a type union with "null" (none of the routed bodies uses it today);
//   - `allOf` is translated in one form only, the one v2.0 uses to give a $ref its own description (OpenAPI 3.0
//     ignores keywords beside a $ref): `allOf: [{$ref: X}, {description: …}]`, or `allOf: [{$ref: X}]` with
//     annotations beside it. The members that carry annotations only are dropped, and the one schema left
//     replaces the allOf, so the output keeps v1.1's vocabulary and error details keep the component's title
//     (v2.0's POST /quotes converter and currencyConversion are the routed cases). An allOf that combines two
//     real schemas fails the build: with closed objects it would refuse any body using properties of both
//     (each closed member refuses the other's), so it needs a decision of its own;
//   - anyOf and oneOf fail the build too: no routed body of either definition uses them, and with closed objects
//     and ajv's first error (which names a branch, not the body's fault) each would need a decision of its own;
//   - an explicit `additionalProperties: false` (every v2.0 object has one) is kept;
//   - any other keyword outside a known list fails the build, so a new construct is translated deliberately.
// And decisions recorded in each file's "changes":
//   - every object schema with `properties` is closed (additionalProperties: false), as Mojaloop's switch
//     closes them (its services validate against the v2.0 definition, where every object is closed); the
//     entry counts the objects the definition left open (all of v1.1's, none of v2.0's);
//   - v1.1 only: CorrelationId is taken from the v2.0 definition of the same package: UUID versions 1-7 or
//     ULID, where v1.1 says versions 1-5. Mojaloop's SDK generates UUID v7 ids by default
//     (central-services-shared Util.id) and Mojaloop's switch accepts v7 and ULIDs, as src/support/ids.ts does.
//     v2.0's own CorrelationId is that pattern already; the build checks it is, and fails if the package changes it;
//   - Currency's enum is replaced by the codes of the hub's ISO 4217 table (src/support/iso4217.ts): the
//     definitions' list is stale (it lacks SLE, VED, ZWG, XCG, SSP, MRU, STN… and lists codes that are withdrawn,
//     unofficial or without minor units), and the hub can hold money only in the table's currencies
//     (src/support/money.ts), so the edge refuses, with the same 3100, what the ledger could never settle.
//     The entry names the codes added and dropped.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA, load } from 'js-yaml';
import { OPERATIONS } from '../src/fspiop/resources.ts';
import { currencyScales } from '../src/support/iso4217.ts';

const PACKAGE = '@mojaloop/api-snippets';
const DEFINITION_V1_1 = 'docs/fspiop-rest-v1.1-openapi3-snippets.yaml';
const DEFINITION_V2_0 = 'docs/fspiop-rest-v2.0-openapi3-snippets.yaml';
const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CURRENCY_TABLE_FILE = 'src/support/iso4217.ts';

/** The schema sets the hub validates against: which definition each comes from and where it is written. */
export const SCHEMA_SETS = [
  { version: '1.1', definition: DEFINITION_V1_1, outputFile: 'src/fspiop/openapi/fspiop-v1.1.schemas.json' },
  { version: '2.0', definition: DEFINITION_V2_0, outputFile: 'src/fspiop/openapi/fspiop-v2.0.schemas.json' },
] as const;
export type SchemaSetVersion = (typeof SCHEMA_SETS)[number]['version'];

/** The v1.1 CorrelationId this generator was written against; if the package changes it, the override must be reviewed. */
const V1_1_CORRELATION_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
/** The v2.0 CorrelationId, used for both sets: the same language as isCorrelationId in src/support/ids.ts. */
const V2_0_CORRELATION_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$|^[0-9A-HJKMNP-TV-Z]{26}$';

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject { [key: string]: Json }

const DROPPED_KEYWORDS = new Set(['description', 'example', 'examples']);
/** Keywords that only annotate: a schema made of these alone constrains nothing. */
const ANNOTATION_KEYWORDS = new Set([...DROPPED_KEYWORDS, 'title']);
const KEPT_KEYWORDS = new Set([
  'title', 'type', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
]);
/** Keywords whose value is a map of name → schema, or a schema. */
const SCHEMA_MAP_KEYWORDS = new Set(['properties']);
const SCHEMA_KEYWORDS = new Set(['items', 'additionalProperties']);

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

function componentSchemas(definition: Definition, file: string): JsonObject {
  const schemas = child(child(definition.document, 'components', file), 'schemas', `${file} components`);
  if (!isObject(schemas)) throw new Error(`build-fspiop-schemas: ${file} components.schemas is not a map`);
  return schemas;
}

interface Converter {
  readonly components: JsonObject;
  readonly overrides: ReadonlyMap<string, Json>;
  /** Object schemas met, and those among them the definition left open (closed here). */
  objects: number;
  opened: number;
}

/**
 * An `allOf` in the one form translated: exactly one member that constrains, the others (and the node's
 * own keywords beside allOf) annotations only. Returns that member; anything else fails the build.
 */
function allOfTarget(node: JsonObject, where: string): Json {
  const members = node['allOf'];
  if (!Array.isArray(members)) throw new Error(`build-fspiop-schemas: ${where}.allOf is not a list`);
  const beside = Object.keys(node).filter((keyword) => keyword !== 'allOf' && !ANNOTATION_KEYWORDS.has(keyword));
  if (beside.length > 0) throw new Error(`build-fspiop-schemas: ${where} has ${beside.join(', ')} beside allOf, which this generator does not translate`);
  const constraining = members.filter((member) => !isObject(member) || Object.keys(member).some((keyword) => !ANNOTATION_KEYWORDS.has(keyword)));
  const [only, ...more] = constraining;
  if (only === undefined || more.length > 0) {
    throw new Error(`build-fspiop-schemas: ${where}.allOf combines ${constraining.length} schemas; with closed objects that needs a decision`);
  }
  return only;
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
  if (node['allOf'] !== undefined) return convert(allOfTarget(node, where), converter, `${where}.allOf`, stack);

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
    converter.objects += 1;
    if (out['additionalProperties'] === undefined) {
      out['additionalProperties'] = false;
      converter.opened += 1;
    }
  }
  return out;
}

/** One schema translated as the build translates it, with `components` for its $refs: for tests of the rules above. */
export function translateSchema(schema: unknown, components: Readonly<Record<string, unknown>> = {}): unknown {
  return convert(schema as Json, { components: components as JsonObject, overrides: new Map(), objects: 0, opened: 0 }, 'schema', []);
}

interface OperationEntry {
  method: string;
  path: string;
  operationId: string;
  /** The request body's schema, or null for an operation without a body (GET, DELETE). */
  body: Json;
}

interface Change {
  what: string;
  why: string;
}

interface InstalledPackage {
  readonly directory: string;
  readonly version: string;
}

function installedPackage(): InstalledPackage {
  const requireFromHere = createRequire(import.meta.url);
  const packageJsonPath = requireFromHere.resolve(`${PACKAGE}/package.json`);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the installed package's own package.json
  const packageJson: unknown = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
  if (!isObject(packageJson) || packageJson['name'] !== PACKAGE || typeof packageJson['version'] !== 'string') {
    throw new Error(`build-fspiop-schemas: ${packageJsonPath} is not ${PACKAGE}'s package.json`);
  }
  return { directory: dirname(packageJsonPath), version: packageJson['version'] };
}

/** The codes of the hub's ISO 4217 table, sorted. */
export function hubCurrencyCodes(): string[] {
  return [...currencyScales.keys()].sort();
}

/**
 * The definition's Currency with its enum replaced by the hub's table, and the change to record. The rest of
 * the schema (title, type, three characters) must be what this generator was written against.
 */
function hubCurrency(components: JsonObject, file: string): { schema: JsonObject; change: Change } {
  const currency = child(components, 'Currency', file);
  if (!isObject(currency)) throw new Error(`build-fspiop-schemas: ${file} Currency is not a schema`);
  const keywords = Object.keys(currency).filter((keyword) => !DROPPED_KEYWORDS.has(keyword)).sort().join(',');
  if (keywords !== 'enum,maxLength,minLength,title,type' || currency['title'] !== 'Currency' || currency['type'] !== 'string' ||
      currency['minLength'] !== 3 || currency['maxLength'] !== 3) {
    throw new Error(`build-fspiop-schemas: ${file} Currency is no longer a three-letter enum; review the ISO 4217 replacement`);
  }
  const specified = child(currency, 'enum', `${file} Currency`);
  if (!Array.isArray(specified) || !specified.every((code) => typeof code === 'string')) throw new Error(`build-fspiop-schemas: ${file} Currency.enum is not a list of codes`);
  const codes = hubCurrencyCodes();
  const added = codes.filter((code) => !specified.includes(code));
  const dropped = specified.filter((code) => !codes.includes(code)).sort();
  return {
    schema: { ...currency, enum: codes },
    change: {
      what: `Currency enum replaced by the ${codes.length} codes of ${CURRENCY_TABLE_FILE} (the definition lists ${specified.length}): ` +
        `adds ${added.join(' ') || 'none'}; drops ${dropped.join(' ') || 'none'}`,
      why: 'the definition\'s list predates current ISO 4217 codes; the hub holds and settles money only in the currencies of its table ' +
        '(src/support/money.ts), so the edge refuses with 3100 what the ledger could never settle, and accepts every currency it can',
    },
  };
}

/** The generated file's text for one schema set, built from the package installed in node_modules. */
export function buildFspiopSchemas(version: SchemaSetVersion): string {
  const set = SCHEMA_SETS.find((candidate) => candidate.version === version);
  if (set === undefined) throw new Error(`build-fspiop-schemas: no schema set ${JSON.stringify(version)}`);
  const installed = installedPackage();
  const file = set.definition;
  const definition = readDefinition(installed.directory, file);
  const components = componentSchemas(definition, file);
  const v2 = file === DEFINITION_V2_0 ? definition : readDefinition(installed.directory, DEFINITION_V2_0);
  const v2CorrelationId = child(componentSchemas(v2, DEFINITION_V2_0), 'CorrelationId', DEFINITION_V2_0);
  if (child(v2CorrelationId, 'pattern', 'v2.0 CorrelationId') !== V2_0_CORRELATION_ID_PATTERN) {
    throw new Error(`build-fspiop-schemas: ${PACKAGE} ${installed.version} changed the v2.0 CorrelationId; check it against src/support/ids.ts`);
  }

  const overrides = new Map<string, Json>();
  const changes: Change[] = [];
  if (version === '1.1') {
    const v1CorrelationId = child(child(components, 'CorrelationId', file), 'pattern', 'v1.1 CorrelationId');
    if (v1CorrelationId !== V1_1_CORRELATION_ID_PATTERN) {
      throw new Error(`build-fspiop-schemas: ${PACKAGE} ${installed.version} changed the v1.1 CorrelationId to ${JSON.stringify(v1CorrelationId)}; review the override`);
    }
    overrides.set('CorrelationId', v2CorrelationId);
    changes.push({
      what: `CorrelationId taken from ${DEFINITION_V2_0} (sha256 ${v2.sha256}): UUID versions 1-7 or ULID, instead of v1.1's versions 1-5`,
      why: 'Mojaloop\'s SDK generates UUID v7 ids by default and Mojaloop\'s switch accepts v7 and ULIDs; src/support/ids.ts accepts the same',
    });
  }
  const currency = hubCurrency(components, file);
  overrides.set('Currency', currency.schema);
  changes.push(currency.change);

  const converter: Converter = { components, overrides, objects: 0, opened: 0 };
  const paths = child(definition.document, 'paths', file);
  const operations: Record<string, OperationEntry> = {};
  for (const op of OPERATIONS) {
    const where = `${file} ${op.key}`;
    const operation = child(child(paths, op.path, `${file} paths`), op.method.toLowerCase(), `${file} ${op.path}`);
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
  changes.unshift({
    what: `additionalProperties: false on every object schema that lists properties (${converter.opened} of the ${converter.objects} in these bodies, counted where inlined, are open in the definition)`,
    why: 'Mojaloop\'s switch validates against the v2.0 definition, whose objects are all closed; an open schema lets unchecked data reach logs, hashes and forwarded bodies',
  });

  const info = child(definition.document, 'info', file);
  const generated = {
    generatedBy: 'scripts/build-fspiop-schemas.ts (npm run build:schemas); do not edit',
    source: {
      package: PACKAGE,
      version: installed.version,
      definition: file,
      sha256: definition.sha256,
      info: { title: child(info, 'title', 'info'), version: child(info, 'version', 'info') },
    },
    changes,
    operations,
  };
  return `${JSON.stringify(generated, null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const set of SCHEMA_SETS) {
    const output = join(REPOSITORY_ROOT, set.outputFile);
    const shown = relative(process.cwd(), output);
    const text = buildFspiopSchemas(set.version);
    if (check) {
      let current = '';
      try {
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- one of the fixed output files above
        current = readFileSync(output, 'utf8');
      } catch {
        // a missing file differs
      }
      if (current === text) {
        process.stdout.write(`build-fspiop-schemas: ${shown} is up to date\n`);
      } else {
        process.stderr.write(`build-fspiop-schemas: ${shown} is out of date; run npm run build:schemas\n`);
        stale += 1;
      }
      continue;
    }
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- one of the fixed output files above
    writeFileSync(output, text, 'utf8');
    const parsed = JSON.parse(text) as { operations: Record<string, { body: unknown }> };
    const withBody = Object.values(parsed.operations).filter((op) => op.body !== null).length;
    process.stdout.write(`build-fspiop-schemas: wrote ${shown} (${Object.keys(parsed.operations).length} operations, ${withBody} body schemas)\n`);
  }
  return stale === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import { buildFspiopSchemas, hubCurrencyCodes, SCHEMA_SETS, translateSchema } from '../../../scripts/build-fspiop-schemas.ts';
import { isCorrelationId } from '../../support/ids.ts';
import { currencyScales } from '../../support/iso4217.ts';
import { OPERATIONS } from '../resources.ts';

interface GeneratedFile {
  source: { package: string; version: string; definition: string; sha256: string; info: { title: string; version: string } };
  changes: { what: string; why: string }[];
  operations: Record<string, { method: string; path: string; operationId: string; body: Record<string, unknown> | null }>;
}

const SETS = SCHEMA_SETS.map((set) => {
  const text = readFileSync(new URL(`../../../${set.outputFile}`, import.meta.url), 'utf8');
  return { ...set, text, committed: JSON.parse(text) as GeneratedFile };
});
const v1_1 = SETS.find((set) => set.version === '1.1')!.committed;
const v2_0 = SETS.find((set) => set.version === '2.0')!.committed;

function walk(schema: unknown, visit: (node: Record<string, unknown>, where: string) => void, where = ''): void {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => { walk(item, visit, `${where}[${i}]`); });
    return;
  }
  const node = schema as Record<string, unknown>;
  visit(node, where);
  for (const [key, value] of Object.entries(node)) walk(value, visit, `${where}/${key}`);
}

/** Every schema node of a body, by its property path ("/party/supportedCurrencies[]"), skipping property maps. */
function schemasByPath(schema: unknown, prefix = '', out = new Map<string, Record<string, unknown>>()): Map<string, Record<string, unknown>> {
  if (typeof schema !== 'object' || schema === null) return out;
  const node = schema as Record<string, unknown>;
  out.set(prefix, node);
  for (const [name, child] of Object.entries((node['properties'] ?? {}) as Record<string, unknown>)) schemasByPath(child, `${prefix}/${name}`, out);
  if (node['items'] !== undefined) schemasByPath(node['items'], `${prefix}[]`, out);
  return out;
}

it('there is one schema set per FSPIOP definition the hub validates against, v1.1 and v2.0', () => {
  assert.deepEqual(SCHEMA_SETS.map((set) => [set.version, set.definition, set.outputFile]), [
    ['1.1', 'docs/fspiop-rest-v1.1-openapi3-snippets.yaml', 'src/fspiop/openapi/fspiop-v1.1.schemas.json'],
    ['2.0', 'docs/fspiop-rest-v2.0-openapi3-snippets.yaml', 'src/fspiop/openapi/fspiop-v2.0.schemas.json'],
  ]);
});

for (const set of SETS) {
  const { committed } = set;

  describe(`the generated FSPIOP ${set.version} schema file`, () => {
    it('is exactly what scripts/build-fspiop-schemas.ts makes from the installed @mojaloop/api-snippets and src/support/iso4217.ts', () => {
      // Drift from the package or the currency table, or a hand edit, fails here; `npm run build:schemas` rewrites the file.
      assert.equal(buildFspiopSchemas(set.version), set.text, `${set.outputFile} is stale or edited by hand; run npm run build:schemas`);
    });

    it('names the package version installed, which package.json pins, and its definition', () => {
      const require = createRequire(import.meta.url);
      const installed = (require('@mojaloop/api-snippets/package.json') as { version: string }).version;
      const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
      assert.equal(committed.source.package, '@mojaloop/api-snippets');
      assert.equal(committed.source.version, installed);
      assert.equal(manifest.devDependencies['@mojaloop/api-snippets'], installed);
      assert.equal(committed.source.definition, set.definition);
      assert.match(committed.source.sha256, /^[0-9a-f]{64}$/);
      assert.ok(committed.source.info.version.startsWith(set.version), committed.source.info.version);
    });

    it('has one entry per operation in src/fspiop/resources.ts, in the same order, and no other (no fxQuotes, fxTransfers)', () => {
      assert.deepEqual(Object.keys(committed.operations), OPERATIONS.map((op) => op.key));
      for (const op of OPERATIONS) {
        const entry = committed.operations[op.key]!;
        assert.equal(entry.method, op.method);
        assert.equal(entry.path, op.path);
        assert.ok(entry.operationId.length > 0);
      }
    });

    it('has a body schema exactly for the operations that carry a body (POST, PUT, PATCH)', () => {
      const withBody = OPERATIONS.filter((op) => committed.operations[op.key]!.body !== null).map((op) => op.key);
      assert.deepEqual(withBody, OPERATIONS.filter((op) => op.method !== 'GET' && op.method !== 'DELETE').map((op) => op.key));
      assert.equal(withBody.length, 20);
    });

    it('closes every object, inlines every reference, bounds every string and array, and keeps nothing ajv strict mode would refuse', () => {
      // No allOf, anyOf or oneOf: the generator translates v2.0's allOf-with-a-description away and refuses the rest.
      const known = new Set(['$schema', 'title', 'type', 'enum', 'properties', 'required', 'additionalProperties', 'items',
        'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern']);
      for (const [key, entry] of Object.entries(committed.operations)) {
        if (entry.body === null) continue;
        walk(entry.body, (node, where) => {
          if (where.endsWith('/properties')) return; // a map of property names, not a schema
          for (const keyword of Object.keys(node)) assert.ok(known.has(keyword), `${key} ${where}: unexpected keyword ${keyword}`);
          if (node['type'] === 'object') assert.equal(node['additionalProperties'], false, `${key} ${where} is open`);
          if (node['type'] === 'string') {
            const bounded = typeof node['maxLength'] === 'number' || Array.isArray(node['enum']) || typeof node['pattern'] === 'string';
            assert.ok(bounded, `${key} ${where}: an unbounded string`);
          }
          if (node['type'] === 'array') assert.equal(typeof node['maxItems'], 'number', `${key} ${where}: an unbounded array`);
        });
      }
    });

    it('validates every currency against the hub\'s ISO 4217 table, and records that it does', () => {
      const codes = [...currencyScales.keys()].sort();
      assert.deepEqual(hubCurrencyCodes(), codes);
      let currencies = 0;
      for (const [key, entry] of Object.entries(committed.operations)) {
        for (const [path, node] of schemasByPath(entry.body)) {
          // Anything named like a currency is the Currency type, so no copy of the definition's list survives.
          if (/currency$/i.test(path) || /currencies\[\]$/i.test(path)) assert.equal(node['title'], 'Currency', `${key} ${path}`);
          if (node['title'] === 'Currency') {
            currencies += 1;
            assert.deepEqual(node['enum'], codes, `${key} ${path}`);
            assert.equal(node['type'], 'string');
          }
        }
      }
      assert.ok(currencies >= 11, `only ${currencies} Currency schemas`);
      const change = committed.changes.find((c) => c.what.startsWith('Currency enum replaced'));
      assert.ok(change !== undefined, 'no change recorded for Currency');
      assert.ok(change.what.includes(`by the ${codes.length} codes of src/support/iso4217.ts`), change.what);
      const added = /: adds ([A-Z ]+);/u.exec(change.what)?.[1]?.split(' ') ?? [];
      for (const code of ['SLE', 'VED', 'ZWG', 'XCG']) assert.ok(added.includes(code), `${code} is not among the codes added`);
    });

    it('compiles under ajv strict mode', () => {
      const ajv = new Ajv({ strict: true, allErrors: false, addUsedSchema: false });
      for (const entry of Object.values(committed.operations)) if (entry.body !== null) ajv.compile(entry.body);
    });
  });

  describe(`CorrelationId in the ${set.version} schemas is the language of src/support/ids.ts`, () => {
    const correlationId = committed.operations['POST /transfers']!.body!['properties'] as Record<string, { pattern: string }>;
    // eslint-disable-next-line security/detect-non-literal-regexp -- the pattern under test, from the generated file
    const pattern = new RegExp(correlationId['transferId']!.pattern, 'u');
    const hex = fc.constantFrom(...'0123456789abcdef'.split(''));
    const crockford = fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'.split(''));
    const uuidLike = fc.tuple(
      fc.string({ unit: hex, minLength: 8, maxLength: 8 }), fc.string({ unit: hex, minLength: 4, maxLength: 4 }),
      fc.constantFrom(...'0123456789abcdef'.split('')), fc.string({ unit: hex, minLength: 3, maxLength: 3 }),
      fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), fc.string({ unit: hex, minLength: 3, maxLength: 3 }),
      fc.string({ unit: hex, minLength: 12, maxLength: 12 }),
    ).map(([a, b, version, c, variant, d, e]) => `${a}-${b}-${version}${c}-${variant}${d}-${e}`);
    const ulidLike = fc.string({ unit: fc.oneof(crockford, fc.constantFrom('I', 'L', 'O', 'U', 'a', 'z')), minLength: 25, maxLength: 27 });

    it('agrees on UUID-shaped, ULID-shaped and arbitrary strings', () => {
      fc.assert(fc.property(fc.oneof(uuidLike, ulidLike, fc.string()), (value) => {
        assert.equal(pattern.test(value), isCorrelationId(value), JSON.stringify(value));
      }), { numRuns: 3000 });
    });

    it('accepts the UUID v7 ids Mojaloop\'s SDK generates and ULIDs, which v1.1 alone would refuse', () => {
      assert.ok(pattern.test('019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b'));
      assert.ok(pattern.test('01JD3Z6W5Q8X4N2M7K9B1C0V3F'));
      assert.ok(!pattern.test('019A7B3C-5D2E-7F10-9A4B-3C2D1E0F9A8B'), 'upper-case UUIDs stay refused');
      assert.ok(!pattern.test('019a7b3c-5d2e-8f10-9a4b-3c2d1e0f9a8b'), 'UUID version 8 stays refused');
    });
  });
}

describe('the departures each file records', () => {
  it('v1.1: closed objects (all open in v1.1), the v2.0 CorrelationId, the hub\'s currencies', () => {
    assert.deepEqual(v1_1.changes.map((c) => c.what.split(/[ :(]/)[0]), ['additionalProperties', 'CorrelationId', 'Currency']);
    assert.match(v1_1.changes[0]!.what, /\((\d+) of the \1 in these bodies/);
    assert.match(v1_1.changes[1]!.what, /CorrelationId taken from docs\/fspiop-rest-v2\.0/);
  });

  it('v2.0: closed objects (none left open by v2.0 itself), the hub\'s currencies; its own CorrelationId needs no change', () => {
    assert.deepEqual(v2_0.changes.map((c) => c.what.split(/[ :(]/)[0]), ['additionalProperties', 'Currency']);
    assert.match(v2_0.changes[0]!.what, /\(0 of the [1-9]\d* in these bodies/);
  });
});

describe('v2.0 against v1.1, for the operations the hub routes', () => {
  /**
   * What v2.0 adds, all optional: the FX fields of a quote request, and in every Party (PUT /parties, and the
   * payer and payee of POST /quotes) the currencies it can receive and KYC information.
   */
  const partyAdditions = (at: string): string[] => [`${at}/personalInfo/kycInformation`, `${at}/supportedCurrencies`];
  const V2_0_ONLY: Record<string, readonly string[]> = {
    'PUT /parties/{Type}/{ID}': partyAdditions('/party'),
    'PUT /parties/{Type}/{ID}/{SubId}': partyAdditions('/party'),
    'POST /quotes': [...partyAdditions('/payee'), ...partyAdditions('/payer'), '/converter', '/currencyConversion'],
  };

  it('v2.0 is v1.1 plus optional properties, exactly those listed, and nothing else changes', () => {
    for (const op of OPERATIONS) {
      const older = schemasByPath(v1_1.operations[op.key]!.body);
      const newer = schemasByPath(v2_0.operations[op.key]!.body);
      const added = [...newer.keys()].filter((path) => !older.has(path));
      const expected = V2_0_ONLY[op.key] ?? [];
      // The top of each addition is listed; what lies under it (currencyConversion's amounts) comes with it.
      assert.deepEqual(added.filter((path) => !expected.some((top) => path !== top && path.startsWith(top))), [...expected], op.key);
      for (const path of older.keys()) assert.ok(newer.has(path), `${op.key}: v2.0 drops ${path}`);
      for (const top of expected) {
        const parent = newer.get(top.slice(0, top.lastIndexOf('/')))!;
        const name = top.slice(top.lastIndexOf('/') + 1);
        assert.ok(!((parent['required'] ?? []) as string[]).includes(name), `${op.key}: ${top} is required in v2.0`);
      }
      // Everything v1.1 has is the same in v2.0, keyword by keyword (apart from the properties added below it).
      for (const [path, node] of older) {
        const counterpart = newer.get(path)!;
        const strip = (schema: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(schema).filter(([k]) => k !== 'properties' && k !== 'items'));
        assert.deepEqual(strip(counterpart), strip(node), `${op.key} ${path || '/'}`);
      }
    }
  });
});

describe('the translation rules of scripts/build-fspiop-schemas.ts', () => {
  const components = {
    Money: { title: 'Money', type: 'object', additionalProperties: false, properties: { amount: { type: 'string', maxLength: 8 } }, required: ['amount'] },
    Note: { title: 'Note', type: 'string', minLength: 1, maxLength: 128, description: 'A note.' },
  };

  it('resolves v2.0\'s allOf-with-a-description to the schema it describes', () => {
    const money = { title: 'Money', type: 'object', additionalProperties: false, properties: { amount: { type: 'string', maxLength: 8 } }, required: ['amount'] };
    assert.deepEqual(translateSchema({ allOf: [{ $ref: '#/components/schemas/Money' }, { description: 'The fee.' }] }, components), money);
    assert.deepEqual(translateSchema({ allOf: [{ $ref: '#/components/schemas/Note' }], description: 'Why.' }, components), { title: 'Note', type: 'string', minLength: 1, maxLength: 128 });
  });

  it('refuses every other allOf, and anyOf, oneOf and unknown keywords, so that each is translated deliberately', () => {
    const refusals: [unknown, RegExp][] = [
      [{ allOf: [{ $ref: '#/components/schemas/Money' }, { $ref: '#/components/schemas/Note' }] }, /combines 2 schemas/],
      [{ allOf: [{ description: 'nothing' }] }, /combines 0 schemas/],
      [{ allOf: [{ $ref: '#/components/schemas/Money' }], type: 'object' }, /type beside allOf/],
      [{ anyOf: [{ $ref: '#/components/schemas/Money' }] }, /uses "anyOf"/],
      [{ oneOf: [{ $ref: '#/components/schemas/Money' }] }, /uses "oneOf"/],
      [{ type: 'string', format: 'date-time' }, /uses "format"/],
      [{ type: 'object' }, /object without properties/],
      [{ $ref: '#/components/schemas/Money', description: 'x' }, /beside \$ref/],
    ];
    for (const [schema, message] of refusals) assert.throws(() => translateSchema(schema, components), message, JSON.stringify(schema));
  });

  it('closes an object the definition leaves open and keeps one it closes', () => {
    assert.deepEqual(translateSchema({ type: 'object', properties: { a: { type: 'string', maxLength: 1 } } }), { type: 'object', properties: { a: { type: 'string', maxLength: 1 } }, additionalProperties: false });
    assert.deepEqual(translateSchema({ $ref: '#/components/schemas/Money' }, components), components.Money);
  });
});

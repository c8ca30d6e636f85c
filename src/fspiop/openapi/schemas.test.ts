import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import { buildFspiopSchemas, OUTPUT_FILE } from '../../../scripts/build-fspiop-schemas.ts';
import { isCorrelationId } from '../../support/ids.ts';
import { OPERATIONS } from '../resources.ts';

const committedText = readFileSync(new URL('./fspiop-v1.1.schemas.json', import.meta.url), 'utf8');

interface GeneratedFile {
  source: { package: string; version: string; definition: string; sha256: string };
  changes: { what: string; why: string }[];
  operations: Record<string, { method: string; path: string; operationId: string; body: Record<string, unknown> | null }>;
}
const committed = JSON.parse(committedText) as GeneratedFile;

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

describe('the generated FSPIOP schema file', () => {
  it('is exactly what scripts/build-fspiop-schemas.ts makes from the installed @mojaloop/api-snippets', () => {
    // Drift from the package, or a hand edit, fails here; `npm run build:schemas` rewrites the file.
    assert.equal(buildFspiopSchemas(), committedText, `${OUTPUT_FILE} is stale or edited by hand; run npm run build:schemas`);
  });

  it('names the package version installed, which package.json pins', () => {
    const require = createRequire(import.meta.url);
    const installed = (require('@mojaloop/api-snippets/package.json') as { version: string }).version;
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    assert.equal(committed.source.package, '@mojaloop/api-snippets');
    assert.equal(committed.source.version, installed);
    assert.equal(manifest.devDependencies['@mojaloop/api-snippets'], installed);
    assert.equal(committed.source.definition, 'docs/fspiop-rest-v1.1-openapi3-snippets.yaml');
    assert.match(committed.source.sha256, /^[0-9a-f]{64}$/);
  });

  it('has one entry per operation in src/fspiop/resources.ts, in the same order, and no other', () => {
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

  it('closes every object, inlines every reference, and keeps nothing ajv strict mode would refuse', () => {
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
      });
    }
  });

  it('records its two departures from the v1.1 text', () => {
    assert.equal(committed.changes.length, 2);
    assert.match(committed.changes[0]!.what, /additionalProperties: false/);
    assert.match(committed.changes[1]!.what, /CorrelationId taken from docs\/fspiop-rest-v2\.0/);
  });

  it('compiles under ajv strict mode', () => {
    const ajv = new Ajv({ strict: true, allErrors: false, addUsedSchema: false });
    for (const entry of Object.values(committed.operations)) if (entry.body !== null) ajv.compile(entry.body);
  });
});

describe('CorrelationId in the schemas is the language of src/support/ids.ts', () => {
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

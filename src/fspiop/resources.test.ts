import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { httpStatusOf, type ErrorCode } from './errors.ts';
import {
  allowedMethodsAt, EXTENSION_OPERATIONS, FSPIOP_METHODS, isOperationKey, OPERATION_KEYS, OPERATIONS, PARTY_ID_TYPES, refusedLookAlike, resolveOperation,
  type OperationKey, type ResolvedOperation,
} from './resources.ts';

const UUID_V4 = 'b51ec534-ee48-4575-b6a9-ead2955b8069';
const UUID_V7 = '019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b';
const ULID = '01JD3Z6W5Q8X4N2M7K9B1C0V3F';

/** An identifier of each type's form (party_identifiers.ts). */
const SAMPLE_IDS = { MSISDN: '256700000001', EMAIL: 'alice@example.com', PERSONAL_ID: 'P1234567', BUSINESS: 'shoe-co', DEVICE: 'pos-17', ACCOUNT_ID: '0012-3456', IBAN: 'DE89370400440532013000', ALIAS: 'alice' } as const;

function concrete(path: string): string {
  const id = path.includes('{Type}') ? '256700000001' : UUID_V7;
  return path.replace('{Type}', 'MSISDN').replace('{ID}', id).replace('{SubId}', 'savings');
}

function resolves(method: string, target: string): ResolvedOperation {
  const result = resolveOperation(method, target);
  assert.ok(result.ok, `${method} ${target}: ${result.ok ? '' : `${result.error.code} ${result.error.detail}`}`);
  return result.value;
}

function refused(method: string, target: string, code: ErrorCode, detail?: RegExp) {
  const result = resolveOperation(method, target);
  assert.ok(!result.ok, `${method} ${target} should be refused`);
  assert.equal(result.error.code, code, `${method} ${target}: ${result.error.detail}`);
  if (detail !== undefined) assert.match(result.error.detail, detail);
  return result.error;
}

describe('the operation table', () => {
  it('lists 28 operations under the four resources and the extension\'s 7, with unique keys', () => {
    assert.equal(OPERATIONS.length, 28);
    assert.equal(EXTENSION_OPERATIONS.length, 7);
    assert.equal(new Set(OPERATION_KEYS).size, OPERATIONS.length + EXTENSION_OPERATIONS.length);
    for (const op of [...OPERATIONS, ...EXTENSION_OPERATIONS]) {
      assert.equal(op.key, `${op.method} ${op.path}`);
      assert.ok(isOperationKey(op.key));
    }
    assert.ok(!isOperationKey('POST /bulkTransfers'));
    assert.ok(!isOperationKey(5));
    const typed: OperationKey = 'PUT /transfers/{ID}/error';
    assert.ok(isOperationKey(typed));
    // @ts-expect-error an operation the hub does not serve is not an OperationKey
    const untyped: OperationKey = 'POST /bulkTransfers';
    assert.ok(!isOperationKey(untyped));
  });

  it('never leaves two operations of one method equally specific for one path', () => {
    const segments = (path: string) => path.slice(1).split('/');
    const literals = (path: string) => segments(path).filter((s) => !s.startsWith('{')).length;
    const all = [...OPERATIONS, ...EXTENSION_OPERATIONS];
    for (const a of all) {
      for (const b of all) {
        if (a === b || a.method !== b.method) continue;
        const sa = segments(a.path);
        const sb = segments(b.path);
        const overlap = sa.length === sb.length && sa.every((s, i) => s.startsWith('{') || sb[i]!.startsWith('{') || s === sb[i]);
        if (overlap) assert.notEqual(literals(a.path), literals(b.path), `${a.key} and ${b.key} tie`);
      }
    }
  });
});

describe('resolveOperation: the operations a DFSP sends', () => {
  for (const op of [...OPERATIONS, ...EXTENSION_OPERATIONS].filter((o) => o.hubReceives)) {
    it(`resolves ${op.key}`, () => {
      const resolved = resolves(op.method, concrete(op.path));
      assert.equal(resolved.key, op.key);
      assert.equal(resolved.path, op.path);
      assert.equal(resolved.resource, op.path.split('/')[1]);
      assert.equal(resolved.query, '');
      if (op.path.includes('{Type}')) assert.deepEqual(resolved.params.type, 'MSISDN');
      if (op.path.includes('{ID}')) assert.equal(resolved.params.id, op.path.includes('{Type}') ? '256700000001' : UUID_V7);
      if (op.path.includes('{SubId}')) assert.equal(resolved.params.subId, 'savings');
      if (!op.path.includes('{')) assert.deepEqual(resolved.params, {});
    });
  }

  it('separates the query string, unparsed', () => {
    const resolved = resolves('GET', `/participants/MSISDN/123?currency=USD&x=%20`);
    assert.equal(resolved.query, 'currency=USD&x=%20');
    assert.equal(resolves('GET', `/transfers/${UUID_V4}?`).query, '');
  });

  it('takes every PartyIdType, and ids as UUID v1-7 or ULID', () => {
    for (const type of PARTY_ID_TYPES) assert.equal(resolves('GET', `/parties/${type}/${encodeURIComponent(SAMPLE_IDS[type])}`).params.type, type);
    for (const id of [UUID_V4, UUID_V7, ULID, '6ba7b810-9dad-11d1-80b4-00c04fd430c8']) assert.equal(resolves('GET', `/transfers/${id}`).params.id, id);
  });

  it('decodes party identifiers once: e-mail addresses, a leading +, punctuation', () => {
    assert.equal(resolves('GET', '/parties/EMAIL/alice%40example.com').params.id, 'alice@example.com');
    assert.equal(resolves('GET', '/parties/EMAIL/alice@example.com').params.id, 'alice@example.com');
    assert.equal(resolves('GET', '/parties/MSISDN/+256700000001').params.id, '+256700000001');
    assert.equal(resolves('GET', '/parties/MSISDN/%2B256700000001').params.id, '+256700000001');
    assert.equal(resolves('GET', '/parties/ALIAS/cafe.noir%3A1').params.id, 'cafe.noir:1');
    refused('GET', '/parties/ALIAS/%252F', '3101', /ID of type ALIAS must be printable ASCII without spaces/); // decoded once, to "%2F", which holds '%'
    assert.equal(resolves('GET', `/parties/ALIAS/${'x'.repeat(128)}`).params.id, 'x'.repeat(128));
    assert.equal(resolves('GET', '/parties/BUSINESS/shoe-co/employee-1').params.subId, 'employee-1');
  });

  it('holds each identifier to its type\'s rule (3101): MSISDN digits, EMAIL addresses, IBANs', () => {
    for (const id of ['2567000000a1', '1234567890123456', '++1', '1+2', '%20']) refused('GET', `/parties/MSISDN/${id}`, '3101', /ID|MSISDN/);
    for (const id of ['alice', 'alice@', '@x.org', 'a..b@x.org', 'a@x', 'a@x.123', 'a@-x.org', '"a b"@x.org', `${'a'.repeat(65)}@x.org`]) {
      refused('GET', `/parties/EMAIL/${encodeURIComponent(id)}`, '3101', /EMAIL/);
    }
    for (const id of ['de89370400440532013000', 'DE89 3704', 'D189370400', 'DE8', `DE89${'1'.repeat(31)}`]) refused('GET', `/parties/IBAN/${encodeURIComponent(id)}`, '3101', /IBAN/);
  });

  it('refuses look-alikes in identifiers rather than normalising them (3101), and marks the refusal', () => {
    // Cyrillic а, fullwidth １, zero-width space, Arabic-Indic digit, non-breaking space, e with a combining accent.
    for (const id of ['25670000000\u0430', '25670000000\uff11', '256\u200b700000001', '\u0662567', '256\u00a07', 'cafe\u0301']) {
      for (const type of PARTY_ID_TYPES) {
        const error = refused('GET', `/parties/${type}/${encodeURIComponent(id)}`, '3101', /ID must be ASCII: it holds U\+/);
        assert.ok(refusedLookAlike(error), `${type} ${JSON.stringify(id)}`);
      }
      const sub = refused('GET', `/parties/ALIAS/alice/${encodeURIComponent(id)}`, '3101', /SubId must be ASCII/);
      assert.ok(refusedLookAlike(sub));
    }
    assert.equal(refusedLookAlike(refused('GET', '/parties/MSISDN/12a', '3101')), false, 'an ASCII mistake is not a look-alike');
  });
});

describe('resolveOperation: literal segments win over parameters', () => {
  it('reads PUT …/error as the error callback, never as a SubId "error"', () => {
    assert.equal(resolves('PUT', '/parties/MSISDN/123/error').key, 'PUT /parties/{Type}/{ID}/error');
    assert.equal(resolves('PUT', '/participants/MSISDN/123/error').key, 'PUT /participants/{Type}/{ID}/error');
    assert.equal(resolves('PUT', '/parties/MSISDN/123/savings/error').key, 'PUT /parties/{Type}/{ID}/{SubId}/error');
  });

  it('still reaches a SubId "error" with methods that have no /error form', () => {
    const resolved = resolves('GET', '/parties/MSISDN/123/error');
    assert.equal(resolved.key, 'GET /parties/{Type}/{ID}/{SubId}');
    assert.equal(resolved.params.subId, 'error');
    assert.equal(resolves('DELETE', '/participants/MSISDN/123/error').key, 'DELETE /participants/{Type}/{ID}/{SubId}');
  });

  it('reads PUT /participants/X/error as the bulk error callback, so X must be a CorrelationId', () => {
    assert.equal(resolves('PUT', `/participants/${UUID_V4}/error`).key, 'PUT /participants/{ID}/error');
    refused('PUT', '/participants/MSISDN/error', '3100', /UUID/);
    assert.equal(resolves('PUT', `/participants/${UUID_V4}`).key, 'PUT /participants/{ID}');
  });
});

describe('resolveOperation: unknown paths (3002, HTTP 404)', () => {
  const unknown = [
    '', '/', 'transfers', '/transfer', '/Transfers', '/TRANSFERS', '/transfers/', `/transfers/${UUID_V4}/`, `/transfers//error`, '//transfers',
    `/transfers/${UUID_V4}/errors`, `/transfers/${UUID_V4}/error/x`, '/transfer%73', `/transfers%2F${UUID_V4}`, '/bulkTransfers', '/bulkQuotes',
    '/transactionRequests', `/authorizations/${UUID_V4}`, `/fxTransfers/${UUID_V4}`, '/parties', '/parties/MSISDN', '/parties/MSISDN/1/2/3/4',
    '/participants/MSISDN/1/2/error/x', `http://hub/transfers/${UUID_V4}`, `*`, '/health', '/../transfers', '/./transfers', '\\transfers',
    `/transfers;jsessionid=1`, '/quotes/x/error/extra', '?/transfers',
  ];
  for (const target of unknown) {
    it(`refuses ${JSON.stringify(target)}`, () => {
      const failure = refused('GET', target, '3002');
      assert.equal(httpStatusOf(failure), 404);
      assert.doesNotMatch(failure.detail, /transfers|%|\\/, 'the detail does not echo the path');
      assert.deepEqual(allowedMethodsAt(target), []);
    });
  }
});

describe('resolveOperation: known paths, wrong methods (3000, HTTP 405)', () => {
  it('answers 3000 with 405 and lists what the path accepts', () => {
    const cases: [string, string, string[]][] = [
      ['DELETE', `/transfers/${UUID_V4}`, ['GET', 'PUT']],
      ['PATCH', `/transfers/${UUID_V4}`, ['GET', 'PUT']], // the hub sends PATCH; it never receives one
      ['POST', `/transfers/${UUID_V4}`, ['GET', 'PUT']],
      ['GET', '/transfers', ['POST']],
      ['PUT', '/quotes', ['POST']],
      ['GET', `/transfers/${UUID_V4}/error`, ['PUT']],
      ['POST', '/parties/MSISDN/1', ['GET', 'PUT']],
      ['GET', '/participants', ['POST']],
      ['HEAD', '/transfers', ['POST']],
      ['OPTIONS', `/quotes/${UUID_V4}`, ['GET', 'PUT']],
      ['get', `/transfers/${UUID_V4}`, ['GET', 'PUT']],
      ['TRACE', '/participants/MSISDN/1', ['GET', 'POST', 'PUT', 'DELETE']],
      ['', '/transfers', ['POST']],
    ];
    for (const [method, target, allowed] of cases) {
      const failure = refused(method, target, '3000', /Method Not Allowed/);
      assert.equal(httpStatusOf(failure), 405);
      assert.deepEqual(allowedMethodsAt(target), allowed, `${method} ${target}`);
      assert.ok(failure.detail.endsWith(`accepts ${allowed.join(', ')}`), failure.detail);
    }
  });

  it('judges the method before the parameters', () => {
    refused('DELETE', '/transfers/not-an-id', '3000');
  });
});

describe('resolveOperation: path parameters', () => {
  it('refuses a PartyIdType outside the enumeration (3100)', () => {
    for (const type of ['msisdn', 'FOO', 'MSISDN%20', '%4DSISDN', 'PERSONAL-ID', 'X'.repeat(1000)]) {
      refused('GET', `/parties/${type}/123`, '3100', /Type must be one of MSISDN/);
    }
  });

  it('refuses ids that are not CorrelationIds, including percent-encoded ones (3100)', () => {
    for (const id of [UUID_V4.toUpperCase(), '019a7b3c-5d2e-8f10-9a4b-3c2d1e0f9a8b', '019a7b3c-5d2e-0f10-9a4b-3c2d1e0f9a8b',
      '019a7b3c-5d2e-7f10-7a4b-3c2d1e0f9a8b', 'not-a-uuid', ULID.toLowerCase(), `${ULID}0`, '%30' + UUID_V4.slice(1), '1', 'I'.repeat(26)]) {
      refused('GET', `/transfers/${id}`, '3100', /UUID/);
      refused('PUT', `/quotes/${id}/error`, '3100', /UUID/);
    }
  });

  it('refuses party identifiers that change meaning when re-encoded or displayed (3101)', () => {
    const bad = ['%2F', 'a%2Fb', 'a%3Fb', 'a%23b', 'a%25b', 'a%20b', '%00', 'a%0Ab', '%7F', '%C2%85', '%E2%80%AE' /* right-to-left override */, '%E2%81%A6',
      '.', '..', '%2E', '%2E%2E', 'x'.repeat(129), '%C3%A9'.repeat(129)];
    for (const id of bad) {
      refused('GET', `/parties/ALIAS/${id}`, '3101', /path parameter ID/);
      refused('GET', `/parties/MSISDN/1/${id}`, '3101', /path parameter SubId/);
    }
  });

  it('refuses broken percent-encoding (3101)', () => {
    for (const id of ['%', '%Z1', '%E9', '%C3', '%ED%A0%80' /* a surrogate */, '%F4%90%80%80' /* beyond U+10FFFF */]) {
      refused('GET', `/parties/MSISDN/${id}`, '3101', /ID is not valid percent-encoded UTF-8/);
      refused('PUT', `/participants/MSISDN/1/${id}`, '3101', /SubId/);
    }
  });
});

describe('resolveOperation: properties', () => {
  const segment = fc.oneof(
    fc.constantFrom('participants', 'parties', 'quotes', 'transfers', 'error', 'MSISDN', 'EMAIL', UUID_V4, ULID, '', '.', '..', '%', '%2F', '%E9'),
    fc.string(), fc.string({ unit: 'binary' }),
  );
  const target = fc.oneof(
    fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
    fc.tuple(fc.array(segment, { maxLength: 6 }), fc.string()).map(([parts, query]) => `/${parts.join('/')}?${query}`),
    fc.string({ unit: 'binary' }),
  );
  const method = fc.oneof(fc.constantFrom(...FSPIOP_METHODS, 'HEAD', 'OPTIONS', 'get'), fc.string());

  it('never throws, and answers only with routing codes', () => {
    const codes = new Set(['3000', '3002', '3100', '3101']);
    fc.assert(fc.property(method, target, (m, t) => {
      const result = resolveOperation(m, t);
      allowedMethodsAt(t);
      if (!result.ok) {
        assert.ok(codes.has(result.error.code), result.error.code);
        if (result.error.code === '3000') assert.ok(allowedMethodsAt(t).length > 0);
      } else {
        assert.ok(isOperationKey(result.value.key));
        assert.equal(result.value.method, m);
      }
    }), { numRuns: 5000 });
  });

  // Printable ASCII less space, '#', '%', '/', '?': the free form of PERSONAL_ID, BUSINESS, DEVICE, ACCOUNT_ID and ALIAS.
  const freeFormCharacter = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => !'#%/?'.includes(c));
  const freeForm = fc.string({ unit: freeFormCharacter, minLength: 1, maxLength: 128 }).filter((s) => s !== '.' && s !== '..');

  it('resolves any valid free-form party identifier and MSISDN, percent-encoded, to itself', () => {
    const cases = fc.oneof(
      fc.tuple(fc.constantFrom('PERSONAL_ID', 'BUSINESS', 'DEVICE', 'ACCOUNT_ID', 'ALIAS'), freeForm),
      fc.tuple(fc.constant('MSISDN'), fc.tuple(fc.boolean(), fc.string({ unit: fc.integer({ min: 0, max: 9 }).map(String), minLength: 1, maxLength: 15 })).map(([plus, digits]) => (plus ? `+${digits}` : digits))),
    );
    fc.assert(fc.property(cases, ([type, id]) => {
      const resolved = resolves('GET', `/parties/${type}/${encodeURIComponent(id)}`);
      assert.equal(resolved.params.id, id);
      assert.equal(resolved.params.type, type);
    }), { numRuns: 2000 });
  });

  it('refuses any identifier holding a character outside printable ASCII, of every type, as a look-alike', () => {
    const outside = fc.oneof(fc.integer({ min: 0x80, max: 0x10ffff }), fc.integer({ min: 0, max: 0x1f }))
      .filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c));
    fc.assert(fc.property(freeForm, outside, fc.nat(), fc.constantFrom(...PARTY_ID_TYPES), (id, char, at, type) => {
      const position = at % (id.length + 1);
      const hostile = id.slice(0, position) + char + id.slice(position);
      const error = refused('GET', `/parties/${type}/${encodeURIComponent(hostile)}`, '3101', /must be ASCII/);
      assert.ok(refusedLookAlike(error));
    }), { numRuns: 2000 });
  });
});

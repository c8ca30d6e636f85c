import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errorInformation, httpStatusOf, type ErrorCode } from './errors.ts';
import {
  DATE_SKEW_MS_MAX_DEFAULT, formatImfFixdate, hubHeaders, parseImfFixdate, SUPPORTED_CONTENT_VERSIONS, validateRequestHeaders,
  versionText, type FspiopRequest, type HeaderCheckOptions, type RequestHeaderFacts,
} from './headers.ts';
import { FSPIOP_METHODS, FSPIOP_RESOURCES, type FspiopMethod, type FspiopResource } from './resources.ts';

const NOW_MS = Date.UTC(2026, 10, 24, 12, 0, 0); // Tue, 24 Nov 2026 12:00:00 GMT
const OPTIONS: HeaderCheckOptions = { nowMs: NOW_MS, dateSkewMsMax: DATE_SKEW_MS_MAX_DEFAULT };
const NOW_TEXT = 'Tue, 24 Nov 2026 12:00:00 GMT';

type Headers = Record<string, string | readonly string[] | undefined>;

function headersFor(resource: FspiopResource, overrides: Headers = {}): Headers {
  return {
    'content-type': `application/vnd.interoperability.${resource}+json;version=1.1`,
    accept: `application/vnd.interoperability.${resource}+json;version=1`,
    date: NOW_TEXT,
    'fspiop-source': 'payerfsp',
    'fspiop-destination': 'payeefsp',
    ...overrides,
  };
}

function check(method: FspiopMethod, headers: Headers, resource: FspiopResource = 'transfers', options = OPTIONS) {
  const request: FspiopRequest = { method, resource, headers };
  return validateRequestHeaders(request, options);
}

function passes(method: FspiopMethod, headers: Headers, resource: FspiopResource = 'transfers', options = OPTIONS): RequestHeaderFacts {
  const result = check(method, headers, resource, options);
  assert.ok(result.ok, `expected ${method} ${resource} to pass: ${result.ok ? '' : `${result.error.code} ${result.error.detail}`}`);
  return result.value;
}

function fails(method: FspiopMethod, headers: Headers, code: ErrorCode, detail?: RegExp, resource: FspiopResource = 'transfers', options = OPTIONS) {
  const result = check(method, headers, resource, options);
  assert.ok(!result.ok, `expected ${method} ${resource} with ${JSON.stringify(headers)} to fail with ${code}`);
  assert.equal(result.error.code, code, result.error.detail);
  if (detail !== undefined) assert.match(result.error.detail, detail);
  return result.error;
}

describe('validateRequestHeaders: requests Mojaloop DFSPs send', () => {
  it('accepts a GET, and returns what the headers say', () => {
    const facts = passes('GET', headersFor('transfers'));
    assert.deepEqual(facts, {
      source: 'payerfsp', destination: 'payeefsp', contentVersion: { major: 1, minor: 1 },
      acceptedVersions: [{ kind: 'major', major: 1 }], dateMs: NOW_MS,
    });
  });

  it('accepts every resource, method and supported content version', () => {
    for (const resource of FSPIOP_RESOURCES) {
      for (const method of FSPIOP_METHODS) {
        for (const version of SUPPORTED_CONTENT_VERSIONS) {
          const facts = passes(method, headersFor(resource, { 'content-type': `application/vnd.interoperability.${resource}+json;version=${versionText(version)}` }), resource);
          assert.deepEqual(facts.contentVersion, version);
        }
      }
    }
  });

  it('takes Mojaloop\'s one optional space either side of ";"', () => {
    for (const contentType of ['application/vnd.interoperability.transfers+json ;version=1.0', 'application/vnd.interoperability.transfers+json; version=2.0', 'application/vnd.interoperability.transfers+json ; version=1.1']) {
      passes('PUT', headersFor('transfers', { 'content-type': contentType }));
    }
  });

  it('does not need Accept on PUT and PATCH (callbacks and notifications)', () => {
    for (const method of ['PUT', 'PATCH'] as const) {
      const facts = passes(method, headersFor('transfers', { accept: undefined }));
      assert.equal(facts.acceptedVersions, undefined);
    }
  });

  it('reads an Accept list: no version, a major version, an exact version, with or without spaces', () => {
    const facts = passes('POST', headersFor('quotes', {
      accept: 'application/vnd.interoperability.quotes+json;version=3, application/vnd.interoperability.quotes+json;version=2.0,application/vnd.interoperability.quotes+json ; version=1.0 ,\tapplication/vnd.interoperability.quotes+json',
    }), 'quotes');
    assert.deepEqual(facts.acceptedVersions, [
      { kind: 'major', major: 3 }, { kind: 'exact', major: 2, minor: 0 }, { kind: 'exact', major: 1, minor: 0 }, { kind: 'any' },
    ]);
    for (const accept of ['version=1', 'version=1.1', 'version=2', 'version=2.0', 'version=1.0']) {
      passes('GET', headersFor('parties', { accept: `application/vnd.interoperability.parties+json;${accept}` }), 'parties');
    }
  });

  it('does not need FSPIOP-Destination (GET /parties goes to the oracle)', () => {
    const facts = passes('GET', headersFor('parties', { 'fspiop-destination': undefined }), 'parties');
    assert.equal(facts.destination, undefined);
  });

  it('accepts the hub\'s own name and FSP ids up to 32 characters', () => {
    passes('PUT', headersFor('transfers', { 'fspiop-source': 'Hub' }));
    passes('PUT', headersFor('transfers', { 'fspiop-source': 'a', 'fspiop-destination': 'F'.repeat(32) }));
    passes('PUT', headersFor('transfers', { 'fspiop-source': 'dfsp_1.test-2' }));
  });

  it('ignores headers it does not own (signature, URI, tracing, proxies)', () => {
    passes('POST', headersFor('transfers', { 'fspiop-signature': '{}', 'fspiop-uri': '/transfers', 'fspiop-http-method': 'POST', traceparent: 'x', 'x-forwarded-for': '10.0.0.1', 'set-cookie': ['a', 'b'] }));
  });
});

describe('validateRequestHeaders: Content-Type', () => {
  it('is required on every method, GET included (3102)', () => {
    for (const method of FSPIOP_METHODS) fails(method, headersFor('transfers', { 'content-type': undefined }), '3102', /Content-Type/);
  });

  it('refuses anything but the FSPIOP media type with an X.Y version (3101)', () => {
    const bad = [
      '', 'application/json', 'application/vnd.interoperability.transfers+json', 'application/vnd.interoperability.transfers+json;version=1',
      'application/vnd.interoperability.transfers+json;version=1.1.1', 'application/vnd.interoperability.transfers+json;version=01.1',
      'application/vnd.interoperability.transfers+json;version=1.01', 'Application/vnd.interoperability.transfers+json;version=1.1',
      'application/vnd.interoperability.transfers+JSON;version=1.1', 'application/vnd.interoperability.transfers+json;Version=1.1',
      'application/vnd.interoperability.transfers+json;version=1.1;charset=utf-8', 'application/vnd.interoperability.transfers+json;version=1.1 ',
      ' application/vnd.interoperability.transfers+json;version=1.1', 'application/vnd.interoperability.transfers+json  ;version=1.1',
      'application/vnd.interoperability.transfers+json;version= 1.1', 'application/vnd.interoperability.transfers+json;version=1.1\u0000',
      'application/vnd.interoperability.iso20022.transfers+json;version=2.0', 'application/vnd.interoperability.transfers+json;version=-1.1',
      'application/vnd.interoperability.transfers+json;version=1234.1', `application/vnd.interoperability.${'x'.repeat(200)}+json;version=1.1`,
      'application/vnd.interoperability.transfers+json;version=1.1,application/vnd.interoperability.transfers+json;version=1.1',
    ];
    for (const contentType of bad) fails('POST', headersFor('transfers', { 'content-type': contentType }), '3101');
  });

  it('refuses a Content-Type for another resource (3101)', () => {
    fails('POST', headersFor('transfers', { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' }), '3101', /names the quotes resource; this request is for transfers/);
    fails('GET', headersFor('parties', { 'content-type': 'application/vnd.interoperability.participants+json;version=1.1' }), '3101', /participants/, 'parties');
    fails('GET', headersFor('parties', { 'content-type': 'application/vnd.interoperability.Parties+json;version=1.1' }), '3101', /Parties/, 'parties');
  });

  it('answers an unsupported version with 3001, HTTP 406 and the supported versions as extensions', () => {
    for (const version of ['0.9', '1.2', '2.1', '3.0', '999.999']) {
      const failure = fails('PUT', headersFor('transfers', { 'content-type': `application/vnd.interoperability.transfers+json;version=${version}` }), '3001');
      assert.equal(httpStatusOf(failure), 406);
      assert.deepEqual(failure.extensions, [{ key: '1', value: '0' }, { key: '1', value: '1' }, { key: '2', value: '0' }]);
      assert.deepEqual(errorInformation(failure).errorInformation.extensionList, { extension: [{ key: '1', value: '0' }, { key: '1', value: '1' }, { key: '2', value: '0' }] });
    }
  });
});

describe('validateRequestHeaders: Accept', () => {
  it('is required on GET, POST and DELETE (3102)', () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) fails(method, headersFor('transfers', { accept: undefined }), '3102', /Accept/);
  });

  it('is ignored on PUT and PATCH, which expect no callback (HTTP clients send */* by default)', () => {
    for (const accept of ['*/*', 'application/json, text/plain, */*', 'application/vnd.interoperability.transfers+json;version=9']) {
      for (const method of ['PUT', 'PATCH'] as const) {
        const result = validateRequestHeaders({ method, resource: 'transfers', headers: headersFor('transfers', { accept }) }, OPTIONS);
        assert.ok(result.ok, `${method} with Accept ${accept}`);
        assert.equal(result.value.acceptedVersions, undefined);
      }
    }
  });

  it('refuses malformed lists and other resources (3101)', () => {
    const bad = [
      '', ',', 'application/json', '*/*', 'application/vnd.interoperability.transfers+json;version=', 'application/vnd.interoperability.transfers+json;version=1.',
      'application/vnd.interoperability.transfers+json;version=1.1.1', 'application/vnd.interoperability.transfers+json;q=0.9',
      'application/vnd.interoperability.transfers+json;version=1,', 'application/vnd.interoperability.transfers+json,,application/vnd.interoperability.transfers+json',
      'application/vnd.interoperability.quotes+json;version=1', 'application/vnd.interoperability.transfers+json;version=1\n',
      Array.from({ length: 17 }, () => 'application/vnd.interoperability.transfers+json').join(','),
      `application/vnd.interoperability.transfers+json;version=1,${' '.repeat(2000)}`,
    ];
    for (const accept of bad) fails('GET', headersFor('transfers', { accept }), '3101');
  });

  it('answers 3001 with the supported versions when no listed version is supported', () => {
    for (const accept of ['application/vnd.interoperability.transfers+json;version=3', 'application/vnd.interoperability.transfers+json;version=1.2,application/vnd.interoperability.transfers+json;version=2.1']) {
      const failure = fails('GET', headersFor('transfers', { accept }), '3001');
      assert.equal(httpStatusOf(failure), 406);
      assert.equal(failure.extensions?.length, 3);
    }
  });
});

describe('validateRequestHeaders: Date', () => {
  it('is required (3102)', () => {
    fails('PUT', headersFor('transfers', { date: undefined }), '3102', /Date/);
  });

  it('must be an IMF-fixdate naming a real moment (3101)', () => {
    const bad = [
      '', '2026-11-24T12:00:00.000Z', 'Tuesday, 24-Nov-26 12:00:00 GMT', 'Tue Nov 24 12:00:00 2026', 'tue, 24 Nov 2026 12:00:00 GMT',
      'Tue, 24 nov 2026 12:00:00 GMT', 'Tue, 24 Nov 2026 12:00:00 UTC', 'Tue, 24 Nov 2026 12:00:00 +0000', 'Tue, 4 Nov 2026 12:00:00 GMT',
      'Tue,  24 Nov 2026 12:00:00 GMT', 'Tue, 24 Nov 26 12:00:00 GMT', 'Tue, 24 Nov 2026 12:00 GMT', 'Tue, 24 Nov 2026 12:00:00.000 GMT',
      'Wed, 24 Nov 2026 12:00:00 GMT' /* 24 Nov 2026 is a Tuesday */, 'Sun, 29 Feb 2026 12:00:00 GMT' /* 2026 is no leap year */,
      'Tue, 31 Nov 2026 12:00:00 GMT', 'Tue, 24 Nov 2026 24:00:00 GMT', 'Tue, 24 Nov 2026 12:60:00 GMT', 'Tue, 24 Nov 2026 23:59:60 GMT',
      'Tue, 00 Nov 2026 12:00:00 GMT', 'Tue, 24 Nov 2026 12:00:00 GMT ', ' Tue, 24 Nov 2026 12:00:00 GMT',
      `${NOW_TEXT}, ${NOW_TEXT}` /* a repeated header, joined by Node */, 'Tue, 24 Nov 2026 12:00:00 GMT\u0000',
    ];
    for (const date of bad) fails('PUT', headersFor('transfers', { date }), '3101', /IMF-fixdate/);
  });

  it('accepts a Date within the skew window either way, up to its edge', () => {
    const skewS = DATE_SKEW_MS_MAX_DEFAULT / 1000;
    for (const offsetS of [-skewS, -skewS + 1, -1, 0, 1, skewS - 1, skewS]) {
      passes('PUT', headersFor('transfers', { date: formatImfFixdate(NOW_MS + offsetS * 1000) }));
    }
  });

  it('refuses a Date from the future or the past beyond the window (3100)', () => {
    for (const ms of [NOW_MS + DATE_SKEW_MS_MAX_DEFAULT + 1000, NOW_MS - DATE_SKEW_MS_MAX_DEFAULT - 1000, NOW_MS + 86_400_000, NOW_MS - 365 * 86_400_000]) {
      fails('PUT', headersFor('transfers', { date: formatImfFixdate(ms) }), '3100', /more than 300 s away/);
    }
    fails('PUT', headersFor('transfers', { date: 'Tue, 15 Nov 1994 08:12:31 GMT' }), '3100', /away from the hub's clock/);
    fails('PUT', headersFor('transfers', { date: 'Fri, 31 Dec 9999 23:59:59 GMT' }), '3100');
    fails('PUT', headersFor('transfers', { date: 'Wed, 01 Jan 1000 00:00:00 GMT' }), '3100');
  });

  it('says what was wrong with a refused Date, for its security event: missing, malformed, or the skew seen', () => {
    const refusalOf = (date: string | undefined) => {
      const headers = headersFor('transfers');
      if (date === undefined) delete headers['date'];
      else headers['date'] = date;
      return check('PUT', headers).dateRefusal;
    };
    assert.equal(refusalOf(undefined), 'Date header missing');
    assert.equal(refusalOf('yesterday'), 'Date header is not an IMF-fixdate');
    assert.equal(refusalOf(formatImfFixdate(NOW_MS - 3_600_000)), 'Date 3600 s behind the hub\'s clock (fspiop.dateSkewMsMax 300 s)');
    assert.equal(refusalOf(formatImfFixdate(NOW_MS + 301_000)), 'Date 301 s ahead of the hub\'s clock (fspiop.dateSkewMsMax 300 s)');
    assert.equal(refusalOf(formatImfFixdate(NOW_MS)), undefined);
    // Another header's refusal is not the Date's.
    assert.equal(check('PUT', headersFor('transfers', { 'content-type': 'text/plain' })).dateRefusal, undefined);
  });

  it('takes the window from its options, and refuses windows that bound nothing or refuse everyone', () => {
    const tight = { nowMs: NOW_MS, dateSkewMsMax: 1000 };
    passes('PUT', headersFor('transfers', { date: formatImfFixdate(NOW_MS - 1000) }), 'transfers', tight);
    fails('PUT', headersFor('transfers', { date: formatImfFixdate(NOW_MS - 2000) }), '3100', /more than 1 s/, 'transfers', tight);
    for (const dateSkewMsMax of [0, 999, 86_400_000, Number.NaN, Number.POSITIVE_INFINITY, 1.5e3 + 0.5]) {
      assert.throws(() => check('PUT', headersFor('transfers'), 'transfers', { nowMs: NOW_MS, dateSkewMsMax }), /dateSkewMsMax/);
    }
    for (const nowMs of [Number.NaN, -1, 0, 1.5]) {
      assert.throws(() => check('PUT', headersFor('transfers'), 'transfers', { nowMs, dateSkewMsMax: 1000 }), /nowMs/);
    }
  });
});

describe('validateRequestHeaders: FSPIOP-Source and FSPIOP-Destination', () => {
  it('requires FSPIOP-Source (3102)', () => {
    fails('POST', headersFor('transfers', { 'fspiop-source': undefined }), '3102', /FSPIOP-Source/);
  });

  it('refuses ids that cannot name a participant, and repeated headers Node joined (3101)', () => {
    for (const id of ['', 'x'.repeat(33), 'payer fsp', 'payerfsp, payeefsp', 'payerfsp,payeefsp', '-payer', '.hidden', 'päyer', 'payer\u0000', 'payer/fsp', 'payer\tfsp']) {
      fails('POST', headersFor('transfers', { 'fspiop-source': id }), '3101', /FSPIOP-Source/);
      fails('POST', headersFor('transfers', { 'fspiop-destination': id }), '3101', /FSPIOP-Destination/);
    }
  });
});

describe('validateRequestHeaders: repeated headers kept as arrays', () => {
  it('refuses any FSPIOP header given more than once, or as an empty list', () => {
    for (const name of ['content-type', 'accept', 'date', 'fspiop-source', 'fspiop-destination']) {
      const value = headersFor('transfers')[name] as string;
      fails('POST', headersFor('transfers', { [name]: [value, value] }), '3101', /more than once/);
      fails('POST', headersFor('transfers', { [name]: [] }), '3101', /more than once/);
      passes('POST', headersFor('transfers', { [name]: [value] }));
    }
  });

  it('refuses values that are not text at all', () => {
    for (const value of [5, {}, null, [5], true] as unknown as string[]) {
      const result = check('POST', headersFor('transfers', { date: value }));
      assert.ok(!result.ok);
      assert.ok(['3101', '3102'].includes(result.error.code));
    }
  });
});

describe('validateRequestHeaders: properties', () => {
  const names = ['content-type', 'accept', 'date', 'fspiop-source', 'fspiop-destination'];
  const headerValue = fc.oneof(
    fc.string(), fc.string({ unit: 'binary' }), fc.constant(undefined),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.constantFrom(...Object.values(headersFor('transfers')) as string[]),
    fc.string().map((s) => `application/vnd.interoperability.transfers+json;version=${s}`),
    fc.integer({ min: -1e12, max: 1e12 }).map((offset) => new Date(NOW_MS + offset).toUTCString()),
  );

  it('never throws on arbitrary header values, and answers only with header codes', () => {
    const codes = new Set(['3001', '3100', '3101', '3102']);
    fc.assert(fc.property(
      fc.constantFrom(...FSPIOP_METHODS), fc.constantFrom(...FSPIOP_RESOURCES),
      fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string()), headerValue),
      (method, resource, headers) => {
        const result = check(method, headers, resource);
        if (!result.ok) assert.ok(codes.has(result.error.code), result.error.code);
      },
    ), { numRuns: 3000 });
  });

  it('accepts every well-formed combination', () => {
    const fspId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/);
    const acceptEntry = fc.constantFrom('', ';version=1', ';version=1.0', ';version=1.1', ';version=2', ';version=2.0', ' ; version=1');
    fc.assert(fc.property(
      fc.constantFrom(...FSPIOP_METHODS), fc.constantFrom(...FSPIOP_RESOURCES), fc.constantFrom(...SUPPORTED_CONTENT_VERSIONS),
      fc.array(acceptEntry, { minLength: 1, maxLength: 4 }), fc.integer({ min: -300, max: 300 }), fspId, fc.option(fspId, { nil: undefined }),
      (method, resource, version, accepts, offsetS, source, destination) => {
        const facts = passes(method, {
          'content-type': `application/vnd.interoperability.${resource}+json;version=${versionText(version)}`,
          accept: accepts.map((entry) => `application/vnd.interoperability.${resource}+json${entry}`).join(', '),
          date: formatImfFixdate(NOW_MS + offsetS * 1000),
          'fspiop-source': source,
          'fspiop-destination': destination,
        }, resource);
        assert.deepEqual(facts.contentVersion, version);
        assert.equal(facts.source, source);
        assert.equal(facts.destination, destination);
        assert.equal(facts.dateMs, NOW_MS + offsetS * 1000);
        // Accept is read where a callback is expected, and ignored on PUT and PATCH.
        assert.equal(facts.acceptedVersions?.length, method === 'PUT' || method === 'PATCH' ? undefined : accepts.length);
      },
    ), { numRuns: 1000 });
  });
});

describe('IMF-fixdate', () => {
  it('formats as Node\'s toUTCString and parses back to the second', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
      const text = formatImfFixdate(ms);
      assert.equal(text, new Date(ms).toUTCString());
      assert.equal(parseImfFixdate(text), Math.floor(ms / 1000) * 1000);
    }), { numRuns: 3000 });
  });

  it('reads the RFC 7231 example and leap days', () => {
    assert.equal(parseImfFixdate('Sun, 06 Nov 1994 08:49:37 GMT'), Date.UTC(1994, 10, 6, 8, 49, 37));
    assert.equal(parseImfFixdate('Thu, 29 Feb 2024 00:00:00 GMT'), Date.UTC(2024, 1, 29));
    assert.equal(parseImfFixdate('Tue, 29 Feb 2000 00:00:00 GMT'), Date.UTC(2000, 1, 29));
    assert.equal(parseImfFixdate('Mon, 29 Feb 1900 00:00:00 GMT'), undefined, '1900 was no leap year');
    assert.equal(parseImfFixdate('Sat, 01 Jan 0050 00:00:00 GMT'), new Date('0050-01-01T00:00:00Z').getTime(), 'year 0050 is not read as 1950');
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => { parseImfFixdate(text); }), { numRuns: 2000 });
  });

  it('refuses to format a date outside four-digit years', () => {
    for (const ms of [Number.NaN, Date.UTC(999, 11, 31), Date.UTC(10000, 0, 1)]) assert.throws(() => formatImfFixdate(ms), /four-digit year/);
  });
});

describe('hubHeaders', () => {
  const base = { resource: 'transfers', version: { major: 1, minor: 1 }, source: 'Hub', destination: 'payerfsp', uri: '/transfers/019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b', nowMs: NOW_MS } as const;

  it('builds the headers of a hub callback', () => {
    assert.deepEqual(hubHeaders({ ...base, method: 'PUT' }), {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
      date: NOW_TEXT,
      'fspiop-source': 'Hub',
      'fspiop-destination': 'payerfsp',
      'fspiop-uri': '/transfers/019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b',
      'fspiop-http-method': 'PUT',
    });
  });

  it('adds Accept only where a callback is expected', () => {
    assert.equal(hubHeaders({ ...base, method: 'PATCH' })['accept'], undefined);
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      assert.equal(hubHeaders({ ...base, method, version: { major: 2, minor: 0 } })['accept'], 'application/vnd.interoperability.transfers+json;version=2');
    }
  });

  it('passes the hub\'s own header check, for every method, resource and version', () => {
    for (const resource of FSPIOP_RESOURCES) {
      for (const method of FSPIOP_METHODS) {
        for (const version of SUPPORTED_CONTENT_VERSIONS) {
          const headers = hubHeaders({ ...base, resource, method, version, uri: `/${resource}` });
          const facts = passes(method, headers, resource);
          assert.deepEqual(facts.contentVersion, version);
          assert.equal(facts.source, 'Hub');
        }
      }
    }
  });

  it('refuses to build what a peer would refuse (programmer errors)', () => {
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', version: { major: 1, minor: 2 } }), /unsupported version/);
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', uri: '/quotes/1' }), /not under \/transfers/);
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', uri: '/transfersx' }), /not under \/transfers/);
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', uri: '/transfers/1?x=1' }), /bare path/);
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', destination: 'payer fsp' }), /destination/);
    assert.throws(() => hubHeaders({ ...base, method: 'PUT', source: '' }), /source/);
    assert.throws(() => hubHeaders({ ...base, method: 'HEAD' as FspiopMethod }), /unknown method/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEndpointUrl, isPathSuffix } from './endpoint_url.ts';

const values = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('buildEndpointUrl', () => {
  it('fills each placeholder percent-encoded as one path segment, and appends the suffix', () => {
    const built = buildEndpointUrl(
      'https://dfsp.example:8443/fsp/parties/{{partyIdType}}/{{partyIdentifier}}',
      values({ partyIdType: 'MSISDN', partyIdentifier: '+1 555/0?x=1#f' }),
      '/error',
    );
    assert.deepEqual(built, { ok: true, value: 'https://dfsp.example:8443/fsp/parties/MSISDN/%2B1%20555%2F0%3Fx%3D1%23f/error' });
  });

  it('takes a template with no placeholders as it is', () => {
    assert.deepEqual(buildEndpointUrl('http://127.0.0.1:4000/quotes', values({}), ''), { ok: true, value: 'http://127.0.0.1:4000/quotes' });
  });

  it('refuses a missing, empty, dot-segment, over-long or ill-formed value', () => {
    const template = 'https://dfsp.example/transfers/{{transferId}}';
    assert.deepEqual(buildEndpointUrl(template, values({}), ''), { ok: false, error: "no value for the endpoint's {{transferId}}" });
    for (const bad of ['', '.', '..', '%2e', '%2E%2e', '.%2E']) {
      const built = buildEndpointUrl(template, values({ transferId: bad }), '');
      assert.equal(built.ok, false, `value ${JSON.stringify(bad)}`);
    }
    assert.equal(buildEndpointUrl(template, values({ transferId: 'x'.repeat(513) }), '').ok, false);
    assert.equal(buildEndpointUrl(template, values({ transferId: 'a\uD800b' }), '').ok, false);
    // Dots inside a segment are ordinary characters.
    assert.deepEqual(buildEndpointUrl(template, values({ transferId: 'a..b' }), ''), { ok: true, value: 'https://dfsp.example/transfers/a..b' });
  });

  it('refuses a placeholder that could choose the host or port', () => {
    for (const template of ['https://{{ID}}.example/x', 'https://dfsp.example{{ID}}/x', 'http://{{ID}}/x']) {
      const built = buildEndpointUrl(template, values({ ID: 'attacker.example' }), '');
      assert.equal(built.ok, false, template);
    }
  });

  it('refuses anything but an http or https URL, credentials, queries and fragments', () => {
    for (const template of ['ftp://dfsp.example/x', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,x', 'https://user:pw@dfsp.example/x', 'https://dfsp.example/x?', 'https://dfsp.example/x#', 'https://dfsp.example/x?a=1', 'not a url']) {
      const built = buildEndpointUrl(template, values({}), '');
      assert.equal(built.ok, false, template);
    }
  });

  it('refuses a dot segment in the template or suffix, which the URL parser would resolve away', () => {
    assert.equal(buildEndpointUrl('https://dfsp.example/a/../admin/{{transferId}}', values({ transferId: 't' }), '').ok, false);
    assert.equal(buildEndpointUrl('https://dfsp.example/a/{{transferId}}', values({ transferId: 't' }), '/..').ok, false);
  });
});

describe('isPathSuffix', () => {
  it('admits nothing or plain segments', () => {
    for (const good of ['', '/error', '/a/b-c_d.e~f', '/transactionRequests/0198c3a2-6a2b-7c1d-8e9f-0a1b2c3d4e5f/error']) assert.equal(isPathSuffix(good), true, good);
    for (const bad of ['error', '/', '//error', '/error/', '/.', '/..', '/.hidden', '/a?b', '/a#b', '/a b', `/${'x'.repeat(128)}`]) {
      assert.equal(isPathSuffix(bad), false, bad);
    }
  });
});

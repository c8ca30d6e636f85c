import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  auditText,
  decodeEntry,
  digestPersonalData,
  encodeEntry,
  isPersonalDataDigest,
  type AuditEntry,
  type AuditValue,
} from './entry.ts';
import { ENTRY_BYTES_MAX } from './limits.ts';

const SALT = Buffer.alloc(32, 0x5a);

const entry: AuditEntry = {
  kind: 'operator-action',
  actor: 'operator-7f3a',
  actorRole: 'scheme-admin',
  action: 'participant.limit.set',
  target: { type: 'participant', id: auditText('payerfsp') },
  before: { netDebitCap: auditText('100000'), currency: auditText('USD') },
  after: { netDebitCap: auditText('250000'), currency: auditText('USD') },
  result: { outcome: 'succeeded', reason: null },
  sourceAddress: '10.1.2.3',
  timeMs: 1_700_000_000_123,
};

function encoded(e: AuditEntry): Buffer {
  const bytes = encodeEntry(e);
  assert.ok(bytes.ok);
  return Buffer.from(bytes.value);
}

describe('entry: canonical encoding', () => {
  it('is RFC 8785 JSON of the fields, sorted, with the encoding version', () => {
    assert.equal(
      encoded(entry).toString('utf8'),
      '{"action":"participant.limit.set","actor":"operator-7f3a","actorRole":"scheme-admin",' +
        '"after":{"currency":"USD","netDebitCap":"250000"},"before":{"currency":"USD","netDebitCap":"100000"},' +
        '"kind":"operator-action","result":{"outcome":"succeeded","reason":null},"sourceAddress":"10.1.2.3",' +
        '"target":{"id":"payerfsp","type":"participant"},"timeMs":1700000000123,"v":1}',
    );
  });

  it('does not depend on key order, and leaves out properties an entry does not have', () => {
    const { kind, timeMs, ...rest } = entry;
    const reordered = { timeMs, ...rest, extra: 'not logged', kind } as AuditEntry;
    assert.deepEqual(encoded(reordered), encoded(entry));
  });

  it('reads back every entry it writes, and nothing else', () => {
    const text = fc.string().map(auditText);
    const digest = fc.string({ minLength: 1 }).map((value) => digestPersonalData(SALT, value));
    const value: fc.Arbitrary<AuditValue> = fc.letrec<{ value: AuditValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        digest,
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), tie('value'), { maxKeys: 3 }).map((o) => ({ ...o })),
      ),
    })).value;
    fc.assert(
      fc.property(value, value, fc.constantFrom('succeeded' as const, 'refused' as const, 'failed' as const), fc.option(fc.ipV4()), (before, after, outcome, ip) => {
        const e: AuditEntry = { ...entry, before, after, result: { outcome, reason: outcome === 'succeeded' ? null : auditText('3100') }, sourceAddress: ip };
        const bytes = encoded(e);
        const decoded = decodeEntry(bytes);
        assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
        assert.deepEqual(encoded(decoded.value), bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes that are not the canonical encoding of an entry', () => {
    const canonical = encoded(entry).toString('utf8');
    const object = JSON.parse(canonical) as Record<string, unknown>;
    const variants: [string, string | Uint8Array][] = [
      ['whitespace', JSON.stringify(object, null, 1)],
      ['another key order', JSON.stringify({ v: 1, ...object })],
      ['an extra field', canonical.replace('"v":1', '"v":1,"w":2')],
      ['a missing field', JSON.stringify({ ...object, sourceAddress: undefined })],
      ['another version', canonical.replace('"v":1', '"v":2')],
      ['an unknown kind', canonical.replace('operator-action', 'rumour')],
      ['an unknown outcome', canonical.replace('succeeded', 'maybe')],
      ['a source that is not an IP address', canonical.replace('10.1.2.3', 'example.com')],
      ['a negative time', canonical.replace('1700000000123', '-1')],
      ['a fractional time', canonical.replace('1700000000123', '1.5')],
      ['an actor with spaces', canonical.replace('operator-7f3a', 'John Smith')],
      ['a prototype key', canonical.replace('"currency":"USD","netDebitCap":"250000"', '"__proto__":"x"')],
      ['invalid UTF-8', Buffer.concat([Buffer.from(canonical.slice(0, 10)), Buffer.from([0xff]), Buffer.from(canonical.slice(10))])],
      ['not JSON', '{"v":1'],
      ['an array', '[]'],
    ];
    for (const [name, bytes] of variants) {
      assert.equal(decodeEntry(typeof bytes === 'string' ? Buffer.from(bytes) : bytes).ok, false, name);
    }
  });

  it(`refuses, as a value, an entry over ${ENTRY_BYTES_MAX} bytes (the tlog-tiles bundle limit)`, () => {
    const large = { ...entry, after: { endpoint: auditText('x'.repeat(ENTRY_BYTES_MAX)) } };
    const result = encodeEntry(large);
    assert.ok(!result.ok && result.error.includes(String(ENTRY_BYTES_MAX)));
  });

  it('a malformed entry is a programmer error', () => {
    assert.throws(() => encodeEntry({ ...entry, timeMs: -1 }));
    assert.throws(() => encodeEntry({ ...entry, sourceAddress: 'localhost' }));
    assert.throws(() => encodeEntry({ ...entry, action: 'set the limit' }));
    assert.throws(() => encodeEntry({ ...entry, actor: 'a'.repeat(257) }));
  });
});

describe('entry: personal data', () => {
  it('digests personal data with HMAC-SHA-256 keyed by the salt', () => {
    const digest = digestPersonalData(SALT, 'MSISDN/27713803912');
    assert.equal(digest, `hmac-sha256:${createHmac('sha256', SALT).update('MSISDN/27713803912').digest('base64url')}`);
    assert.ok(isPersonalDataDigest(digest));
    assert.equal(digestPersonalData(SALT, 'MSISDN/27713803912'), digest);
    assert.notEqual(digestPersonalData(Buffer.alloc(32, 1), 'MSISDN/27713803912'), digest);
    assert.ok(!encoded({ ...entry, target: { type: 'party', id: digest } }).toString().includes('27713803912'));
  });

  it('refuses a short salt', () => {
    assert.throws(() => digestPersonalData(Buffer.alloc(31), 'MSISDN/27713803912'));
    assert.throws(() => digestPersonalData(SALT, ''));
  });

  it('cannot be given a raw identifier where the log expects a digest or vouched text', () => {
    const msisdn = '27713803912';
    // Never run: these lines exist for the type checker, which must refuse each of them.
    const mistakes = (): AuditEntry[] => [
      // @ts-expect-error a raw string is not AuditText or a PersonalDataDigest
      { ...entry, target: { type: 'party', id: msisdn } },
      // @ts-expect-error nor inside the before/after values
      { ...entry, before: { partyId: msisdn } },
      // @ts-expect-error nor deep inside them
      { ...entry, after: { parties: [{ id: msisdn }] } },
      // @ts-expect-error nor as a refusal reason
      { ...entry, result: { outcome: 'refused', reason: `unknown party ${msisdn}` } },
    ];
    assert.equal(typeof mistakes, 'function');
  });

  it('keeps text that a JSON body can carry but UTF-8 cannot, as U+FFFD', () => {
    assert.equal(auditText('a\ud800b'), 'a\ufffdb');
    assert.ok(encodeEntry({ ...entry, after: { name: auditText('a\ud800b') } }).ok);
  });
});

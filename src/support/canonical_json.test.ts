import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalHash, canonicalJson } from './canonical_json.ts';

/** The IEEE 754 double whose bits are `hex` (RFC 8785 Appendix B gives its vectors this way). */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

/** The same JSON value with every object's keys in a random order, chosen by `pick`. */
function shuffled(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffled(item, pick));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const out: Record<string, unknown> = {};
  while (entries.length > 0) {
    const [key, item] = entries.splice(pick(entries.length), 1)[0] as [string, unknown];
    Object.defineProperty(out, key, { value: shuffled(item, pick), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe('canonicalJson: RFC 8785 known answers', () => {
  it('sorts keys and drops whitespace', () => {
    assert.equal(canonicalJson(JSON.parse('{ "b": 2, "a": 1 }')), '{"a":1,"b":2}');
    assert.equal(canonicalJson({ z: [3, { y: true, x: null }], a: 'A' }), '{"a":"A","z":[3,{"x":null,"y":true}]}');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson({}), '{}');
  });

  it('sorts keys by UTF-16 code units, not by code points (RFC 8785 §3.2.3)', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`) as Record<string, string>;
    // Read the order from the text itself: parsing it again would put the integer-like key "1" first.
    assert.equal(
      canonicalJson(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // The emoji (surrogates D83D DE00) comes before U+FB33; by code point (U+1F600) it would come after.
  });

  it('sorts integer-like keys as strings, not in the numeric order JavaScript enumerates them', () => {
    assert.equal(canonicalJson({ 9: 'a', 10: 'b', 1: 'c', a: 'd' }), '{"1":"c","10":"b","9":"a","a":"d"}');
  });

  it('gives the RFC 8785 §3.2.4 example byte for byte', () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`) as unknown;
    assert.equal(
      canonicalJson(input),
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('serialises numbers as RFC 8785 Appendix B says', () => {
    const vectors: [bits: string, expected: string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, expected] of vectors) assert.equal(canonicalJson(double(bits)), expected, bits);
  });

  it('writes strings as ECMAScript JSON.stringify does: short escapes, \\u00xx for other controls, the rest as is', () => {
    assert.equal(canonicalJson('\b\t\n\f\r"\\/'), String.raw`"\b\t\n\f\r\"\\/"`);
    assert.equal(canonicalJson('\u0000\u001f\u007f'), '"\\u0000\\u001f\u007f"');
    assert.equal(canonicalJson('é€😀\u2028'), '"é€😀\u2028"');
  });

  it('hashes the canonical form with SHA-256, base64url without padding', () => {
    const expected = createHash('sha256').update('{"a":1,"b":2}').digest('base64url');
    assert.equal(canonicalHash({ b: 2, a: 1 }), expected);
    assert.match(canonicalHash({}), /^[A-Za-z0-9_-]{43}$/);
  });
});

describe('canonicalJson: refusals', () => {
  for (const [name, value] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
    it(`refuses ${name}, at the top and nested`, () => {
      assert.throws(() => canonicalJson(value), TypeError);
      assert.throws(() => canonicalJson({ amount: { value } }), /non-finite/);
      assert.throws(() => canonicalJson([1, [value]]), /non-finite/);
      assert.throws(() => canonicalHash({ value }), /non-finite/);
    });
  }

  it('refuses values JSON cannot carry', () => {
    for (const value of [1n, undefined, () => 1, Symbol('s')]) {
      assert.throws(() => canonicalJson(value), TypeError, typeof value);
    }
    assert.throws(() => canonicalJson([undefined]), TypeError, 'an array slot cannot be dropped silently');
  });

  it('leaves out properties whose value is undefined, as JSON does', () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });
});

describe('canonicalJson: properties', () => {
  const json = fc.jsonValue({ maxDepth: 4 });

  it('key order never changes the canonical form or the hash', () => {
    fc.assert(fc.property(json, fc.infiniteStream(fc.nat()), (value, randoms) => {
      const reordered = shuffled(value, (n) => (randoms.next().value as number) % n);
      assert.equal(canonicalJson(reordered), canonicalJson(value));
      assert.equal(canonicalHash(reordered), canonicalHash(value));
    }), { numRuns: 300 });
  });

  it('is valid JSON for the same value, and canonicalising it again changes nothing', () => {
    fc.assert(fc.property(json, (value) => {
      const text = canonicalJson(value);
      assert.equal(canonicalJson(JSON.parse(text)), text);
      assert.equal(text, canonicalJson(JSON.parse(JSON.stringify(value))));
    }), { numRuns: 300 });
  });

  it('a change of one value, at any depth, changes the hash', () => {
    const body = { transferId: 't-1', payerFsp: 'a', payeeFsp: 'b', amount: { currency: 'USD', amount: '10' }, list: [1, { deep: [true, null] }] };
    const base = canonicalHash(body);
    const changes: ((b: typeof body) => void)[] = [
      (b) => { b.transferId = 't-2'; },
      (b) => { b.amount.amount = '10.01'; },
      (b) => { b.amount.currency = 'EUR'; },
      (b) => { b.list[0] = 2; },
      (b) => { b.list.reverse(); },
      (b) => { ((b.list[1] as { deep: unknown[] }).deep)[1] = false; },
      (b) => { ((b.list[1] as { deep: unknown[] }).deep)[1] = 'null'; },
      (b) => { (b.amount as Record<string, string>)['extra'] = ''; },
      (b) => { b.payeeFsp = 'a'; b.payerFsp = 'b'; },
    ];
    for (const change of changes) {
      const copy = structuredClone(body);
      change(copy);
      assert.notEqual(canonicalHash(copy), base, change.toString());
    }
  });

  it('different JSON values never share a canonical form', () => {
    fc.assert(fc.property(json, json, (a, b) => {
      const same = canonicalJson(a) === canonicalJson(b);
      // Equality of canonical forms coincides with deep equality of the values (-0 and 0 are one JSON number).
      let equal = true;
      try {
        assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
      } catch {
        equal = false;
      }
      assert.equal(same, equal);
    }), { numRuns: 300 });
  });
});

it('refuses values that would encode ambiguously', () => {
  for (const value of [new Date(0), new Map(), new Set(), new Uint8Array([1]), { nested: new Date(0) }, '\uD800', { '\uDC00': 1 }]) {
    assert.throws(() => canonicalJson(value), TypeError);
  }
  // A proper surrogate pair is fine.
  assert.equal(canonicalJson('\uD83D\uDE00'), JSON.stringify('\uD83D\uDE00'));
});

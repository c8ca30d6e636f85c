import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeDuplicate, findDuplicateMember, findDuplicateMemberOf, parseStrictJson } from './json_members.ts';

/** Choices the serializer draws from: whitespace between tokens, which characters of a string to escape. */
type Pick = (n: number) => number;

const WHITESPACE = ['', ' ', '\n', '\t', '\r\n  '];

/** A JSON string literal for `value`, with characters chosen by `pick` written as \uXXXX (or \", \\ and \/ forms); none with `plainOnly`. */
function stringLiteral(value: string, pick: Pick, plainOnly = false): string {
  let out = '"';
  for (const char of value) {
    const plain = JSON.stringify(char).slice(1, -1);
    switch (plainOnly ? 3 : pick(4)) {
      case 0: out += char.split('').map((c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).join(''); break;
      case 1: out += char.length === 1 ? '\\u' + char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') : plain; break;
      case 2: out += char === '/' ? '\\/' : plain; break;
      default: out += plain;
    }
  }
  return out + '"';
}

interface Injection {
  /** Which object, in depth-first order, gets a second member with one of its names. */
  target: number;
  /** Where among its members the repeat goes. */
  position: number;
}

/** JSON text for `value`, spelled by `pick`; with `injection`, one object repeats a name (its count of objects is returned too). */
function serialize(value: unknown, pick: Pick, injection?: Injection, plainOnly = false): { text: string; objects: number; injected: boolean } {
  let objects = 0;
  let injected = false;
  const ws = (): string => WHITESPACE[pick(WHITESPACE.length)] ?? '';
  const write = (item: unknown): string => {
    if (Array.isArray(item)) return `[${ws()}${item.map((x) => write(x)).join(`${ws()},${ws()}`)}${ws()}]`;
    if (item !== null && typeof item === 'object') {
      const index = objects++;
      const members = Object.entries(item).map(([name, member]) => `${stringLiteral(name, pick, plainOnly)}${ws()}:${ws()}${write(member)}`);
      const names = Object.keys(item);
      if (index === injection?.target && names.length > 0) {
        const name = names[injection.position % names.length] ?? '';
        members.splice(injection.position % (members.length + 1), 0, `${stringLiteral(name, pick, plainOnly)}:${ws()}${JSON.stringify(injection.position)}`);
        injected = true;
      }
      return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
    }
    if (typeof item === 'string') return stringLiteral(item, pick, plainOnly);
    return JSON.stringify(item);
  };
  const text = `${ws()}${write(value)}${ws()}`;
  return { text, objects, injected };
}

/** A source of choices for serialize from a fast-check seed list. */
function picker(choices: readonly number[]): Pick {
  let at = 0;
  return (n) => (choices[at++ % Math.max(choices.length, 1)] ?? 0) % n;
}

// Names that stress the scanner: quotes, backslashes, ':' and brackets inside names, non-BMP characters, '__proto__'.
const trickyName = fc.constantFrom('amount', 'a"b', 'a\\', '\\', ':', '{', '[', '}', ']', ',', '😀', '\u2028', '', ' ', '__proto__', 'x":1,"x');
const key = fc.oneof(fc.string(), trickyName);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.oneof(fc.string(), trickyName), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
})).value;
const choices = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 64 });
// Strings JSON writes without a backslash, full of the characters of JSON's structure.
const plainString = fc.string({ unit: fc.constantFrom('a', 'b', ':', ',', '{', '}', '[', ']', ' ', 'é', '😀') });
const plainValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), plainString, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(plainString, tie('value'), { maxKeys: 6 }),
})).value;

describe('findDuplicateMember', () => {
  it('finds nothing in JSON without duplicates, however spelled, and parseStrictJson gives JSON.parse\'s value', () => {
    fc.assert(fc.property(jsonValue, choices, (value, seed) => {
      const { text } = serialize(value, picker(seed));
      assert.equal(findDuplicateMember(text), undefined, text);
      const parsed = parseStrictJson(text);
      assert.ok(parsed.ok, text);
      assert.deepEqual(parsed.value, JSON.parse(text));
    }), { numRuns: 500 });
  });

  it('finds a duplicate at any depth, inside arrays too, whatever the escaping of either name', () => {
    fc.assert(fc.property(jsonValue, choices, fc.nat(), fc.nat(), (value, seed, target, position) => {
      const plain = serialize(value, picker(seed));
      fc.pre(plain.objects > 0);
      const { text, injected } = serialize(value, picker(seed), { target: target % plain.objects, position });
      fc.pre(injected);
      assert.doesNotThrow(() => JSON.parse(text), text);
      assert.notEqual(findDuplicateMember(text), undefined, text);
      const parsed = parseStrictJson(text);
      assert.ok(!parsed.ok);
      assert.equal(parsed.error.problem, 'duplicate-member');
    }), { numRuns: 500 });
  });

  it('counting (text without a backslash) agrees with the scan: no duplicate, none found; any duplicate, found', () => {
    fc.assert(fc.property(plainValue, choices, fc.nat(), fc.nat(), fc.boolean(), (value, seed, target, position, inject) => {
      const plain = serialize(value, picker(seed), undefined, true);
      const injection = inject && plain.objects > 0 ? { target: target % plain.objects, position } : undefined;
      const { text, injected } = serialize(value, picker(seed), injection, true);
      assert.equal(text.includes('\\'), false);
      const found = findDuplicateMemberOf(text, JSON.parse(text));
      assert.deepEqual(found, findDuplicateMember(text), text);
      assert.equal(found !== undefined, injected, text);
    }), { numRuns: 1000 });
  });

  it('names the duplicate and the object holding it', () => {
    assert.deepEqual(findDuplicateMember('{"amount":{"amount":"1","currency":"USD"},"amount":{"currency":"EUR"}}'), { name: 'amount', objectPointer: '' });
    assert.deepEqual(findDuplicateMember('{"amount":{"amount":"1","currency":"USD","currency":"EUR"}}'), { name: 'currency', objectPointer: '/amount' });
    assert.deepEqual(findDuplicateMember('{"a":[1,{"b":[{}, {"x/y":{"c":1,"\\u0063":2}}]}]}'), { name: 'c', objectPointer: '/a/1/b/1/x~1y' });
    assert.deepEqual(findDuplicateMember('{"payeeFsp":"a","p\\u0061yeeFsp":"b"}'), { name: 'payeeFsp', objectPointer: '' });
    assert.deepEqual(findDuplicateMember('{"a\\"":1, "a\\u0022" :2}'), { name: 'a"', objectPointer: '' });
    assert.deepEqual(findDuplicateMember('{"😀":1,"\\ud83d\\ude00":2}'), { name: '😀', objectPointer: '' });
  });

  it('keeps names of sibling and nested objects apart', () => {
    for (const text of ['{"a":{"a":{"a":1}}}', '[{"a":1},{"a":2}]', '{"x":{"a":1},"y":{"a":2}}', '{"a":"\\"a\\":1","b":"a"}', '{"a":["a","a"]}', '"a"', '[]', '{}']) {
      assert.equal(findDuplicateMember(text), undefined, text);
    }
  });

  it('compares names past the list threshold with a set', () => {
    const names = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    assert.equal(findDuplicateMember(`{${names.join(',')}}`), undefined);
    assert.deepEqual(findDuplicateMember(`{${names.join(',')},"k3":0}`), { name: 'k3', objectPointer: '' });
  });

  it('refuses text that is not JSON before looking for duplicates', () => {
    const parsed = parseStrictJson('{"a":1,}');
    assert.ok(!parsed.ok);
    assert.equal(parsed.error.problem, 'not-json');
  });

  it('describes a duplicate with its name and place, cutting long names', () => {
    assert.equal(describeDuplicate({ name: 'amount', objectPointer: '' }), 'member "amount" is given twice in the object at the root');
    assert.equal(describeDuplicate({ name: 'currency', objectPointer: '/amount' }), 'member "currency" is given twice in the object at "/amount"');
    assert.ok(describeDuplicate({ name: 'x'.repeat(1000), objectPointer: '' }).length < 120);
  });
});

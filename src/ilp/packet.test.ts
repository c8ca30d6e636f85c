import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBase64url } from './base64url.ts';
import { ILP_PACKET_BYTES_MAX, ILP_PACKET_TEXT_LENGTH_MAX } from './limits.ts';
import { lengthPrefix, oerReader, readLengthPrefix, readVarOctets } from './oer.ts';
import {
  decodeIlpPacket,
  decodeIlpPacketBytes,
  encodeIlpPacket,
  encodeIlpPacketText,
  interledgerTime,
  type IlpPacket,
  type IlpV1Payment,
  type IlpV4Prepare,
} from './packet.ts';

// --- instruments -------------------------------------------------------------

type BufferFactory = 'from' | 'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'concat';
const FACTORIES: readonly BufferFactory[] = ['from', 'alloc', 'allocUnsafe', 'allocUnsafeSlow', 'concat'];

/**
 * Runs `run` with every Buffer factory wrapped, and reports the largest Buffer
 * made meanwhile. The decoder's only allocations are Buffers (its reads are
 * views), so this bounds what one hostile input can make it allocate.
 */
function largestAllocation(run: () => unknown): number {
  const table = Buffer as unknown as Record<BufferFactory, (...args: unknown[]) => Buffer>;
  const originals = new Map(FACTORIES.map((name) => [name, table[name]] as const));
  let largest = 0;
  for (const [name, original] of originals) {
    table[name] = (...args: unknown[]): Buffer => {
      const made = original.apply(Buffer, args);
      largest = Math.max(largest, made.length);
      return made;
    };
  }
  try {
    run();
  } finally {
    for (const [name, original] of originals) table[name] = original;
  }
  return largest;
}

// CPU time, not wall time: another process on a loaded machine does not count against the decoder.
const CPU_PER_INPUT_MS_MAX = 100; // typical is well under 1 ms

/** CPU milliseconds this process spent since `since` (process.cpuUsage's). */
const cpuMsSince = (since: NodeJS.CpuUsage): number => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };

/** Decodes hostile text: never throws, allocates no Buffer larger than the text, returns within the time bound. */
function decodeHostileText(text: string): ReturnType<typeof decodeIlpPacket> {
  let result: ReturnType<typeof decodeIlpPacket> | undefined;
  const started = process.cpuUsage();
  const largest = largestAllocation(() => {
    result = decodeIlpPacket(text);
  });
  const cpuMs = cpuMsSince(started);
  assert.ok(largest <= text.length, `allocated ${largest} bytes for ${text.length} characters`);
  assert.ok(cpuMs < CPU_PER_INPUT_MS_MAX, `took ${cpuMs} ms of CPU`);
  assert.ok(result !== undefined);
  return result;
}

function decodeHostileBytes(bytes: Buffer): ReturnType<typeof decodeIlpPacketBytes> {
  let result: ReturnType<typeof decodeIlpPacketBytes> | undefined;
  const started = process.cpuUsage();
  const largest = largestAllocation(() => {
    result = decodeIlpPacketBytes(bytes);
  });
  const cpuMs = cpuMsSince(started);
  assert.ok(largest <= bytes.length, `allocated ${largest} bytes for a ${bytes.length}-byte packet`);
  assert.ok(cpuMs < CPU_PER_INPUT_MS_MAX, `took ${cpuMs} ms of CPU`);
  assert.ok(result !== undefined);
  return result;
}

test('instrument: largestAllocation sees Buffer allocations and restores the factories', () => {
  const table = Buffer as unknown as Record<string, unknown>;
  const before = FACTORIES.map((name) => table[name]);
  assert.equal(largestAllocation(() => Buffer.alloc(100)), 100);
  assert.equal(largestAllocation(() => Buffer.from('abcd', 'base64url')), 3);
  assert.equal(largestAllocation(() => Buffer.concat([Buffer.alloc(5), Buffer.alloc(6)])), 11);
  assert.deepEqual(FACTORIES.map((name) => table[name]), before);
});

// --- generators -----------------------------------------------------------------

const printableAscii = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: min, maxLength: max }).map((codes) => String.fromCharCode(...codes));
const bytes = (min: number, max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));
const amount = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const ilpAddress = fc.tuple(
  fc.constantFrom('g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local'),
  fc.array(fc.stringMatching(/^[a-zA-Z0-9_~-]{1,24}$/), { minLength: 1, maxLength: 12 }),
).map(([scheme, segments]) => [scheme, ...segments].join('.'));

const v1Payment: fc.Arbitrary<IlpV1Payment> = fc.record({
  version: fc.constant('v1' as const),
  amount,
  account: fc.oneof(printableAscii(1, 64), printableAscii(100, 1023)),
  data: fc.oneof(bytes(0, 200), bytes(0, 20000)),
});

const v4Prepare: fc.Arbitrary<IlpV4Prepare> = fc.record({
  version: fc.constant('v4' as const),
  amount,
  expiresAt: fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
  executionCondition: bytes(32, 32),
  destination: ilpAddress,
  data: fc.oneof(bytes(0, 200), bytes(0, 20000)),
});

const packet: fc.Arbitrary<IlpPacket> = fc.oneof(v1Payment, v4Prepare);
const encodedPacket = packet.map((p) => encodeIlpPacket(p));

// --- round trips -------------------------------------------------------------------

test('packet: decode(encode(x)) = x for generated ILPv1 and ILPv4 packets', () => {
  fc.assert(fc.property(packet, (p) => {
    const decoded = decodeIlpPacketBytes(encodeIlpPacket(p));
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
    assert.deepEqual(decoded.value, { ...p }); // fast-check's records have no prototype
  }), { numRuns: 500 });
});

test('packet: the text form round-trips through decodeIlpPacket', () => {
  fc.assert(fc.property(packet, (p) => {
    const decoded = decodeIlpPacket(encodeIlpPacketText(p));
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.detail);
    const d = decoded.value;
    assert.equal(d.version, p.version);
    assert.equal(d.amount, p.amount);
    assert.deepEqual(d.data, p.data);
    if (p.version === 'v1') {
      assert.equal(d.destination, p.account);
      assert.equal(d.expiresAt, undefined);
      assert.equal(d.executionCondition, undefined);
    } else {
      assert.equal(d.destination, p.destination);
      assert.deepEqual(d.expiresAt, p.expiresAt);
      assert.deepEqual(d.executionCondition, p.executionCondition);
    }
  }), { numRuns: 300 });
});

test('packet: one packet, one encoding: whatever decodes re-encodes to the same bytes', () => {
  const mutated = fc.tuple(encodedPacket, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, value]) => {
    const copy = Buffer.from(b);
    copy[at % copy.length] = value;
    return copy;
  });
  fc.assert(fc.property(mutated, (b) => {
    const decoded = decodeHostileBytes(b);
    if (decoded.ok) assert.deepEqual(encodeIlpPacket(decoded.value), b);
  }), { numRuns: 1000 });
});

test('packet: an expiresAt whose fields roll over past year 9999 is refused, not thrown (found by the property above)', () => {
  const bytes = Buffer.from([12, 96, 0, 0, 0, 0, 0, 0, 0, 0, 57, 57, 57, 52, 56, 49, 48, 49, 48, 48, 48, 48, 48, 48, 48, 48, 48, ...new Array<number>(32).fill(0),
    29, 112, 101, 101, 114, 46, 45, 46, 126, 97, 48, 97, 97, 126, 65, 95, 97, 46, 95, 126, 65, 95, 65, 45, 65, 126, 97, 97, 45, 45, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
  const decoded = decodeHostileBytes(bytes);
  assert.ok(!decoded.ok);
  assert.match(decoded.error, /expiresAt/);
});

test('packet: Mojaloop transaction data is parsed, opaque data is not', () => {
  const transaction = { amount: { amount: '1', currency: 'USD' }, note: 'é' };
  const data = Buffer.from(Buffer.from(JSON.stringify(transaction)).toString('base64url'), 'latin1');
  const base = { version: 'v1' as const, amount: 100n, account: 'g.fsp.msisdn.1' };
  const parsed = decodeIlpPacket(encodeIlpPacketText({ ...base, data }));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.transaction, transaction);
  for (const opaque of [Buffer.alloc(0), Buffer.from('not base64url!'), Buffer.from(Buffer.from('not json').toString('base64url')), Buffer.from(Buffer.of(0xff, 0xfe, 0x7b).toString('base64url'))]) {
    const decoded = decodeIlpPacket(encodeIlpPacketText({ ...base, data: opaque }));
    assert.ok(decoded.ok);
    assert.equal('transaction' in decoded.value, false);
  }
});

test('packet: transaction data giving a member twice (payee FSP, amount; escaped or not) is refused with 3101, not read one way', () => {
  const base = { version: 'v1' as const, amount: 100n, account: 'g.payeefsp.msisdn.1' };
  const hostile = [
    '{"payee":{"partyIdInfo":{"fspId":"payeefsp","fspId":"otherfsp"}},"amount":{"amount":"1","currency":"USD"}}',
    '{"amount":{"amount":"1","currency":"USD"},"\\u0061mount":{"amount":"100","currency":"USD"}}',
  ];
  for (const json of hostile) {
    const data = Buffer.from(Buffer.from(json).toString('base64url'), 'latin1');
    const decoded = decodeIlpPacket(encodeIlpPacketText({ ...base, data }));
    assert.ok(!decoded.ok, json);
    assert.equal(decoded.error.code, '3101');
    assert.match(decoded.error.detail, /ilpPacket data: member "(fspId|amount)" is given twice/);
  }
});

// --- hostile input -------------------------------------------------------------

test('fuzz: random bytes never throw, allocate no more than their size, and decode in bounded time', () => {
  fc.assert(fc.property(fc.oneof(bytes(0, 64), bytes(0, 4096)), (b) => {
    const result = decodeHostileBytes(b);
    if (!result.ok) assert.equal(typeof result.error, 'string');
  }), { numRuns: 2000 });
});

test('fuzz: random bytes with a plausible type byte and envelope never throw', () => {
  const framed = fc.tuple(fc.constantFrom(0x01, 0x0c), bytes(0, 600)).map(([type, body]) => Buffer.concat([Buffer.of(type), lengthPrefix(body.length), body]));
  fc.assert(fc.property(framed, (b) => {
    decodeHostileBytes(b);
  }), { numRuns: 2000 });
});

test('fuzz: random strings and random base64url strings never throw', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,400}={0,3}$/),
    bytes(0, 600).map((b) => b.toString('base64url')),
    encodedPacket.map((b) => b.toString('base64url')),
  );
  fc.assert(fc.property(text, (t) => {
    const result = decodeHostileText(t);
    if (!result.ok) assert.equal(result.error.code, '3100');
  }), { numRuns: 2000 });
});

test('fuzz: every truncation of a valid packet is refused, and so is any byte appended', () => {
  fc.assert(fc.property(encodedPacket, fc.nat(), bytes(1, 8), (b, cut, tail) => {
    const truncated = decodeHostileBytes(b.subarray(0, cut % b.length));
    assert.equal(truncated.ok, false);
    const extended = decodeHostileBytes(Buffer.concat([b, tail]));
    assert.ok(!extended.ok);
    assert.match(extended.error, /unexpected bytes after the packet/);
  }), { numRuns: 500 });
});

/** The packet's contents (after the type byte and envelope length), and where the address and data lengths start in them. */
function anatomy(p: IlpPacket, encoded: Buffer): { contents: Buffer; fieldLengthsAt: number[] } {
  const envelope = oerReader(encoded.subarray(1));
  const contents = readVarOctets(envelope, 'packet');
  assert.ok(contents.ok);
  const addressAt = 8 + (p.version === 'v4' ? 17 + 32 : 0);
  const reader = oerReader(contents.value.subarray(addressAt));
  assert.ok(readVarOctets(reader, 'address').ok);
  return { contents: contents.value, fieldLengthsAt: [addressAt, addressAt + reader.offset] };
}

/** The canonical OER length determinant for any length, even one no packet could have. */
function canonicalLength(length: bigint): Buffer {
  if (length < 0x80n) return Buffer.of(Number(length));
  const digits: number[] = [];
  for (let rest = length; rest > 0n; rest >>= 8n) digits.unshift(Number(rest & 0xffn));
  return Buffer.of(0x80 | digits.length, ...digits);
}

/** `bytes` with the length prefix at `at` replaced by one declaring `extra` more bytes than remain after it. */
function withLyingLength(bytes: Buffer, at: number, extra: bigint): Buffer {
  const reader = oerReader(bytes.subarray(at));
  assert.ok(readLengthPrefix(reader, 'field').ok);
  const remainingAfter = bytes.length - at - reader.offset;
  return Buffer.concat([bytes.subarray(0, at), canonicalLength(BigInt(remainingAfter) + extra), bytes.subarray(at + reader.offset)]);
}

test('fuzz: length prefixes that lie (up to 2^64 and beyond) are refused before anything is allocated', () => {
  const lie = fc.oneof(
    fc.bigInt({ min: 1n, max: 2n ** 16n }),
    fc.bigInt({ min: 2n ** 16n, max: 2n ** 32n }),
    fc.constantFrom(2n ** 32n - 1n, 2n ** 32n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 1000n),
  );
  fc.assert(fc.property(packet, fc.nat(2), lie, (p, which, extra) => {
    const encoded = encodeIlpPacket(p);
    let lying: Buffer;
    if (which === 0) {
      lying = withLyingLength(encoded, 1, extra); // the envelope
    } else {
      // A field inside: the envelope stays honest about the (now longer) contents.
      const { contents, fieldLengthsAt } = anatomy(p, encoded);
      const inner = withLyingLength(contents, fieldLengthsAt[which - 1]!, extra);
      lying = Buffer.concat([encoded.subarray(0, 1), lengthPrefix(inner.length), inner]);
    }
    const result = decodeHostileBytes(lying);
    assert.ok(!result.ok);
    assert.match(result.error, /remain/);
    const text = lying.toString('base64url');
    if (text.length <= ILP_PACKET_TEXT_LENGTH_MAX) assert.equal(decodeHostileText(text).ok, false);
  }), { numRuns: 1000 });
});

test('packet: a packet claiming 2^32 bytes is refused by its length alone', () => {
  for (const prefix of [Buffer.of(0x85, 0x01, 0, 0, 0, 0), Buffer.of(0x84, 0xff, 0xff, 0xff, 0xff), Buffer.of(0xfe, 1, ...Buffer.alloc(125)), Buffer.of(0xff)]) {
    const lying = Buffer.concat([Buffer.of(0x01), prefix, Buffer.alloc(40)]);
    const result = decodeHostileBytes(lying);
    assert.ok(!result.ok);
    assert.match(result.error, /remain/);
  }
});

test('packet: input of the largest accepted size decodes in bounded time; larger input is refused unread', () => {
  // 22 bytes of framing: type, 3-byte envelope length, amount, account (1 + 5), 3-byte data length, extensions.
  const big = { version: 'v1' as const, amount: 1n, account: 'g.a.b', data: Buffer.alloc(ILP_PACKET_BYTES_MAX - 22, 0x41) };
  const text = encodeIlpPacketText(big);
  assert.equal(text.length, ILP_PACKET_TEXT_LENGTH_MAX);
  assert.ok(decodeHostileText(text).ok);
  const tooLong = 'A'.repeat(ILP_PACKET_TEXT_LENGTH_MAX + 1);
  assert.equal(largestAllocation(() => decodeIlpPacket(tooLong)), 0);
  const refused = decodeIlpPacket(tooLong);
  assert.ok(!refused.ok);
  assert.match(refused.error.detail, /32769 characters; at most 32768/);
  assert.ok(!decodeIlpPacketBytes(Buffer.alloc(ILP_PACKET_BYTES_MAX + 1)).ok);
});

// --- the OER length determinant -----------------------------------------------------

test('oer: length prefixes must be canonical', () => {
  const read = (b: number[]): string => {
    const r = readLengthPrefix(oerReader(Buffer.from([...b, ...Buffer.alloc(300)])), 'x');
    return r.ok ? `ok ${r.value}` : r.error;
  };
  assert.equal(read([0x05]), 'ok 5');
  assert.equal(read([0x7f]), 'ok 127');
  assert.equal(read([0x81, 0x80]), 'ok 128');
  assert.equal(read([0x82, 0x01, 0x00]), 'ok 256');
  assert.match(read([0x80]), /indefinite form/);
  assert.match(read([0x81, 0x7f]), /not canonical \(127 in the long form\)/);
  assert.match(read([0x82, 0x00, 0x80]), /not canonical \(leading zero byte\)/);
  assert.match(read([0x82, 0x10, 0x00]), /declares 4096 bytes, 300 remain/);
  assert.deepEqual(lengthPrefix(127), Buffer.of(0x7f));
  assert.deepEqual(lengthPrefix(128), Buffer.of(0x81, 0x80));
  assert.deepEqual(lengthPrefix(65535), Buffer.of(0x82, 0xff, 0xff));
  assert.deepEqual(lengthPrefix(65536), Buffer.of(0x83, 0x01, 0x00, 0x00));
});

// --- base64url -------------------------------------------------------------------------

test('base64url: only the canonical spelling is accepted; padding is optional but must be right', () => {
  const decode = (t: unknown): string => {
    const r = decodeBase64url(t, 100, 'x');
    return r.ok ? `ok ${r.value.toString('hex')}` : r.error;
  };
  assert.equal(decode('AQ'), 'ok 01');
  assert.equal(decode('AQ=='), 'ok 01');
  assert.equal(decode('AQI'), 'ok 0102');
  assert.equal(decode('AQI='), 'ok 0102');
  assert.equal(decode('-_8'), 'ok fbff');
  assert.match(decode('AQ='), /wrong base64 padding/);
  assert.match(decode('AQI=='), /wrong base64 padding/);
  assert.match(decode('AR'), /not canonical base64url/);
  assert.match(decode('A'), /no byte string has/);
  assert.match(decode('+/8'), /not base64url/);
  assert.match(decode('AQ I'), /not base64url/);
  assert.match(decode(''), /empty/);
  assert.match(decode(42), /not a string/);
  assert.match(decode('A'.repeat(101)), /at most 100/);
});

// --- fields ----------------------------------------------------------------------------

test('packet: interledger time is four-digit-year UTC with milliseconds, years 0..9999', () => {
  assert.equal(interledgerTime(new Date('2030-06-01T10:34:56.789Z')), '20300601103456789');
  assert.equal(interledgerTime(new Date('0005-01-02T03:04:05.006Z')), '00050102030405006');
  assert.throws(() => interledgerTime(new Date('+010000-01-01T00:00:00.000Z')), /does not fit four digits/);
  assert.throws(() => interledgerTime(new Date(Number.NaN)), /invalid date/);
  const early = { version: 'v4' as const, amount: 1n, expiresAt: new Date('0050-01-01T00:00:00.000Z'), executionCondition: Buffer.alloc(32), destination: 'g.mojaloop', data: Buffer.alloc(0) };
  const decoded = decodeIlpPacketBytes(encodeIlpPacket(early));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value, early); // not 1950, as Date.UTC would make it
});

test('packet: the encoder refuses what it cannot encode faithfully', () => {
  const v1 = { version: 'v1' as const, amount: 1n, account: 'g.fsp.msisdn.1', data: Buffer.alloc(0) };
  assert.throws(() => encodeIlpPacket({ ...v1, amount: 2n ** 64n }), /outside 0\.\.2\^64-1/);
  assert.throws(() => encodeIlpPacket({ ...v1, amount: -1n }), /outside/);
  assert.throws(() => encodeIlpPacket({ ...v1, account: 'g.fsp.msisdn.é' }), /printable ASCII/);
  assert.throws(() => encodeIlpPacket({ ...v1, account: '' }), /printable ASCII/);
  assert.throws(() => encodeIlpPacket({ ...v1, data: Buffer.alloc(32768) }), /at most 32767/);
  assert.throws(() => encodeIlpPacketText({ ...v1, data: Buffer.alloc(32000) }), /FSPIOP limit/);
  const v4 = { version: 'v4' as const, amount: 1n, expiresAt: new Date(), executionCondition: Buffer.alloc(32), destination: 'g.mojaloop', data: Buffer.alloc(0) };
  assert.throws(() => encodeIlpPacket({ ...v4, destination: 'mojaloop' }), /not an ILP address/);
  assert.throws(() => encodeIlpPacket({ ...v4, destination: 'g.moja loop' }), /not an ILP address/);
  assert.throws(() => encodeIlpPacket({ ...v4, executionCondition: Buffer.alloc(31) }), /32 bytes/);
});

test('packet: the decoder refuses non-ASCII v1 accounts and invalid v4 destinations', () => {
  const v1 = encodeIlpPacket({ version: 'v1', amount: 1n, account: 'g.fsp.msisdn.x', data: Buffer.alloc(0) });
  const at = v1.indexOf('x', 10, 'latin1');
  for (const value of [0xe9, 0x00, 0x0a, 0x7f]) {
    const copy = Buffer.from(v1);
    copy[at] = value;
    const r = decodeIlpPacketBytes(copy);
    assert.ok(!r.ok);
    assert.match(r.error, /account is not 1\.\.1023 printable ASCII/);
  }
  const v4 = encodeIlpPacket({ version: 'v4', amount: 1n, expiresAt: new Date(0), executionCondition: Buffer.alloc(32), destination: 'g.mojaloop', data: Buffer.alloc(0) });
  const copy = Buffer.from(v4);
  copy[copy.indexOf('.', 0, 'latin1')] = 0x20;
  const r = decodeIlpPacketBytes(copy);
  assert.ok(!r.ok);
  assert.match(r.error, /destination is not an ILP address/);
});

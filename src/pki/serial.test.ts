import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseSerialHex, randomSerialHex } from './serial.ts';

test('serials are 16 bytes, positive, first byte never zero, and do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1_000; i++) {
    const serial = randomSerialHex();
    assert.match(serial, /^[4-7][0-9a-f]{31}$/);
    seen.add(serial);
  }
  assert.equal(seen.size, 1_000);
});

test('serials as operators type them are normalised; anything else is refused', () => {
  assert.equal(normaliseSerialHex('4A:BC:01'), '4abc01');
  assert.equal(normaliseSerialHex('4ABC01'), '4abc01');
  assert.equal(normaliseSerialHex('xyz'), undefined);
  assert.equal(normaliseSerialHex(''), undefined);
  assert.equal(normaliseSerialHex('a'.repeat(41)), undefined);
});

// Party keys: stable per party, different per party and per key, never the
// clear identifier; the key file is made once, owner-only, and a second
// process finds the first's key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { paymentParties } from './parties.ts';
import { loadOrCreatePartyKeys, partyKeys, RISK_KEY_FILE_NAME } from './party_key.ts';

const alice = { partyIdType: 'MSISDN', partyIdentifier: '27713803912' };

test('a party key is a stable digest: the same party gives the same key, another party or key another, the identifier never shows', () => {
  const keyOf = partyKeys(Buffer.alloc(32, 1));
  const key = keyOf(alice);
  assert.equal(key, keyOf({ ...alice, partyIdType: 'msisdn' }), 'the type is case-insensitive');
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!key.includes('27713803912'));
  assert.notEqual(key, keyOf({ ...alice, partyIdentifier: '27713803913' }));
  assert.notEqual(key, keyOf({ ...alice, partySubIdOrType: 'savings' }));
  assert.notEqual(key, partyKeys(Buffer.alloc(32, 2))(alice), 'another scheme key, another digest');
  assert.throws(() => partyKeys(Buffer.alloc(16)), /must be 32/);
});

test('the key file is made at first start, owner-only; a second process uses the same key; a foreign file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-risk-key-'));
  try {
    const first = loadOrCreatePartyKeys({ dataDir: dir });
    assert.equal(first.created, true);
    assert.equal(statSync(join(dir, RISK_KEY_FILE_NAME)).mode & 0o777, 0o600);
    const second = loadOrCreatePartyKeys({ dataDir: dir });
    assert.equal(second.created, false);
    assert.equal(second.partyKeyOf(alice), first.partyKeyOf(alice));
    const foreign = join(dir, 'foreign.key');
    writeFileSync(foreign, 'not a key\n', { mode: 0o600 });
    assert.throws(() => loadOrCreatePartyKeys({ dataDir: dir, keyFile: foreign }), /not an Interlock risk party key/);
    assert.throws(() => loadOrCreatePartyKeys({ dataDir: dir, keyFile: join(dir, 'missing.key') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parties are read from a quote or Transaction object: keyed, with their names; anything malformed is unknown, never an error', () => {
  const keyOf = partyKeys(Buffer.alloc(32, 1));
  const { payer, payee } = paymentParties({
    payer: { partyIdInfo: { ...alice, fspId: 'payerfsp' }, personalInfo: { complexName: { firstName: 'Alice', lastName: 'Ngema' } } },
    payee: { partyIdInfo: { partyIdType: 'ACCOUNT_ID', partyIdentifier: '12345' }, name: 'Henrik Karlsson' },
  }, keyOf);
  assert.deepEqual(payer, { key: keyOf(alice), name: 'Alice Ngema' });
  assert.deepEqual(payee, { key: keyOf({ partyIdType: 'ACCOUNT_ID', partyIdentifier: '12345' }), name: 'Henrik Karlsson' });
  for (const hostile of [null, 'text', 42, [], { payer: { partyIdInfo: { partyIdType: 7 } } }, { payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: 'x'.repeat(10_000) } } }]) {
    const parties = paymentParties(hostile, keyOf);
    assert.equal(parties.payer.key, null);
    assert.equal(parties.payee.key, null);
  }
});

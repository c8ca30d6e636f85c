import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from './index.ts';
import { defaultOrigin, parseOrigin, parseWitnesses } from './audit_values.ts';
import { cosignatureVerifierKey } from '../translog/index.ts';
import { logKeys } from '../audit/log_fixture.ts';

const witnessKey = cosignatureVerifierKey('witness.regulator.example', generateKeyPairSync('ed25519').publicKey);

describe('audit configuration values', () => {
  it('takes an origin that is a schema-less URL and a note key name', () => {
    for (const origin of ['hub.example.org/interlock/audit', 'localhost:8443/audit', 'switch.bank-of.example']) assert.deepEqual(parseOrigin(origin), { value: origin });
    for (const origin of ['https://hub.example/audit', 'hub example/audit', 'hub.example/a+b', 'Hub.Example/audit', '', 'hub.example//audit', 'hub:1:2/x', 42]) {
      assert.ok('expected' in parseOrigin(origin), String(origin));
    }
    assert.ok('value' in parseOrigin(defaultOrigin()));
  });

  it('takes witnesses as a JSON array of url and cosignature verifier key, from a file or the environment', () => {
    const witnesses = [{ url: 'https://witness.regulator.example/w1', verifierKey: witnessKey }];
    assert.deepEqual(parseWitnesses(witnesses), { value: witnesses });
    assert.deepEqual(parseWitnesses(JSON.stringify(witnesses)), { value: witnesses });
    assert.deepEqual(parseWitnesses('[]'), { value: [] });
    const refused: unknown[] = [
      'not json',
      [{ url: 'ftp://witness.example', verifierKey: witnessKey }],
      [{ url: 'https://witness.example?x=1', verifierKey: witnessKey }],
      [{ url: 'https://witness.example', verifierKey: logKeys().verifierKey }], // a log key (type 1), not a cosignature key
      [{ url: 'https://witness.example', verifierKey: witnessKey, name: 'extra' }],
      [{ url: 'https://a.example', verifierKey: witnessKey }, { url: 'https://b.example', verifierKey: witnessKey }],
      Array.from({ length: 17 }, (_, i) => ({ url: `https://w${i}.example`, verifierKey: cosignatureVerifierKey(`w${i}`, generateKeyPairSync('ed25519').publicKey) })),
    ];
    for (const value of refused) assert.ok('expected' in parseWitnesses(value), JSON.stringify(value).slice(0, 80));
  });

  it('are read by the hub\'s configuration, with their environment variables', () => {
    const config = loadConfig({
      env: {
        INTERLOCK_AUDIT_ORIGIN: 'hub.example.org/interlock/audit',
        INTERLOCK_AUDIT_CHECKPOINT_INTERVAL_MS: '2000',
        INTERLOCK_AUDIT_WITNESSES: JSON.stringify([{ url: 'http://127.0.0.1:8460', verifierKey: witnessKey }]),
      },
    });
    assert.deepEqual(config.audit, {
      origin: 'hub.example.org/interlock/audit',
      keyFile: undefined,
      checkpointIntervalMs: 2000,
      securityEventIntervalMs: 60_000,
      witnesses: [{ url: 'http://127.0.0.1:8460', verifierKey: witnessKey }],
    });
    assert.throws(() => loadConfig({ env: { INTERLOCK_AUDIT_CHECKPOINT_INTERVAL_MS: '10' } }), /audit\.checkpointIntervalMs \(from INTERLOCK_AUDIT_CHECKPOINT_INTERVAL_MS\): expected an integer from 100 to 3600000/);
    assert.throws(() => loadConfig({ env: { INTERLOCK_AUDIT_ORIGIN: 'https://hub/audit' } }), /audit\.origin/);
  });
});

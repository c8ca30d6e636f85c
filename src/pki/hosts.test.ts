import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostNames, isDnsName } from './hosts.ts';

test('DNS names are LDH labels, lower-cased; IP addresses become iPAddress entries; duplicates collapse', () => {
  const names = hostNames(['Hub.Example.ORG', 'hub.example.org', '10.0.0.1', '2001:db8::1', 'localhost']);
  assert.ok(names.ok);
  assert.deepEqual(names.value, [
    { type: 'dns', value: 'hub.example.org' },
    { type: 'ip', value: '10.0.0.1' },
    { type: 'ip', value: '2001:db8::1' },
    { type: 'dns', value: 'localhost' },
  ]);
});

test('wildcards, underscores, empty labels, leading hyphens, numeric names and too many hosts are refused', () => {
  for (const bad of ['*.example.org', 'under_score.example', 'a..b', '-lead.example', 'trail-.example', '1.2.3', 'a'.repeat(64) + '.example', 'sp ace', '']) {
    assert.equal(isDnsName(bad), false, bad);
    assert.ok(!hostNames([bad]).ok, bad);
  }
  assert.ok(!hostNames(Array.from({ length: 17 }, (_, i) => `h${i}.example`)).ok);
  assert.ok(hostNames(Array.from({ length: 16 }, (_, i) => `h${i}.example`)).ok);
});

// docs/asvs.md is the assessment's mapping of probes to controls and ASVS
// requirements: it must list every probe with the control and requirements
// the probe itself declares, and every control by the seed's name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONTROLS } from './probe.ts';
import { ALL_PROBES } from './runner.ts';

const doc = readFileSync(new URL('../../docs/asvs.md', import.meta.url), 'utf8');
const rows = new Map(doc.split('\n').filter((line) => line.startsWith('| `')).map((line) => [/^\| `([^`]+)`/.exec(line)?.[1] ?? '', line]));

test('docs/asvs.md maps every probe to its control and ASVS 5.0.0 requirements, as the probe declares them', () => {
  for (const probe of ALL_PROBES) {
    const row = rows.get(probe.id);
    assert.ok(row !== undefined, `${probe.id} is not in docs/asvs.md`);
    assert.ok(row.includes(`| ${probe.control} |`), `${probe.id}: control`);
    assert.ok(row.endsWith(`| ${probe.asvs.join(', ')} |`), `${probe.id}: ASVS ids`);
    assert.ok(probe.asvs.length > 0 && probe.asvs.every((id) => /^v5\.0\.0-([1-9]|1[0-7])\.[0-9]+\.[0-9]+$/.test(id)), `${probe.id}: ids are v5.0.0-x.y.z`);
  }
  assert.equal([...rows.keys()].filter((id) => id.includes('.')).length, ALL_PROBES.length, 'no row for a probe that does not exist');
});

test('docs/asvs.md names every control as the seed does', () => {
  for (const control of Object.values(CONTROLS)) assert.ok(doc.includes(`| ${control} |`), control);
});

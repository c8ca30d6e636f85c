import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadVectors, VECTORS_DIRECTORY } from './vector_fixture.ts';

// The shared reference material sits beside the repository on the machines where the project is developed.
const SHARED_DIRECTORY = fileURLToPath(new URL('../../../shared/vectors/rfc9162-merkle/', import.meta.url));

function files(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort();
}

describe('vector_fixture', () => {
  it('holds all 518 transparency-dev vector files', () => {
    assert.equal(loadVectors('inclusion').length, 98);
    assert.equal(loadVectors('consistency').length, 98);
    assert.equal(loadVectors('subtreeinclusion').length, 204);
    assert.equal(loadVectors('subtreeconsistency').length, 118);
  });

  it('reads uint64 values past 2^53 as numbers that are not safe integers, never rounded to one', () => {
    const wrapped = loadVectors('inclusion').find((v) => v.name === 'inclusion/1/leafIdx-sub-@1.json');
    assert.ok(wrapped !== undefined);
    assert.equal(Number.isSafeInteger(wrapped.numbers.get('leafIdx')), false);
  });

  it('is byte for byte the copy of ../shared/vectors/rfc9162-merkle', { skip: existsSync(SHARED_DIRECTORY) ? false : 'no ../shared beside this clone' }, () => {
    const ours = files(VECTORS_DIRECTORY);
    assert.deepEqual(ours, files(SHARED_DIRECTORY));
    for (const name of ours) assert.ok(readFileSync(`${VECTORS_DIRECTORY}${name}`).equals(readFileSync(`${SHARED_DIRECTORY}${name}`)), name);
  });
});

// Loads the transparency-dev/merkle proof vectors kept in vectors/rfc9162-merkle
// (a copy of ../shared/vectors/rfc9162-merkle, because CI clones this repository
// alone). For tests only.
//
// The vectors are written for uint64 sizes: some hold 2^64 − 1 (an index
// decremented below zero) or other values past 2^53. JSON.parse would round
// those to a nearby float; they are read from their source text instead, and
// any value past TREE_SIZE_MAX becomes a number that is not a safe integer,
// which every verifier refuses, as it must refuse the original.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIRECTORY = fileURLToPath(new URL('./vectors/rfc9162-merkle/', import.meta.url));

export interface VectorFile {
  /** Path under the vectors directory, e.g. `inclusion/1/happy-path.json`. */
  readonly name: string;
  readonly wantErr: boolean;
  readonly numbers: ReadonlyMap<string, number>;
  readonly hashes: ReadonlyMap<string, Uint8Array>;
  readonly proof: readonly Uint8Array[];
}

function exactNumber(source: string): number {
  const exact = BigInt(source);
  // 2^53 is the smallest integer that is not a safe integer: every value past the bound maps to it.
  return exact <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(exact) : 2 ** 53;
}

function parse(text: string): Record<string, unknown> {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? exactNumber(context.source) : value,
  ) as Record<string, unknown>;
}

/** Every vector file under `kind` (inclusion, consistency, subtreeinclusion, subtreeconsistency), sorted by name. */
export function loadVectors(kind: string): VectorFile[] {
  const directory = `${VECTORS_DIRECTORY}${kind}/`;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- this module's own vectors directory, fixed kind names
  const names = readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort();
  return names.map((name) => {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file readdirSync just listed there
    const raw = parse(readFileSync(`${directory}${name}`, 'utf8'));
    const numbers = new Map<string, number>();
    const hashes = new Map<string, Uint8Array>();
    let proof: Uint8Array[] = [];
    let wantErr: boolean | undefined;
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'wantErr' && typeof value === 'boolean') wantErr = value;
      else if (key === 'desc') continue;
      else if (key === 'proof') proof = value === null ? [] : (value as string[]).map((h) => Buffer.from(h, 'base64'));
      else if (typeof value === 'number') numbers.set(key, value);
      else if (typeof value === 'string') hashes.set(key, Buffer.from(value, 'base64'));
      else throw new Error(`${kind}/${name}: unexpected field ${key}`);
    }
    if (wantErr === undefined) throw new Error(`${kind}/${name}: no wantErr`);
    return { name: `${kind}/${name}`, wantErr, numbers, hashes, proof };
  });
}

export function numberOf(vector: VectorFile, key: string): number {
  const value = vector.numbers.get(key);
  if (value === undefined) throw new Error(`${vector.name}: no number ${key}`);
  return value;
}

export function hashOf(vector: VectorFile, key: string): Uint8Array {
  const value = vector.hashes.get(key);
  if (value === undefined) throw new Error(`${vector.name}: no hash ${key}`);
  return value;
}

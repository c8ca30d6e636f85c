// Both engines hand back 64-bit integers as bigint (node:sqlite with
// readBigInts, pg with its int8 parser) and PostgreSQL sums as numeric
// strings. This plugin gives every row one shape on both engines, by column
// name: `…_minor` stays bigint (money), anything else that is a bigint becomes
// a number, and must be a safe integer.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

function normaliseValue(key: string, value: unknown): unknown {
  if (key.endsWith('_minor')) {
    if (typeof value === 'bigint' || value === null) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
    throw new Error(`column ${key}: expected an integer amount in minor units, got ${typeof value}`);
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`column ${key}: integer ${value} is outside the safe range for a number`);
    }
    return Number(value);
  }
  return value;
}

export class NormaliseResultsPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows.map((row) => {
      const out: UnknownRow = {};
      for (const [key, value] of Object.entries(row)) out[key] = normaliseValue(key, value);
      return out;
    });
    return Promise.resolve({ ...args.result, rows });
  }
}

// Runs a test suite on each storage engine: embedded SQLite always, and
// PostgreSQL when a server answers at INTERLOCK_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres). Each suite gets a database of
// its own, dropped afterwards. When PostgreSQL does not answer, the suite is
// reported as skipped with the reason, and a line on stderr says so plainly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openStorage, type Engine, type Storage } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';

export const TEST_POSTGRES_URL = process.env['INTERLOCK_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PROBE_TIMEOUT_MS = 2_000;

let probe: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why it cannot be used. */
export function postgresUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${new URL(TEST_POSTGRES_URL).host} did not answer (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated storage on `engine`, and a function that closes and removes it. */
export async function freshStorage(engine: Engine): Promise<{ storage: Storage; url: string; dispose: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-test-'));
    const url = join(dir, 'interlock.sqlite');
    const storage = openStorage(url);
    await storage.migrate(MIGRATIONS);
    return { storage, url, dispose: async () => { await storage.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const name = `interlock_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const storage = openStorage(url.toString());
  await storage.migrate(MIGRATIONS);
  return {
    storage,
    url: url.toString(),
    dispose: async () => {
      await storage.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * In CI (CI=true) the PostgreSQL suites must run: the multi-process, row-lock
 * and retry paths exist only there, so a missing server fails the run instead
 * of letting a change land untested on the engine schemes use in production.
 */
const postgresRequired = process.env['CI'] === 'true';
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) {
  process.stderr.write(postgresRequired
    ? `\n*** PostgreSQL suites FAILED: ${unavailable}, and CI=true requires them. Start PostgreSQL or set INTERLOCK_TEST_POSTGRES_URL. ***\n\n`
    : `\n*** PostgreSQL suites SKIPPED: ${unavailable}. Start PostgreSQL or set INTERLOCK_TEST_POSTGRES_URL to run them. ***\n\n`);
}

/**
 * Declares a suite that cannot run without PostgreSQL as one skipped test, so
 * that the runner's closing summary counts it under "skipped", with the reason;
 * under CI=true, as one failed test instead.
 */
export function skippedOnPostgres(name: string): void {
  describe(name, () => {
    if (postgresRequired) {
      test('needs PostgreSQL', () => {
        throw new Error(`CI=true requires the PostgreSQL suites: ${unavailable ?? 'no server'}`);
      });
    } else {
      test('needs PostgreSQL', { skip: `skipped: ${unavailable ?? ''}` }, () => undefined);
    }
  });
}

export interface EngineContext {
  readonly engine: Engine;
  /** The suite's storage; set before the suite's tests run. */
  storage: Storage;
  url: string;
}

/**
 * Declares `suite` once per engine, as "<name> [sqlite]" and "<name> [postgres]",
 * each with a fresh migrated database. The PostgreSQL variant is skipped,
 * with its reason, when no server answers.
 */
export function describeOnEachEngine(name: string, suite: (context: EngineContext) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    if (engine === 'postgres' && unavailable !== undefined) {
      skippedOnPostgres(`${name} [${engine}]`);
      continue;
    }
    describe(`${name} [${engine}]`, () => {
      const context = { engine } as EngineContext;
      let dispose: (() => Promise<void>) | undefined;
      before(async () => {
        const fresh = await freshStorage(engine);
        context.storage = fresh.storage;
        context.url = fresh.url;
        dispose = fresh.dispose;
      });
      suite(context);
      // Declared after the suite's own hooks, so it runs after them (after hooks run in the order declared):
      // a hub the suite started on this database stops before the database is dropped under it.
      after(async () => {
        await dispose?.();
      });
    });
  }
}

import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { freshStorage, postgresUnavailable, skippedOnPostgres, TEST_POSTGRES_URL } from '../testing/engines.ts';

const unavailable = await postgresUnavailable();

if (unavailable !== undefined) skippedOnPostgres('PostgreSQL storage');
else describe('PostgreSQL storage', () => {
  it('survives the server ending an idle pooled connection, and serves the next query on a new one', async () => {
    const fresh = await freshStorage('postgres');
    try {
      const { db } = fresh.storage;
      const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      const pid = before.rows[0]?.pid;
      assert.equal(typeof pid, 'number');
      // The connection is now idle in the pool. A restart, a failover or an operator's
      // pg_terminate_backend ends it from the server side; the pool must not crash the process.
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      try {
        const ended = await admin.query<{ ended: boolean }>('select pg_terminate_backend($1) as ended', [pid]);
        assert.equal(ended.rows[0]?.ended, true);
      } finally {
        await admin.end();
      }
      await delay(300);
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      assert.notEqual(after.rows[0]?.pid, pid);
    } finally {
      await fresh.dispose();
    }
  });
});

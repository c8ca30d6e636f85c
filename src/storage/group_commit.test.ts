import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { Kysely, sql } from 'kysely';
import { createGroupCommitter, StorageOverloadedError, type GroupCommitter } from './group_commit.ts';
import { openSqlite } from './sqlite.ts';

interface TestSchema {
  parent: { id: number };
  child: { id: number; parent_id: number };
  note: { text: string };
}

describe('group commit (SQLite)', () => {
  let dir: string;
  let db: Kysely<TestSchema>;
  /** A second connection: it sees only what was committed. */
  let outsider: DatabaseSync;
  let committer: GroupCommitter<TestSchema>;
  const isRefusal = (value: unknown) => value === 'refused';
  const committed = (text: string) => outsider.prepare('select count(*) as n from note where text = ?').get(text)?.['n'] === 1;
  const insert = (text: string) => async (tx: Kysely<TestSchema>) => {
    await tx.insertInto('note').values({ text }).execute();
    return text;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interlock-group-commit-'));
    const path = join(dir, 'test.sqlite');
    db = new Kysely<TestSchema>({ dialect: openSqlite(path) });
    await sql`create table parent (id integer primary key)`.execute(db);
    // Checked at COMMIT, not at the insert: the way to make a batch's commit itself fail.
    await sql`create table child (id integer primary key, parent_id integer not null references parent (id) deferrable initially deferred)`.execute(db);
    await sql`create table note (text text not null unique)`.execute(db);
    outsider = new DatabaseSync(path);
    committer = createGroupCommitter(db, { isRetryable: () => false, attemptsMax: 1 });
  });
  after(async () => {
    outsider.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('units that arrive together share one commit, and each settles only once that commit is durable', async () => {
    let firstVisibleOutsideDuringSecond: boolean | undefined;
    const first = committer.run(insert('a1'), isRefusal);
    const second = committer.run(async (tx) => {
      // The first unit ran in this same transaction: its row is here, but not committed yet.
      assert.equal((await tx.selectFrom('note').select('text').where('text', '=', 'a1').execute()).length, 1);
      firstVisibleOutsideDuringSecond = committed('a1');
      return insert('a2')(tx);
    }, isRefusal);
    assert.equal(await first, 'a1');
    // Settled: both rows are durable, written by one commit.
    assert.equal(committed('a1'), true);
    assert.equal(committed('a2'), true);
    assert.equal(await second, 'a2');
    assert.equal(firstVisibleOutsideDuringSecond, false);
  });

  test('a refusal rolls back only its own unit; the others of its batch commit', async () => {
    const kept = committer.run(insert('b1'), isRefusal);
    const refused = committer.run(async (tx) => {
      await insert('b2')(tx);
      return 'refused';
    }, isRefusal);
    const alsoKept = committer.run(insert('b3'), isRefusal);
    assert.deepEqual(await Promise.all([kept, refused, alsoKept]), ['b1', 'refused', 'b3']);
    assert.deepEqual([committed('b1'), committed('b2'), committed('b3')], [true, false, true]);
  });

  test('a thrown error rolls back only its own unit and rejects only its own promise', async () => {
    const kept = committer.run(insert('c1'), isRefusal);
    const thrown = committer.run(async (tx) => {
      await insert('c2')(tx);
      await insert('c1')(tx); // unique violation
      return 'not reached';
    }, isRefusal);
    const alsoKept = committer.run(insert('c3'), isRefusal);
    const results = await Promise.allSettled([kept, thrown, alsoKept]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual([committed('c1'), committed('c2'), committed('c3')], [true, false, true]);
  });

  test('when the COMMIT fails, every unit of the batch fails and nothing of it is stored', async () => {
    const innocent = committer.run(insert('d1'), isRefusal);
    const orphan = committer.run(async (tx) => {
      await tx.insertInto('child').values({ id: 1, parent_id: 99 }).execute();
      return 'orphan';
    }, isRefusal);
    const results = await Promise.allSettled([innocent, orphan]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(committed('d1'), false);
    // The committer goes on with the next batch.
    assert.equal(await committer.run(insert('d2'), isRefusal), 'd2');
    assert.equal(committed('d2'), true);
  });

  test('the queue of units waiting for a commit is bounded: past it a unit is refused at once', async () => {
    const small = createGroupCommitter(db, { isRetryable: () => false, attemptsMax: 1, limits: { unitsPerCommitMax: 1, unitsQueuedMax: 2 } });
    const first = small.run(insert('e1'), isRefusal);
    const second = small.run(insert('e2'), isRefusal);
    await assert.rejects(small.run(insert('e3'), isRefusal), StorageOverloadedError);
    assert.deepEqual(await Promise.all([first, second]), ['e1', 'e2']);
    await small.drained();
    assert.equal(committed('e3'), false);
  });

  test('a failed BEGIN or COMMIT that may be retried runs the whole batch again, a bounded number of times', async () => {
    let attempts = 0;
    const flaky = createGroupCommitter(db, { isRetryable: () => true, attemptsMax: 3 });
    const result = flaky.run(async (tx) => {
      attempts += 1;
      await insert(`f${attempts}`)(tx);
      if (attempts < 3) await tx.insertInto('child').values({ id: 10 + attempts, parent_id: 99 }).execute();
      return attempts;
    }, isRefusal);
    assert.equal(await result, 3);
    assert.deepEqual([committed('f1'), committed('f2'), committed('f3')], [false, false, true]);
  });
});

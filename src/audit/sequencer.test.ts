import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { openStorage, runTransaction, type Storage } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { consistencyProofPlan, type Hash, leafHash, nodesOfLeafHashes, openCheckpoint, proofFromPlan, signCheckpoint, TILE_WIDTH, treeHead, verifyConsistency } from '../translog/index.ts';
import { logKeys, pendingEntry, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { createSequencer, DEFAULT_SEQUENCER_LIMITS, type Sequencer } from './sequencer.ts';
import { AuditIntegrityError, bytesOf, nodeReader, readCheckpoints, readEntries, storedSize } from './store.ts';
import { testTables } from '../testing/tables.ts';

const keys = logKeys();
const clock = { nowMs: () => 1_760_000_000_000 };

function sequencerOn(storage: Storage, limits = DEFAULT_SEQUENCER_LIMITS): Promise<Sequencer> {
  return createSequencer({ db: storage.db, engine: storage.engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier, limits });
}

/** Every checkpoint extends the one before it: the consistency proof between each pair, read from the store, verifies. */
async function assertCheckpointsConsistent(db: Storage['db'], checkpoints: Awaited<ReturnType<typeof readCheckpoints>>): Promise<void> {
  for (let i = 1; i < checkpoints.length; i++) {
    const [p, q] = [checkpoints[i - 1]!, checkpoints[i]!];
    const plan = consistencyProofPlan(p.size, q.size);
    const proof = proofFromPlan(plan, await nodeReader(db, q.size)(plan.nodes));
    assert.ok(verifyConsistency({ size1: p.size, size2: q.size, root1: p.rootHash, root2: q.rootHash, proof }).ok, `checkpoint ${q.seq} extends ${p.seq}`);
  }
}

async function storedLeaves(storage: Storage): Promise<Hash[]> {
  const size = await storedSize(storage.db);
  return (await readEntries(storage.db, 0, size)).map((e) => e.leafHash);
}

describeOnEachEngine('audit sequencer', (ctx) => {
  let sequencer: Sequencer;
  before(async () => { sequencer = await sequencerOn(ctx.storage); });
  after(async () => { await sequencer.close(); });

  it('gives 600 entries appended together the indexes 0–599, each once, and stores their full tiles', async () => {
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => sequencer.append(pendingEntry(testEntry(i)))));
    assert.deepEqual(results.map((r) => (r.ok ? r.value : -1)).toSorted((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
    assert.equal(sequencer.size(), 600);
    assert.equal(await storedSize(ctx.storage.db), 600);
    const entries = await readEntries(ctx.storage.db, 0, 600);
    // Each entry sits at the index it was given, with its own leaf hash.
    results.forEach((r, i) => {
      assert.ok(r.ok);
      const stored = entries[r.value]!;
      assert.deepEqual(stored.entry, Buffer.from(pendingEntry(testEntry(i)).bytes));
      assert.deepEqual(stored.leafHash, leafHash(stored.entry));
    });
    const tiles = await testTables(ctx.storage.db).selectFrom('audit_tiles').selectAll().orderBy('level').orderBy('idx').execute();
    assert.deepEqual(tiles.map((t) => [t.level, t.idx]), [[0, 0], [0, 1]]);
    assert.deepEqual(bytesOf(tiles[1]!.hashes), Buffer.concat(entries.slice(TILE_WIDTH, 2 * TILE_WIDTH).map((e) => e.leafHash)));
  });

  it('acknowledges an entry only once another connection can read it', async () => {
    const other = openStorage(ctx.url);
    try {
      const result = await sequencer.append(pendingEntry(testEntry(600)));
      assert.ok(result.ok);
      assert.equal((await readEntries(other.db, result.value, result.value + 1)).length, 1);
    } finally {
      await other.close();
    }
  });

  it('signs a checkpoint of the stored tree, and none again until the tree grows', async () => {
    const first = await sequencer.checkpoint();
    assert.ok(first?.created === true);
    assert.equal(first.seq, 1);
    assert.equal(first.size, 601);
    const opened = openCheckpoint(first.note, TEST_ORIGIN, [keys.verifier]);
    assert.ok(opened.ok);
    assert.deepEqual(opened.value.checkpoint.rootHash, treeHead(601, nodesOfLeafHashes(await storedLeaves(ctx.storage))));
    const same = await sequencer.checkpoint();
    assert.equal(same?.created, false);
    assert.equal(same.seq, 1);
    await sequencer.append(pendingEntry(testEntry(601)));
    const second = await sequencer.checkpoint();
    assert.equal(second?.seq, 2);
    assert.equal(second.size, 602);
  });

  it('restarts from storage: the same tree, and appends and checkpoints continue it', async () => {
    await sequencer.close();
    assert.deepEqual(await sequencer.append(pendingEntry(testEntry(0))), { ok: false, error: { problem: 'closed', reason: 'the audit log is closed' } });
    sequencer = await sequencerOn(ctx.storage);
    assert.equal(sequencer.size(), 602);
    const next = await sequencer.append(pendingEntry(testEntry(602)));
    assert.deepEqual(next, { ok: true, value: 602 });
    const checkpoint = await sequencer.checkpoint();
    assert.equal(checkpoint?.seq, 3);
    assert.deepEqual(checkpoint.rootHash, treeHead(603, nodesOfLeafHashes(await storedLeaves(ctx.storage))));
  });

  it('refuses an append when its queue is full, without blocking', async () => {
    // One entry in its batch, two waiting: the queue is full.
    const small = await sequencerOn(ctx.storage, { batchWindowMs: 20, batchEntriesMax: 1, queueEntriesMax: 2 });
    try {
      const pending = Array.from({ length: 5 }, (_, i) => small.append(pendingEntry(testEntry(700 + i))));
      const results = await Promise.all(pending);
      assert.deepEqual(results.map((r) => r.ok), [true, true, true, false, false]);
      assert.equal(results[4]?.ok === false && results[4].error.problem, 'overloaded');
    } finally {
      await small.close();
    }
    await sequencer.checkpoint();
  });

  it('refuses to sign on top of a checkpoint the stored tree does not extend, and to start on it', async () => {
    // A checkpoint of another tree of the same size, signed with the log's own key: a fork.
    const size = await storedSize(ctx.storage.db);
    const forkedRoot = leafHash(Buffer.from('another history'));
    const seq = (await readCheckpoints(ctx.storage.db, 0, 100)).length + 1;
    await testTables(ctx.storage.db).insertInto('audit_checkpoints').values({
      seq, size, root_hash: forkedRoot, note: signCheckpoint({ origin: TEST_ORIGIN, size, rootHash: forkedRoot, extensions: [] }, [keys.signer]), created_at_ms: clock.nowMs(),
    }).execute();
    await sequencer.append(pendingEntry(testEntry(800)));
    await assert.rejects(sequencer.checkpoint(), (error: unknown) => error instanceof AuditIntegrityError && error.message.includes('does not extend checkpoint'));
    await assert.rejects(sequencerOn(ctx.storage), AuditIntegrityError);
  });
});

describeOnEachEngine('audit sequencer: two hub processes on one database', (ctx) => {
  it('assign unique, gap-free indexes while both append and checkpoint at once, and every checkpoint extends the one before', async () => {
    const second = openStorage(ctx.url);
    const [a, b] = [await sequencerOn(ctx.storage), await sequencerOn(second)];
    try {
      const perProcess = 300;
      const roundSize = 10;
      // Rounds of ten appends, each round awaited: each process commits many batches, between the other's.
      const appendAll = async (s: Sequencer, offset: number) => {
        const appended: { index: number; leafHash: Hash }[] = [];
        for (let round = 0; round < perProcess / roundSize; round++) {
          appended.push(...await Promise.all(Array.from({ length: roundSize }, async (_, i) => {
            const entry = pendingEntry(testEntry(offset + round * roundSize + i));
            const result = await s.append(entry);
            assert.ok(result.ok);
            return { index: result.value, leafHash: entry.leafHash };
          })));
          // Both processes sign as they go.
          if (round % 5 === 4) await s.checkpoint();
        }
        return appended;
      };
      const [fromA, fromB] = await Promise.all([appendAll(a, 0), appendAll(b, 10_000)]);
      const all = [...fromA, ...fromB];
      // The batches interleaved, so each process appended after the other had: it caught up before appending.
      const [indexesA, indexesB] = [fromA.map((x) => x.index), fromB.map((x) => x.index)];
      assert.ok(Math.max(...indexesA) > Math.min(...indexesB) && Math.max(...indexesB) > Math.min(...indexesA), 'the two processes\' batches interleave');
      assert.deepEqual(all.map((x) => x.index).toSorted((p, q) => p - q), Array.from({ length: 2 * perProcess }, (_, i) => i));
      const leaves = await storedLeaves(ctx.storage);
      for (const { index, leafHash: hash } of all) assert.deepEqual(leaves[index], hash, `entry ${index} is the one appended there`);

      // Each process's tree caught up with the other's entries: a last checkpoint from either covers all of them.
      const last = await b.checkpoint();
      assert.equal(last?.size, 2 * perProcess);
      assert.deepEqual(last.rootHash, treeHead(leaves.length, nodesOfLeafHashes(leaves)));
      const checkpoints = await readCheckpoints(ctx.storage.db, 0, 1000);
      assert.deepEqual(checkpoints.map((c) => c.seq), checkpoints.map((_, i) => i + 1));
      for (let i = 1; i < checkpoints.length; i++) assert.ok(checkpoints[i - 1]!.size < checkpoints[i]!.size, 'a checkpoint is only signed when the tree grew');
      await assertCheckpointsConsistent(ctx.storage.db, checkpoints);
    } finally {
      await a.close();
      await b.close();
      await second.close();
    }
  });
});

describeOnEachEngine('audit entries appended in the transaction of the change they record', (ctx) => {
  it('commit with it or not at all, gap-free among batched appends of two hub processes, and every checkpoint extends the one before', async () => {
    await sql`create table test_changes (id text primary key)`.execute(ctx.storage.db);
    const second = openStorage(ctx.url);
    const [a, b] = [await sequencerOn(ctx.storage), await sequencerOn(second)];
    try {
      const rounds = 12;
      const committed: { index: number; leafHash: Hash; change: string }[] = [];
      const batched: { index: number; leafHash: Hash }[] = [];
      const rolledBack: string[] = [];
      const run = async (s: Sequencer, storage: Storage, offset: number) => {
        for (let round = 0; round < rounds; round++) {
          await Promise.all(Array.from({ length: 6 }, async (_, i) => {
            const n = offset + round * 10 + i;
            const entry = pendingEntry(testEntry(n));
            if (i < 2) {
              const result = await s.append(entry);
              assert.ok(result.ok);
              batched.push({ index: result.value, leafHash: entry.leafHash });
              return;
            }
            const change = `change-${n}`;
            const fails = i === 5;
            try {
              const index = await runTransaction(storage.db, storage.engine, async (tx) => {
                await sql`insert into test_changes (id) values (${change})`.execute(tx);
                // Last in the transaction, as the domain guards' commit hook appends it.
                const at = await s.appendInTransaction(tx, entry);
                if (fails) throw new Error('the change failed after its entry was appended');
                return at;
              });
              committed.push({ index, leafHash: entry.leafHash, change });
            } catch (error) {
              assert.ok(fails, String(error));
              rolledBack.push(change);
            }
          }));
          if (round % 4 === 3) await s.checkpoint();
        }
      };
      await Promise.all([run(a, ctx.storage, 0), run(b, second, 10_000)]);
      const total = committed.length + batched.length;
      assert.equal(committed.length, 2 * rounds * 3);
      assert.equal(rolledBack.length, 2 * rounds);
      // Indexes unique and gap-free across both kinds of append and both processes; no index for a rolled-back change.
      assert.deepEqual([...committed, ...batched].map((x) => x.index).toSorted((p, q) => p - q), Array.from({ length: total }, (_, i) => i));
      assert.equal(await storedSize(ctx.storage.db), total);
      const leaves = await storedLeaves(ctx.storage);
      for (const { index, leafHash: hash } of [...committed, ...batched]) assert.deepEqual(leaves[index], hash, `entry ${index} is the one appended there`);
      const changes = (await sql<{ id: string }>`select id from test_changes`.execute(ctx.storage.db)).rows.map((r) => r.id);
      assert.deepEqual(changes.toSorted(), committed.map((c) => c.change).toSorted(), 'exactly the changes whose entries committed');
      // Either process's tree catches up with entries it never saw committed: a last checkpoint covers all of them.
      const last = await a.checkpoint();
      assert.equal(last?.size, total);
      assert.deepEqual(last.rootHash, treeHead(leaves.length, nodesOfLeafHashes(leaves)));
      await assertCheckpointsConsistent(ctx.storage.db, await readCheckpoints(ctx.storage.db, 0, 1000));
    } finally {
      await a.close();
      await b.close();
      await second.close();
    }
  });
});

// Issue 7's done-when: each tampering below, done in the database the way an
// insider with the database's administrator rights would (past the
// append-only triggers), is detected and named by the verifier reading an
// export of the tampered log with only the log's pinned key: one byte changed
// in a stored entry, an entry deleted, two entries swapped, the tail
// truncated and re-appended, and a fork (two inconsistent checkpoints signed
// with the hub's key). On both engines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Engine, Storage } from '../storage/index.ts';
import { freshStorage, postgresUnavailable, skippedOnPostgres } from '../testing/engines.ts';
import { describeSubject, directorySource, type Hash, leafHash, nodesOfLeafHashes, signCheckpoint, treeHead, verifyLog, type VerifyReport } from '../translog/index.ts';
import { exportLog } from './export.ts';
import { logKeys, pendingEntry, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { createSequencer } from './sequencer.ts';
import { bytesOf, readCheckpoints, readEntries } from './store.ts';
import { AUDIT_APPEND_ONLY_TABLES } from './tables.ts';
import { testTables } from '../testing/tables.ts';

const keys = logKeys();
const clock = { nowMs: () => 1_760_000_000_000 };
/** Two full level-0 tiles (0–511) and a partial one (512–599), checkpointed every 50 entries. */
const ENTRIES = 600;
const CHECKPOINT_EVERY = 50;

interface Log {
  readonly storage: Storage;
  readonly engine: Engine;
  dispose(): Promise<void>;
}

async function freshLog(engine: Engine): Promise<Log> {
  const { storage, dispose } = await freshStorage(engine);
  const sequencer = await createSequencer({ db: storage.db, engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
  for (let from = 0; from < ENTRIES; from += CHECKPOINT_EVERY) {
    await Promise.all(Array.from({ length: CHECKPOINT_EVERY }, (_, i) => sequencer.append(pendingEntry(testEntry(from + i)))));
    await sequencer.checkpoint();
  }
  await sequencer.close();
  return { storage, engine, dispose };
}

/** As a database administrator: the append-only triggers are out of the way while `work` runs. */
async function asDatabaseAdministrator(log: Log, work: (db: Storage['db']) => Promise<void>): Promise<void> {
  const { db } = log.storage;
  const tables = [...AUDIT_APPEND_ONLY_TABLES, 'audit_log_state'];
  if (log.engine === 'postgres') {
    for (const table of tables) await sql`alter table ${sql.table(table)} disable trigger user`.execute(db);
    await work(db);
    for (const table of tables) await sql`alter table ${sql.table(table)} enable trigger user`.execute(db);
    return;
  }
  const triggers = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name like 'audit_%'`.execute(db);
  for (const { name } of triggers.rows) await sql`drop trigger ${sql.raw(name)}`.execute(db);
  await work(db);
  for (const trigger of triggers.rows) await sql.raw(trigger.sql).execute(db);
}

async function exportedAndVerified(log: Log, held: { label: string; note: string }[] = []): Promise<VerifyReport> {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-tamper-'));
  try {
    await exportLog(log.storage.db, join(dir, 'export'));
    return await verifyLog(directorySource(join(dir, 'export')), { logKey: keys.verifier, heldCheckpoints: held });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function first(report: VerifyReport): string {
  assert.equal(report.ok, false, 'the verifier must fail');
  const problem = report.problems[0];
  assert.ok(problem !== undefined);
  return `${describeSubject(problem.subject)}: ${problem.message}`;
}

/** Replaces an entry row (bytes, leaf hash and search columns) as the tamperer writes it. */
async function putEntry(db: Storage['db'], index: number, entry: ReturnType<typeof pendingEntry>, leaf = entry.leafHash): Promise<void> {
  await testTables(db).insertInto('audit_entries').values({
    idx: index, leaf_hash: leaf, entry: entry.bytes, kind: entry.kind, actor: entry.actor, action: entry.action,
    target_type: entry.targetType, target_id: entry.targetId, time_ms: entry.timeMs,
  }).execute();
}

/** The entry's bytes with one digit of its time changed: still a well-formed, canonical entry. */
function oneByteChanged(bytes: Buffer): Buffer {
  const changed = Buffer.from(bytes);
  const at = changed.indexOf('"timeMs":') + '"timeMs":'.length + 5;
  changed[at] = changed[at] === 0x39 ? 0x30 : (changed[at] ?? 0x30) + 1;
  return changed;
}

function tamperSuite(engine: Engine): void {
  describe(`audit verify names the tampering [${engine}]`, () => {
    it('an untouched log verifies: every signature, every checkpoint, every entry', async () => {
      const log = await freshLog(engine);
      try {
        const report = await exportedAndVerified(log);
        assert.deepEqual(report.problems, []);
        assert.deepEqual([report.ok, report.size, report.checkpoints], [true, ENTRIES, ENTRIES / CHECKPOINT_EVERY]);
      } finally {
        await log.dispose();
      }
    });

    it('one byte changed in a stored entry: names the entry', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => {
          for (const index of [123, 580]) {
            const [stored] = await readEntries(db, index, index + 1);
            await testTables(db).updateTable('audit_entries').set({ entry: oneByteChanged(stored!.entry) }).where('idx', '=', index).execute();
          }
        });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^entry 123: was altered: its bytes hash to [0-9a-f]{64}, but the signed tree has [0-9a-f]{64} there/);
      } finally {
        await log.dispose();
      }
    });

    it('one byte changed in the newest entries, with their stored hashes rewritten to match: names the checkpoint and the entries between it and the last it verifies', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => {
          const [stored] = await readEntries(db, 580, 581);
          const changed = oneByteChanged(stored!.entry);
          await testTables(db).updateTable('audit_entries').set({ entry: changed, leaf_hash: leafHash(changed) }).where('idx', '=', 580).execute();
        });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^checkpoint #12: signs 600 entries, and the entries do not reproduce its root, though they reproduce the checkpoint of 550\. An entry from 550 to 599 was altered/);
        assert.ok(report.problems.some((p) => p.subject.kind === 'entries' && p.subject.from === 550 && p.subject.to === 600));
      } finally {
        await log.dispose();
      }
    });

    it('an entry deleted: names it, and sees the entries after it moved up', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => { await testTables(db).deleteFrom('audit_entries').where('idx', '=', 200).execute(); });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^entry 200: is missing: the entry stored at 200 is the signed tree's entry 201/);
      } finally {
        await log.dispose();
      }
    });

    it('two entries swapped: names both', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => {
          const [a] = await readEntries(db, 10, 11);
          const [b] = await readEntries(db, 300, 301);
          await testTables(db).deleteFrom('audit_entries').where('idx', 'in', [10, 300]).execute();
          await putEntry(db, 10, pendingEntry(testEntry(300)));
          await putEntry(db, 300, pendingEntry(testEntry(10)));
          assert.ok(a !== undefined && b !== undefined);
        });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^entry 10: is swapped with entry 300/);
      } finally {
        await log.dispose();
      }
    });

    it('the tail truncated: names the first entry missing', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => { await testTables(db).deleteFrom('audit_entries').where('idx', '>=', 530).execute(); });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^entries 530–599: are missing: checkpoint #11 signs 550 entries, and the latest 600/);
      } finally {
        await log.dispose();
      }
    });

    it('the tail truncated and re-appended, checkpoints kept: names the first checkpoint the entries no longer reproduce, and the entries after the last they do', async () => {
      const log = await freshLog(engine);
      try {
        await asDatabaseAdministrator(log, async (db) => {
          await testTables(db).deleteFrom('audit_entries').where('idx', '>=', 560).execute();
          // Different entries at the same indexes, with their own (correct) leaf hashes.
          for (let index = 560; index < ENTRIES; index++) await putEntry(db, index, pendingEntry(testEntry(index, { actor: 'someone-else' })));
        });
        const report = await exportedAndVerified(log);
        assert.match(first(report), /^checkpoint #12: signs 600 entries, and the entries do not reproduce its root, though they reproduce the checkpoint of 550/);
        const range = report.problems.find((p) => p.subject.kind === 'entries');
        assert.ok(range?.subject.kind === 'entries' && range.subject.from <= 560 && 560 < range.subject.to, 'the named entries hold the first rewritten one');
      } finally {
        await log.dispose();
      }
    });

    it('the tail truncated and re-appended through a restarted hub, its checkpoints rewritten too: a checkpoint the auditor kept names the fork', async () => {
      const log = await freshLog(engine);
      try {
        const kept = (await readCheckpoints(log.storage.db, 0, 100)).at(-1)!;
        assert.equal(kept.size, ENTRIES);
        await asDatabaseAdministrator(log, async (db) => {
          await testTables(db).deleteFrom('audit_entries').where('idx', '>=', 560).execute();
          await testTables(db).deleteFrom('audit_tiles').where('level', '=', 0).where('idx', '>=', 2).execute();
          await testTables(db).deleteFrom('audit_checkpoints').where('size', '>', 550).execute();
          await testTables(db).updateTable('audit_log_state').set({ size: 560 }).execute();
        });
        // The hub starts on the rewritten history (it cannot know), appends other entries, and signs on.
        const sequencer = await createSequencer({ db: log.storage.db, engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
        await Promise.all(Array.from({ length: 60 }, (_, i) => sequencer.append(pendingEntry(testEntry(560 + i, { actor: 'someone-else' })))));
        assert.equal((await sequencer.checkpoint())?.size, 620);
        await sequencer.close();

        const without = await exportedAndVerified(log);
        assert.equal(without.ok, true, 'a rewritten history is consistent in itself: only a checkpoint kept elsewhere exposes it');
        const report = await exportedAndVerified(log, [{ label: 'kept-2025-10-09.txt', note: kept.note }]);
        assert.match(first(report), /^checkpoint kept-2025-10-09\.txt: signs 600 entries inconsistently with checkpoint #\d+ \(620 entries\), which the entries reproduce: the log's key signed two different histories \(a fork\)/);
      } finally {
        await log.dispose();
      }
    });

    it('a fork: a second checkpoint of another history signed with the hub key, stored as the latest: names it', async () => {
      const log = await freshLog(engine);
      try {
        const otherHistory = Array.from({ length: 580 }, (_, i) => pendingEntry(testEntry(i, { actor: i === 400 ? 'mallory' : `operator-${i % 3}` })).leafHash);
        const rootHash = treeHead(580, nodesOfLeafHashes(otherHistory));
        await testTables(log.storage.db).insertInto('audit_checkpoints').values({
          seq: 13, size: 580, root_hash: rootHash, note: signCheckpoint({ origin: TEST_ORIGIN, size: 580, rootHash, extensions: [] }, [keys.signer]), created_at_ms: clock.nowMs(),
        }).execute();
        const report = await exportedAndVerified(log);
        // Size 580 is below the genuine checkpoint #12 (600), which the entries reproduce: two histories, one key.
        assert.match(first(report), /^checkpoint #13: signs 580 entries, fewer than checkpoint #12 before it \(600\): the log went back/);
        assert.ok(report.problems.some((p) => p.subject.kind === 'checkpoint' && p.subject.label === '#13' && p.message.includes('a fork')));
      } finally {
        await log.dispose();
      }
    });

    it('a fork: a checkpoint of another history the hub key signed, shown to an auditor: names it', async () => {
      const log = await freshLog(engine);
      try {
        const stored = await readEntries(log.storage.db, 0, 300);
        const leaves: Hash[] = stored.map((e) => e.leafHash);
        leaves[42] = leafHash(Buffer.from('what the auditor was shown'));
        const rootHash = treeHead(300, nodesOfLeafHashes(leaves));
        const shown = signCheckpoint({ origin: TEST_ORIGIN, size: 300, rootHash, extensions: [] }, [keys.signer]);
        const report = await exportedAndVerified(log, [{ label: 'shown.txt', note: shown }]);
        assert.match(first(report), /^checkpoint shown\.txt: signs 300 entries inconsistently with checkpoint #\d+ \(\d+ entries\), which the entries reproduce: the log's key signed two different histories \(a fork\)/);
        assert.ok(bytesOf(stored[0]!.entry).length > 0);
      } finally {
        await log.dispose();
      }
    });
  });
}

tamperSuite('sqlite');
const postgresMissing = await postgresUnavailable();
if (postgresMissing === undefined) tamperSuite('postgres');
else skippedOnPostgres('audit verify names the tampering [postgres]');

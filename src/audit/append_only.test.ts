// Nothing in the application can change or remove what the audit log holds:
// the triggers of migration 0030 refuse it on both engines, even to the
// tables' owner, and on PostgreSQL the writer role holds no UPDATE or DELETE
// at all.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStorage } from '../storage/index.ts';
import { describeOnEachEngine, TEST_POSTGRES_URL } from '../testing/engines.ts';
import { logKeys, pendingEntry, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { createSequencer } from './sequencer.ts';
import { storedSize } from './store.ts';
import { AUDIT_APPEND_ONLY_TABLES, AUDIT_WRITER_ROLE } from './tables.ts';
import { createCosigner, parseNote, signText } from '../translog/index.ts';
import { testTables } from '../testing/tables.ts';

const keys = logKeys();
const clock = { nowMs: () => 1_760_000_000_000 };

describeOnEachEngine('audit log: append-only storage', (ctx) => {
  before(async () => {
    const sequencer = await createSequencer({ db: ctx.storage.db, engine: ctx.storage.engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
    await Promise.all(Array.from({ length: 300 }, (_, i) => sequencer.append(pendingEntry(testEntry(i)))));
    const checkpoint = await sequencer.checkpoint();
    assert.ok(checkpoint !== undefined);
    await sequencer.close();
    // A cosignature row, so that every table has one to refuse changing.
    const witness = createCosigner('witness.example', generateKeyPairSync('ed25519').privateKey, clock);
    const parsed = parseNote(checkpoint.note);
    assert.ok(parsed.ok);
    const [cosignature] = signText(parsed.value.text, [witness]);
    await testTables(ctx.storage.db).insertInto('audit_cosignatures').values({
      checkpoint_seq: checkpoint.seq, witness: witness.name, key_id: witness.keyId, signature: cosignature!.signature, received_at_ms: clock.nowMs(),
    }).execute();
  });

  for (const table of AUDIT_APPEND_ONLY_TABLES) {
    it(`refuses UPDATE and DELETE of ${table}, even to its owner`, async () => {
      const { db } = ctx.storage;
      const before = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
      assert.ok(Number(before.rows[0]?.n) > 0);
      const column = table === 'audit_cosignatures' ? 'received_at_ms' : table === 'audit_checkpoints' ? 'created_at_ms' : 'idx';
      await assert.rejects(sql`update ${sql.table(table)} set ${sql.ref(column)} = ${sql.ref(column)}`.execute(db), /append-only/);
      await assert.rejects(sql`delete from ${sql.table(table)}`.execute(db), /append-only/);
      if (ctx.engine === 'postgres') await assert.rejects(sql`truncate ${sql.table(table)} cascade`.execute(db), /append-only/);
      const afterwards = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
      assert.equal(Number(afterwards.rows[0]?.n), Number(before.rows[0]?.n));
    });
  }

  it('lets the sequence only grow, and never go away', async () => {
    const { db } = ctx.storage;
    const size = await storedSize(db);
    await assert.rejects(testTables(db).updateTable('audit_log_state').set({ size: size - 1 }).where('id', '=', 1).execute(), /never shrinks/);
    await assert.rejects(testTables(db).deleteFrom('audit_log_state').execute(), /never shrinks/);
    if (ctx.engine === 'postgres') await assert.rejects(sql`truncate audit_log_state`.execute(db), /append-only/);
    // Raising it is what every batch does (the sequencer raises it with the rows, in one transaction).
    await testTables(db).updateTable('audit_log_state').set({ size }).where('id', '=', 1).execute();
    assert.equal(await storedSize(db), size);
  });

  if (ctx.engine === 'postgres') {
    describeWriterRole(ctx);
  }
});

function describeWriterRole(ctx: { url: string; storage: { db: unknown } }): void {
  const login = `interlock_test_hub_${randomBytes(4).toString('hex')}`;
  let client: pg.Client | undefined;

  before(async () => {
    const admin = new pg.Client({ connectionString: ctx.url });
    await admin.connect();
    try {
      const database = new URL(ctx.url).pathname.slice(1);
      // The operator's set-up (README): a login role for the hub, a member of the writer role, owning nothing.
      await admin.query(`create role ${login} login`);
      await admin.query(`grant ${AUDIT_WRITER_ROLE} to ${login}`);
      await admin.query(`grant connect on database ${database} to ${login}`);
    } finally {
      await admin.end();
    }
    const url = new URL(ctx.url);
    url.username = login;
    client = new pg.Client({ connectionString: url.toString() });
    // The suite's database is dropped with force at its end, which ends this connection from the server's side.
    client.on('error', () => undefined);
    await client.connect();
  });

  after(async () => {
    await client?.end().catch(() => undefined);
    // The suite's database may already be gone (its own after hook drops it); the role is the cluster's.
    const maintenance = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await maintenance.connect();
    try {
      const database = new URL(ctx.url).pathname.slice(1);
      const exists = await maintenance.query('select 1 from pg_database where datname = $1', [database]);
      if (exists.rowCount === 1) await maintenance.query(`revoke connect on database ${database} from ${login}`);
      await maintenance.query(`drop role if exists ${login}`);
    } finally {
      await maintenance.end();
    }
  });

  it('the writer role exists after the migration, and a member of it can append and raise the sequence', async () => {
    assert.ok(client !== undefined);
    await client.query('begin');
    const { rows } = await client.query<{ size: string }>('select size from audit_log_state where id = 1 for update');
    const size = Number(rows[0]?.size);
    const entry = pendingEntry(testEntry(size));
    await client.query(
      'insert into audit_entries (idx, leaf_hash, entry, kind, actor, action, target_type, target_id, time_ms) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [size, Buffer.from(entry.leafHash), Buffer.from(entry.bytes), entry.kind, entry.actor, entry.action, entry.targetType, entry.targetId, entry.timeMs],
    );
    await client.query('update audit_log_state set size = $1 where id = 1', [size + 1]);
    await client.query('commit');
  });

  it('a hub connected as a member of the writer role appends and signs checkpoints', async () => {
    const url = new URL(ctx.url);
    url.username = login;
    const storage = openStorage(url.toString());
    try {
      const sequencer = await createSequencer({ db: storage.db, engine: 'postgres', clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
      const appended = await sequencer.append(pendingEntry(testEntry(1000)));
      assert.ok(appended.ok);
      assert.equal((await sequencer.checkpoint())?.size, appended.value + 1);
      await sequencer.close();
    } finally {
      await storage.close();
    }
  });

  for (const table of AUDIT_APPEND_ONLY_TABLES) {
    it(`a member of the writer role has no UPDATE, DELETE or TRUNCATE on ${table}: permission denied, before any trigger`, async () => {
      assert.ok(client !== undefined);
      const column = table === 'audit_cosignatures' ? 'received_at_ms' : table === 'audit_checkpoints' ? 'created_at_ms' : 'idx';
      for (const statement of [`update ${table} set ${column} = ${column}`, `delete from ${table}`, `truncate ${table}`]) {
        await assert.rejects(client.query(statement), (error: unknown) => (error as { code?: string }).code === '42501' && (error as Error).message.includes('permission denied'), statement);
      }
    });
  }

  it('a member of the writer role cannot delete the sequence, disable a trigger, or change the id of its row', async () => {
    assert.ok(client !== undefined);
    await assert.rejects(client.query('delete from audit_log_state'), /permission denied/);
    await assert.rejects(client.query('update audit_log_state set id = 2'), /permission denied/);
    await assert.rejects(client.query('alter table audit_entries disable trigger audit_entries_append_only'), /must be owner/);
  });
}

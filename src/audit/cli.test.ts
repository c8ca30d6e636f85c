// `interlock audit …` end to end on SQLite: a hub's log with a witness, the
// export, and the verifier an auditor runs on it, passing and failing.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../config/index.ts';
import { openStorage } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { systemClock } from '../support/clock.ts';
import { cosignatureVerifierKey } from '../translog/index.ts';
import { runWitnessCommand, startWitness } from '../witness/index.ts';
import { runAuditCommand } from './cli.ts';
import { createAuditLogFromConfig } from './from_config.ts';
import { capturedLogger, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { testTables } from '../testing/tables.ts';

function output() {
  const out = { stdout: '', stderr: '' };
  return { out, sink: { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; } } };
}

async function audit(args: string[], config: Config): Promise<{ code: number; stdout: string; stderr: string }> {
  const { out, sink } = output();
  const code = await runAuditCommand(args, config, sink, new Map([['witness', runWitnessCommand]]));
  return { code, ...out };
}

describe('interlock audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-audit-cli-'));
  const configOf = (witnesses: { url: string; verifierKey: string }[] = []) => loadConfig({
    env: {},
    overrides: { dataDir: join(dir, 'data'), 'storage.url': join(dir, 'data', 'interlock.sqlite'), 'audit.origin': TEST_ORIGIN, 'audit.witnesses': witnesses, 'log.level': 'silent' },
  });
  let config = configOf();
  let logKey: string;
  let witness: Awaited<ReturnType<typeof startWitness>>;

  before(async () => {
    logKey = (await audit(['key'], config)).stdout.trim();
    const { sink } = output();
    witness = await startWitness(['--listen', '127.0.0.1:0', '--log-key', logKey, '--key', join(dir, 'witness.pem'), '--name', 'witness.regulator.example'], config, sink);
    config = configOf([{ url: witness.url, verifierKey: witness.verifierKey }]);
    // A hub that appended 300 entries and checkpointed them (its timer, or `audit checkpoint`).
    const storage = openStorage(config.storage.url);
    await storage.migrate(MIGRATIONS);
    const auditLog = await createAuditLogFromConfig(config, { db: storage.db, engine: storage.engine, clock: systemClock, log: capturedLogger().log });
    await Promise.all(Array.from({ length: 300 }, (_, i) => auditLog.append(testEntry(i))));
    await auditLog.close();
    await storage.close();
  });
  after(async () => {
    await witness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('key prints the log\'s verifier key, the same each time', async () => {
    const again = await audit(['key'], config);
    assert.deepEqual([again.code, again.stdout.trim()], [0, logKey]);
    assert.match(logKey, /^hub\.example\/interlock\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  });

  it('checkpoint signs the stored log and has the witness cosign it', async () => {
    const storage = openStorage(config.storage.url);
    const auditLog = await createAuditLogFromConfig(config, { db: storage.db, engine: storage.engine, clock: systemClock, log: capturedLogger().log });
    await auditLog.append(testEntry(300));
    await auditLog.close();
    await storage.close();
    const result = await audit(['checkpoint'], config);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^hub\.example\/interlock\/audit\n301\n[A-Za-z0-9+/]{43}=\n\n\u2014 hub\.example\/interlock\/audit \S+\n\u2014 witness\.regulator\.example \S+\n$/);
  });

  it('export writes the tlog-tiles layout, and verify passes it with the pinned log and witness keys', async () => {
    const exported = await audit(['export', join(dir, 'export-1')], config);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^exported 301 entries \(2 entry bundles, 3 tiles\) and \d+ checkpoints/);
    const verified = await audit(['verify', '--dir', join(dir, 'export-1'), '--key', logKey, '--witness-key', witness.verifierKey], config);
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, /OK: every checkpoint is signed by the pinned key, the checkpoints form one history, and all 301 entries are in the tree the latest checkpoint signs/);
    const again = await audit(['export', join(dir, 'export-1')], config);
    assert.deepEqual([again.code, again.stderr.includes('is not empty')], [1, true]);
  });

  it('verify fails, exit 1, naming the entry, when a stored entry was deleted', async () => {
    const storage = openStorage(config.storage.url);
    const triggers = await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' and name = 'audit_entries_no_delete'`.execute(storage.db);
    await sql`drop trigger audit_entries_no_delete`.execute(storage.db);
    await testTables(storage.db).deleteFrom('audit_entries').where('idx', '=', 77).execute();
    await sql.raw(triggers.rows[0]!.sql).execute(storage.db);
    await storage.close();
    const exported = await audit(['export', join(dir, 'export-2')], config);
    assert.equal(exported.code, 1, 'the export warns that storage is missing rows');
    const verified = await audit(['verify', '--dir', join(dir, 'export-2'), '--key', logKey], config);
    assert.equal(verified.code, 1);
    assert.match(verified.stdout, /^FAILED: entry 77: is missing: the entry stored at 77 is the signed tree's entry 78/m);
    const json = await audit(['verify', '--dir', join(dir, 'export-2'), '--key', logKey, '--json'], config);
    const report = JSON.parse(json.stdout) as { ok: boolean; problems: { subject: string }[] };
    assert.deepEqual([report.ok, report.problems[0]?.subject], [false, 'entry 77']);
  });

  it('verify fails with another log key, or a witness quorum the checkpoint lacks; and a held checkpoint joins the check', async () => {
    const stranger = (await audit(['key'], { ...config, dataDir: join(dir, 'other'), audit: { ...config.audit, keyFile: undefined } })).stdout.trim();
    const wrongKey = await audit(['verify', '--dir', join(dir, 'export-1'), '--key', stranger], config);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stdout, /FAILED: checkpoint latest: not a checkpoint signed by the pinned log key/);
    const otherWitness = (await audit(['key'], { ...config, dataDir: join(dir, 'w2'), audit: { ...config.audit, origin: 'witness.two.example', keyFile: undefined } })).stdout.trim();
    // A log verifier key is not a cosignature key: refused as usage.
    assert.equal((await audit(['verify', '--dir', join(dir, 'export-1'), '--key', logKey, '--witness-key', otherWitness], config)).code, 2);
    const absent = cosignatureVerifierKey('witness.absent.example', generateKeyPairSync('ed25519').publicKey);
    const quorum = await audit(['verify', '--dir', join(dir, 'export-1'), '--key', logKey, '--witness-key', witness.verifierKey, '--witness-key', absent], config);
    assert.equal(quorum.code, 1);
    assert.match(quorum.stdout, /FAILED: checkpoint latest: cosigned by 1 of the 2 pinned witnesses; 2 required/);
    const one = await audit(['verify', '--dir', join(dir, 'export-1'), '--key', logKey, '--witness-key', witness.verifierKey, '--witness-key', absent, '--witness-quorum', '1'], config);
    assert.equal(one.code, 0, one.stdout);
    const held = join(dir, 'held.txt');
    writeFileSync(held, (await audit(['checkpoint'], config)).stdout);
    const withHeld = await audit(['verify', '--dir', join(dir, 'export-1'), '--key', logKey, '--checkpoint', held], config);
    assert.equal(withHeld.code, 0, withHeld.stdout);
  });

  it('answers usage errors with exit 2 and the usage', async () => {
    for (const args of [[], ['verify', '--key', logKey], ['verify', '--dir', dir], ['export'], ['nonsense'], ['witness', '--listen', 'nowhere']]) {
      const result = await audit(args, config);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr + result.stdout, /Usage: interlock audit/);
    }
  });
});

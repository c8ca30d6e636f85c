// The audit log as the hub uses it: appends, the checkpoint timer, and
// witnesses cosigning over loopback.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createAuditLog, type AuditLog } from './audit_log.ts';
import { auditText, type Fetch, openCheckpoint, openNote, parseCosignatureVerifierKey, parseEd25519VerifierKey, type Witness } from '../translog/index.ts';
import { capturedLogger, logKeys, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { publishedCheckpoint, readCheckpoints } from './store.ts';
import { createWitnessServer, type WitnessServer } from '../witness/index.ts';

const keys = logKeys();
const clock = { nowMs: () => Date.now() };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describeOnEachEngine('audit log', (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-audit-log-'));
  const captured = capturedLogger();
  const witnessKey = generateKeyPairSync('ed25519');
  let server: WitnessServer;
  let witness: Witness;
  let auditLog: AuditLog;
  let witnessDown = false;
  let answerConflictAtOldSize = false;
  let onDownRequest: (() => void) | undefined;
  /** Settles at the `count`th request to the witness while it is down, from now (the checkpoint ticks make them). */
  const requestsWhileDown = (count: number) => new Promise<void>((resolve) => {
    let left = count;
    onDownRequest = () => {
      left -= 1;
      if (left > 0) return;
      onDownRequest = undefined;
      resolve();
    };
  });
  // The real fetch, unless the test takes the witness down or makes it claim another tree.
  const fetchThroughSwitch: Fetch = async (input, init) => {
    if (witnessDown) {
      onDownRequest?.();
      throw new TypeError('fetch failed: connect ECONNREFUSED');
    }
    if (answerConflictAtOldSize) {
      const oldSize = /^old ([0-9]+)\n/.exec(typeof init?.body === 'string' ? init.body : '')?.[1] ?? '0';
      return new Response(`${oldSize}\n`, { status: 409, headers: { 'content-type': 'text/x.tlog.size' } });
    }
    return fetch(input, init);
  };

  before(async () => {
    server = createWitnessServer({
      name: 'witness.payerfsp.example', privateKey: witnessKey.privateKey, publicKey: witnessKey.publicKey,
      logs: new Map([[TEST_ORIGIN, [keys.verifier]]]), statePath: join(dir, 'witness.json'), clock, log: captured.log,
    });
    const url = await server.listen('127.0.0.1', 0);
    const verifier = parseCosignatureVerifierKey(server.verifierKey);
    assert.ok(verifier.ok);
    witness = { url, verifier: verifier.value };
    auditLog = await createAuditLog({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, log: captured.log, origin: TEST_ORIGIN, privateKey: keys.privateKey,
      checkpointIntervalMs: 100, witnesses: [witness], fetch: fetchThroughSwitch,
    });
  });
  after(async () => {
    await auditLog.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the verifier key auditors pin', () => {
    assert.equal(auditLog.verifierKey, keys.verifierKey);
    assert.ok(parseEd25519VerifierKey(auditLog.verifierKey).ok);
  });

  it('appends, signs a checkpoint at the interval by itself, and the witness cosigns it', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => auditLog.append(testEntry(i))));
    assert.deepEqual(results.map((r) => r.ok && r.value), Array.from({ length: 20 }, (_, i) => i));
    const published = await until('a checkpoint of 20 entries, cosigned', async () => {
      const p = await publishedCheckpoint(ctx.storage.db);
      return p?.checkpoint.size === 20 && p.note.split('\u2014').length === 3 ? p : undefined;
    });
    const byLog = openCheckpoint(published.note, TEST_ORIGIN, [keys.verifier]);
    assert.ok(byLog.ok);
    const byWitness = openNote(published.note, [witness.verifier]);
    assert.ok(byWitness.ok, 'the published checkpoint carries the witness\'s cosignature');
  });

  it('refuses an entry too large for a tlog-tiles bundle, as a value', async () => {
    const result = await auditLog.append(testEntry(0, { after: { note: auditText('x'.repeat(70_000)) } }));
    assert.ok(!result.ok && result.error.problem === 'entry-too-large');
  });

  it('reports a witness that is down once, and has it cosign the latest checkpoint when it is back', async () => {
    witnessDown = true;
    await auditLog.append(testEntry(20));
    const checkpoint = await auditLog.checkpointNow();
    assert.equal(checkpoint?.size, 21);
    await until('the witness reported down', () => Promise.resolve(captured.lines().some((l) => l['msg'] === 'witness did not cosign: unreachable: fetch failed: connect ECONNREFUSED') ? true : undefined));
    // Several ticks while it is down: a witness has one request at a time, so the 4th request starts only once
    // the 3rd was answered and its failure handled.
    await requestsWhileDown(4);
    const reports = captured.lines().filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('witness did not cosign'));
    assert.equal(reports.length, 1, 'reported once, not at every tick');
    witnessDown = false;
    await until('the witness cosigned size 21', async () => {
      const p = await publishedCheckpoint(ctx.storage.db);
      return p?.checkpoint.size === 21 && openNote(p.note, [witness.verifier]).ok ? true : undefined;
    });
    assert.ok(captured.lines().some((l) => l['msg'] === 'witness cosigns again'));
  });

  it('raises the alarm when a witness holds a different tree of the size it is sent', async () => {
    answerConflictAtOldSize = true;
    await auditLog.append(testEntry(21));
    await auditLog.checkpointNow();
    await until('the fork alarm', () => Promise.resolve(captured.lines().some((l) => l['level'] === 60 && String(l['msg']).startsWith('AUDIT LOG FORK')) ? true : undefined));
    answerConflictAtOldSize = false;
  });

  it('signs a last checkpoint when it closes, then refuses appends', async () => {
    await auditLog.append(testEntry(22));
    await auditLog.close();
    const checkpoints = await readCheckpoints(ctx.storage.db, 0, 100);
    assert.equal(checkpoints.at(-1)?.size, 23);
    const refused = await auditLog.append(testEntry(23));
    assert.ok(!refused.ok && refused.error.problem === 'closed');
    // Reopened for the suite's after hook (close twice is harmless, but keep the shape of a running hub).
    auditLog = await createAuditLog({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, log: captured.log, origin: TEST_ORIGIN, privateKey: keys.privateKey,
      checkpointIntervalMs: 100, witnesses: [], fetch: fetchThroughSwitch,
    });
  });

  it('refuses to start with another key than the one that signed the log', async () => {
    const other = logKeys();
    await assert.rejects(createAuditLog({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, log: captured.log, origin: TEST_ORIGIN, privateKey: other.privateKey,
      checkpointIntervalMs: 100, witnesses: [],
    }), /is not this log's/);
  });
});

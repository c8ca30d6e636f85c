// `interlock risk replay`: a rule set judged over the transfers' stored
// decisions, on both engines, and the command end to end as an operator runs
// it (a child process over a SQLite hub database): per transfer what was and
// what would be, the old × new table, decisions without features skipped and
// counted, and the command lines it refuses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MIGRATIONS } from '../migrations/index.ts';
import { openStorage, runTransaction, type Storage } from '../storage/index.ts';
import { createLogger } from '../support/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { testTables } from '../testing/tables.ts';
import { DEFAULT_RULE_SET } from './default_rules.ts';
import { partyKeys } from './party_key.ts';
import { replayDecisions, type ReplayReport } from './replay.ts';
import { compileRuleSet, ruleSetProblems } from './rule_set.ts';
import { createRuleSetStore } from './rule_sets.ts';
import { createRiskService } from './service.ts';
import type { PaymentToAssess } from './types.ts';

const partyKeyOf = partyKeys(Buffer.alloc(32, 3));
/** Blocks every USD payment of 100 or more, allows the rest. */
const STRICT = {
  name: 'strict', version: 1, failurePolicy: 'closed',
  rules: [{ id: 'amount', kind: 'bands', feature: 'amountMinor', currency: 'USD', bands: [{ upper: '100' }, { lower: '100' }] }],
  typologies: [{ id: 'large', weights: [{ rule: 'amount', ref: '.02', weight: 100 }], block: 100 }],
};
const DAY_MS = 86_400_000;
const STARTED_MS = Date.UTC(2026, 10, 1, 10, 0, 0);

/**
 * History on `storage`, the default rule set LIVE: an ordinary small and an ordinary large payment (ALLOW), a
 * denied payer's small one (BLOCK), a day apart each, and one decision from before features were kept.
 */
async function makeHistory(storage: Storage): Promise<string[]> {
  const { db, engine } = storage;
  let nowMs = STARTED_MS;
  const ruleSets = createRuleSetStore({ db, engine, clock: { nowMs: () => nowMs }, validate: ruleSetProblems });
  const risk = createRiskService({ db, engine, partyKeyOf, ruleSets, log: createLogger('silent'), nowMs: () => nowMs });
  const live = await ruleSets.saveDraft('scheme', DEFAULT_RULE_SET, 'officer');
  assert.ok(live.ok);
  assert.ok((await ruleSets.promote('scheme', live.value.version, 'LIVE', 'approver', null)).ok);
  assert.ok((await ruleSets.saveDraft('strict', STRICT, 'officer')).ok);
  await runTransaction(db, engine, async (tx) => {
    await testTables(tx).insertInto('risk_lists').values({ list: 'deny', party_key: partyKeyOf({ partyIdType: 'MSISDN', partyIdentifier: '666' }), reason: 'fraud', added_at_ms: nowMs, added_by: 'test', change_request_id: null }).execute();
  });
  // Before migration 0072 a decision kept no features.
  await testTables(db).insertInto('risk_decisions').values({
    stage: 'transfer', subject_id: randomUUID(), payer_fsp: 'payerfsp', payee_fsp: 'payeefsp', verdict: 'ALLOW', is_enforced: 1,
    rule_set_name: 'scheme', rule_set_version: 1, trace: '{"rules":[],"typologies":[]}', failure: null, features: null, decision_us: 1, decided_at_ms: nowMs,
  }).execute();
  const ids: string[] = [];
  for (const [payer, amountMinor] of [['1001', 5_000n], ['1002', 50_000n], ['666', 5_000n]] as const) {
    nowMs += DAY_MS;
    const payment: PaymentToAssess = {
      stage: 'transfer', id: randomUUID(), payerFsp: 'payerfsp', payeeFsp: 'payeefsp', currency: 'USD', amountMinor, sourceAddress: null, nowMs,
      message: { payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payer } }, payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `2${payer}` } } },
    };
    await runTransaction(db, engine, (tx) => risk.assess(tx, payment));
    ids.push(payment.id);
  }
  return ids;
}

describeOnEachEngine('risk replay', (ctx) => {
  test('each transfer judged again by the features it saw: what was beside what would be, the table, and the skipped counted', async () => {
    const ids = await makeHistory(ctx.storage);
    const strict = compileRuleSet(STRICT);
    assert.ok(strict.ok);
    const report = await replayDecisions(ctx.storage.db, strict.value, { limit: 100 });
    assert.deepEqual(report.payments.map((p) => [p.subjectId, p.was, p.wouldBe]), [[ids[0], 'ALLOW', 'ALLOW'], [ids[1], 'ALLOW', 'BLOCK'], [ids[2], 'BLOCK', 'ALLOW']]);
    assert.deepEqual(report.payments[0]?.wasRuleSet, { name: 'scheme', version: 1 });
    assert.equal(report.skipped, 1);
    assert.deepEqual([report.counts.ALLOW.ALLOW, report.counts.ALLOW.BLOCK, report.counts.BLOCK.ALLOW, report.counts.BLOCK.BLOCK], [1, 1, 1, 0]);

    const ranged = await replayDecisions(ctx.storage.db, strict.value, { fromMs: STARTED_MS + DAY_MS + 1, toMs: STARTED_MS + 3 * DAY_MS, limit: 1 });
    assert.deepEqual(ranged.payments.map((p) => p.subjectId), [ids[1]], 'the range, oldest first, at most the limit');
    assert.equal(ranged.skipped, 0);
  });
});

const CLI = new URL('../cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'interlock-replay-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

test('interlock risk replay, end to end on a hub\'s database', async () => {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const storage = openStorage(join(dataDir, 'interlock.sqlite'));
  let ids: string[];
  try {
    await storage.migrate(MIGRATIONS);
    ids = await makeHistory(storage);
  } finally {
    await storage.close();
  }
  const env = { ...process.env, INTERLOCK_DATA_DIR: dataDir, INTERLOCK_LOG_LEVEL: 'warn' };
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'risk', ...args], { env, encoding: 'utf8', timeout: 60_000 });

  const asJson = run('replay', '--rule-set', 'strict', '--json');
  assert.equal(asJson.status, 0, asJson.stderr);
  const report = JSON.parse(asJson.stdout) as ReplayReport;
  assert.deepEqual(report.ruleSet, { name: 'strict', version: 1 });
  assert.deepEqual(report.payments.map((p) => [p.subjectId, p.was, p.wouldBe]), [[ids[0], 'ALLOW', 'ALLOW'], [ids[1], 'ALLOW', 'BLOCK'], [ids[2], 'BLOCK', 'ALLOW']]);
  assert.equal(report.skipped, 1);

  const text = run('replay', '--rule-set', 'strict@1', '--from', new Date(STARTED_MS + DAY_MS).toISOString());
  assert.equal(text.status, 0, text.stderr);
  const changedLine = text.stdout.split('\n').find((line) => line.includes(ids[1] ?? '(none)')) ?? '';
  assert.match(changedLine, /was ALLOW \(scheme v1\)\s+would be BLOCK {2}\(changed\)$/);
  assert.match(text.stdout, /^ALLOW\s+1\s+0\s+0\s+1$/m, 'the table: ALLOW → ALLOW 1, ALLOW → BLOCK 1');
  assert.match(text.stdout, /^BLOCK\s+1\s+0\s+0\s+0$/m);
  assert.match(text.stdout, /replayed 3, changed 2; skipped 0/, 'the decision without features is before --from');

  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify({ ...STRICT, name: 'from-file' }));
  const fromFile = run('replay', '--file', file, '--limit', '2', '--json');
  assert.equal(fromFile.status, 0, fromFile.stderr);
  const limited = JSON.parse(fromFile.stdout) as ReplayReport;
  assert.equal(limited.ruleSet.name, 'from-file');
  assert.equal(limited.payments.length + limited.skipped, 2, 'at most --limit transfers');

  writeFileSync(file, JSON.stringify({ ...STRICT, failurePolicy: 'sideways' }));
  const invalid = run('replay', '--file', file);
  assert.equal(invalid.status, 1);
  assert.match(invalid.stderr, /not a valid rule set: failurePolicy/);
  assert.equal(run('replay', '--rule-set', 'missing').status, 1, 'no such rule set');
  for (const bad of [['replay'], ['replay', '--rule-set', 'strict', '--file', file], ['replay', '--rule-set', 'a@b@c'], ['replay', '--rule-set', 'strict', '--from', 'yesterday'], ['replay', '--rule-set', 'strict', '--limit', '0'], ['rerun']]) {
    const refused = run(...bad);
    assert.equal(refused.status, 2, `${bad.join(' ')}: ${refused.stderr}`);
    assert.match(refused.stderr, /Usage: interlock risk replay/);
  }
});

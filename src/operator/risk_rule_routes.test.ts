// The FRMS's administration through the admin API, on both engines, with the
// real risk service deciding over the same storage: a draft is saved at once
// and enforced nowhere; a promotion is a change request that a maker alone
// cannot carry (nor approve), takes effect in this process as soon as a second
// person approves it, and leaves its request, approval and execution in the
// audit log; a transition the store would refuse is refused when requested.
// List changes are maker-checker, the allow list its own function, and no
// clear identifier reaches a change request. Decisions are read with their
// traces: a holder of RISK_RULES_READ sees the thresholds, an analyst without it not.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { riskAdmin } from '../app/admin.ts';
import { createRiskService, createRuleSetStore, DEFAULT_RULE_SET, partyKeys, ruleSetProblems, type PaymentToAssess, type RiskService } from '../risk/index.ts';
import { runTransaction } from '../storage/index.ts';
import { createLogger } from '../support/index.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { testTables } from '../testing/tables.ts';
import { capturedAdminAudit } from './audit_events.ts';

const partyKeyOf = partyKeys(Buffer.alloc(32, 9));
const keyOf = (partyIdentifier: string) => partyKeyOf({ partyIdType: 'MSISDN', partyIdentifier });
/** The default rule set under the name the tests give it. */
const RULES = { ...DEFAULT_RULE_SET, name: 'scheme' };
const party = (identifier: string) => ({ partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: identifier } });

interface VersionView { version: number; state: string; changeRequestId: string | null }
interface ChangeRequestView { id: string; function: string; state: string }
interface TraceView {
  rules: Record<string, unknown>[];
  typologies: Record<string, unknown>[];
  override?: string;
  thresholdsShown: boolean;
}

describeOnEachEngine('the FRMS admin API', (ctx) => {
  const audit = capturedAdminAudit();
  let api: TestAdminApi;
  let risk: RiskService;
  let maker: Caller;
  let checker: Caller;
  let auditor: Caller;
  let analyst: Caller;
  let clockMs = Date.UTC(2026, 11, 3, 12, 0, 0);

  const assess = (payment: PaymentToAssess) => runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => risk.assess(tx, payment));
  const transfer = (payer: string, payee: string, amountMinor: bigint): PaymentToAssess => ({
    stage: 'transfer', id: randomUUID(), payerFsp: 'payerfsp', payeeFsp: 'payeefsp',
    message: { payer: party(payer), payee: party(payee) }, currency: 'USD', amountMinor, sourceAddress: null, nowMs: clockMs,
  });
  const changeRequestBodies = async () => (await testTables(ctx.storage.db).selectFrom('change_requests').select(['payload', 'summary', 'result_body']).execute()).map((r) => `${r.payload} ${r.summary} ${r.result_body ?? ''}`).join('\n');

  before(async () => {
    const { db, engine } = ctx.storage;
    const clock = { nowMs: () => clockMs };
    const ruleSets = createRuleSetStore({ db, engine, clock, validate: ruleSetProblems });
    risk = createRiskService({ db, engine, partyKeyOf, ruleSets, log: createLogger('silent'), nowMs: () => clockMs });
    api = await createTestAdminApi(ctx.storage, { audit, risk: riskAdmin({ storage: ctx.storage, clock, ruleSets, partyKeyOf, afterRuleSetChange: risk.refresh }) });
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    analyst = await clientCaller(api, 'analyst', [{ role: 'risk-analyst' }]);
  });
  after(async () => {
    await api.close();
  });

  test('a draft: an invalid rule set is refused with its problems listed; a valid one is saved as DRAFT by its privilege alone', async () => {
    const invalid = await maker.call('POST', '/risk/ruleSets/scheme', { definition: { failurePolicy: 'sideways', rules: [], typologies: [] } });
    assert.equal(invalid.status, 400, invalid.raw);
    assert.match(invalid.raw, /3100/);
    assert.match(invalid.raw, /failurePolicy/);
    assert.match(invalid.raw, /rules/);
    const misnamed = await maker.call('POST', '/risk/ruleSets/scheme', { definition: { ...RULES, name: 'another' } });
    assert.equal(misnamed.status, 400, 'the definition names another rule set than the path');
    assert.equal((await auditor.call('POST', '/risk/ruleSets/scheme', { definition: RULES })).status, 403, 'an auditor saves no draft');
    assert.equal((await analyst.call('POST', '/risk/ruleSets/scheme', { definition: RULES })).status, 403, 'nor does an analyst');

    const saved = await maker.call('POST', '/risk/ruleSets/scheme', { definition: RULES });
    assert.equal(saved.status, 201, saved.raw);
    assert.deepEqual([(saved.body as VersionView).version, (saved.body as VersionView).state], [1, 'DRAFT']);
    const listed = await auditor.call('GET', '/risk/ruleSets');
    assert.deepEqual((listed.body as { name: string; versions: VersionView[] }[]).map((r) => [r.name, r.versions.map((v) => v.state)]), [['scheme', ['DRAFT']]]);
    const read = await auditor.call('GET', '/risk/ruleSets/scheme/versions/1');
    assert.equal((read.body as { definition: { rules: unknown[] } }).definition.rules.length, RULES.rules.length);
    assert.equal((await analyst.call('GET', '/risk/ruleSets/scheme/versions/1')).status, 403, 'an analyst does not read the rules');
    assert.equal((await auditor.call('GET', '/risk/ruleSets/scheme/versions/9')).status, 400);
  });

  test('a rule change without approval is refused: the maker alone cannot make a version LIVE; a second person\'s approval does, enforced at once here', async () => {
    await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('risk_lists').values({ list: 'deny', party_key: keyOf('6661'), reason: 'fraud', added_at_ms: clockMs, added_by: 'test', change_request_id: null }).execute();
    });
    // Read the (empty) LIVE set into the service's cache first: only the promotion's refresh makes it enforce at once.
    assert.equal((await assess(transfer('6661', '2001', 1_000n))).verdict, 'ALLOW', 'no LIVE rule set yet');

    const requested = await maker.call('PUT', '/risk/ruleSets/scheme/versions/1', { state: 'LIVE', reason: 'first rule set' });
    assert.equal(requested.status, 202, requested.raw);
    const cr = requested.body as ChangeRequestView;
    assert.equal(cr.function, 'RISK_RULE_SET_PROMOTE');
    assert.equal(((await auditor.call('GET', '/risk/ruleSets/scheme/versions/1')).body as VersionView).state, 'DRAFT', 'nothing changed on request');
    assert.equal((await assess(transfer('6661', '2001', 1_000n))).verdict, 'ALLOW', 'not enforced before approval');
    const own = await maker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(own.status, 403, `the maker cannot approve their own request: ${own.raw}`);
    assert.equal(((await auditor.call('GET', '/risk/ruleSets/scheme/versions/1')).body as VersionView).state, 'DRAFT');

    const approved = await checker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    const after = (await auditor.call('GET', '/risk/ruleSets/scheme/versions/1')).body as VersionView;
    assert.deepEqual([after.state, after.changeRequestId], ['LIVE', cr.id]);
    assert.equal((await assess(transfer('6661', '2001', 1_000n))).verdict, 'BLOCK', 'enforced at once in this process (the cache was refreshed)');

    const steps = audit.events.filter((e) => e.target?.changeRequestId === cr.id).map((e) => `${e.action} ${e.result}`);
    for (const step of ['RISK_RULE_SET_PROMOTE_REQUEST pending-approval', 'CHANGE_REQUEST_APPROVE succeeded', 'RISK_RULE_SET_PROMOTE_EXECUTE succeeded']) {
      assert.ok(steps.includes(step), `the audit log has ${step}: ${steps.join(', ')}`);
    }
  });

  test('a transition the store would refuse is refused when it is requested: no change request is made', async () => {
    const before = (await testTables(ctx.storage.db).selectFrom('change_requests').select('id').execute()).length;
    const backwards = await maker.call('PUT', '/risk/ruleSets/scheme/versions/1', { state: 'SHADOW', reason: 'LIVE cannot go back to SHADOW' });
    assert.equal(backwards.status, 400, backwards.raw);
    assert.match(backwards.raw, /is LIVE; it cannot become SHADOW/);
    assert.equal((await maker.call('PUT', '/risk/ruleSets/scheme/versions/7', { state: 'LIVE', reason: 'no such version' })).status, 400);
    assert.equal((await maker.call('PUT', '/risk/ruleSets/scheme/versions/1', { state: 'DRAFT', reason: 'not a promotion' })).status, 400);
    assert.equal((await testTables(ctx.storage.db).selectFrom('change_requests').select('id').execute()).length, before);
    assert.equal((await analyst.call('PUT', '/risk/ruleSets/scheme/versions/1', { state: 'RETIRED', reason: 'an analyst' })).status, 403, 'an analyst requests no promotion');
  });

  test('lists: keyed by the hub, changed through maker-checker, the allow list its own function; no clear identifier in a change request', async () => {
    const clear = await analyst.call('POST', '/risk/lists/deny/entries', { partyIdType: 'MSISDN', partyIdentifier: '6662', reason: 'mule' });
    assert.equal(clear.status, 400, clear.raw);
    assert.match(clear.raw, /partyKey/);
    assert.equal((await analyst.call('POST', '/risk/partyKeys', { partyIdType: 'MSISDN', partyIdentifier: 'not a number' })).status, 400, 'an identifier is validated');
    assert.equal((await analyst.call('POST', '/risk/partyKeys', { partyIdType: 'NOT_A_TYPE', partyIdentifier: '6662' })).status, 400);
    const keyed = await analyst.call('POST', '/risk/partyKeys', { partyIdType: 'MSISDN', partyIdentifier: '6662' });
    assert.equal(keyed.status, 200, keyed.raw);
    const partyKey = (keyed.body as { partyKey: string }).partyKey;
    assert.equal(partyKey, keyOf('6662'), 'the key the FRMS uses for the party');

    const denied = await analyst.call('POST', '/risk/lists/deny/entries', { partyKey, reason: 'mule account' });
    assert.equal(denied.status, 202, denied.raw);
    assert.equal((denied.body as ChangeRequestView).function, 'RISK_LIST_CHANGE');
    assert.deepEqual(((await analyst.call('GET', '/risk/lists/deny')).body as { entries: { partyKey: string }[] }).entries.map((e) => e.partyKey), [keyOf('6661')], 'not on the list before approval');
    assert.equal((await checker.call('POST', `/changeRequests/${(denied.body as ChangeRequestView).id}/approve`)).status, 200);
    const page = (await analyst.call('GET', '/risk/lists/deny')).body as { entries: { partyKey: string; changeRequestId: string | null }[] };
    assert.ok(page.entries.some((e) => e.partyKey === partyKey && e.changeRequestId === (denied.body as ChangeRequestView).id));
    assert.equal((await analyst.call('POST', '/risk/lists/deny/entries', { partyKey, reason: 'again' })).status, 400, 'already on the list: refused when requested');

    const allowed = await analyst.call('POST', '/risk/lists/allow/entries', { partyKey: keyOf('1003'), reason: 'the scheme\'s own settlement account' });
    assert.equal(allowed.status, 202, allowed.raw);
    assert.equal((allowed.body as ChangeRequestView).function, 'RISK_ALLOWLIST_CHANGE', 'white-listing is an override of its own');
    assert.equal((await analyst.call('POST', `/changeRequests/${(allowed.body as ChangeRequestView).id}/approve`)).status, 403, 'an analyst cannot approve it');
    assert.equal((await checker.call('POST', `/changeRequests/${(allowed.body as ChangeRequestView).id}/approve`)).status, 200);

    const removed = await makeAndApprove(analyst, checker, 'DELETE', `/risk/lists/deny/entries/${partyKey}`);
    assert.equal(removed.status, 200, removed.raw);
    assert.equal((await analyst.call('DELETE', `/risk/lists/deny/entries/${partyKey}`)).status, 400, 'not on the list: refused when requested');
    assert.equal((await auditor.call('POST', '/risk/lists/deny/entries', { partyKey, reason: 'auditor' })).status, 403);
    assert.equal((await analyst.call('GET', '/risk/lists/other')).status, 400, 'no such list');

    const bodies = await changeRequestBodies();
    assert.ok(!bodies.includes('6662') && !bodies.includes('1003'), 'no clear identifier in any change request');
  });

  test('a list is read a page at a time, in key order, at most LIST_PAGE_MAX', async () => {
    await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      for (let i = 0; i < 5; i++) await testTables(tx).insertInto('risk_lists').values({ list: 'watch', party_key: keyOf(`70${i}`), reason: 'watch', added_at_ms: clockMs, added_by: 'test', change_request_id: null }).execute();
    });
    const first = (await analyst.call('GET', '/risk/lists/watch?limit=3')).body as { entries: { partyKey: string }[]; next: string | null };
    assert.equal(first.entries.length, 3);
    assert.ok(first.next !== null);
    const second = (await analyst.call('GET', `/risk/lists/watch?limit=3&after=${first.next}`)).body as { entries: { partyKey: string }[]; next: string | null };
    assert.equal(second.entries.length, 2);
    assert.equal(second.next, null);
    assert.deepEqual([...first.entries, ...second.entries].map((e) => e.partyKey), [0, 1, 2, 3, 4].map((i) => keyOf(`70${i}`)).sort());
    assert.equal((await analyst.call('GET', '/risk/lists/watch?limit=1000001')).status, 400);
  });

  test('decisions: newest first, filtered; the trace with thresholds for RISK_RULES_READ, without them for an analyst; the allow list overrides', async () => {
    clockMs += 60_000;
    const blocked = transfer('6661', '2002', 1_000n);
    assert.equal((await assess(blocked)).verdict, 'BLOCK');
    const overridden = transfer('1003', '2003', 1_000n);
    await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('risk_lists').values({ list: 'deny', party_key: keyOf('2003'), reason: 'fraud', added_at_ms: clockMs, added_by: 'test', change_request_id: null }).execute();
    });
    assert.equal((await assess(overridden)).verdict, 'ALLOW', 'the payer is allow-listed');

    const found = await analyst.call('GET', `/risk/decisions?subjectId=${blocked.id}`);
    assert.equal(found.status, 200, found.raw);
    const [summary] = (found.body as { decisions: { id: number; verdict: string; enforced: boolean }[] }).decisions;
    assert.deepEqual([summary?.verdict, summary?.enforced], ['BLOCK', true]);
    const blocks = (await analyst.call('GET', '/risk/decisions?verdict=BLOCK')).body as { decisions: { id: number; verdict: string }[] };
    assert.ok(blocks.decisions.every((d) => d.verdict === 'BLOCK') && blocks.decisions.length >= 2);
    assert.ok(blocks.decisions.every((d, i, all) => i === 0 || (all[i - 1]?.id ?? 0) > d.id), 'newest first');
    const paged = (await analyst.call('GET', '/risk/decisions?limit=1')).body as { decisions: { id: number }[]; next: number | null };
    assert.equal(paged.decisions.length, 1);
    const nextPage = (await analyst.call('GET', `/risk/decisions?limit=1&before=${String(paged.next)}`)).body as { decisions: { id: number }[] };
    assert.ok((nextPage.decisions[0]?.id ?? Infinity) < (paged.decisions[0]?.id ?? 0));
    assert.equal((await analyst.call('GET', '/risk/decisions?fromDateTime=yesterday')).status, 400);
    const windowed = (await analyst.call('GET', `/risk/decisions?fromDateTime=${new Date(clockMs).toISOString()}&toDateTime=${new Date(clockMs).toISOString()}`)).body as { decisions: unknown[] };
    assert.equal(windowed.decisions.length, 2, 'the two decisions of this minute');

    const id = summary?.id ?? 0;
    const full = (await auditor.call('GET', `/risk/decisions/${id}`)).body as { trace: TraceView };
    const redacted = (await analyst.call('GET', `/risk/decisions/${id}`)).body as { trace: TraceView };
    assert.equal(full.trace.thresholdsShown, true);
    assert.equal(redacted.trace.thresholdsShown, false);
    assert.ok(full.trace.rules.some((r) => 'band' in r), 'a holder of RISK_RULES_READ sees the bands\' bounds');
    assert.ok(full.trace.typologies.every((t) => typeof t['thresholds'] === 'object'), 'and each typology\'s thresholds');
    const leaked = redacted.trace.rules.filter((r) => 'band' in r || 'caseValues' in r || 'currency' in r);
    assert.deepEqual(leaked, [], 'an analyst sees no bound');
    assert.ok(redacted.trace.typologies.every((t) => !('thresholds' in t)), 'nor any threshold');
    assert.equal(redacted.trace.rules.length, full.trace.rules.length, 'but every rule');
    assert.deepEqual(redacted.trace.rules.map((r) => [r['ruleId'], r['value'], r['ref']]), full.trace.rules.map((r) => [r['ruleId'], r['value'], r['ref']]), 'with its value and outcome');
    assert.deepEqual(redacted.trace.typologies.map((t) => [t['typologyId'], t['score'], t['verdict']]), full.trace.typologies.map((t) => [t['typologyId'], t['score'], t['verdict']]), 'and every score');
    assert.ok(redacted.trace.rules.some((r) => r['ruleId'] !== undefined && r['value'] === 'true'), 'the deny flag it saw');

    const [overrideSummary] = ((await analyst.call('GET', `/risk/decisions?subjectId=${overridden.id}`)).body as { decisions: { id: number; verdict: string }[] }).decisions;
    assert.equal(overrideSummary?.verdict, 'ALLOW');
    const overrideTrace = ((await analyst.call('GET', `/risk/decisions/${overrideSummary.id}`)).body as { trace: TraceView }).trace;
    const note = overrideTrace.override ?? '';
    assert.ok(note.startsWith(`allow list: the payer party ${keyOf('1003')} (added by `) && note.endsWith('overrides BLOCK'), note);
    assert.ok(overrideTrace.typologies.some((t) => t['verdict'] === 'BLOCK'), 'the full trace is kept: the typology that would have blocked');
    assert.equal((await analyst.call('GET', '/risk/decisions/999999999')).status, 400);
    assert.equal((await maker.call('GET', `/risk/decisions/${id}`)).status, 200, 'the operations roles read decisions');
  });
});

// The FRMS's sharing with DFSPs on both engines: fraud reports (recorded,
// repeated, modified, refused for a transfer the sender was not party to, the
// daily bound), the suspect on the watch list and in the features, risk
// signals by level and window, notifications only to a payer that registered
// for them, every body the hub sends valid against the extension's schema,
// and the reports table append-only.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { OutboundMessage } from '../delivery/index.ts';
import { validateBody, type Inbound, type OperationKey } from '../fspiop/index.ts';
import { runTransaction } from '../storage/index.ts';
import { createLogger } from '../support/logger.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { addParticipant, setEndpointUnchecked } from '../testing/tables.ts';
import { FRAUD_REPORT_DAY_MS, FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX, fraudReportFeatures, insertFraudReport } from './fraud_reports.ts';
import { addToList, listFlags } from './lists.ts';
import { partyKeys } from './party_key.ts';
import { createRiskSharing, SIGNAL_RECENT_MS, type FraudReportBody, type TransferParties } from './sharing.ts';

const partyKeyOf = partyKeys(Buffer.alloc(32, 7));
const DAY_MS = 86_400_000;
const V1_1 = { major: 1, minor: 1 };

/** The body of a message the hub sends is valid against its operation's schema. */
function assertValid(operation: OperationKey, message: OutboundMessage | undefined): Record<string, unknown> {
  assert.ok(message !== undefined, `a message for ${operation}`);
  const body = JSON.parse(message.body ?? 'null') as Record<string, unknown>;
  const valid = validateBody(operation, body, V1_1);
  assert.ok(valid.ok, valid.ok ? '' : valid.error.detail);
  return body;
}

describeOnEachEngine('risk sharing', (ctx) => {
  let nowMs = Date.parse('2026-03-10T12:00:00.000Z');
  const sent: OutboundMessage[] = [];
  const transfers = new Map<string, TransferParties>();
  const take = () => sent.splice(0);
  const sharing = () => createRiskSharing({
    db: ctx.storage.db, engine: ctx.storage.engine, partyKeyOf, nowMs: () => nowMs, log: createLogger('silent'),
    transferPartiesOf: (_db, id) => Promise.resolve(transfers.get(id)),
    enqueue: (tx, message) => { assert.ok(tx.isTransaction); sent.push(message); return Promise.resolve(); },
  });
  const inbound = (source: string): Inbound => ({ source, destination: undefined, contentVersion: '1.1', headers: {}, rawBody: '' });
  const party = (identifier: string) => ({ partyIdType: 'MSISDN', partyIdentifier: identifier });
  let counter = 0;
  /** A transfer from `payer` to `payee` (DFSPs), between two fresh parties. */
  const transfer = (payer = 'payerfsp', payee = 'payeefsp', transaction?: unknown) => {
    counter += 1;
    const id = randomUUID();
    const parties = { payer: party(`4412345${String(counter).padStart(4, '0')}`), payee: party(`2771380${String(counter).padStart(4, '0')}`) };
    transfers.set(id, { payerFsp: payer, payeeFsp: payee, transaction: transaction ?? { payer: { partyIdInfo: parties.payer }, payee: { partyIdInfo: parties.payee } } });
    return { id, payerKey: partyKeyOf(parties.payer), payeeKey: partyKeyOf(parties.payee), payee: parties.payee };
  };
  const reportBody = (transferId: string, overrides: Partial<FraudReportBody> = {}): FraudReportBody => ({ fraudReportId: randomUUID(), transferId, category: 'MONEY_MULE', ...overrides });
  const reportRows = async () => (await sql<{ fraud_report_id: string; reporter_fsp: string }>`select fraud_report_id, reporter_fsp from risk_fraud_reports`.execute(ctx.storage.db)).rows;

  test('set up three DFSPs with the extension\'s endpoints (otherfsp without notifications)', async () => {
    for (const name of ['payerfsp', 'payeefsp', 'otherfsp', 'floodfsp', 'bareFsp']) await addParticipant(ctx.storage, name);
    for (const name of ['payerfsp', 'payeefsp', 'otherfsp', 'floodfsp']) {
      await setEndpointUnchecked(ctx.storage, name, 'INTERLOCK_CALLBACK_URL_FRAUD_REPORTS', `https://${name}.example/fraudReports/{{ID}}`);
      await setEndpointUnchecked(ctx.storage, name, 'INTERLOCK_CALLBACK_URL_RISK_SIGNALS', `https://${name}.example/riskSignals/{{partyIdType}}/{{partyIdentifier}}`);
    }
    await setEndpointUnchecked(ctx.storage, 'payerfsp', 'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS', 'https://payerfsp.example/riskNotifications/{{transferId}}');
  });

  test('a payer\'s report is stored with the payee as suspect, watches it, counts in the features, and is answered', async () => {
    const t = transfer();
    const body = reportBody(t.id, { description: 'confirmed scam' });
    assert.deepEqual(await sharing().reportFraud(inbound('payerfsp'), body), { kind: 'recorded' });
    const [answer] = take();
    assert.deepEqual([answer?.recipient, answer?.endpointType, answer?.templateValues, answer?.pathSuffix], ['payerfsp', 'INTERLOCK_CALLBACK_URL_FRAUD_REPORTS', { ID: body.fraudReportId }, '']);
    assert.equal(answer?.headers['fspiop-source'], 'Hub');
    assert.deepEqual(assertValid('PUT /fraudReports/{ID}', answer), { transferId: t.id, category: 'MONEY_MULE', recordedAt: new Date(nowMs).toISOString() });
    assert.deepEqual(await listFlags(ctx.storage.db, t.payeeKey, t.payerKey), { payerDenied: false, payeeDenied: false, payerWatched: true, payeeWatched: false });
    assert.deepEqual(await fraudReportFeatures(ctx.storage.db, t.payerKey, t.payeeKey), { payerFraudReports: 0, payeeFraudReports: 1 });
    assert.deepEqual(await fraudReportFeatures(ctx.storage.db, null, null), { payerFraudReports: null, payeeFraudReports: null });

    // The same report again: answered again, nothing more stored.
    assert.deepEqual(await sharing().reportFraud(inbound('payerfsp'), body), { kind: 'repeated' });
    assert.equal(assertValid('PUT /fraudReports/{ID}', take()[0])['transferId'], t.id);
    assert.equal((await reportRows()).filter((r) => r.fraud_report_id === body.fraudReportId).length, 1);
    assert.deepEqual(await fraudReportFeatures(ctx.storage.db, null, t.payeeKey), { payerFraudReports: null, payeeFraudReports: 1 });

    // Changed content, or the same content from another DFSP: a modified request, the stored report unchanged.
    for (const [source, changed] of [['payerfsp', { ...body, description: 'another text' }], ['payerfsp', { fraudReportId: body.fraudReportId, transferId: t.id, category: 'MONEY_MULE' as const }], ['payeefsp', body]] as const) {
      const outcome = await sharing().reportFraud(inbound(source), changed);
      assert.equal(outcome.kind === 'refused' ? outcome.failure.code : outcome.kind, '3106');
      const [error] = take();
      assert.deepEqual([error?.recipient, error?.pathSuffix], [source, '/error']);
      assertValid('PUT /fraudReports/{ID}/error', error);
    }
  });

  test('a payee\'s report names the payer; a transfer whose packet names no party is stored without a suspect and watches nobody', async () => {
    const t = transfer();
    assert.equal((await sharing().reportFraud(inbound('payeefsp'), reportBody(t.id))).kind, 'recorded');
    take();
    assert.equal((await listFlags(ctx.storage.db, t.payerKey, null)).payerWatched, true);
    const bare = transfer('payerfsp', 'payeefsp', { amount: { amount: '1', currency: 'USD' } });
    const before = (await sql<{ n: number }>`select count(*) as n from risk_lists`.execute(ctx.storage.db)).rows[0]?.n;
    assert.equal((await sharing().reportFraud(inbound('payerfsp'), reportBody(bare.id))).kind, 'recorded');
    take();
    assert.equal((await sql<{ n: number }>`select count(*) as n from risk_lists`.execute(ctx.storage.db)).rows[0]?.n, before);
  });

  test('a report on a transfer the sender was not party to is answered exactly as one on an unknown transfer, and stores nothing', async () => {
    const t = transfer();
    const rowsBefore = (await reportRows()).length;
    const notParty = await sharing().reportFraud(inbound('otherfsp'), reportBody(t.id));
    const unknown = await sharing().reportFraud(inbound('otherfsp'), reportBody(randomUUID()));
    assert.ok(notParty.kind === 'refused' && unknown.kind === 'refused');
    assert.deepEqual(notParty.failure, unknown.failure);
    assert.equal(notParty.failure.code, '3208');
    const [a, b] = take();
    assert.equal(a?.body, b?.body, 'the same error body');
    assert.equal((await reportRows()).length, rowsBefore);
    assert.deepEqual(await listFlags(ctx.storage.db, t.payeeKey, t.payerKey), { payerDenied: false, payeeDenied: false, payerWatched: false, payeeWatched: false });
  });

  test('a DFSP without the fraud reports endpoint is refused at once: it could never hear the answer', async () => {
    const t = transfer('bareFsp');
    const outcome = await sharing().reportFraud(inbound('bareFsp'), reportBody(t.id));
    assert.equal(outcome.kind, 'invalid');
    assert.deepEqual(take(), []);
    assert.equal((await sharing().riskSignal(inbound('bareFsp'), { type: 'MSISDN', id: '1' })).kind, 'invalid');
  });

  test(`the daily bound: ${FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX} reports in any 24 hours, the next refused with nothing stored or sent; older ones do not count`, async () => {
    const seed = async (count: number, atMs: number) => {
      for (let i = 0; i < count; i++) {
        await insertFraudReport(ctx.storage.db, {
          fraudReportId: randomUUID(), transferId: randomUUID(), reporterFsp: 'floodfsp', reporterRole: 'payer', suspectPartyKey: null,
          category: 'OTHER', description: null, contentHash: 'seeded', reportedAtMs: atMs,
        });
      }
    };
    await seed(5, nowMs - FRAUD_REPORT_DAY_MS); // exactly a day old: out of the window
    await seed(FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX - 1, nowMs - 1);
    const t = transfer('floodfsp');
    assert.equal((await sharing().reportFraud(inbound('floodfsp'), reportBody(t.id))).kind, 'recorded');
    take();
    const over = reportBody(t.id);
    const refused = await sharing().reportFraud(inbound('floodfsp'), over);
    assert.ok(refused.kind === 'invalid');
    assert.deepEqual([refused.failure.code, refused.failure.httpStatus], ['3000', 429]);
    assert.deepEqual(take(), [], 'nothing queued');
    assert.ok(!(await reportRows()).some((r) => r.fraud_report_id === over.fraudReportId));
    // A day later the window has moved on.
    nowMs += DAY_MS;
    assert.equal((await sharing().reportFraud(inbound('floodfsp'), over)).kind, 'recorded');
    take();
  });

  test('a signal: NONE, WATCH, REPORTED (30 and 90 days), DENIED; a level, counts and a date, valid against the schema', async () => {
    const signal = async (identifier: string) => {
      assert.deepEqual(await sharing().riskSignal(inbound('otherfsp'), { type: 'MSISDN', id: identifier }), { kind: 'answered' });
      const [message] = take();
      assert.deepEqual([message?.recipient, message?.endpointType, message?.templateValues], ['otherfsp', 'INTERLOCK_CALLBACK_URL_RISK_SIGNALS', { partyIdType: 'MSISDN', partyIdentifier: identifier }]);
      assert.ok(!(message?.subject ?? '').includes(identifier), 'the subject (logged) never carries the identifier');
      return assertValid('PUT /riskSignals/{Type}/{ID}', message);
    };
    assert.deepEqual(await signal('15550000001'), { level: 'NONE', fraudReports30d: 0, fraudReports90d: 0, firstSeen: null });
    const watchedKey = partyKeyOf(party('15550000002'));
    assert.ok((await addToList(ctx.storage.db, { list: 'watch', partyKey: watchedKey, reason: 'test', addedBy: 'test', nowMs })).ok);
    assert.equal((await signal('15550000002'))['level'], 'WATCH');
    // Reported 40 days ago: in the 90 days, not the 30.
    const t = transfer('payerfsp', 'payeefsp', { payer: { partyIdInfo: party('15550000009') }, payee: { partyIdInfo: party('15550000003') } });
    const reportedAt = nowMs;
    nowMs -= SIGNAL_RECENT_MS + 10 * DAY_MS;
    assert.equal((await sharing().reportFraud(inbound('payerfsp'), reportBody(t.id))).kind, 'recorded');
    nowMs = reportedAt;
    take();
    assert.deepEqual(await signal('15550000003'), { level: 'REPORTED', fraudReports30d: 0, fraudReports90d: 1, firstSeen: null });
    // Seen in a payment the features keep: its first day.
    await sql`insert into risk_pairs (payer_key, payee_key, first_seen_ms, last_seen_ms) values (${partyKeyOf(party('15550000009'))}, ${partyKeyOf(party('15550000003'))}, ${Date.parse('2026-02-01T23:59:00Z')}, ${nowMs})`.execute(ctx.storage.db);
    assert.equal((await signal('15550000003'))['firstSeen'], '2026-02-01');
    assert.ok((await addToList(ctx.storage.db, { list: 'deny', partyKey: partyKeyOf(party('15550000003')), reason: 'test', addedBy: 'test', nowMs })).ok);
    assert.equal((await signal('15550000003'))['level'], 'DENIED');
  });

  test('notifications: ALLOW never; a payer without the endpoint never; otherwise the verdict, its time and a case reference, nothing else', async () => {
    const notify = (payerFsp: string, verdict: 'ALLOW' | 'ALERT' | 'HOLD' | 'BLOCK', caseReference?: string) =>
      runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => sharing().notify(tx, { transferId: 'c0d1a8f2-5a6b-4c3d-8e9f-0a1b2c3d4e5f', payerFsp, verdict, decidedAtMs: nowMs, caseReference }));
    await notify('payerfsp', 'ALLOW');
    await notify('otherfsp', 'BLOCK');
    await notify('nosuchfsp', 'BLOCK');
    assert.deepEqual(take(), []);
    for (const verdict of ['ALERT', 'HOLD', 'BLOCK'] as const) {
      await notify('payerfsp', verdict);
      const [message] = take();
      assert.deepEqual([message?.recipient, message?.endpointType, message?.templateValues], ['payerfsp', 'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS', { transferId: 'c0d1a8f2-5a6b-4c3d-8e9f-0a1b2c3d4e5f' }]);
      assert.deepEqual(assertValid('PUT /riskNotifications/{ID}', message), { verdict, decidedAt: new Date(nowMs).toISOString() });
    }
    await notify('payerfsp', 'HOLD', 'CASE-0042');
    assert.equal(assertValid('PUT /riskNotifications/{ID}', take()[0])['caseReference'], 'CASE-0042');
  });

  test('the reports table is append-only', async () => {
    await assert.rejects(sql`update risk_fraud_reports set category = 'OTHER'`.execute(ctx.storage.db), /append-only/);
    await assert.rejects(sql`delete from risk_fraud_reports`.execute(ctx.storage.db), /append-only/);
  });
});

// The FRMS's sharing with DFSPs (the Interlock extension of the FSPIOP API)
// end to end: a hub with three DFSPs over mutual TLS, every request signed and
// through the gateway, every answer a callback the hub signs. Fraud reports
// (and the hostile ones: not a party, forged, modified, a flood), the risk
// signal (which reveals nothing of other DFSPs), the notifications of the
// FRMS's verdicts, and the API permission that grants all of it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { after, before, test } from 'node:test';
import { encodeIlpPacketText } from './ilp/index.ts';
import type { Hub } from './main.ts';
import { addToList, createRuleSetStore, FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX, ruleSetProblems, type RuleSetData } from './risk/index.ts';
import { riskTables } from './risk/tables.ts';
import { signMessage } from './signature/index.ts';
import { systemClock } from './support/clock.ts';
import { adminRequest, agentOf, errorCodeOf, fspiopRequest, httpsExchange, ilpLock, prepareBody, testCredentialsOf, tokenSourceOf, type Received } from './testing/dfsp.ts';
import { describeOnEachEngine } from './testing/engines.ts';
import { startSchemeHub, type SchemeHub } from './testing/scheme_hub.ts';
import { testTables } from './testing/tables.ts';

describeOnEachEngine('risk sharing over the FSPIOP listener', (ctx) => {
  type Dfsp = 'payerfsp' | 'payeefsp' | 'otherfsp';
  let scheme: SchemeHub<Dfsp>;
  let hub: Hub;

  const PAYER = { partyIdType: 'MSISDN', partyIdentifier: '44123456789' };
  const PAYEE = { partyIdType: 'MSISDN', partyIdentifier: '27713803912' };
  const SIGNAL_PATH = `/riskSignals/${PAYEE.partyIdType}/${PAYEE.partyIdentifier}`;

  /** A rule set that alerts on a watched payee and blocks a denied one. */
  const RULES: RuleSetData = {
    name: 'sharing-e2e', version: 1, failurePolicy: 'closed', description: 'lists only',
    rules: [
      { id: 'payee-denied', kind: 'cases', feature: 'payeeDenied', description: 'denied', cases: [{ value: true, ref: '.01' }], else: '.02' },
      { id: 'payee-watched', kind: 'cases', feature: 'payeeWatched', description: 'watched', cases: [{ value: true, ref: '.01' }], else: '.02' },
    ],
    typologies: [
      { id: 'deny', description: 'denied payee', weights: [{ rule: 'payee-denied', ref: '.01', weight: 1000 }], block: 1000 },
      { id: 'watch', description: 'watched payee', weights: [{ rule: 'payee-watched', ref: '.01', weight: 50 }], alert: 50 },
    ],
  };

  const EXTENSION_ENDPOINTS = [
    ['INTERLOCK_CALLBACK_URL_FRAUD_REPORTS', '/fraudReports/{{ID}}'],
    ['INTERLOCK_CALLBACK_URL_RISK_SIGNALS', '/riskSignals/{{partyIdType}}/{{partyIdentifier}}'],
    ['INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS', '/riskNotifications/{{transferId}}'],
  ] as const;

  before(async () => {
    scheme = await startSchemeHub({ name: 'risk-sharing', dfsps: { payerfsp: {}, payeefsp: {}, otherfsp: {} }, overrides: { 'storage.url': ctx.url } });
    hub = scheme.hub;
    for (const name of ['payerfsp', 'payeefsp', 'otherfsp'] as const) {
      for (const [type, path] of EXTENSION_ENDPOINTS) {
        // otherfsp does not take notifications: it must simply not get any.
        if (name === 'otherfsp' && type === 'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS') continue;
        const set = await adminRequest(scheme.admin, 'POST', `/participants/${name}/endpoints`, { type, value: scheme.dfsps[name].url + path });
        assert.equal(set.status, 201, JSON.stringify(set.body));
      }
    }
    const ruleSets = createRuleSetStore({ db: hub.storage.db, engine: hub.storage.engine, clock: systemClock, validate: ruleSetProblems });
    const draft = await ruleSets.saveDraft(RULES.name, RULES, 'test');
    assert.ok(draft.ok, draft.ok ? '' : draft.error);
    assert.ok((await ruleSets.promote(RULES.name, draft.value.version, 'LIVE', 'test', null)).ok);
  });

  after(() => scheme.close());

  const request = (source: Dfsp, method: string, path: string, resource: string, body?: unknown) =>
    fspiopRequest(hub.fspiopUrl, method, path, resource, source, undefined, body);

  const report = (source: Dfsp, body: Record<string, unknown>) => request(source, 'POST', '/fraudReports', 'fraudReports', body);

  const reportRows = () => testTables(hub.storage.db).selectFrom('risk_fraud_reports').selectAll().execute();

  /** A prepare from `payer` to payeefsp whose ILP packet carries the Transaction object naming both parties; its outcome's callback. */
  async function pay(payer: 'payerfsp' | 'otherfsp'): Promise<{ transferId: string; answer: Received }> {
    const transaction = { transactionId: randomUUID(), payer: { partyIdInfo: { ...PAYER, fspId: payer } }, payee: { partyIdInfo: { ...PAYEE, fspId: 'payeefsp' } }, amount: { amount: '100', currency: 'USD' } };
    const ilpPacket = encodeIlpPacketText({ version: 'v1', amount: 10_000n, account: `g.payeefsp.msisdn.${PAYEE.partyIdentifier}`, data: Buffer.from(Buffer.from(JSON.stringify(transaction)).toString('base64url')) });
    const body = { ...prepareBody(ilpLock().condition, { payer }), ilpPacket };
    const sent = await fspiopRequest(hub.fspiopUrl, 'POST', '/transfers', 'transfers', payer, 'payeefsp', body);
    assert.equal(sent.status, 202, sent.body);
    const answer = await Promise.race([
      scheme.dfsps.payeefsp.next((r) => r.method === 'POST' && r.body.includes(body.transferId)),
      scheme.dfsps[payer].next((r) => r.url === `/transfers/${body.transferId}/error`),
    ]);
    return { transferId: body.transferId, answer };
  }

  /** The callback `dfsp` gets at `url`, after `skip` earlier ones there. */
  async function callback(dfsp: Dfsp, url: string, skip = 0): Promise<Received> {
    let seen = 0;
    return scheme.dfsps[dfsp].next((r) => r.url === url && seen++ === skip);
  }

  const signedByHub = (received: Received) => {
    assert.equal(received.headers['fspiop-source'], 'Hub');
    assert.equal(typeof received.headers['fspiop-signature'], 'string', 'the hub signs its callbacks');
  };

  let reported: { transferId: string; fraudReportId: string; body: Record<string, unknown> };
  /** The first transfer, payerfsp's. */
  let payersTransferId = '';

  test('a payer reports fraud on its transfer: recorded, answered by a signed callback, and the payee party goes on the watch list by its key', async () => {
    const { transferId, answer } = await pay('payerfsp');
    assert.equal(answer.method, 'POST', 'nothing listed yet: the transfer goes to the payee');
    assert.equal(scheme.dfsps.payerfsp.count((r) => r.url === `/riskNotifications/${transferId}`), 0, 'ALLOW is not notified');
    const fraudReportId = randomUUID();
    const body = { fraudReportId, transferId, category: 'MONEY_MULE', description: 'customer confirmed an impersonation scam' };
    const sent = await report('payerfsp', body);
    assert.equal(sent.status, 202, sent.body);
    const answered = await callback('payerfsp', `/fraudReports/${fraudReportId}`);
    signedByHub(answered);
    const answerBody = JSON.parse(answered.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answerBody).sort(), ['category', 'recordedAt', 'transferId']);
    assert.equal(answerBody['transferId'], transferId);
    const rows = await reportRows();
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]?.reporter_fsp, rows[0]?.reporter_role, rows[0]?.category], ['payerfsp', 'payer', 'MONEY_MULE']);
    const suspect = rows[0]?.suspect_party_key ?? '';
    assert.match(suspect, /^[A-Za-z0-9_-]{43}$/, 'the suspect is a party key');
    const watched = await riskTables(hub.storage.db).selectFrom('risk_lists').selectAll().where('list', '=', 'watch').execute();
    assert.deepEqual(watched.map((w) => [w.party_key, w.reason]), [[suspect, `fraud report ${fraudReportId} (MONEY_MULE)`]]);
    assert.doesNotMatch(JSON.stringify(watched), /payerfsp|44123456789|27713803912|impersonation/, 'the list names the report, never the reporter or a customer');
    reported = { transferId, fraudReportId, body };
    payersTransferId = transferId;
  });

  test('the same report again is answered again with no second effect; changed, it is 3106 and the stored report stays', async () => {
    const again = await report('payerfsp', reported.body);
    assert.equal(again.status, 202, again.body);
    await callback('payerfsp', `/fraudReports/${reported.fraudReportId}`, 1);
    assert.equal((await reportRows()).length, 1);
    assert.equal((await riskTables(hub.storage.db).selectFrom('risk_lists').selectAll().execute()).length, 1);

    const changed = await report('payerfsp', { ...reported.body, category: 'ACCOUNT_TAKEOVER' });
    assert.equal(changed.status, 202, changed.body);
    const refused = await callback('payerfsp', `/fraudReports/${reported.fraudReportId}/error`);
    signedByHub(refused);
    assert.equal(errorCodeOf(refused.body), '3106');
    const rows = await reportRows();
    assert.deepEqual(rows.map((r) => r.category), ['MONEY_MULE']);
  });

  test('a DFSP not party to the transfer is answered exactly as for a transfer that does not exist', async () => {
    const notParty = randomUUID();
    assert.equal((await report('otherfsp', { fraudReportId: notParty, transferId: reported.transferId, category: 'OTHER' })).status, 202);
    const unknown = randomUUID();
    assert.equal((await report('otherfsp', { fraudReportId: unknown, transferId: randomUUID(), category: 'OTHER' })).status, 202);
    const [a, b] = [await callback('otherfsp', `/fraudReports/${notParty}/error`), await callback('otherfsp', `/fraudReports/${unknown}/error`)];
    assert.equal(errorCodeOf(a.body), '3208');
    assert.equal(a.body, b.body, 'the same answer, byte for byte');
    assert.equal((await reportRows()).length, 1, 'nothing stored');
  });

  test('a forged report (body changed after signing, or signed with another DFSP\'s key) is refused 3105 by the signature layer, nothing stored', async () => {
    const date = new Date().toUTCString();
    const headers = {
      'content-type': 'application/vnd.interoperability.fraudReports+json;version=1.1', accept: 'application/vnd.interoperability.fraudReports+json;version=1',
      date, 'fspiop-source': 'otherfsp', authorization: `Bearer ${await (await tokenSourceOf(hub.fspiopUrl, 'otherfsp')).token()}`,
    };
    const honest = { fraudReportId: randomUUID(), transferId: reported.transferId, category: 'OTHER' };
    const signed = await signMessage({ method: 'POST', fspiopUri: '/fraudReports', source: 'otherfsp', date, body: honest }, (await testCredentialsOf('otherfsp')).signingKey);
    // The body changed after it was signed: another report id under the same signature.
    const tampered = signed.body.replace(honest.fraudReportId, randomUUID());
    const byPayee = await signMessage({ method: 'POST', fspiopUri: '/fraudReports', source: 'otherfsp', date, body: honest }, (await testCredentialsOf('payeefsp')).signingKey);
    for (const [signature, text] of [[signed.signature, tampered], [byPayee.signature, byPayee.body]] as const) {
      const answer = await httpsExchange(`${hub.fspiopUrl}/fraudReports`, 'POST', { ...headers, 'fspiop-signature': signature }, text, await agentOf('otherfsp'));
      assert.deepEqual([answer.status, errorCodeOf(answer.body)], [400, '3105']);
    }
    assert.equal((await reportRows()).length, 1);
    // A body outside the schema is refused at once too: an unknown category, an over-long description, an extra member.
    for (const body of [{ ...honest, category: 'WHATEVER' }, { ...honest, description: 'x'.repeat(513) }, { ...honest, customer: '44123456789' }]) {
      const answer = await report('otherfsp', body);
      assert.equal(answer.status, 400, answer.body);
    }
  });

  test('the risk signal of a reported payee reveals a level, counts and a date: nothing of any DFSP, customer or report', async () => {
    const sent = await request('otherfsp', 'GET', SIGNAL_PATH, 'riskSignals');
    assert.equal(sent.status, 202, sent.body);
    const answer = await callback('otherfsp', SIGNAL_PATH);
    signedByHub(answer);
    assert.equal(answer.headers['fspiop-destination'], 'otherfsp');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['firstSeen', 'fraudReports30d', 'fraudReports90d', 'level']);
    assert.deepEqual([body['level'], body['fraudReports30d'], body['fraudReports90d']], ['REPORTED', 1, 1]);
    assert.match(String(body['firstSeen']), /^\d{4}-\d{2}-\d{2}$/);
    assert.doesNotMatch(answer.body, /payerfsp|payeefsp|44123456789|MONEY_MULE|impersonation/);
    assert.ok(!answer.body.includes(reported.fraudReportId));
    // A party nobody reported: NONE, never seen.
    const unknownPath = '/riskSignals/MSISDN/15550000000';
    assert.equal((await request('payerfsp', 'GET', unknownPath, 'riskSignals')).status, 202);
    assert.deepEqual(JSON.parse((await callback('payerfsp', unknownPath)).body), { level: 'NONE', fraudReports30d: 0, fraudReports90d: 0, firstSeen: null });
    // The answers are the hub's to send: a DFSP sending one is refused.
    const forgedAnswer = await request('payeefsp', 'PUT', SIGNAL_PATH, 'riskSignals', { level: 'NONE', fraudReports30d: 0, fraudReports90d: 0, firstSeen: null });
    assert.equal(forgedAnswer.status, 405, forgedAnswer.body);
  });

  test('the payer DFSP is told of an ALERT and a BLOCK on its transfer, without the rule; the payee and an unregistered DFSP are not', async () => {
    // The reported payee is on the watch list: ALERT, and the transfer goes on.
    const alerted = await pay('payerfsp');
    assert.equal(alerted.answer.method, 'POST');
    const alert = await callback('payerfsp', `/riskNotifications/${alerted.transferId}`);
    signedByHub(alert);
    const alertBody = JSON.parse(alert.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(alertBody).sort(), ['caseReference', 'decidedAt', 'verdict']);
    assert.equal(alertBody['verdict'], 'ALERT');
    // The case the ALERT opened, by which the DFSP and the hub's analysts speak of it.
    const [opened] = await testTables(hub.storage.db).selectFrom('risk_cases').select('id').where('subject_id', '=', alerted.transferId).execute();
    assert.equal(alertBody['caseReference'], `CASE-${String(opened?.id)}`);
    // Denied: BLOCK, refused with 4400, and notified.
    const [watch] = await riskTables(hub.storage.db).selectFrom('risk_lists').select('party_key').execute();
    assert.ok((await addToList(hub.storage.db, { list: 'deny', partyKey: watch?.party_key ?? '', reason: 'test', addedBy: 'test', nowMs: Date.now() })).ok);
    const blocked = await pay('payerfsp');
    assert.equal(errorCodeOf(blocked.answer.body), '4400');
    const block = await callback('payerfsp', `/riskNotifications/${blocked.transferId}`);
    assert.equal((JSON.parse(block.body) as Record<string, unknown>)['verdict'], 'BLOCK');
    assert.doesNotMatch(block.body + alert.body, /payee-denied|payee-watched|deny|watch|1000/, 'never the rule or its thresholds');
    assert.equal(scheme.dfsps.payeefsp.count((r) => r.url.startsWith('/riskNotifications/')), 0, 'the payee is never told');
    // otherfsp registered no notification endpoint: blocked all the same, told nothing.
    const unregistered = await pay('otherfsp');
    assert.equal(errorCodeOf(unregistered.answer.body), '4400');
    assert.equal(scheme.dfsps.otherfsp.count((r) => r.url.startsWith('/riskNotifications/')), 0);
    // The signal now says DENIED.
    assert.equal((await request('otherfsp', 'GET', SIGNAL_PATH, 'riskSignals')).status, 202);
    assert.equal((JSON.parse((await callback('otherfsp', SIGNAL_PATH, 1)).body) as Record<string, unknown>)['level'], 'DENIED');
    reported = { ...reported, transferId: unregistered.transferId };
  });

  test(`a flood of reports: past ${FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX} a day a DFSP is refused at once (429, 3000) and nothing more is stored or queued`, async () => {
    // otherfsp's earlier reports today, written straight to the table.
    const nowMs = Date.now();
    const earlier = Array.from({ length: FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX - 1 }, () => ({
      fraud_report_id: randomUUID(), transfer_id: randomUUID(), reporter_fsp: 'otherfsp', reporter_role: 'payer' as const, suspect_party_key: null,
      category: 'OTHER' as const, description: null, content_hash: 'seeded', reported_at_ms: nowMs - 60_000,
    }));
    await testTables(hub.storage.db).insertInto('risk_fraud_reports').values(earlier).execute();
    const last = randomUUID();
    assert.equal((await report('otherfsp', { fraudReportId: last, transferId: reported.transferId, category: 'OTHER' })).status, 202);
    await callback('otherfsp', `/fraudReports/${last}`);
    const over = randomUUID();
    const refused = await report('otherfsp', { fraudReportId: over, transferId: reported.transferId, category: 'OTHER' });
    assert.deepEqual([refused.status, errorCodeOf(refused.body)], [429, '3000']);
    assert.ok(refused.body.includes(`at most ${FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX} fraud reports`), refused.body);
    const mine = (await reportRows()).filter((r) => r.reporter_fsp === 'otherfsp');
    assert.equal(mine.length, FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX);
    assert.ok(!mine.some((r) => r.fraud_report_id === over));
    const queued = await sql<{ subject: string }>`select subject from outbox where subject like ${`fraud report ${over}%`}`.execute(hub.storage.db);
    assert.deepEqual(queued.rows, []);
    // Another DFSP's bound is its own.
    const payers = randomUUID();
    assert.equal((await report('payerfsp', { fraudReportId: payers, transferId: payersTransferId, category: 'OTHER' })).status, 202);
    await callback('payerfsp', `/fraudReports/${payers}`);
  });

  test('a participant without the risk API permission is refused both the reports and the signals (403)', async () => {
    const set = await adminRequest(scheme.admin, 'PUT', '/participants/otherfsp/api-permissions', { permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payer', 'payee'] } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const reportAnswer = await report('otherfsp', { fraudReportId: randomUUID(), transferId: reported.transferId, category: 'OTHER' });
    assert.deepEqual([reportAnswer.status, errorCodeOf(reportAnswer.body)], [403, '3000']);
    const signalAnswer = await request('otherfsp', 'GET', SIGNAL_PATH, 'riskSignals');
    assert.deepEqual([signalAnswer.status, errorCodeOf(signalAnswer.body)], [403, '3000']);
    assert.ok(scheme.eventsOf('api-not-permitted').some((e) => String(e['reason']).includes('risk API')));
    // Granted as a payer, it may ask signals again.
    const granted = await adminRequest(scheme.admin, 'PUT', '/participants/otherfsp/api-permissions', { permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payer', 'payee'], risk: ['payer'] } });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal((await request('otherfsp', 'GET', SIGNAL_PATH, 'riskSignals')).status, 202);
  });
});

test('with the FRMS off the extension answers 501 (2002) at once, after every control, and stores nothing', async () => {
  const off = await startSchemeHub({ name: 'risk-sharing-off', dfsps: { payerfsp: {} }, overrides: { 'risk.enabled': false } });
  try {
    const answer = await fspiopRequest(off.hub.fspiopUrl, 'POST', '/fraudReports', 'fraudReports', 'payerfsp', undefined, { fraudReportId: randomUUID(), transferId: randomUUID(), category: 'OTHER' });
    assert.deepEqual([answer.status, errorCodeOf(answer.body)], [501, '2002']);
    const signal = await fspiopRequest(off.hub.fspiopUrl, 'GET', '/riskSignals/MSISDN/27713803912', 'riskSignals', 'payerfsp', undefined);
    assert.deepEqual([signal.status, errorCodeOf(signal.body)], [501, '2002']);
    assert.deepEqual(await testTables(off.hub.storage.db).selectFrom('risk_fraud_reports').selectAll().execute(), []);
  } finally {
    await off.close();
  }
});

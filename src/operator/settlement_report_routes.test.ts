// The finance team's settlement reports through the admin API, on both
// engines: a window's and a settlement's figures per participant (the
// three-participant example: 90 owed, 70 and 20 due), their totals, where each
// settlement movement stands in the journal and the settlement's history; a
// participant's settlement account reconciled over a period (opening plus the
// movements is the closing balance, each settlement movement is its net
// amount); CSV with a header row, RFC 4180 quoting and no formula injection;
// participant scoping; and bad input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSettlementReports } from '../settlement/index.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Answer, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { everyAccountTo, onboardSettlementScheme, openWindowIdOf, payThroughLedger } from '../testing/settlement_api.ts';
import { testTables } from '../testing/tables.ts';
import { csvCell, toCsv, wantsCsv } from './csv.ts';

interface Line { participantName: string; participantId: number; positionAccountId: number; currency: string; sent: number; received: number; transferCount: number; netAmount: number }
interface Total { currency: string; sent: number; received: number; netAmount: number; transferCount: number }
interface WindowReportView { settlementWindowId: number; state: string; closedDate: string | null; closedBy: string | null; source: string; participants: Line[]; totals: Total[] }
interface SettlementLine extends Line { state: string; settlementTransferId: string | null; movementPhase: string; reason: string; externalReference: string | null }
interface SettlementReportView {
  settlementId: number; state: string; participants: SettlementLine[]; totals: Total[]; problems: string[];
  stateChanges: { date: string; state: string; participantName: string | null; reason: string; externalReference: string | null; changedBy: string }[];
}
interface Movement { entryId: number; transferId: string; kind: string; phase: string; amount: number; postedChange: number; balance: number; settlementId: number | null; createdBy: string }
interface ReconciliationView { participantName: string; openingBalance: number; closingBalance: number; movements: Movement[]; postedByKind: Record<string, number>; balanced: boolean; problems: string[] }
interface SettlementView { id: number; participants: { id: number; accounts: { id: number }[] }[] }

const errorCode = (answer: Answer) => (answer.body as { errorInformation?: { errorCode: string } }).errorInformation?.errorCode;
const figures = (lines: readonly Line[]) => lines.map((l) => [l.participantName, l.sent, l.received, l.transferCount, l.netAmount]);
/** A later millisecond than any entry made so far (entries carry the wall clock's). */
const nextMs = async (): Promise<number> => {
  const nowMs = Date.now();
  while (Date.now() <= nowMs) await new Promise((resolve) => setTimeout(resolve, 1));
  return Date.now();
};

describeOnEachEngine('settlement reports through the admin API', (ctx) => {
  let api: TestAdminApi;
  let maker: Caller;
  let checker: Caller;
  let auditor: Caller;
  /** An auditor whose grant is scoped to dfspa. */
  let dfspaAuditor: Caller;
  const ids = new Map<string, number>();
  const idOf = (name: string) => ids.get(name) ?? 0;
  let windowId = 0;
  let settlementId = 0;
  let fundedMs = 0;

  const pay = (payer: string, payee: string, amountMinor: bigint) => payThroughLedger(ctx.storage, ids.get(payer) ?? 0, ids.get(payee) ?? 0, amountMinor, Date.now());
  const accountsOf = async (name: string) => (await maker.call('GET', `/participants/${name}/accounts`)).body as { id: number; ledgerAccountType: string; value: number }[];
  const openWindowId = () => openWindowIdOf(ctx.storage);
  const accountsBody = everyAccountTo;
  const reconciliation = (caller: Caller, name: string, fromMs: number, toMs: number, more = '') =>
    caller.call('GET', `/participants/${name}/settlementReconciliation?currency=USD&fromDateTime=${new Date(fromMs).toISOString()}&toDateTime=${new Date(toMs).toISOString()}${more}`);

  before(async () => {
    api = await createTestAdminApi(ctx.storage);
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    for (const [name, id] of await onboardSettlementScheme(ctx.storage, maker, checker, ['dfspa', 'dfspb', 'dfspc'])) ids.set(name, id);
    dfspaAuditor = await clientCaller(api, 'dfspa-auditor', [{ role: 'auditor', participant: 'dfspa' }]);
    fundedMs = await nextMs();
  });
  after(async () => {
    await api.close();
  });

  test('a window report: each participant\'s sent, received and net, the totals balance, and JSON or CSV', async () => {
    windowId = await openWindowId();
    await pay('dfspa', 'dfspb', 10000n); // 100.00
    await pay('dfspb', 'dfspc', 3000n);
    await pay('dfspc', 'dfspa', 1000n);
    const expected = [['dfspa', 100, 10, 2, 90], ['dfspb', 30, 100, 2, -70], ['dfspc', 10, 30, 2, -20]];
    const open = (await auditor.call('GET', `/settlementWindows/${windowId}/report`)).body as WindowReportView;
    assert.equal(open.source, 'journal', 'the open window is read from the journal as it stands');
    assert.deepEqual(figures(open.participants), expected);
    assert.equal((await maker.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'end of day' })).status, 200);

    const answer = await auditor.call('GET', `/settlementWindows/${windowId}/report`);
    assert.equal(answer.status, 200, answer.raw);
    const report = answer.body as WindowReportView;
    assert.equal(report.state, 'CLOSED');
    assert.equal(report.source, 'frozen');
    const { closedDate, closedBy } = report;
    assert.ok(closedDate !== null && closedBy?.startsWith('maker-') === true, 'closed by the maker, at a time');
    assert.deepEqual(figures(report.participants), expected);
    assert.deepEqual(report.participants.map((l) => l.participantId), [ids.get('dfspa'), ids.get('dfspb'), ids.get('dfspc')]);
    const positions = await Promise.all(['dfspa', 'dfspb', 'dfspc'].map(async (n) => (await accountsOf(n)).find((a) => a.ledgerAccountType === 'POSITION')?.id ?? 0));
    assert.deepEqual(report.participants.map((l) => l.positionAccountId), positions);
    assert.deepEqual(report.totals, [{ currency: 'USD', sent: 140, received: 140, netAmount: 0, transferCount: 3 }]);
    assert.match(answer.raw, /"netAmount":-70[,}]/, 'amounts are exact JSON numbers');

    const csv = await auditor.call('GET', `/settlementWindows/${windowId}/report?format=csv`);
    assert.equal(csv.status, 200);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.raw, [
      'settlementWindowId,windowState,closedDate,closedBy,record,participantName,participantId,positionAccountId,currency,sent,received,transferCount,netAmount',
      `${windowId},CLOSED,${closedDate},${closedBy},participant,dfspa,${idOf('dfspa')},${String(positions[0])},USD,100,10,2,90`,
      `${windowId},CLOSED,${closedDate},${closedBy},participant,dfspb,${idOf('dfspb')},${String(positions[1])},USD,30,100,2,-70`,
      `${windowId},CLOSED,${closedDate},${closedBy},participant,dfspc,${idOf('dfspc')},${String(positions[2])},USD,10,30,2,-20`,
      `${windowId},CLOSED,${closedDate},${closedBy},total,,,,USD,140,140,3,0`,
      '',
    ].join('\r\n'));
    assert.equal((await auditor.call('GET', `/settlementWindows/${windowId}/report`, undefined, { accept: 'text/csv' })).raw, csv.raw, 'Accept: text/csv gets CSV');
    const json = await auditor.call('GET', `/settlementWindows/${windowId}/report`, undefined, { accept: 'application/json, text/csv;q=0.5' });
    assert.match(String(json.headers['content-type']), /^application\/json/, 'JSON preferred stays JSON');

    assert.equal(errorCode(await auditor.call('GET', '/settlementWindows/999999/report')), '3100');
    assert.equal((await auditor.call('GET', `/settlementWindows/${windowId}/report?format=xml`)).status, 400);
    assert.equal((await dfspaAuditor.call('GET', `/settlementWindows/${windowId}/report`)).status, 403, 'a grant scoped to one participant does not see every participant\'s figures');
  });

  test('a settlement report follows each movement through the journal and keeps the history', async () => {
    const created = await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'daily', settlementWindows: [{ id: windowId }] });
    assert.equal(created.status, 200, created.raw);
    const settlement = created.body as SettlementView;
    settlementId = settlement.id;
    const report = async () => (await auditor.call('GET', `/settlements/${settlementId}/report`)).body as SettlementReportView;
    const first = await report();
    assert.deepEqual(figures(first.participants), [['dfspa', 100, 10, 2, 90], ['dfspb', 30, 100, 2, -70], ['dfspc', 10, 30, 2, -20]]);
    assert.deepEqual(first.totals, [{ currency: 'USD', sent: 140, received: 140, netAmount: 0, transferCount: 3 }]);
    assert.deepEqual(first.participants.map((l) => [l.state, l.settlementTransferId, l.movementPhase]), Array(3).fill(['PENDING_SETTLEMENT', null, 'none']));

    // Text a spreadsheet would run, and text that needs quoting, in what the operators typed.
    const hostile = { reason: '=HYPERLINK("http://x.example")', externalReference: '+bank, "ref" 7' };
    const recorded = await maker.call('PUT', `/settlements/${settlementId}`, { participants: settlement.participants.map((p) => ({ id: p.id, accounts: p.accounts.map((a) => ({ id: a.id, state: 'PS_TRANSFERS_RECORDED', ...hostile })) })) });
    assert.equal(recorded.status, 200, recorded.raw);
    const atRecorded = await report();
    assert.ok(atRecorded.participants.every((l) => l.settlementTransferId !== null && l.movementPhase === 'none'));
    assert.equal((await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlementId}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'))).status, 200);
    assert.deepEqual((await report()).participants.map((l) => l.movementPhase), ['PENDING', 'PENDING', 'PENDING']);
    assert.equal((await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlementId}`, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED'))).status, 200);

    const final = await report();
    assert.equal(final.state, 'PS_TRANSFERS_COMMITTED');
    assert.deepEqual(final.participants.map((l) => [l.participantName, l.netAmount, l.state, l.movementPhase]),
      [['dfspa', 90, 'PS_TRANSFERS_COMMITTED', 'POST'], ['dfspb', -70, 'PS_TRANSFERS_COMMITTED', 'POST'], ['dfspc', -20, 'PS_TRANSFERS_COMMITTED', 'POST']]);
    assert.deepEqual(final.participants.map((l) => l.settlementTransferId), atRecorded.participants.map((l) => l.settlementTransferId), 'the transfer id recorded is the one posted');
    const journal = await testTables(ctx.storage.db).selectFrom('journal_entries').select(['transfer_id', 'amount_minor']).where('kind', '=', 'SETTLEMENT').where('phase', '=', 'POST').execute();
    assert.deepEqual(final.participants.map((l) => journal.find((e) => e.transfer_id === l.settlementTransferId)?.amount_minor), [9000n, 7000n, 2000n]);
    assert.deepEqual(final.problems, []);
    const settlementStates = final.stateChanges.filter((c) => c.participantName === null).map((c) => c.state);
    assert.deepEqual(settlementStates, ['PENDING_SETTLEMENT', 'PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED']);
    const dfspbChanges = final.stateChanges.filter((c) => c.participantName === 'dfspb');
    assert.deepEqual(dfspbChanges.map((c) => c.state), ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED']);
    assert.deepEqual([dfspbChanges[0]?.reason, dfspbChanges[0]?.externalReference], [hostile.reason, hostile.externalReference]);
    assert.ok(dfspbChanges[1]?.changedBy.startsWith('maker-'), 'the maker is who asked; the checker approved');

    const csv = await auditor.call('GET', `/settlements/${settlementId}/report`, undefined, { accept: 'text/csv' });
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    const lines = csv.raw.split('\r\n');
    assert.equal(lines[0], 'settlementId,settlementState,record,participantName,participantId,positionAccountId,currency,sent,received,transferCount,netAmount,state,settlementTransferId,movementPhase,date,changeParticipantName,changePositionAccountId,reason,externalReference,changedBy');
    const dfspb = final.participants[1];
    assert.ok(dfspb !== undefined && dfspb.settlementTransferId !== null);
    assert.equal(lines[2], `${settlementId},PS_TRANSFERS_COMMITTED,participant,dfspb,${dfspb.participantId},${dfspb.positionAccountId},USD,30,100,2,-70,PS_TRANSFERS_COMMITTED,${dfspb.settlementTransferId},POST,,,,to PS_TRANSFERS_COMMITTED,,`);
    assert.equal(lines[4], `${settlementId},PS_TRANSFERS_COMMITTED,total,,,,USD,140,140,3,0,,,,,,,,,`);
    const recordedRow = lines.find((l) => l.includes(',stateChange,') && l.includes('PS_TRANSFERS_RECORDED') && l.includes(',dfspb,')) ?? '';
    assert.ok(recordedRow.includes(`,"'=HYPERLINK(""http://x.example"")","'+bank, ""ref"" 7",maker-`), recordedRow);
    assert.equal(lines.at(-1), '', 'every line ends in CRLF');

    assert.equal(errorCode(await auditor.call('GET', '/settlements/999999/report')), '3100');
    assert.equal((await dfspaAuditor.call('GET', `/settlements/${settlementId}/report`)).status, 403);
  });

  test('a reconciliation: opening plus the period\'s movements is the closing balance, and each settlement movement is its net amount', async () => {
    const toMs = await nextMs();
    const all = await reconciliation(auditor, 'dfspb', Date.parse('2020-01-01T00:00:00Z'), toMs);
    assert.equal(all.status, 200, all.raw);
    const dfspb = all.body as ReconciliationView;
    assert.equal(dfspb.openingBalance, 0);
    assert.deepEqual(dfspb.movements.map((m) => [m.kind, m.phase, m.amount, m.postedChange, m.balance, m.settlementId]), [
      ['FUNDS_IN', 'SINGLE', 1000, 1000, 1000, null],
      ['SETTLEMENT', 'PENDING', 70, 0, 1000, settlementId],
      ['SETTLEMENT', 'POST', 70, 70, 1070, settlementId],
    ]);
    assert.equal(dfspb.closingBalance, 1070);
    assert.deepEqual(dfspb.postedByKind, { FUNDS_IN: 1000, SETTLEMENT: 70 });
    assert.ok(dfspb.balanced);
    assert.deepEqual(dfspb.problems, []);
    const value = (await accountsOf('dfspb')).find((a) => a.ledgerAccountType === 'SETTLEMENT')?.value;
    assert.equal(value, -1070, 'the closing balance is the account\'s own counters (funded liquidity is negative in central-ledger\'s terms)');

    // From after the funding: the funds-in is the opening balance, not a movement.
    const sinceFunding = (await reconciliation(auditor, 'dfspa', fundedMs, toMs)).body as ReconciliationView;
    assert.equal(sinceFunding.openingBalance, 1000);
    assert.deepEqual(sinceFunding.movements.map((m) => [m.kind, m.phase, m.amount, m.postedChange, m.balance]), [['SETTLEMENT', 'PENDING', -90, 0, 1000], ['SETTLEMENT', 'POST', -90, -90, 910]]);
    assert.equal(sinceFunding.closingBalance, 910);
    assert.deepEqual(sinceFunding.problems, []);

    const csv = await reconciliation(auditor, 'dfspa', fundedMs, toMs, '&format=csv');
    const lines = csv.raw.split('\r\n');
    assert.equal(lines[0], 'participantName,currency,settlementAccountId,record,date,entryId,transferId,kind,phase,amount,postedChange,balance,settlementId,reason,externalReference,createdBy');
    assert.deepEqual(lines.slice(1, -1).map((l) => l.split(',').slice(3, 4).concat(l.split(',').slice(7, 13))), [
      ['opening', '', '', '', '', '1000', ''],
      ['movement', 'SETTLEMENT', 'PENDING', '-90', '0', '1000', String(settlementId)],
      ['movement', 'SETTLEMENT', 'POST', '-90', '-90', '910', String(settlementId)],
      ['closing', '', '', '', '', '910', ''],
    ]);

    // Participant scoping: dfspa's auditor reads dfspa's account, not dfspb's.
    assert.equal((await reconciliation(dfspaAuditor, 'dfspa', fundedMs, toMs)).status, 200);
    assert.equal((await reconciliation(dfspaAuditor, 'dfspb', fundedMs, toMs)).status, 403);
    // Bad input.
    assert.equal(errorCode(await auditor.call('GET', '/participants/dfspa/settlementReconciliation?currency=USD&fromDateTime=yesterday&toDateTime=2030-01-01T00:00:00Z')), '3101');
    assert.equal(errorCode(await reconciliation(auditor, 'dfspa', toMs, fundedMs)), '3101', 'from after to');
    assert.equal(errorCode(await auditor.call('GET', `/participants/dfspa/settlementReconciliation?currency=EUR&fromDateTime=2020-01-01T00:00:00Z&toDateTime=2030-01-01T00:00:00Z`)), '3100');
    assert.equal(errorCode(await reconciliation(auditor, 'nobody', fundedMs, toMs)), '3200');
  });

  test('a period with more rows than the bound is refused with how to narrow it', async () => {
    const reports = createSettlementReports({ db: ctx.storage.db, reconciliationRowsMax: 2 });
    const wide = await reports.reconciliation({ participantName: 'dfspa', currency: 'USD', fromMs: 0, toMs: Date.now() + 1000 });
    assert.ok(!wide.ok);
    assert.equal(wide.error.code, '3100');
    assert.match(wide.error.detail, /more than 2 entries .* narrow it, e\.g\. toDateTime=/);
    const narrow = await reports.reconciliation({ participantName: 'dfspa', currency: 'USD', fromMs: fundedMs, toMs: Date.now() + 1000 });
    assert.ok(narrow.ok && narrow.value.movements.length === 2);
  });

  test('the checks report a settlement account whose net amount disagrees with the journal and the windows', async () => {
    const own = testTables(ctx.storage.db);
    const setNet = (participant: string, netMinor: bigint) => own.updateTable('settlement_accounts').set({ net_minor: netMinor })
      .where('settlement_id', '=', settlementId).where('participant_id', '=', ids.get(participant) ?? 0).execute();
    await setNet('dfspa', 9100n);
    await setNet('dfspb', -7100n);
    try {
      const report = (await auditor.call('GET', `/settlements/${settlementId}/report`)).body as SettlementReportView;
      assert.equal(report.problems.length, 2, report.problems.join('; '));
      assert.match(report.problems[0] ?? '', /dfspa USD\): net amount 91 in the settlement, but its windows' content gives 90/);
      const dfspa = (await reconciliation(auditor, 'dfspa', fundedMs, await nextMs())).body as ReconciliationView;
      assert.equal(dfspa.balanced, false);
      assert.equal(dfspa.problems.length, 2, 'the PENDING and the POST entry each moved 90, not 91');
      assert.match(dfspa.problems[0] ?? '', /moved -90, but the participant's net amount in settlement \d+ is 91/);
    } finally {
      await setNet('dfspa', 9000n);
      await setNet('dfspb', -7000n);
    }
  });
});

test('CSV cells: RFC 4180 quoting, formula text defused, amounts untouched', () => {
  assert.equal(csvCell('text', 'plain'), 'plain');
  assert.equal(csvCell('text', 'a,b'), '"a,b"');
  assert.equal(csvCell('text', 'say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('text', 'two\nlines'), '"two\nlines"');
  for (const formula of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) assert.equal(csvCell('text', formula).replace(/^"/, '').charAt(0), '\'', formula);
  assert.equal(csvCell('text', '=a,b'), '"\'=a,b"');
  assert.equal(csvCell('amount', '-20'), '-20');
  assert.equal(csvCell('amount', '0.05'), '0.05');
  assert.throws(() => csvCell('amount', '=1'), /exact decimal/);
  assert.throws(() => csvCell('amount', 1.5), /exact decimal/);
  assert.equal(csvCell('integer', 7), '7');
  assert.equal(csvCell('text', null), '');
  assert.equal(toCsv([{ header: 'a', kind: 'text', value: (r: string) => r }], ['x', 'y']), 'a\r\nx\r\ny\r\n');
});

test('content negotiation: format wins, else the Accept header\'s preference', () => {
  assert.equal(wantsCsv('csv', 'application/json'), true);
  assert.equal(wantsCsv('json', 'text/csv'), false);
  assert.equal(wantsCsv(undefined, undefined), false);
  assert.equal(wantsCsv(undefined, '*/*'), false);
  assert.equal(wantsCsv(undefined, 'text/csv'), true);
  assert.equal(wantsCsv(undefined, 'text/*'), true);
  assert.equal(wantsCsv(undefined, 'application/json;q=0.4, text/csv;q=0.8'), true);
  assert.equal(wantsCsv(undefined, 'text/csv;q=0.5, application/json'), false);
  assert.equal(wantsCsv(undefined, 'text/csv;q=0, */*'), false);
});

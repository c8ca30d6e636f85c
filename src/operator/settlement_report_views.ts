// The settlement reports as the admin API answers them: JSON (amounts exact
// JSON numbers, as GET /settlements writes them: amountNumber) or CSV (one
// table per report, a `record` column saying what each line is; amounts as
// exact decimal strings).
import type { CurrencyTotals, Reconciliation, ReportLine, SettlementReport, SettlementReportLine, StateChange, StatementRow, WindowReport } from '../settlement/index.ts';
import { formatAmount } from '../support/index.ts';
import { toCsv, type CsvColumn } from './csv.ts';
import { amountNumber } from './views.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function lineView(line: ReportLine) {
  const amount = (minor: bigint) => amountNumber(minor, line.currency);
  return {
    participantName: line.participantName, participantId: line.participantId, positionAccountId: line.positionAccountId, currency: line.currency,
    sent: amount(line.sentMinor), received: amount(line.receivedMinor), transferCount: line.transferCount, netAmount: amount(line.netMinor),
  };
}

function totalView(total: CurrencyTotals) {
  const amount = (minor: bigint) => amountNumber(minor, total.currency);
  return { currency: total.currency, sent: amount(total.sentMinor), received: amount(total.receivedMinor), netAmount: amount(total.netMinor), transferCount: total.transferCount };
}

export function windowReportView({ window, source, lines, totals }: WindowReport) {
  return {
    settlementWindowId: window.id, state: window.state, reason: window.reason ?? '',
    createdDate: iso(window.created_at_ms), closedDate: isoOrNull(window.closed_at_ms), closedBy: window.closed_by, changedDate: iso(window.changed_at_ms),
    source, participants: lines.map(lineView), totals: totals.map(totalView),
  };
}

function settlementLineView(line: SettlementReportLine) {
  return {
    ...lineView(line), state: line.state, reason: line.reason ?? '', externalReference: line.externalReference,
    settlementTransferId: line.settlementTransferId, movementPhase: line.movementPhase,
  };
}

function stateChangeView(change: StateChange) {
  return {
    date: iso(change.atMs), state: change.state, participantName: change.participantName, participantId: change.participantId,
    positionAccountId: change.positionAccountId, reason: change.reason ?? '', externalReference: change.externalReference, changedBy: change.createdBy,
  };
}

export function settlementReportView({ settlement, windows, lines, totals, history, problems }: SettlementReport) {
  return {
    settlementId: settlement.id, state: settlement.state, reason: settlement.reason, settlementModel: settlement.model_name,
    createdDate: iso(settlement.created_at_ms), createdBy: settlement.created_by, changedDate: iso(settlement.changed_at_ms),
    settlementWindows: windows.map((w) => ({ id: w.id, state: w.state, createdDate: iso(w.created_at_ms), closedDate: isoOrNull(w.closed_at_ms), closedBy: w.closed_by })),
    participants: lines.map(settlementLineView), totals: totals.map(totalView), stateChanges: history.map(stateChangeView), problems,
  };
}

function movementView(row: StatementRow, currency: string) {
  return {
    entryId: row.entryId, transferId: row.transferId, kind: row.kind, phase: row.phase,
    amount: amountNumber(row.amountMinor, currency), postedChange: amountNumber(row.postedChangeMinor, currency), balance: amountNumber(row.balanceMinor, currency),
    reason: row.reason ?? '', externalReference: row.externalReference, createdBy: row.createdBy, date: iso(row.createdAtMs), settlementId: row.settlementId,
  };
}

export function reconciliationView(report: Reconciliation) {
  const { currency } = report;
  return {
    participantName: report.participantName, participantId: report.participantId, currency, settlementAccountId: report.settlementAccountId,
    fromDateTime: iso(report.fromMs), toDateTime: iso(report.toMs),
    /** Funds held: posted credits less debits of the SETTLEMENT account (a funds-in is positive). */
    openingBalance: amountNumber(report.openingBalanceMinor, currency),
    movements: report.movements.map((row) => movementView(row, currency)),
    closingBalance: amountNumber(report.closingBalanceMinor, currency),
    postedByKind: Object.fromEntries(Object.entries(report.postedByKind).map(([kind, minor]) => [kind, amountNumber(minor, currency)])),
    balanced: report.problems.length === 0,
    problems: report.problems,
  };
}

// CSV: one table per report.

interface WindowCsvRow { record: 'participant' | 'total'; line?: ReportLine; total?: CurrencyTotals }

const figureColumns = <Row extends { line?: ReportLine; total?: CurrencyTotals }>(): CsvColumn<Row>[] => {
  const currencyOf = (r: Row) => r.line?.currency ?? r.total?.currency ?? 'XXX';
  const amount = (pick: (figures: ReportLine | CurrencyTotals) => bigint) => (r: Row) => {
    const figures = r.line ?? r.total;
    return figures === undefined ? null : formatAmount(pick(figures), currencyOf(r));
  };
  return [
    { header: 'participantName', kind: 'text', value: (r) => r.line?.participantName ?? null },
    { header: 'participantId', kind: 'integer', value: (r) => r.line?.participantId ?? null },
    { header: 'positionAccountId', kind: 'integer', value: (r) => r.line?.positionAccountId ?? null },
    { header: 'currency', kind: 'text', value: (r) => r.line?.currency ?? r.total?.currency ?? null },
    { header: 'sent', kind: 'amount', value: amount((f) => f.sentMinor) },
    { header: 'received', kind: 'amount', value: amount((f) => f.receivedMinor) },
    { header: 'transferCount', kind: 'integer', value: (r) => r.line?.transferCount ?? r.total?.transferCount ?? null },
    { header: 'netAmount', kind: 'amount', value: amount((f) => f.netMinor) },
  ];
};

export function windowReportCsv({ window, lines, totals }: WindowReport): string {
  const columns: CsvColumn<WindowCsvRow>[] = [
    { header: 'settlementWindowId', kind: 'integer', value: () => window.id },
    { header: 'windowState', kind: 'text', value: () => window.state },
    { header: 'closedDate', kind: 'text', value: () => isoOrNull(window.closed_at_ms) },
    { header: 'closedBy', kind: 'text', value: () => window.closed_by },
    { header: 'record', kind: 'text', value: (r) => r.record },
    ...figureColumns<WindowCsvRow>(),
  ];
  return toCsv(columns, [
    ...lines.map((line): WindowCsvRow => ({ record: 'participant', line })),
    ...totals.map((total): WindowCsvRow => ({ record: 'total', total })),
  ]);
}

interface SettlementCsvRow { record: 'participant' | 'total' | 'stateChange' | 'problem'; line?: SettlementReportLine; total?: CurrencyTotals; change?: StateChange; problem?: string }

export function settlementReportCsv({ settlement, lines, totals, history, problems }: SettlementReport): string {
  const columns: CsvColumn<SettlementCsvRow>[] = [
    { header: 'settlementId', kind: 'integer', value: () => settlement.id },
    { header: 'settlementState', kind: 'text', value: () => settlement.state },
    { header: 'record', kind: 'text', value: (r) => r.record },
    ...figureColumns<SettlementCsvRow>(),
    { header: 'state', kind: 'text', value: (r) => r.line?.state ?? r.change?.state ?? null },
    { header: 'settlementTransferId', kind: 'text', value: (r) => r.line?.settlementTransferId ?? null },
    { header: 'movementPhase', kind: 'text', value: (r) => r.line?.movementPhase ?? null },
    { header: 'date', kind: 'text', value: (r) => (r.change === undefined ? null : iso(r.change.atMs)) },
    { header: 'changeParticipantName', kind: 'text', value: (r) => r.change?.participantName ?? null },
    { header: 'changePositionAccountId', kind: 'integer', value: (r) => r.change?.positionAccountId ?? null },
    { header: 'reason', kind: 'text', value: (r) => r.line?.reason ?? r.change?.reason ?? r.problem ?? null },
    { header: 'externalReference', kind: 'text', value: (r) => r.line?.externalReference ?? r.change?.externalReference ?? null },
    { header: 'changedBy', kind: 'text', value: (r) => r.change?.createdBy ?? null },
  ];
  return toCsv(columns, [
    ...lines.map((line): SettlementCsvRow => ({ record: 'participant', line })),
    ...totals.map((total): SettlementCsvRow => ({ record: 'total', total })),
    ...history.map((change): SettlementCsvRow => ({ record: 'stateChange', change })),
    ...problems.map((problem): SettlementCsvRow => ({ record: 'problem', problem })),
  ]);
}

interface ReconciliationCsvRow { record: 'opening' | 'movement' | 'closing' | 'problem'; row?: StatementRow; balanceMinor?: bigint; atMs?: number; problem?: string }

export function reconciliationCsv(report: Reconciliation): string {
  const { currency } = report;
  const amount = (minor: bigint | undefined) => (minor === undefined ? null : formatAmount(minor, currency));
  const columns: CsvColumn<ReconciliationCsvRow>[] = [
    { header: 'participantName', kind: 'text', value: () => report.participantName },
    { header: 'currency', kind: 'text', value: () => currency },
    { header: 'settlementAccountId', kind: 'integer', value: () => report.settlementAccountId },
    { header: 'record', kind: 'text', value: (r) => r.record },
    { header: 'date', kind: 'text', value: (r) => { const ms = r.row?.createdAtMs ?? r.atMs; return ms === undefined ? null : iso(ms); } },
    { header: 'entryId', kind: 'integer', value: (r) => r.row?.entryId ?? null },
    { header: 'transferId', kind: 'text', value: (r) => r.row?.transferId ?? null },
    { header: 'kind', kind: 'text', value: (r) => r.row?.kind ?? null },
    { header: 'phase', kind: 'text', value: (r) => r.row?.phase ?? null },
    { header: 'amount', kind: 'amount', value: (r) => amount(r.row?.amountMinor) },
    { header: 'postedChange', kind: 'amount', value: (r) => amount(r.row?.postedChangeMinor) },
    { header: 'balance', kind: 'amount', value: (r) => amount(r.row?.balanceMinor ?? r.balanceMinor) },
    { header: 'settlementId', kind: 'integer', value: (r) => r.row?.settlementId ?? null },
    { header: 'reason', kind: 'text', value: (r) => r.row?.reason ?? r.problem ?? null },
    { header: 'externalReference', kind: 'text', value: (r) => r.row?.externalReference ?? null },
    { header: 'createdBy', kind: 'text', value: (r) => r.row?.createdBy ?? null },
  ];
  return toCsv(columns, [
    { record: 'opening', balanceMinor: report.openingBalanceMinor, atMs: report.fromMs },
    ...report.movements.map((row): ReconciliationCsvRow => ({ record: 'movement', row })),
    { record: 'closing', balanceMinor: report.closingBalanceMinor, atMs: report.toMs },
    ...report.problems.map((problem): ReconciliationCsvRow => ({ record: 'problem', problem })),
  ]);
}

// The assessment's report: a table per probe family (PASS / FAIL / N/A,
// control, expectation, what happened) with totals, as text for a person and
// as JSON for a pipeline; the evidence is in the JSON.
import { FAMILIES, type Family, type ProbeResult } from './probe.ts';

export interface CleanupStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface AssessReport {
  readonly tool: string;
  readonly target: { readonly fspiop: string; readonly admin: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly testParticipants: readonly string[];
  readonly results: readonly ProbeResult[];
  readonly cleanup: readonly CleanupStep[];
  readonly totals: { readonly pass: number; readonly fail: number; readonly notApplicable: number };
  /** No probe failed. */
  readonly ok: boolean;
  /** The controls at least one probe found failing, by their seed names. */
  readonly failedControls: readonly string[];
}

export function summarise(results: readonly ProbeResult[]): Pick<AssessReport, 'totals' | 'ok' | 'failedControls'> {
  const count = (outcome: ProbeResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const failedControls = [...new Set(results.filter((r) => r.outcome === 'fail').map((r) => r.control))];
  return { totals: { pass: count('pass'), fail: count('fail'), notApplicable: count('not-applicable') }, ok: count('fail') === 0, failedControls };
}

const MARK = { pass: 'PASS', fail: 'FAIL', 'not-applicable': 'N/A ' } as const;

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
}

export function reportText(report: AssessReport): string {
  const out: string[] = [];
  out.push(`interlock assess: FSPIOP ${report.target.fspiop}, admin ${report.target.admin}`);
  out.push(`test participants: ${report.testParticipants.join(', ') || '(none)'}; ${report.startedAt} .. ${report.finishedAt}`);
  const indent = ' '.repeat(7);
  for (const family of FAMILIES) {
    const rows = report.results.filter((r) => r.family === (family satisfies Family));
    if (rows.length === 0) continue;
    out.push('', `== ${family} ==`);
    for (const r of rows) {
      out.push(`${MARK[r.outcome]}   ${r.id}  [${r.control}]${r.regressionOfFinding === undefined ? '' : ` (guards against penetration-test finding ${r.regressionOfFinding} returning)`}`);
      out.push(`${indent}expected: ${wrap(r.expectation, 100, indent + '          ')}`);
      out.push(`${indent}outcome:  ${wrap(r.observed, 100, indent + '          ')}`);
    }
  }
  out.push('', '== cleanup ==');
  for (const step of report.cleanup) out.push(`${step.ok ? 'ok  ' : 'FAIL'}   ${step.step}: ${step.detail}`);
  const { pass, fail, notApplicable } = report.totals;
  out.push('', `totals: ${pass} passed, ${fail} failed, ${notApplicable} not applicable`);
  out.push(report.ok ? 'RESULT: every control held' : `RESULT: FAILED controls: ${report.failedControls.join('; ')}`);
  return out.join('\n') + '\n';
}

export function reportJson(report: AssessReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

// The report: totals, the failed controls by their seed names, and the text a person reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTROLS, type ProbeResult } from './probe.ts';
import { reportJson, reportText, summarise, type AssessReport } from './report.ts';

const result = (id: string, outcome: ProbeResult['outcome'], control: ProbeResult['control'], regressionOfFinding?: number): ProbeResult => ({
  id, family: 'tokens', control, asvs: ['v5.0.0-10.3.5'], expectation: `${id} holds`, outcome, observed: `${id} seen`, evidence: { status: 401 }, durationMs: 1,
  ...(regressionOfFinding === undefined ? {} : { regressionOfFinding }),
});

function report(results: ProbeResult[]): AssessReport {
  return {
    tool: 'interlock assess', target: { fspiop: 'https://127.0.0.1:3000', admin: 'https://127.0.0.1:3001' }, startedAt: 't0', finishedAt: 't1',
    testParticipants: ['assessa'], results, cleanup: [{ step: 'assessa: deactivate', ok: true, detail: 'inactive' }], ...summarise(results),
  };
}

test('a failed probe fails the report and names its control once; N/A does not fail it', () => {
  const failing = report([
    result('tokens.missing', 'fail', CONTROLS.tokens), result('tokens.forged', 'fail', CONTROLS.tokens),
    result('risk.frms', 'not-applicable', CONTROLS.frms), result('tokens.scope-missing', 'pass', CONTROLS.tokens, 3),
  ]);
  assert.equal(failing.ok, false);
  assert.deepEqual(failing.totals, { pass: 1, fail: 2, notApplicable: 1 });
  assert.deepEqual(failing.failedControls, [CONTROLS.tokens]);
  const text = reportText(failing);
  assert.match(text, /^FAIL {3}tokens\.missing {2}\[Edge: certificate-bound OAuth2 tokens\]$/m);
  assert.match(text, /\(guards against penetration-test finding 3 returning\)/);
  assert.match(text, /RESULT: FAILED controls: Edge: certificate-bound OAuth2 tokens\n$/);
  assert.equal((JSON.parse(reportJson(failing)) as AssessReport).results[0]?.evidence['status'], 401);

  const passing = report([result('tokens.missing', 'pass', CONTROLS.tokens), result('risk.frms', 'not-applicable', CONTROLS.frms)]);
  assert.equal(passing.ok, true);
  assert.match(reportText(passing), /RESULT: every control held\n$/);
});

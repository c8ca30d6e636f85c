// The Interlock extension's bodies against their schemas: what a DFSP may
// send, and what the hub's answers must look like; everything else refused
// with the code the FSPIOP mapping gives it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateBody } from './body_validation.ts';
import { FRAUD_DESCRIPTION_LENGTH_MAX } from './extension.ts';
import type { OperationKey } from './resources.ts';

const V1_1 = { major: 1, minor: 1 };
const UUID = '0b6e3b8a-7d7c-4f6e-9a2b-1c3d5e7f9a0b';
const REPORT = { fraudReportId: UUID, transferId: '01HZX3Y4Z5A6B7C8D9E0F1G2H3', category: 'ACCOUNT_TAKEOVER', description: 'x'.repeat(FRAUD_DESCRIPTION_LENGTH_MAX) };

function codeOf(operation: OperationKey, body: unknown): string {
  const result = validateBody(operation, body, V1_1);
  return result.ok ? 'ok' : result.error.code;
}

test('a fraud report: the fields it names and nothing else, each of its form', () => {
  assert.equal(codeOf('POST /fraudReports', REPORT), 'ok');
  assert.equal(codeOf('POST /fraudReports', { fraudReportId: UUID, transferId: UUID, category: 'OTHER' }), 'ok', 'description is optional');
  const refused: [unknown, string][] = [
    [{ ...REPORT, description: 'x'.repeat(FRAUD_DESCRIPTION_LENGTH_MAX + 1) }, '3100'],
    [{ ...REPORT, description: '' }, '3100'],
    [{ ...REPORT, category: 'FRAUD' }, '3100'],
    [{ ...REPORT, fraudReportId: '01HZX3Y4Z5A6B7C8D9E0F1G2H3' }, '3100'], // a ULID is a CorrelationId, not the UUID a report id is
    [{ ...REPORT, fraudReportId: UUID.toUpperCase() }, '3100'],
    [{ ...REPORT, transferId: 'not-an-id' }, '3100'],
    [{ ...REPORT, payeeMsisdn: '27713803912' }, '3103'],
    [{ fraudReportId: UUID, category: 'OTHER' }, '3102'],
    [{ ...REPORT, category: 7 }, '3101'],
  ];
  for (const [body, code] of refused) assert.equal(codeOf('POST /fraudReports', body), code, JSON.stringify(body).slice(0, 120));
  assert.equal(codeOf('GET /riskSignals/{Type}/{ID}', undefined), 'ok');
  assert.equal(codeOf('GET /riskSignals/{Type}/{ID}', {}), '3100', 'a GET takes no body');
});

test('the hub\'s answers: a signal is a level, two bounded counts and a day or null; a notification a verdict, a time and a case reference', () => {
  const signal = { level: 'WATCH', fraudReports30d: 0, fraudReports90d: 2, firstSeen: '2026-02-01' };
  assert.equal(codeOf('PUT /riskSignals/{Type}/{ID}', signal), 'ok');
  assert.equal(codeOf('PUT /riskSignals/{Type}/{ID}', { ...signal, firstSeen: null }), 'ok');
  for (const bad of [{ ...signal, level: 'HIGH' }, { ...signal, fraudReports30d: -1 }, { ...signal, fraudReports90d: 1.5 }, { ...signal, firstSeen: '2026-02-01T00:00:00.000Z' }, { ...signal, reporter: 'payerfsp' }]) {
    assert.notEqual(codeOf('PUT /riskSignals/{Type}/{ID}', bad), 'ok', JSON.stringify(bad));
  }
  const notice = { verdict: 'HOLD', decidedAt: '2026-03-10T12:00:00.000Z', caseReference: 'CASE-0042' };
  assert.equal(codeOf('PUT /riskNotifications/{ID}', notice), 'ok');
  for (const bad of [{ ...notice, verdict: 'ALLOW' }, { ...notice, caseReference: 'case 42' }, { ...notice, rule: 'payee-denied' }, { verdict: 'BLOCK' }]) {
    assert.notEqual(codeOf('PUT /riskNotifications/{ID}', bad), 'ok', JSON.stringify(bad));
  }
  assert.equal(codeOf('PUT /fraudReports/{ID}/error', { errorInformation: { errorCode: '3106', errorDescription: 'Modified request' } }), 'ok');
});

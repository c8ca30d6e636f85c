#!/usr/bin/env node
// Reads the output of `npm audit --json` on standard input and says whether it
// is an audit report, and if so whether it lists high or critical advisories.
// .ci/run decides what a missing report means (service unreachable or not).
//
// Exit 0: a report with no high or critical advisory.
// Exit 1: a report with at least one high or critical advisory (listed).
// Exit 3: not an audit report (npm printed an error object, or nothing usable).
//
// Plain JavaScript with JSDoc types, so that it runs on any Node the machine has.
import { readFileSync } from 'node:fs';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'];
const BLOCKING = new Set(['high', 'critical']);

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param {string} line
 * @returns {never}
 */
function notAReport(line) {
  process.stdout.write(`audit-report: no audit report: ${line}\n`);
  process.exit(3);
}

const text = readFileSync(0, 'utf8');
/** @type {unknown} */
let parsed;
try {
  parsed = JSON.parse(text);
} catch {
  notAReport(text.trim() === '' ? 'npm printed nothing on standard output' : 'standard output is not JSON');
}

if (!isObject(parsed)) notAReport('standard output is not a JSON object');
const metadata = parsed['metadata'];
const counts = isObject(metadata) ? metadata['vulnerabilities'] : undefined;
if (parsed['auditReportVersion'] === undefined || !isObject(counts)) {
  // npm's error object: { message, error: { code, summary, detail } } or { error: {...} }.
  const error = parsed['error'];
  const message = typeof parsed['message'] === 'string' && parsed['message'] !== ''
    ? parsed['message']
    : isObject(error) && typeof error['summary'] === 'string' && error['summary'] !== ''
      ? error['summary']
      : 'no auditReportVersion and metadata.vulnerabilities in the JSON';
  notAReport(message);
}

/** @type {Record<string, number>} */
const tally = {};
for (const severity of SEVERITIES) {
  const n = counts[severity];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) notAReport(`metadata.vulnerabilities.${severity} is not a count`);
  tally[severity] = n;
}
const summary = SEVERITIES.map((severity) => `${severity}=${String(tally[severity])}`).join(' ');
process.stdout.write(`audit-report: advisories by severity: ${summary}\n`);

const vulnerabilities = isObject(parsed['vulnerabilities']) ? parsed['vulnerabilities'] : {};
/** @type {string[]} */
const blocking = [];
for (const [name, raw] of Object.entries(vulnerabilities)) {
  if (!isObject(raw) || typeof raw['severity'] !== 'string' || !BLOCKING.has(raw['severity'])) continue;
  const via = Array.isArray(raw['via']) ? raw['via'] : [];
  const advisories = via
    .filter(isObject)
    .map((v) => `${typeof v['title'] === 'string' ? v['title'] : '?'} ${typeof v['url'] === 'string' ? v['url'] : ''}`.trim());
  const range = typeof raw['range'] === 'string' ? raw['range'] : '?';
  blocking.push(`  ${raw['severity']} ${name} ${range}${advisories.length > 0 ? `: ${advisories.join('; ')}` : ' (through a dependency)'}`);
}

const blockingCount = (tally['high'] ?? 0) + (tally['critical'] ?? 0);
if (blockingCount > 0 || blocking.length > 0) {
  process.stdout.write(`audit-report: high or critical advisories in the dependency tree:\n${blocking.join('\n')}\n`);
  process.exit(1);
}
process.exit(0);

// CSV for the admin API's reports: RFC 4180 (CRLF line ends, a header row,
// fields with a comma, quote or line break quoted, quotes doubled), and no
// formula injection: a text cell that a spreadsheet would read as a formula
// (it starts with =, +, -, @, a tab or a carriage return) gets a leading
// apostrophe, as OWASP advises. Amounts are exact decimal strings
// (formatAmount) and are never prefixed: "-20" is an amount, not a formula.
import assert from 'node:assert/strict';

export type CsvKind = 'text' | 'amount' | 'integer';

export interface CsvColumn<Row> {
  header: string;
  kind: CsvKind;
  /** Null: an empty cell. An amount is formatAmount's string, an integer a safe integer. */
  value: (row: Row) => string | number | null;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const DIGITS = /^[0-9]+$/;

/** formatAmount's shape: an optional minus, digits, and optionally a point and digits. */
function isDecimal(value: string): boolean {
  const parts = (value.startsWith('-') ? value.slice(1) : value).split('.');
  return parts.length <= 2 && parts.every((part) => DIGITS.test(part));
}

function field(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One cell, escaped for its kind. */
export function csvCell(kind: CsvKind, value: string | number | null): string {
  if (value === null) return '';
  if (kind === 'amount') {
    assert.ok(typeof value === 'string' && isDecimal(value), `a CSV amount is an exact decimal string, not ${String(value)}`);
    return value;
  }
  if (kind === 'integer') {
    assert.ok(typeof value === 'number' && Number.isSafeInteger(value), `a CSV integer is a safe integer, not ${String(value)}`);
    return String(value);
  }
  const text = String(value);
  return field(FORMULA_START.test(text) ? `'${text}` : text);
}

/** The document: the header row, then one line per row, each line ending in CRLF. */
export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvCell('text', c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.kind, c.value(row))).join(','));
  return lines.map((line) => `${line}\r\n`).join('');
}

/** The q-value the Accept header gives `type` (its most specific matching range; 0 when none matches). */
function quality(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = { specificity: 0, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const specificity = range === type ? 3 : range === `${major ?? ''}/*` ? 2 : range === '*/*' ? 1 : 0;
    if (specificity <= best.specificity) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    best = { specificity, q: Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0 };
  }
  return best.q;
}

/** CSV when the query says format=csv, or the Accept header prefers text/csv to application/json; JSON otherwise. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  if (accept === undefined) return false;
  const csv = quality(accept, 'text/csv');
  return csv > 0 && csv > quality(accept, 'application/json');
}

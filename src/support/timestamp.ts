// The one parser of timestamps that come from outside (message bodies, query
// strings, the admin API). Date.parse alone would take "1", "May 5" and more,
// and V8 rolls 2025-02-30 over to 2 March; this takes only a real instant.

// FSPIOP DateTime's shape (RFC 3339 with seconds, optional milliseconds and a zone).
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d\d\d|\.\d\d|\.\d)?(Z|[+-]\d\d:\d\d)$/;

/** Milliseconds since the epoch of an FSPIOP DateTime (e.g. 2026-12-03T15:00:00.000Z), or undefined when it is not one. */
export function parseDateTimeMs(text: string): number | undefined {
  const fields = DATE_TIME.exec(text);
  if (fields === null) return undefined;
  const [year = Number.NaN, month = Number.NaN, day = Number.NaN, hour = Number.NaN, minute = Number.NaN, second = Number.NaN] = fields.slice(1, 7).map(Number);
  const zone = fields[7] ?? '';
  const [offsetHour, offsetMinute] = zone === 'Z' ? [0, 0] : [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  const realDay = calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
  if (!realDay || hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return undefined;
  return Date.parse(text);
}

// The Interlock extension of the FSPIOP API: the FRMS's sharing with DFSPs
// (issue 16; docs/fspiop-extensions.md). Three resources, each carried like an
// FSPIOP one (Content-Type application/vnd.interoperability.<resource>+json,
// FSPIOP headers, JWS, mutual TLS, the gateway) and answered like one (202,
// then a callback the hub signs):
//
//   POST /fraudReports                  a DFSP reports a confirmed fraud on a transfer it took part in;
//                                       answered by PUT /fraudReports/{ID} (or …/error)
//   GET /riskSignals/{Type}/{ID}        a DFSP asks the risk signal of a payee party before it pays;
//                                       answered by PUT /riskSignals/{Type}/{ID} (or …/error)
//   PUT /riskNotifications/{ID}         the hub tells a payer DFSP it blocked, held or alerted on its transfer {ID}
//
// Mojaloop's definitions do not have them, so their body schemas are written
// here (in the generated files' dialect, draft-07 for ajv strict mode) rather
// than generated; an error callback's body is the FSPIOP ErrorInformationObject.
// Imports nothing: resources.ts and body_validation.ts import this.

export const EXTENSION_RESOURCES = ['fraudReports', 'riskSignals', 'riskNotifications'] as const;

/** What a fraud report says happened. */
export const FRAUD_CATEGORIES = ['SOCIAL_ENGINEERING', 'ACCOUNT_TAKEOVER', 'MONEY_MULE', 'IDENTITY_FRAUD', 'AUTHORISED_PUSH_PAYMENT', 'OTHER'] as const;
export type FraudCategory = (typeof FRAUD_CATEGORIES)[number];

/** A fraud report's free text, characters: enough for an analyst's summary, too little for a file. */
export const FRAUD_DESCRIPTION_LENGTH_MAX = 512;

/**
 * A party's risk signal, most severe last: NONE (nothing known), WATCH (on the scheme's watch list),
 * REPORTED (named by a fraud report in the last 90 days), DENIED (on the scheme's deny list).
 */
export const RISK_SIGNAL_LEVELS = ['NONE', 'WATCH', 'REPORTED', 'DENIED'] as const;
export type RiskSignalLevel = (typeof RISK_SIGNAL_LEVELS)[number];

/** What a risk notification tells: the FRMS's verdict on the transfer (never the rule or its thresholds). */
export const NOTIFIED_VERDICTS = ['ALERT', 'HOLD', 'BLOCK'] as const;
export type NotifiedVerdict = (typeof NOTIFIED_VERDICTS)[number];

/** A case reference an analyst's case carries (the FRMS's cases fill it). */
export const CASE_REFERENCE_LENGTH_MAX = 64;

/** Most fraud reports counted in a signal: a count above it says "at least this many". */
export const SIGNAL_COUNT_MAX = 1_000_000;

// The FSPIOP types the bodies use, as the generated v1.1 file writes them.
const CORRELATION_ID = { title: 'CorrelationId', type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$|^[0-9A-HJKMNP-TV-Z]{26}$' };
const UUID = { title: 'UUID', type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' };
const DATE_TIME = {
  title: 'DateTime', type: 'string',
  pattern: '^(?:[1-9]\\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:[1-9]\\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)-02-29)T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:(\\.\\d{3}))(?:Z|[+-][01]\\d:[0-5]\\d)$',
};
const DATE = { title: 'Date', type: 'string', pattern: '^\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])$' };
const COUNT = { type: 'integer', minimum: 0, maximum: SIGNAL_COUNT_MAX };

const object = (required: readonly string[], properties: Readonly<Record<string, unknown>>, title: string) => ({
  $schema: 'http://json-schema.org/draft-07/schema#', title, type: 'object', additionalProperties: false, required, properties,
});

/** The body schema of each extension operation; 'error' is the FSPIOP ErrorInformationObject, null no body. */
export const EXTENSION_BODY_SCHEMAS: Readonly<Record<string, object | 'error' | null>> = {
  'POST /fraudReports': object(['fraudReportId', 'transferId', 'category'], {
    fraudReportId: UUID,
    transferId: CORRELATION_ID,
    category: { title: 'FraudCategory', type: 'string', enum: FRAUD_CATEGORIES },
    description: { title: 'FraudDescription', type: 'string', minLength: 1, maxLength: FRAUD_DESCRIPTION_LENGTH_MAX },
  }, 'FraudReportsPostRequest'),
  'PUT /fraudReports/{ID}': object(['transferId', 'category', 'recordedAt'], {
    transferId: CORRELATION_ID,
    category: { title: 'FraudCategory', type: 'string', enum: FRAUD_CATEGORIES },
    recordedAt: DATE_TIME,
  }, 'FraudReportsIDPutResponse'),
  'PUT /fraudReports/{ID}/error': 'error',
  'GET /riskSignals/{Type}/{ID}': null,
  'PUT /riskSignals/{Type}/{ID}': object(['level', 'fraudReports30d', 'fraudReports90d', 'firstSeen'], {
    level: { title: 'RiskSignalLevel', type: 'string', enum: RISK_SIGNAL_LEVELS },
    fraudReports30d: COUNT,
    fraudReports90d: COUNT,
    firstSeen: { anyOf: [DATE, { type: 'null' }] },
  }, 'RiskSignalsTypeIDPutResponse'),
  'PUT /riskSignals/{Type}/{ID}/error': 'error',
  'PUT /riskNotifications/{ID}': object(['verdict', 'decidedAt'], {
    verdict: { title: 'NotifiedVerdict', type: 'string', enum: NOTIFIED_VERDICTS },
    caseReference: { title: 'CaseReference', type: 'string', pattern: `^[A-Za-z0-9_-]{1,${CASE_REFERENCE_LENGTH_MAX}}$` },
    decidedAt: DATE_TIME,
  }, 'RiskNotificationsIDPutRequest'),
};

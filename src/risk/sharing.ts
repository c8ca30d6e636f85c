// The FRMS's sharing with DFSPs: the domain of the Interlock extension of the
// FSPIOP API (fspiop/extension.ts, docs/fspiop-extensions.md). The edge has
// checked everything a DFSP call gets (mutual TLS, gateway, signature, schema)
// before a request reaches here; each answer is a callback the hub signs,
// written to the outbox in the transaction of what it reports.
//
// What a DFSP must not learn or do, and where it is stopped:
// - learn of a transfer it was not party to: a report on it is answered
//   exactly as one on a transfer that does not exist (3208);
// - rewrite a report: the same fraudReportId with other content is 3106, and
//   the stored report stays as it was (the table is append-only);
// - flood the watch list: FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX, refused at once
//   with nothing stored or queued;
// - learn another DFSP's customers or who reported them: a signal carries a
//   level, counts and a date, never a DFSP, an identifier or a report;
//   stored suspects are party keys (keyed digests), list reasons name only the
//   report id.
import { sql } from 'kysely';
import type { OutboundMessage } from '../delivery/index.ts';
import {
  errorInformation, hubHeaders, SIGNAL_COUNT_MAX,
  type EXTENSION_RESOURCES, type Failure, type FraudCategory, type Inbound, type NotifiedVerdict, type PartyIdType, type RiskSignalLevel,
} from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { callbackEndpoint, findParticipant, type EndpointType } from '../participants/index.ts';
import { runTransaction, type Db, type Engine } from '../storage/index.ts';
import { canonicalHash, canonicalJson, type Logger } from '../support/index.ts';
import { findFraudReport, FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX, insertFraudReport, reportsInDay, reportsNaming } from './fraud_reports.ts';
import { addToList, listFlags } from './lists.ts';
import { paymentParties } from './parties.ts';
import type { PartyKeyOf } from './party_key.ts';
import { riskTables } from './tables.ts';
import type { PartyKey, Verdict } from './types.ts';

/** The windows a signal counts fraud reports over. */
export const SIGNAL_RECENT_MS = 30 * 86_400_000;
export const SIGNAL_REPORTED_MS = 90 * 86_400_000;
/** Who the watch list names as having added a reported party. */
export const FRAUD_REPORT_LIST_ACTOR = 'fraud-report';

/** A transfer as the fraud reports need it: its two DFSPs and the Transaction object of its ILP packet (untrusted). */
export interface TransferParties {
  readonly payerFsp: string;
  readonly payeeFsp: string;
  readonly transaction: unknown;
}

/** The transfers module's query (main.ts wires it: risk/ sits below transfers/). */
export type TransferPartiesOf = (db: Db, transferId: string) => Promise<TransferParties | undefined>;

export interface FraudReportBody {
  readonly fraudReportId: string;
  readonly transferId: string;
  readonly category: FraudCategory;
  readonly description?: string;
}

/** What the FRMS tells a payer DFSP of its transfer: the verdict, never the rule. */
export interface RiskNotice {
  readonly transferId: string;
  readonly payerFsp: string;
  readonly verdict: Verdict;
  readonly decidedAtMs: number;
  /** The analysts' case, when one was opened (the FRMS's cases fill it). */
  readonly caseReference?: string | undefined;
}

/** Sends the notice, in the payment's transaction, to a payer DFSP that registered for them; nothing for ALLOW. */
export type RiskNotifier = (tx: Tx, notice: RiskNotice) => Promise<void>;

export type SharingOutcome =
  | { kind: 'recorded' | 'repeated' | 'answered' }
  /** An error callback went to the sender; `cause` is for the hub's log only. */
  | { kind: 'refused'; failure: Failure; cause: string }
  /** Refused at once, nothing stored or sent: the edge answers it synchronously. */
  | { kind: 'invalid'; failure: Failure };

export interface RiskSharingDeps {
  readonly db: Db;
  readonly engine: Engine;
  readonly partyKeyOf: PartyKeyOf;
  readonly transferPartiesOf: TransferPartiesOf;
  readonly enqueue: (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;
  readonly nowMs: () => number;
  readonly log: Logger;
}

type ExtensionResource = (typeof EXTENSION_RESOURCES)[number];

/** The content version the hub answers in: the request's, or 1.1 for what it sends unasked. */
const NOTICE_VERSION = '1.1';

function hubMessage(resource: ExtensionResource, recipient: string, endpointType: EndpointType, templateValues: Record<string, string>, uri: string,
  body: unknown, version: string, nowMs: number, subject: string, pathSuffix = ''): OutboundMessage {
  return {
    recipient, endpointType, templateValues, pathSuffix, method: 'PUT',
    headers: hubHeaders(resource, recipient, 'PUT', `${uri}${pathSuffix}`, version, nowMs), body: canonicalJson(body), subject,
  };
}

const fail = (code: Failure['code'], detail: string, httpStatus?: number): Failure => (httpStatus === undefined ? { code, detail } : { code, detail, httpStatus });

/** Not a transfer the sender took part in: the same whether it does not exist or belongs to others. */
const NO_SUCH_TRANSFER = fail('3208', 'no transfer with this transferId that the sender took part in');

/** A sender without the callback endpoint could never hear the answer: refused at once. */
async function endpointMissing(tx: Tx, sender: string, type: EndpointType): Promise<SharingOutcome | undefined> {
  const participant = await findParticipant(tx, sender);
  if (participant !== undefined && await callbackEndpoint(tx, participant.id, type) !== undefined) return undefined;
  return { kind: 'invalid', failure: fail('3000', `register a ${type} endpoint to receive the hub's answers`) };
}

function reportMessage(id: string, recipient: string, body: unknown, version: string, nowMs: number, error: boolean): OutboundMessage {
  return hubMessage('fraudReports', recipient, 'INTERLOCK_CALLBACK_URL_FRAUD_REPORTS', { ID: id }, `/fraudReports/${id}`, body, version, nowMs,
    `fraud report ${id} ${error ? 'error' : 'answer'} from hub`, error ? '/error' : '');
}

async function refuseReport(deps: RiskSharingDeps, tx: Tx, inbound: Inbound, id: string, failure: Failure, cause: string, nowMs: number): Promise<SharingOutcome> {
  await deps.enqueue(tx, reportMessage(id, inbound.source, errorInformation(failure), inbound.contentVersion, nowMs, true), nowMs);
  return { kind: 'refused', failure, cause };
}

/** POST /fraudReports: recorded, the suspect watched, and answered; or refused. */
function reportFraud(deps: RiskSharingDeps, inbound: Inbound, body: FraudReportBody): Promise<SharingOutcome> {
  const { engine } = deps;
  return runTransaction(deps.db, engine, async (tx) => {
    const nowMs = deps.nowMs();
    const reporter = inbound.source;
    const id = body.fraudReportId;
    const missing = await endpointMissing(tx, reporter, 'INTERLOCK_CALLBACK_URL_FRAUD_REPORTS');
    if (missing !== undefined) return missing;
    // One reporter's reports are counted and written one at a time, so that concurrent ones cannot pass the bound together.
    if (engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`risk_fraud_reports ${reporter}`}))`.execute(tx);
    const content = { fraudReportId: id, transferId: body.transferId, category: body.category, description: body.description ?? null };
    const contentHash = canonicalHash(content);
    const existing = await findFraudReport(tx, id);
    if (existing !== undefined) {
      if (existing.reporter_fsp !== reporter || existing.content_hash !== contentHash) {
        return refuseReport(deps, tx, inbound, id, fail('3106', 'a fraud report with this fraudReportId and other content exists'), 'modified repeat', nowMs);
      }
      // The same report again: answered again, with no second effect.
      const answer = { transferId: existing.transfer_id, category: existing.category, recordedAt: new Date(existing.reported_at_ms).toISOString() };
      await deps.enqueue(tx, reportMessage(id, reporter, answer, inbound.contentVersion, nowMs, false), nowMs);
      return { kind: 'repeated' };
    }
    if (await reportsInDay(tx, reporter, nowMs) >= FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX) {
      deps.log.warn({ reporter, limit: FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX }, 'fraud report refused: the DFSP reached its daily bound');
      return { kind: 'invalid', failure: fail('3000', `at most ${FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX} fraud reports a DFSP in 24 hours; try again later`, 429) };
    }
    const transfer = await deps.transferPartiesOf(tx, body.transferId);
    const role = transfer?.payerFsp === reporter ? 'payer' : transfer?.payeeFsp === reporter ? 'payee' : undefined;
    if (transfer === undefined || role === undefined) {
      // A DFSP reporting on others' transfers is probing or mistaken: the operator's log says which (the DFSP is told neither).
      if (transfer !== undefined) deps.log.warn({ reporter, transferId: body.transferId }, 'fraud report refused: the DFSP was not party to the transfer');
      return refuseReport(deps, tx, inbound, id, NO_SUCH_TRANSFER, transfer === undefined ? 'unknown transfer' : 'not a party to the transfer', nowMs);
    }
    // The counter-party is the suspect: the payee of the reporting payer, the payer of the reporting payee.
    const parties = paymentParties(transfer.transaction, deps.partyKeyOf);
    const suspect: PartyKey | null = role === 'payer' ? parties.payee.key : parties.payer.key;
    await insertFraudReport(tx, {
      fraudReportId: id, transferId: body.transferId, reporterFsp: reporter, reporterRole: role, suspectPartyKey: suspect,
      category: body.category, description: body.description ?? null, contentHash, reportedAtMs: nowMs,
    });
    if (suspect !== null) {
      const listed = await addToList(tx, { list: 'watch', partyKey: suspect, reason: `fraud report ${id} (${body.category})`, addedBy: FRAUD_REPORT_LIST_ACTOR, nowMs });
      if (!listed.ok) deps.log.error({ fraudReportId: id, refusal: listed.error.detail }, 'a reported party could not be put on the watch list');
    }
    const answer = { transferId: body.transferId, category: body.category, recordedAt: new Date(nowMs).toISOString() };
    await deps.enqueue(tx, reportMessage(id, reporter, answer, inbound.contentVersion, nowMs, false), nowMs);
    return { kind: 'recorded' };
  });
}

/** The first day the party was seen in a payment the features keep (within their retention), or null. */
async function firstSeen(tx: Tx, key: PartyKey): Promise<string | null> {
  const row = await riskTables(tx).selectFrom('risk_pairs').select((eb) => eb.fn.min<number | bigint | string | null>('first_seen_ms').as('first'))
    .where((eb) => eb.or([eb('payee_key', '=', key), eb('payer_key', '=', key)])).executeTakeFirst();
  return row?.first === null || row?.first === undefined ? null : new Date(Number(row.first)).toISOString().slice(0, 10);
}

/** GET /riskSignals/{Type}/{ID}: the party's signal, answered to the asker alone. */
function riskSignal(deps: RiskSharingDeps, inbound: Inbound, party: { readonly type: PartyIdType; readonly id: string }): Promise<SharingOutcome> {
  return runTransaction(deps.db, deps.engine, async (tx) => {
    const nowMs = deps.nowMs();
    const missing = await endpointMissing(tx, inbound.source, 'INTERLOCK_CALLBACK_URL_RISK_SIGNALS');
    if (missing !== undefined) return missing;
    const key = deps.partyKeyOf({ partyIdType: party.type, partyIdentifier: party.id });
    const flags = await listFlags(tx, key, null);
    const reports30d = Math.min(SIGNAL_COUNT_MAX, await reportsNaming(tx, key, nowMs - SIGNAL_RECENT_MS));
    const reports90d = Math.min(SIGNAL_COUNT_MAX, await reportsNaming(tx, key, nowMs - SIGNAL_REPORTED_MS));
    const level: RiskSignalLevel = flags.payerDenied === true ? 'DENIED' : reports90d > 0 ? 'REPORTED' : flags.payerWatched === true ? 'WATCH' : 'NONE';
    const body = { level, fraudReports30d: reports30d, fraudReports90d: reports90d, firstSeen: await firstSeen(tx, key) };
    const uri = `/riskSignals/${encodeURIComponent(party.type)}/${encodeURIComponent(party.id)}`;
    // The subject goes to logs: the type only, never the identifier.
    await deps.enqueue(tx, hubMessage('riskSignals', inbound.source, 'INTERLOCK_CALLBACK_URL_RISK_SIGNALS', { partyIdType: party.type, partyIdentifier: party.id },
      uri, body, inbound.contentVersion, nowMs, `risk signal ${party.type} from hub`), nowMs);
    return { kind: 'answered' };
  });
}

/** The RiskNotifier the transfer's risk step calls. */
async function notify(deps: RiskSharingDeps, tx: Tx, notice: RiskNotice): Promise<void> {
  if (notice.verdict === 'ALLOW') return;
  const payer = await findParticipant(tx, notice.payerFsp);
  if (payer === undefined || await callbackEndpoint(tx, payer.id, 'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS') === undefined) return;
  const verdict: NotifiedVerdict = notice.verdict;
  const body = { verdict, decidedAt: new Date(notice.decidedAtMs).toISOString(), ...(notice.caseReference === undefined ? {} : { caseReference: notice.caseReference }) };
  await deps.enqueue(tx, hubMessage('riskNotifications', notice.payerFsp, 'INTERLOCK_CALLBACK_URL_RISK_NOTIFICATIONS', { transferId: notice.transferId },
    `/riskNotifications/${notice.transferId}`, body, NOTICE_VERSION, notice.decidedAtMs, `risk notification ${notice.transferId} ${verdict} from hub`), notice.decidedAtMs);
}

export function createRiskSharing(deps: RiskSharingDeps) {
  const notifier: RiskNotifier = (tx, notice) => notify(deps, tx, notice);
  return {
    reportFraud: (inbound: Inbound, body: FraudReportBody) => reportFraud(deps, inbound, body),
    riskSignal: (inbound: Inbound, party: { readonly type: PartyIdType; readonly id: string }) => riskSignal(deps, inbound, party),
    notify: notifier,
  };
}

export type RiskSharing = ReturnType<typeof createRiskSharing>;

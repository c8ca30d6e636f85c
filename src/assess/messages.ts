// Message probes: what the hub does with FSPIOP requests that are signed
// wrongly, replayed, duplicated with other terms, malformed, too large, out
// of time, or whose ILP terms do not hold. Every request here comes over the
// test participant's own certificate with its own valid token, so that only
// the one thing a probe breaks can be the reason for a refusal.
import { createSecretKey, randomBytes } from 'node:crypto';
import { FlattenedSign } from 'jose';
import { formatSignatureHeader } from '../signature/index.ts';
import { sdkStableJson } from '../ilp/index.ts';
import type { Arrival } from '../sim/index.ts';
import { positionOf, prepareTerms, type AssessContext, type PrepareTerms } from './context.ts';
import { answerEvidence, errorCodeOf, type RawAnswer } from './fspiop_client.ts';
import { CONTROLS, fail, verdict, type Probe, type Verdict } from './probe.ts';

type MessageProbe = Probe<AssessContext>;
/** Each transfer of the assessment moves this much: a test amount, well inside the test funds-in. */
export const PROBE_TRANSFER_AMOUNT = '1';

const transfersOf = (id: string) => (arrival: Arrival) => arrival.path === `/transfers/${id}` || arrival.path === `/transfers/${id}/error`;

export function sendPrepare(context: AssessContext, body: unknown, tamper?: Parameters<AssessContext['payer']['send']>[0]['tamper']): Promise<RawAnswer> {
  const { payer, payee } = context;
  return payer.send({ resource: 'transfers', method: 'POST', uri: '/transfers', destination: payee.name, body, ...(tamper === undefined ? {} : { tamper }) });
}

/** The payee's answer to a prepare: its fulfilment (COMMITTED). */
export function sendFulfil(context: AssessContext, transferId: string, fulfilment: string): Promise<RawAnswer> {
  return context.payee.send({
    resource: 'transfers', method: 'PUT', uri: `/transfers/${transferId}`, destination: context.payer.name,
    body: { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() },
  });
}

/** The payee declines a prepare (5105), which releases the payer's reservation. */
export function sendDecline(context: AssessContext, transferId: string): Promise<RawAnswer> {
  return context.payee.send({
    resource: 'transfers', method: 'PUT', uri: `/transfers/${transferId}/error`, destination: context.payer.name,
    body: { errorInformation: { errorCode: '5105', errorDescription: 'Payee FSP rejected transaction - interlock assess' } },
  });
}

/** A whole transfer of PROBE_TRANSFER_AMOUNT from payer to payee; what happened at each step. */
export async function committedTransfer(context: AssessContext): Promise<{ terms: PrepareTerms; prepared: RawAnswer; forwarded: Arrival | undefined; fulfilled: RawAnswer | undefined; notice: Arrival | undefined }> {
  const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
  const id = terms.body.transferId;
  const prepared = await sendPrepare(context, terms.body);
  if (prepared.status !== 202) return { terms, prepared, forwarded: undefined, fulfilled: undefined, notice: undefined };
  const forwarded = await context.payee.waitFor((arrival) => arrival.path === '/transfers' && (arrival.body as { transferId?: string }).transferId === id);
  if (forwarded === undefined) return { terms, prepared, forwarded, fulfilled: undefined, notice: undefined };
  const fulfilled = await sendFulfil(context, id, terms.fulfilment);
  const notice = await context.payer.waitFor(transfersOf(id));
  return { terms, prepared, forwarded, fulfilled, notice };
}

/** A refusal: answered at once with `status` and `code`, or accepted (202) and then refused by an error callback carrying `code`. */
async function refusedWith(context: AssessContext, answer: RawAnswer, transferId: string, code: string, status = 400): Promise<Verdict> {
  const evidence: Record<string, unknown> = { answer: answerEvidence(answer) };
  const syncCode = errorCodeOf(answer.text);
  if (answer.status === status && syncCode === code) return verdict(true, `HTTP ${status}, FSPIOP error ${code}`, evidence);
  if (answer.status === 202) {
    const callback = await context.payer.waitFor(transfersOf(transferId));
    evidence['callback'] = callback === undefined ? 'none' : { path: callback.path, body: callback.body };
    const callbackCode = (callback?.body as { errorInformation?: { errorCode?: string } } | undefined)?.errorInformation?.errorCode;
    return verdict(callbackCode === code, callbackCode === undefined ? 'accepted, and no error callback followed' : `accepted, then error callback ${callbackCode}`, evidence);
  }
  return fail(`HTTP ${answer.status} ${syncCode ?? ''}, not ${status}/${code}`.trim(), evidence);
}

/** A prepare that should have been refused before anything was reserved: 4xx, and never forwarded to the payee. */
function refusedOutright(answer: RawAnswer, evidence: Record<string, unknown> = {}): Verdict {
  const refused = answer.status >= 400 && answer.status < 500;
  return verdict(refused, `HTTP ${answer.status} ${errorCodeOf(answer.text) ?? ''}`.trim(), { ...evidence, answer: answerEvidence(answer) });
}

/** The FSPIOP-Signature fields a DFSP signs, for a hand-made protected header. */
function protectedFields(context: AssessContext, date: string) {
  return { 'FSPIOP-URI': '/transfers', 'FSPIOP-HTTP-Method': 'POST', 'FSPIOP-Source': context.payer.name, 'FSPIOP-Destination': context.payee.name, Date: date };
}

const jws = CONTROLS.jws;
const idempotency = CONTROLS.idempotency;
const ilp = CONTROLS.ilp;
const limits = CONTROLS.limits;

/** An MSISDN whose last digit is a Cyrillic "а" (U+0430), which looks like a Latin "a" and is no digit at all. */
const CYRILLIC_MSISDN = '2771380391\u0430';

export const MESSAGE_PROBES: readonly MessageProbe[] = [
  {
    id: 'messages.party-identifier-by-type', family: 'messages', control: jws, asvs: ['v5.0.0-2.2.1', 'v5.0.0-1.1.1'], regressionOfFinding: 6,
    expectation: 'a lookup of an MSISDN containing a Cyrillic letter is refused as malformed (HTTP 400, FSPIOP 310x), not looked up',
    async run(context) {
      const uri = `/parties/MSISDN/${encodeURIComponent(CYRILLIC_MSISDN)}`;
      const answer = await context.payer.send({ resource: 'parties', method: 'GET', uri, destination: undefined });
      const code = errorCodeOf(answer.text);
      const evidence: Record<string, unknown> = { partyIdentifier: 'MSISDN 2771380391 + U+0430', answer: answerEvidence(answer) };
      if (answer.status === 202) {
        const callback = await context.payer.waitFor((arrival) => arrival.path.startsWith('/parties/MSISDN/') && arrival.path.endsWith('/error') && decodeURIComponent(arrival.path).includes(CYRILLIC_MSISDN));
        const callbackCode = (callback?.body as { errorInformation?: { errorCode?: string } } | undefined)?.errorInformation?.errorCode;
        evidence['callback'] = callback?.body;
        return verdict(callbackCode?.startsWith('310') === true, `accepted (202), then ${callbackCode === undefined ? 'no error callback' : `error callback ${callbackCode}`}`, evidence);
      }
      return verdict(answer.status === 400 && code?.startsWith('310') === true, `HTTP ${answer.status} ${code ?? ''}`.trim(), evidence);
    },
  },
  {
    id: 'messages.body-changed-after-signing', family: 'messages', control: jws, asvs: ['v5.0.0-4.1.5', 'v5.0.0-11.4.3'],
    expectation: 'a prepare whose body was changed after it was signed is refused: HTTP 400, FSPIOP error 3105',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const tampered = Buffer.from(sdkStableJson({ ...terms.body, amount: { ...terms.body.amount, amount: '2' } }), 'utf8');
      const answer = await sendPrepare(context, terms.body, { body: tampered });
      return verdict(answer.status === 400 && errorCodeOf(answer.text) === '3105', `HTTP ${answer.status} ${errorCodeOf(answer.text) ?? ''}`.trim(), { changed: 'amount 1 -> 2 after signing', answer: answerEvidence(answer) });
    },
  },
  {
    id: 'messages.signature-alg-none', family: 'messages', control: jws, asvs: ['v5.0.0-4.1.5', 'v5.0.0-9.1.2'],
    expectation: 'a prepare "signed" with alg none and an empty signature is refused (4xx)',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const date = new Date().toUTCString();
      const header = Buffer.from(JSON.stringify({ alg: 'none', ...protectedFields(context, date) })).toString('base64url');
      const answer = await sendPrepare(context, terms.body, { headers: { date, 'fspiop-signature': formatSignatureHeader({ protectedHeader: header, signature: '' }) } });
      return refusedOutright(answer, { signature: 'alg none, empty signature' });
    },
  },
  {
    id: 'messages.signature-alg-hs256', family: 'messages', control: jws, asvs: ['v5.0.0-4.1.5', 'v5.0.0-9.1.2', 'v5.0.0-9.1.3'],
    expectation: 'a prepare signed HS256 with the participant\'s public key as the HMAC secret (algorithm confusion) is refused (4xx)',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const date = new Date().toUTCString();
      const publicPem = context.payer.credentials.signingKey.publicKey.export({ type: 'spki', format: 'pem' });
      const signed = await new FlattenedSign(Buffer.from(sdkStableJson(terms.body), 'utf8'))
        .setProtectedHeader({ alg: 'HS256', ...protectedFields(context, date) })
        .sign(createSecretKey(Buffer.from(publicPem)));
      const answer = await sendPrepare(context, terms.body, { headers: { date, 'fspiop-signature': formatSignatureHeader({ protectedHeader: signed.protected ?? '', signature: signed.signature }) } });
      return refusedOutright(answer, { signature: 'HS256 keyed with the public key' });
    },
  },
  {
    id: 'messages.prepare-replayed', family: 'messages', control: idempotency, asvs: ['v5.0.0-2.3.1', 'v5.0.0-2.3.4', 'v5.0.0-15.4.2'],
    expectation: 'a committed prepare sent again is answered as a replay (the transfer\'s state), and the payer\'s position moves once',
    async run(context) {
      const before = await positionOf(context, context.payer.name);
      const first = await committedTransfer(context);
      const state = (first.notice?.body as { transferState?: string } | undefined)?.transferState;
      const evidence: Record<string, unknown> = { positionBefore: before, prepare: answerEvidence(first.prepared), fulfil: first.fulfilled === undefined ? 'not sent' : answerEvidence(first.fulfilled), notice: first.notice?.body };
      if (state !== 'COMMITTED') return fail(`the first transfer did not commit (${state ?? 'no notice'}), so the replay proves nothing`, evidence);
      const afterFirst = await positionOf(context, context.payer.name);
      const id = first.terms.body.transferId;
      const noticesBefore = context.payer.arrivals.filter(transfersOf(id)).length;
      const replay = await sendPrepare(context, first.terms.body);
      const replayNotice = replay.status === 202 ? await context.payer.waitFor((arrival) => transfersOf(id)(arrival) && context.payer.arrivals.filter(transfersOf(id)).indexOf(arrival) >= noticesBefore) : undefined;
      const afterReplay = await positionOf(context, context.payer.name);
      Object.assign(evidence, { positionAfterFirst: afterFirst, replay: answerEvidence(replay), replayNotice: replayNotice?.body, positionAfterReplay: afterReplay });
      const replayState = (replayNotice?.body as { transferState?: string } | undefined)?.transferState;
      return verdict(replay.status === 202 && replayState === 'COMMITTED' && afterReplay === afterFirst && afterFirst !== before,
        `replay answered ${replay.status}, callback ${replayState ?? 'none'}; position ${before ?? '?'} -> ${afterFirst ?? '?'} -> ${afterReplay ?? '?'}`, evidence);
    },
  },
  {
    id: 'messages.duplicate-id-changed-terms', family: 'messages', control: idempotency, asvs: ['v5.0.0-2.3.1', 'v5.0.0-2.2.3'],
    expectation: 'a prepare reusing a transferId with other terms is refused with FSPIOP error 3106',
    async run(context) {
      const original = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const first = await sendPrepare(context, original.body);
      if (first.status !== 202) return fail(`the original prepare was refused (HTTP ${first.status}), so the duplicate proves nothing`, { original: answerEvidence(first) });
      await context.payee.waitFor((arrival) => arrival.path === '/transfers' && (arrival.body as { transferId?: string }).transferId === original.body.transferId);
      const changed = prepareTerms(context, '2');
      const duplicate = await sendPrepare(context, { ...changed.body, transferId: original.body.transferId });
      const result = await refusedWith(context, duplicate, original.body.transferId, '3106');
      await sendDecline(context, original.body.transferId);
      return result;
    },
  },
  {
    id: 'messages.duplicate-json-members', family: 'messages', control: jws, asvs: ['v5.0.0-1.5.3', 'v5.0.0-2.2.1', 'v5.0.0-15.3.7'], regressionOfFinding: 3,
    expectation: 'a signed prepare with a JSON member given twice (amount) is refused: HTTP 400, FSPIOP error 3101',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const text = sdkStableJson(terms.body).replace('"amount":{', '"amount":{"amount":"9","currency":"XTS"},"amount":{');
      const answer = await context.payer.send({ resource: 'transfers', method: 'POST', uri: '/transfers', destination: context.payee.name, bodyText: text });
      if (answer.status === 202) await sendDecline(context, terms.body.transferId);
      return verdict(answer.status === 400 && errorCodeOf(answer.text) === '3101', `HTTP ${answer.status} ${errorCodeOf(answer.text) ?? ''}`.trim(), { body: text.slice(0, 200), answer: answerEvidence(answer) });
    },
  },
  {
    id: 'messages.oversize-body', family: 'messages', control: limits, asvs: ['v5.0.0-15.2.2', 'v5.0.0-2.3.2'],
    expectation: 'a body over the largest the hub accepts (5 MiB is over any configuration) is refused with 413 (or FSPIOP 3104) and not read whole',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const padded = Buffer.from(sdkStableJson({ ...terms.body, extensionList: { extension: [{ key: 'pad', value: 'x'.repeat(5 * 1024 * 1024 + 1) }] } }), 'utf8');
      const answer = await sendPrepare(context, terms.body, { body: padded });
      const code = errorCodeOf(answer.text);
      const cut = answer.status === 0 && /EPIPE|ECONNRESET/.test(answer.error ?? '');
      return verdict(answer.status === 413 || code === '3104' || cut, cut ? `the hub closed the connection (${answer.error ?? ''})` : `HTTP ${answer.status} ${code ?? ''}`.trim(), { bytesSent: padded.length, answer: answerEvidence(answer) });
    },
  },
  {
    id: 'messages.date-outside-skew', family: 'messages', control: jws, asvs: ['v5.0.0-4.1.5', 'v5.0.0-2.3.1'],
    expectation: 'a correctly signed prepare whose (signed) Date is an hour old is refused (4xx) and not forwarded',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const answer = await sendPrepare(context, terms.body, { nowMs: Date.now() - 3_600_000 });
      return refusedOutright(answer, { date: new Date(Date.now() - 3_600_000).toUTCString() });
    },
  },
  {
    id: 'messages.ilp-amount-mismatch', family: 'messages', control: ilp, asvs: ['v5.0.0-2.2.3', 'v5.0.0-2.3.1'],
    expectation: 'a prepare whose amount is not the ILP packet\'s is refused with FSPIOP error 3100',
    async run(context) {
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const body = { ...terms.body, amount: { ...terms.body.amount, amount: '2' } };
      const answer = await sendPrepare(context, body);
      return refusedWith(context, answer, body.transferId, '3100');
    },
  },
  {
    id: 'messages.wrong-fulfilment', family: 'messages', control: ilp, asvs: ['v5.0.0-2.3.1', 'v5.0.0-2.3.3'],
    expectation: 'a fulfilment that does not hash to the condition is refused, and the transfer is not committed',
    async run(context) {
      const before = await positionOf(context, context.payer.name);
      const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
      const id = terms.body.transferId;
      const prepared = await sendPrepare(context, terms.body);
      if (prepared.status !== 202) return fail(`the prepare was refused (HTTP ${prepared.status}), so the fulfilment proves nothing`, { prepare: answerEvidence(prepared) });
      await context.payee.waitFor((arrival) => arrival.path === '/transfers' && (arrival.body as { transferId?: string }).transferId === id);
      const wrong = await sendFulfil(context, id, randomBytes(32).toString('base64url'));
      const notice = await context.payer.waitFor(transfersOf(id));
      const state = (notice?.body as { transferState?: string } | undefined)?.transferState;
      if (notice === undefined || state !== 'ABORTED') await sendDecline(context, id);
      const after = await positionOf(context, context.payer.name);
      const committed = state === 'COMMITTED';
      return verdict(!committed && (wrong.status >= 400 || notice !== undefined), committed ? 'the transfer was COMMITTED with a wrong fulfilment' : `fulfilment answered HTTP ${wrong.status} ${errorCodeOf(wrong.text) ?? ''}; payer told ${notice === undefined ? 'nothing' : JSON.stringify(notice.body).slice(0, 120)}`,
        { fulfil: answerEvidence(wrong), payerNotice: notice?.body, positionBefore: before, positionAfter: after });
    },
  },
];

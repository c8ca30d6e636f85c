// POST /transfers as an ordered list of steps, one file each, in one database
// transaction in which the duplicate check, the state change, the position
// change and the callbacks it causes commit together:
//
//   duplicate check → sender → terms → parties → expiry window → ILP →
//   payee reachable → risk → reserve → record and forward (or hold)
//
// Steps 2 and 3 refuse without a record. From step 4 on a refusal is kept as
// an ABORTED_REJECTED transfer, so a repeat gets the same answer.
import type { Inbound, FspiopResult } from '../../fspiop/index.ts';
import type { Verdict } from '../../risk/index.ts';
import { canonicalHash, ok } from '../../support/index.ts';
import { runTransaction } from '../../storage/index.ts';
import type { PrepareBody, TransferContext, TransferOutcome } from '../context.ts';
import { recordEvidence } from '../evidence.ts';
import { refuse } from '../handling.ts';
import { answerRepeat } from './duplicate.ts';
import { checkExpiryWindow } from './expiry.ts';
import { checkIlp } from './ilp.ts';
import { checkParties } from './parties.ts';
import { checkPayeeReachable } from './payee.ts';
import { recordAndForward, recordRejection } from './record_and_forward.ts';
import { reserve } from './reserve.ts';
import { assessRisk } from './risk.ts';
import type { PrepareRun, PrepareTerms } from './run.ts';
import { checkSender } from './sender.ts';
import { parseTerms } from './terms.ts';

/** Steps 4 to 9: each may refuse, and the first refusal is the answer; admitted, the FRMS's verdict. */
async function admit(p: PrepareRun, terms: PrepareTerms): Promise<FspiopResult<Verdict>> {
  const parties = await checkParties(p);
  if (!parties.ok) return parties;
  const window = checkExpiryWindow(p, terms);
  if (!window.ok) return window;
  const ilp = checkIlp(p, terms);
  if (!ilp.ok) return ilp;
  const reachable = await checkPayeeReachable(p, parties.value);
  if (!reachable.ok) return reachable;
  const risk = await assessRisk(p, terms, parties.value);
  if (!risk.ok) return risk;
  const reserved = await reserve(p, terms, parties.value);
  return reserved.ok ? ok(risk.value.verdict) : reserved;
}

export async function prepare(ctx: TransferContext, inbound: Inbound, body: PrepareBody): Promise<TransferOutcome> {
  const prepareHash = canonicalHash(body);
  return runTransaction(ctx.db, ctx.engine, async (tx) => {
    const p: PrepareRun = { ctx, tx, inbound, body, prepareHash, transferId: body.transferId, nowMs: ctx.clock.nowMs() };
    // Whatever the answer, the signed request is kept: it is what the sender asked, under its key.
    await recordEvidence(tx, p.transferId, inbound, p.nowMs);
    const fresh = await answerRepeat(p);
    if (!fresh.ok) return fresh.error;
    const sender = checkSender(p);
    if (!sender.ok) return refuse(p, sender.error);
    const terms = parseTerms(p);
    if (!terms.ok) return refuse(p, terms.error);
    const admitted = await admit(p, terms.value);
    if (!admitted.ok) return recordRejection(p, terms.value, admitted.error);
    return recordAndForward(p, terms.value, admitted.value === 'HOLD');
  });
}

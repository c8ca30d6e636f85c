// GET /participants/{Type}/{ID}[/{SubId}][?currency]: the FSP that serves the party, or 3204.
import type { Inbound } from '../fspiop/index.ts';
import { findActiveFsp } from '../participants/index.ts';
import { runTransaction } from '../storage/index.ts';
import { refuse, SENDER_NOT_ACTIVE, type LookupContext, type LookupOutcome } from './context.ts';
import { participantsAnswer } from './messages.ts';
import { consult, resolve } from './oracle_selection.ts';
import { checkCurrency, checkPartyPath, type PartyPath } from './party.ts';

export async function queryParty(context: LookupContext, inbound: Inbound, path: PartyPath, query: { currency?: string | undefined } = {}): Promise<LookupOutcome> {
  const key = checkPartyPath(path);
  if (!key.ok) return { kind: 'invalid', failure: key.error };
  const currency = checkCurrency(query.currency);
  if (!currency.ok) return { kind: 'invalid', failure: currency.error };
  const consultation = await consult(context, inbound.source, key.value, currency.value);
  return runTransaction(context.db, context.engine, async (tx) => {
    const nowMs = context.clock.nowMs();
    if (consultation === undefined || (await findActiveFsp(tx, inbound.source)) === undefined) {
      return refuse(context, tx, 'participants', key.value, inbound, SENDER_NOT_ACTIVE, nowMs);
    }
    const owner = await resolve(tx, key.value, currency.value, consultation);
    if (!owner.found) return refuse(context, tx, 'participants', key.value, inbound, owner.failure, nowMs, owner.cause);
    await context.enqueue(tx, participantsAnswer(key.value, inbound.source, owner.fspId, inbound.contentVersion, nowMs), nowMs);
    return { kind: 'answered' };
  });
}

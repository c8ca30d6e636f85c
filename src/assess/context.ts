// What every probe is given: the hub's two APIs, the automation maker and
// checker, the two test participants, and the run's own identity.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AdminClient } from '../demo/index.ts';
import { quoteResponseIlp } from '../ilp/index.ts';
import type { Logger } from '../support/index.ts';
import type { TestParticipant } from './participant.ts';
import type { Family } from './probe.ts';

export interface AssessContext {
  readonly hubFspiopUrl: string;
  readonly adminUrl: string;
  readonly admin: AdminClient;
  /** The scheme CA's root (and issuing CA), which the hub's certificates chain to. */
  readonly caPems: readonly string[];
  readonly currency: string;
  /** The payer and the payee: two participants made for this run. */
  readonly payer: TestParticipant;
  readonly payee: TestParticipant;
  /** The audit log's verifier key, pinned out of band (`interlock audit key`), when given. */
  readonly auditKey: string | undefined;
  readonly startedAtMs: number;
  /** The probe families this run runs (a probe that reads what others caused needs them). */
  readonly families: ReadonlySet<Family>;
  readonly log: Logger;
}

export interface PrepareTerms {
  readonly body: {
    transferId: string; payerFsp: string; payeeFsp: string; amount: { amount: string; currency: string };
    ilpPacket: string; condition: string; expiration: string;
  };
  readonly fulfilment: string;
}

/** Expiration of the assessment's prepares: long enough for a probe, short enough that a forgotten one expires soon. */
const PREPARE_EXPIRY_MS = 60_000;

/**
 * A prepare from the payer to the payee for `amount`, with an ILPv1 packet and
 * condition made as the payee's quote would make them (quoteResponseIlp), and
 * the fulfilment that only this run knows.
 */
export function prepareTerms(context: AssessContext, amount: string): PrepareTerms {
  const { payer, payee, currency } = context;
  const expiration = new Date(Date.now() + PREPARE_EXPIRY_MS).toISOString();
  const transferAmount = { amount, currency };
  const quoteRequest = {
    quoteId: randomUUID(), transactionId: randomUUID(),
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '27700000001', fspId: payee.name } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '27700000002', fspId: payer.name } },
    amountType: 'SEND', amount: transferAmount,
  };
  const terms = quoteResponseIlp('v1', randomBytes(32).toString('base64'), quoteRequest, { transferAmount, expiration });
  return {
    body: { transferId: randomUUID(), payerFsp: payer.name, payeeFsp: payee.name, amount: transferAmount, ilpPacket: terms.ilpPacket, condition: terms.condition, expiration },
    fulfilment: terms.fulfilment,
  };
}

/** The participant's position in the run's currency, as the admin API reports it (a decimal string). */
export async function positionOf(context: AssessContext, name: string): Promise<string | undefined> {
  const answer = await context.admin.text(`/participants/${encodeURIComponent(name)}/positions?currency=${context.currency}`);
  if (answer.status !== 200) return undefined;
  const value = /"value"\s*:\s*(-?[0-9.]+|"[^"]*")/.exec(answer.text)?.[1];
  return value?.replaceAll('"', '');
}

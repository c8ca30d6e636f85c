// Case outcomes fed back into the features: a case closed CONFIRMED_FRAUD
// counts, for each of its parties, as a confirmed fraud naming that party
// (payerFraudReports, payeeFraudReports), beside the DFSPs' fraud reports.
// Read per payment through two partial indexes that hold only confirmed frauds.
import type { Tx } from '../ledger/index.ts';
import { riskCaseTables } from './case_tables.ts';
import type { FeatureValue, Features, PartyKey, PaymentFacts } from './types.ts';

export interface ConfirmedFraudCounts {
  /** Cases closed CONFIRMED_FRAUD naming the payer party (as payer or payee); null when the party is unknown. */
  readonly payer: number | null;
  readonly payee: number | null;
}

async function countFor(tx: Tx, party: PartyKey | null): Promise<number | null> {
  if (party === null) return null;
  const row = await riskCaseTables(tx).selectFrom('risk_cases')
    .select((eb) => eb.fn.countAll().as('cases'))
    .where('outcome', '=', 'CONFIRMED_FRAUD')
    .where((eb) => eb.or([eb('payer_party', '=', party), eb('payee_party', '=', party)]))
    .executeTakeFirstOrThrow();
  return Number(row.cases);
}

/** The confirmed-fraud case outcomes naming a payment's parties. */
export async function confirmedFraudCounts(tx: Tx, payerParty: PartyKey | null, payeeParty: PartyKey | null): Promise<ConfirmedFraudCounts> {
  return { payer: await countFor(tx, payerParty), payee: await countFor(tx, payeeParty) };
}

const plus = (reports: FeatureValue | undefined, cases: number | null): FeatureValue => {
  if (cases === null) return reports ?? null;
  return (typeof reports === 'number' ? reports : typeof reports === 'bigint' ? Number(reports) : 0) + cases;
};

/** `features` with the parties' confirmed-fraud case outcomes added to their fraud report counts. */
export async function withConfirmedFrauds(tx: Tx, facts: PaymentFacts, features: Features): Promise<Features> {
  const counts = await confirmedFraudCounts(tx, facts.payerParty, facts.payeeParty);
  return { ...features, payerFraudReports: plus(features['payerFraudReports'], counts.payer), payeeFraudReports: plus(features['payeeFraudReports'], counts.payee) };
}

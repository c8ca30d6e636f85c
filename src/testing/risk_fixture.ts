// A small rule set for tests of holds and cases: the verdict follows the
// amount (USD), and a confirmed fraud naming the payer alerts on any amount.
//
//   < 50        ALLOW          ≥ 100, < 1000   HOLD
//   50 to < 100 ALERT          ≥ 1000          BLOCK
import assert from 'node:assert/strict';
import { encodeIlpPacketText } from '../ilp/index.ts';
import { createRuleSetStore, ruleSetProblems, type RuleSetData } from '../risk/index.ts';
import type { Storage } from '../storage/index.ts';
import type { Clock } from '../support/index.ts';
import { parseAmount } from '../support/money.ts';

export const AMOUNT_RULE_SET: RuleSetData = {
  name: 'amounts-test', version: 1, failurePolicy: 'closed', description: 'the verdict follows the amount',
  rules: [
    { id: 'amount', kind: 'bands', feature: 'amountMinor', currency: 'USD', description: 'amount, USD', bands: [{ upper: '50' }, { lower: '50', upper: '100' }, { lower: '100', upper: '1000' }, { lower: '1000' }] },
    { id: 'payer-fraud', kind: 'bands', feature: 'payerFraudReports', description: 'confirmed frauds naming the payer', bands: [{ upper: 1 }, { lower: 1 }] },
  ],
  typologies: [
    { id: 'amount', description: 'amount bands', weights: [{ rule: 'amount', ref: '.02', weight: 50 }, { rule: 'amount', ref: '.03', weight: 100 }, { rule: 'amount', ref: '.04', weight: 200 }], alert: 50, hold: 100, block: 200 },
    { id: 'fraud', description: 'confirmed fraud', weights: [{ rule: 'payer-fraud', ref: '.02', weight: 50 }], alert: 50 },
  ],
};

/** Stores AMOUNT_RULE_SET and promotes it to LIVE (straight through the store: the maker-checker promotion is the admin API's). */
export async function promoteAmountRuleSet(storage: Storage, clock: Clock): Promise<void> {
  const store = createRuleSetStore({ db: storage.db, engine: storage.engine, clock, validate: ruleSetProblems });
  const draft = await store.saveDraft(AMOUNT_RULE_SET.name, AMOUNT_RULE_SET, 'test');
  assert.ok(draft.ok, draft.ok ? '' : draft.error);
  const live = await store.promote(draft.value.name, draft.value.version, 'LIVE', 'test', null);
  assert.ok(live.ok, live.ok ? '' : live.error);
}

/** An ILP packet whose Transaction names the payer and payee parties (MSISDNs), so the FRMS keys them. */
export function ilpPacketWithParties(payerFsp: string, payerMsisdn: string, payeeFsp: string, payeeMsisdn: string, amount: string, currency: string): string {
  const minor = parseAmount(amount, currency);
  assert.ok(minor.ok);
  const transaction = {
    transactionId: crypto.randomUUID(),
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payerMsisdn, fspId: payerFsp } },
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payeeMsisdn, fspId: payeeFsp } },
    amount: { amount, currency },
  };
  return encodeIlpPacketText({ version: 'v1', amount: minor.value, account: `g.${payeeFsp}.msisdn.${payeeMsisdn}`, data: Buffer.from(Buffer.from(JSON.stringify(transaction)).toString('base64url')) });
}

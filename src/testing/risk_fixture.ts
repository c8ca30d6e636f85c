// A small rule set for tests of holds and cases: the verdict follows the
// amount (USD), and a confirmed fraud naming the payer alerts on any amount.
//
//   < 50        ALLOW          ≥ 100, < 1000   HOLD
//   50 to < 100 ALERT          ≥ 1000          BLOCK
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AdminAuditSink } from '../audit/index.ts';
import { enqueue } from '../delivery/index.ts';
import { outboxOf } from '../delivery/outbox_table.ts';
import type { Inbound } from '../fspiop/index.ts';
import { encodeIlpPacketText } from '../ilp/index.ts';
import { createRiskService, createRuleSetStore, partyKeys, ruleSetProblems, type RuleSetData } from '../risk/index.ts';
import { liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import type { Storage } from '../storage/index.ts';
import type { Clock } from '../support/index.ts';
import { createLogger } from '../support/logger.ts';
import { parseAmount } from '../support/money.ts';
import { createTransferService, type PrepareBody } from '../transfers/index.ts';
import { createLedgerFixture } from './ledger_fixture.ts';
import { testTables } from './tables.ts';

const MINUTE_MS = 60_000;

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

/** A payer and a payee with transfer endpoints, a LIVE AMOUNT_RULE_SET, and the transfer service with the real FRMS and outbox. */
export async function createHoldScheme(storage: Storage, clock: Clock, audit?: Pick<AdminAuditSink, 'recordInTransaction'>) {
  const { db, engine } = storage;
  const f = createLedgerFixture(storage, clock);
  await f.openHubAccounts('USD');
  const payer = await f.participant({ ndcMinor: 100_000_000n, fundsMinor: 10_000_000n }, 'payerfsp');
  const payee = await f.participant({ ndcMinor: 100_000_000n, fundsMinor: 10_000_000n }, 'payeefsp');
  for (const p of [payer, payee]) {
    for (const type of ['FSPIOP_CALLBACK_URL_TRANSFER_POST', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR']) {
      assert.ok((await f.registry.setEndpoint(p.name, type, `http://127.0.0.1:9/${p.name}/transfers${type.endsWith('POST') ? '' : '/{{transferId}}'}`)).ok);
    }
  }
  await promoteAmountRuleSet(storage, clock);
  const risk = createRiskService({
    db, engine, partyKeyOf: partyKeys(Buffer.alloc(32, 9)), log: createLogger('silent'), nowMs: () => clock.nowMs(),
    ruleSets: createRuleSetStore({ db, engine, clock, validate: ruleSetProblems }), audit,
  });
  const service = createTransferService({ db, engine, clock, enqueue, liquidityCheckRequired, windowOf: windowForCommit(engine), riskAssessor: risk.assess });

  const inbound = (source: string, body: unknown): Inbound => ({
    source, destination: undefined, contentVersion: '1.1',
    headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=1.1', date: new Date(clock.nowMs()).toUTCString(), 'fspiop-source': source, 'fspiop-signature': '{"signature":"sig","protectedHeader":"ph"}' },
    rawBody: JSON.stringify(body),
  });
  /** Prepares `amount` USD from the payer party `payerMsisdn`, expiring `expiresInMs` from now. */
  async function prepare(amount: string, options: { payerMsisdn?: string; expiresInMs?: number } = {}) {
    const preimage = randomBytes(32);
    const body: PrepareBody = {
      transferId: randomUUID(), payerFsp: payer.name, payeeFsp: payee.name, amount: { amount, currency: 'USD' },
      condition: createHash('sha256').update(preimage).digest('base64url'), expiration: new Date(clock.nowMs() + (options.expiresInMs ?? 10 * MINUTE_MS)).toISOString(),
      ilpPacket: ilpPacketWithParties(payer.name, options.payerMsisdn ?? '44123450000', payee.name, '27710000001', amount, 'USD'),
    };
    const outcome = await service.prepare(inbound(payer.name, body), body);
    return { body, fulfilment: preimage.toString('base64url'), outcome };
  }
  /** The callbacks written about transfer `id`: to whom, what (the subject after "transfer <id> "), oldest first. */
  const callbacks = async (id: string) => (await outboxOf(db).selectFrom('outbox').select(['recipient', 'method', 'body', 'subject', 'state']).where('subject', 'like', `transfer ${id} %`).orderBy('id').execute())
    .map((row) => ({ to: row.recipient, method: row.method, subject: row.subject.slice(`transfer ${id} `.length), body: row.body, state: row.state }));
  const caseOf = async (id: string) => testTables(db).selectFrom('risk_cases').selectAll().where('subject_id', '=', id).executeTakeFirst();
  return { f, payer, payee, risk, service, inbound, prepare, callbacks, caseOf };
}

// The FRMS as the quote and transfer steps call it: one assessment per
// payment, inline, in the payment's own transaction. It keys the parties,
// reads the features (feature store), screens the names (sanctions list),
// evaluates the LIVE rule set (enforced; an allow-listed party overrides it)
// and the SHADOW one (recorded only),
// writes each decision with its trace (an enforced ALERT or HOLD opens a case,
// a BLOCK or HOLD is audited: decision_effects.ts), and records a transfer into the
// features, so that the payment, its decisions and its counts commit together.
//
// With no LIVE rule set every payment is allowed (and a SHADOW one is still
// evaluated and recorded). The compiled rule sets are cached and read again
// every RULE_SET_REFRESH_MS, so a promotion approved in any hub process is
// enforced everywhere within that time.
import { performance } from 'node:perf_hooks';
import type { Tx } from '../ledger/index.ts';
import type { Db, Engine } from '../storage/index.ts';
import type { Logger } from '../support/index.ts';
import type { AdminAuditSink } from '../audit/index.ts';
import { withConfirmedFrauds } from './case_outcomes.ts';
import { recordDecision } from './decisions.ts';
import { followEnforcedDecision } from './decision_effects.ts';
import { evaluate } from './engine.ts';
import { readFeatures, recordPayment } from './features.ts';
import { overrideByAllowList } from './lists.ts';
import { paymentParties } from './parties.ts';
import type { PartyKeyOf } from './party_key.ts';
import { compileRuleSet, formatProblems, type CompiledRuleSet } from './rule_set.ts';
import type { RuleSetStore } from './rule_sets.ts';
import { screenName, type SanctionsList } from './sanctions.ts';
import type { Decision, PaymentFacts, PaymentToAssess } from './types.ts';

/** How long a process keeps its compiled rule sets before it reads which are LIVE and SHADOW again. */
export const RULE_SET_REFRESH_MS = 5_000;

export interface RiskServiceDeps {
  db: Db;
  engine: Engine;
  partyKeyOf: PartyKeyOf;
  ruleSets: RuleSetStore;
  /** The operator's sanctions list (risk.sanctionsFile); none: no party is screened as sanctioned. */
  sanctions?: SanctionsList | undefined;
  log: Logger;
  nowMs: () => number;
  /** The audit log: each BLOCK and HOLD is an entry, in the payment's transaction; none: not audited (tests of the engine). */
  audit?: Pick<AdminAuditSink, 'recordInTransaction'> | undefined;
}

interface Active {
  readMs: number;
  live: CompiledRuleSet | undefined;
  shadow: CompiledRuleSet | undefined;
}

const NO_RULE_SET: Decision = { verdict: 'ALLOW', ruleSet: { name: '(none)', version: 0 }, rules: [], typologies: [] };

export function createRiskService(deps: RiskServiceDeps) {
  let active: Active | undefined;

  function compiled(definition: string, name: string, version: number): CompiledRuleSet | undefined {
    const result = compileRuleSet(JSON.parse(definition) as unknown);
    if (result.ok) return result.value;
    // Stored versions were validated when saved; one that no longer compiles is reported, not enforced.
    deps.log.error({ ruleSet: name, version, problems: formatProblems(result.error) }, 'a stored FRMS rule set does not compile: it is not evaluated');
    return undefined;
  }

  /** The compiled LIVE and SHADOW rule sets, read again through `tx` when the cache is older than RULE_SET_REFRESH_MS. */
  async function current(tx: Tx): Promise<Active> {
    const nowMs = deps.nowMs();
    if (active !== undefined && nowMs - active.readMs < RULE_SET_REFRESH_MS) return active;
    const { live, shadow } = await deps.ruleSets.active(tx);
    active = {
      readMs: nowMs,
      live: live === undefined ? undefined : compiled(live.definition, live.name, live.version),
      shadow: shadow === undefined ? undefined : compiled(shadow.definition, shadow.name, shadow.version),
    };
    return active;
  }

  function factsOf(payment: PaymentToAssess): PaymentFacts {
    const { payer, payee } = paymentParties(payment.message, deps.partyKeyOf);
    return {
      stage: payment.stage, id: payment.id, payerFsp: payment.payerFsp, payeeFsp: payment.payeeFsp,
      payerParty: payer.key, payeeParty: payee.key, payerName: payer.name, payeeName: payee.name,
      currency: payment.currency, amountMinor: payment.amountMinor, sourceAddress: payment.sourceAddress, nowMs: payment.nowMs,
    };
  }

  /** Decides on `payment` and records the decisions (and a transfer's counts) in `tx`; answers the enforced decision. */
  async function assess(tx: Tx, payment: PaymentToAssess): Promise<Decision> {
    const facts = factsOf(payment);
    const { live, shadow } = await current(tx);
    let decision = NO_RULE_SET;
    if (live !== undefined || shadow !== undefined) {
      const started = performance.now();
      const sanctions = deps.sanctions;
      const features = await withConfirmedFrauds(tx, facts, {
        ...await readFeatures(tx, deps.engine, facts),
        payerSanctioned: sanctions === undefined ? null : screenName(sanctions, facts.payerName).matched,
        payeeSanctioned: sanctions === undefined ? null : screenName(sanctions, facts.payeeName).matched,
      });
      const liveDecision = live === undefined ? undefined : await overrideByAllowList(tx, facts, features, evaluate(live, features, facts.currency));
      const shadowDecision = shadow === undefined ? undefined : evaluate(shadow, features, facts.currency);
      const decisionUs = (performance.now() - started) * 1000;
      const caseId = liveDecision === undefined ? undefined : await followEnforcedDecision(tx, facts, liveDecision, await recordDecision(tx, facts, liveDecision, true, decisionUs, features), deps.audit);
      if (shadowDecision !== undefined) await recordDecision(tx, facts, shadowDecision, false, decisionUs, features);
      decision = liveDecision === undefined ? NO_RULE_SET : caseId === undefined ? liveDecision : { ...liveDecision, caseId };
    }
    // Transfers feed the features; a refused one counts as a failure of its payer.
    if (facts.stage === 'transfer') await recordPayment(tx, deps.engine, facts, decision.verdict === 'BLOCK' || decision.verdict === 'HOLD' ? 'failed' : 'accepted');
    return decision;
  }

  return {
    assess,
    /** The scheme's party key function (the FRMS's sharing with DFSPs keys the parties it is asked about with it). */
    partyKeyOf: deps.partyKeyOf,
    /** Forgets the cached rule sets: the next assessment reads which are LIVE and SHADOW (after a promotion in this process). */
    refresh: () => { active = undefined; },
  };
}

export type RiskService = ReturnType<typeof createRiskService>;

// Maker-checker and RBAC probes: money moves and control changes only when a
// second, different principal approves, exactly once; a principal without
// the privilege is refused. The run's automation maker and checker are the
// two principals; every request a probe leaves pending is cancelled.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AdminAnswer } from '../demo/index.ts';
import { parseAmount } from '../support/index.ts';
import type { AssessContext } from './context.ts';
import { ASSESS_LIMITS } from './limits.ts';
import { CONTROLS, fail, verdict, type Probe } from './probe.ts';

/** Currencies a settlement-model probe may name: ISO 4217, and few schemes settle in all of them at once. */
const UNCOVERED_CURRENCY_CANDIDATES = ['CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'XOF', 'KES', 'GHS'] as const;

const ASSESS_REQUEST_TIMEOUT_MS = ASSESS_LIMITS.requestTimeoutMs;
/** Each funds-in of these probes: a test amount. */
const PROBE_FUNDS_IN = '1';

/** A signed decimal (as the admin API writes account values) in minor units; money is never a float. */
function minorOf(value: string, currency: string): bigint {
  const negative = value.startsWith('-');
  const parsed = parseAmount(negative ? value.slice(1) : value, currency, { allowZero: true });
  if (!parsed.ok) throw new Error(`not an amount of ${currency}: ${value}`);
  return negative ? -parsed.value : parsed.value;
}

interface SettlementAccount { readonly id: number; readonly value: string }

/** The participant's settlement account in the run's currency, its value read as text (never through a float). */
export async function settlementAccount(context: AssessContext, name: string): Promise<SettlementAccount | undefined> {
  const answer = await context.admin.text(`/participants/${encodeURIComponent(name)}/accounts`);
  if (answer.status !== 200) return undefined;
  const pattern = /\{"id":([0-9]+),"ledgerAccountType":"SETTLEMENT","currency":"([A-Z]{3})"[^}]*?"value":(-?[0-9.]+)/g;
  for (const match of answer.text.matchAll(pattern)) {
    if (match[2] === context.currency) return { id: Number(match[1]), value: match[3] ?? '' };
  }
  return undefined;
}

function fundsInBody(context: AssessContext) {
  return { transferId: randomUUID(), externalReference: 'interlock-assess', action: 'recordFundsIn', reason: 'interlock assess: maker-checker probe (test amount)', amount: { amount: PROBE_FUNDS_IN, currency: context.currency } };
}

const changeRequestId = (answer: AdminAnswer) => (answer.status === 202 ? (answer.body as { id?: string } | undefined)?.id : undefined);

async function cancel(context: AssessContext, id: string): Promise<void> {
  await context.admin.maker.call('POST', `/changeRequests/${id}/cancel`, { reason: 'interlock assess: probe done' });
}

/** A funds-in change request made by the maker alone, and the settlement balance before and after it. */
async function makerFundsIn(context: AssessContext): Promise<{ account: SettlementAccount; request: AdminAnswer; id: string | undefined; after: SettlementAccount | undefined } | undefined> {
  const account = await settlementAccount(context, context.payer.name);
  if (account === undefined) return undefined;
  const request = await context.admin.maker.call('POST', `/participants/${context.payer.name}/accounts/${account.id}`, fundsInBody(context));
  const after = await settlementAccount(context, context.payer.name);
  return { account, request, id: changeRequestId(request), after };
}

export const MAKER_CHECKER_PROBES: readonly Probe<AssessContext>[] = [
  {
    id: 'maker_checker.maker-alone-moves-no-money', family: 'maker_checker', control: CONTROLS.makerChecker, asvs: ['v5.0.0-2.3.5', 'v5.0.0-8.2.1'],
    expectation: 'a funds-in by the maker alone becomes a pending change request (202) and the balance does not move',
    async run(context) {
      const made = await makerFundsIn(context);
      if (made === undefined) return fail('the test participant has no settlement account in the run\'s currency');
      if (made.id !== undefined) await cancel(context, made.id);
      return verdict(made.id !== undefined && made.after?.value === made.account.value, `HTTP ${made.request.status}; settlement balance ${made.account.value} -> ${made.after?.value ?? '?'}`,
        { request: made.request.status, changeRequest: made.request.body, balanceBefore: made.account.value, balanceAfter: made.after?.value });
    },
  },
  {
    id: 'maker_checker.self-approval', family: 'maker_checker', control: CONTROLS.makerChecker, asvs: ['v5.0.0-2.3.5', 'v5.0.0-8.2.1'],
    expectation: 'the maker approving its own change request is refused (403) and the request stays pending',
    async run(context) {
      const made = await makerFundsIn(context);
      if (made?.id === undefined) return fail(`the maker's funds-in did not become a change request: HTTP ${made?.request.status ?? '?'}`, { request: made?.request.body });
      const approve = await context.admin.maker.call('POST', `/changeRequests/${made.id}/approve`);
      const state = await context.admin.maker.call('GET', `/changeRequests/${made.id}`);
      await cancel(context, made.id);
      const stateName = (state.body as { state?: string } | undefined)?.state;
      return verdict(approve.status === 403 && stateName === 'PENDING', `self-approval HTTP ${approve.status}; request ${stateName ?? '?'}`, { changeRequest: made.id, approve: { status: approve.status, body: approve.body }, stateAfter: stateName });
    },
  },
  {
    id: 'maker_checker.concurrent-approvals', family: 'maker_checker', control: CONTROLS.makerChecker, asvs: ['v5.0.0-2.3.4', 'v5.0.0-15.4.2', 'v5.0.0-2.3.3'],
    expectation: 'two approvals of one funds-in sent at once execute it exactly once: one succeeds, the balance moves by the amount once',
    async run(context) {
      const made = await makerFundsIn(context);
      if (made?.id === undefined) return fail(`the maker's funds-in did not become a change request: HTTP ${made?.request.status ?? '?'}`, { request: made?.request.body });
      const id = made.id;
      const approvals = await Promise.all([0, 1, 2].map(() => context.admin.checker.call('POST', `/changeRequests/${id}/approve`)));
      const after = await settlementAccount(context, context.payer.name);
      const succeeded = approvals.filter((a) => a.status === 200).length;
      const moved = after === undefined ? undefined : minorOf(made.account.value, context.currency) - minorOf(after.value, context.currency);
      return verdict(succeeded === 1 && moved === minorOf(PROBE_FUNDS_IN, context.currency), `${succeeded} of 3 approvals succeeded (${approvals.map((a) => a.status).join(', ')}); balance ${made.account.value} -> ${after?.value ?? '?'}`,
        { changeRequest: id, approvals: approvals.map((a) => ({ status: a.status, error: a.status === 200 ? undefined : a.body })), balanceBefore: made.account.value, balanceAfter: after?.value, amount: PROBE_FUNDS_IN });
    },
  },
  {
    id: 'maker_checker.missing-privilege', family: 'maker_checker', control: CONTROLS.rbac, asvs: ['v5.0.0-8.2.1', 'v5.0.0-8.3.1'],
    expectation: 'the checker (who may approve, not request) asking for a funds-in is refused (403), and so is the maker asking for a role grant',
    async run(context) {
      const account = await settlementAccount(context, context.payer.name);
      if (account === undefined) return fail('the test participant has no settlement account in the run\'s currency');
      const checkerRequest = await context.admin.checker.call('POST', `/participants/${context.payer.name}/accounts/${account.id}`, fundsInBody(context));
      const grant = await context.admin.maker.call('POST', '/grants', { principalId: context.admin.maker.clientId, principalKind: 'client', role: 'operations-checker', participant: null });
      for (const answer of [checkerRequest, grant]) {
        const id = changeRequestId(answer);
        if (id !== undefined) await cancel(context, id);
      }
      return verdict(checkerRequest.status === 403 && grant.status === 403, `checker funds-in HTTP ${checkerRequest.status}; maker role grant HTTP ${grant.status}`,
        { checkerFundsIn: { status: checkerRequest.status, body: checkerRequest.body }, makerGrant: { status: grant.status, body: grant.body } });
    },
  },
  {
    id: 'maker_checker.settlement-model-maker-alone', family: 'maker_checker', control: CONTROLS.makerChecker, asvs: ['v5.0.0-2.3.5', 'v5.0.0-8.2.1'], regressionOfFinding: 2,
    expectation: 'a settlement model created by the maker alone becomes a pending change request (202) and does not exist until approved',
    async run(context) {
      const name = `ASSESS${randomBytes(4).toString('hex').toUpperCase()}`;
      // A model the hub would accept (a supported currency no active model covers yet), so that only
      // maker-checker stands between the maker and the model: a refusal of a bad model proves nothing.
      const listed = await context.admin.maker.call('GET', '/settlementModels');
      const covered = new Set((Array.isArray(listed.body) ? listed.body as { currency?: unknown; isActive?: unknown }[] : [])
        .filter((model) => model.isActive === true || model.isActive === 1).map((model) => model.currency));
      const currency = UNCOVERED_CURRENCY_CANDIDATES.find((code) => !covered.has(code));
      if (currency === undefined) return fail(`every candidate currency (${UNCOVERED_CURRENCY_CANDIDATES.join(', ')}) already has an active settlement model`);
      const body = {
        name, settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency,
        requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
      };
      const made = await context.admin.maker.call('POST', '/settlementModels', body);
      const exists = await context.admin.maker.call('GET', `/settlementModels/${name}`);
      const id = changeRequestId(made);
      if (id !== undefined) await cancel(context, id);
      // On a hub that let it through, the model is switched off again (this is all the admin API allows).
      if (exists.status === 200) await context.admin.call('PUT', `/settlementModels/${name}`, { isActive: false });
      return verdict(id !== undefined && exists.status === 404, `HTTP ${made.status}; the model ${exists.status === 200 ? 'exists' : 'does not exist'} afterwards`,
        { model: name, request: { status: made.status, body: made.body }, lookup: exists.status });
    },
  },
  {
    id: 'maker_checker.admin-duplicate-json-members', family: 'maker_checker', control: CONTROLS.makerChecker, asvs: ['v5.0.0-1.5.3', 'v5.0.0-15.3.7'], regressionOfFinding: 3,
    expectation: 'an admin request with a JSON member given twice is refused (400) before it becomes a change request, so a checker never approves one reading while another runs',
    async run(context) {
      const name = context.payer.name;
      const text = `{"type":"FSPIOP_CALLBACK_URL_TRANSFER_POST","value":"${context.payer.callbackUrl}/transfers","value":"https://169.254.169.254/latest/meta-data"}`;
      const response = await context.admin.fetch(`${context.adminUrl}/participants/${encodeURIComponent(name)}/endpoints`, {
        method: 'POST', headers: { authorization: await context.admin.maker.authorization(), 'content-type': 'application/json' }, body: text, signal: AbortSignal.timeout(ASSESS_REQUEST_TIMEOUT_MS),
      });
      const answer = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(answer);
      } catch {
        body = answer.slice(0, 300);
      }
      const id = changeRequestId({ status: response.status, body });
      if (id !== undefined) await cancel(context, id);
      return verdict(response.status === 400, `HTTP ${response.status}${id === undefined ? '' : ` (change request ${id}, cancelled)`}`, { body: text, answer: { status: response.status, body } });
    },
  },
];

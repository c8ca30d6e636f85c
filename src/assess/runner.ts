// Runs an assessment: onboards two test participants through maker-checker,
// runs the probes of the families asked for (one at a time: several change
// the test participants' policies), and cleans up whatever happened: pending
// change requests cancelled by the probes themselves, then the test funds
// taken out, the participants deactivated, their certificates revoked.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { automationAdminClient, type AdminClient } from '../demo/index.ts';
import { splitPemBundle } from '../pki/index.ts';
import type { Logger } from '../support/index.ts';
import { formatAmount, parseAmount } from '../support/index.ts';
import { AUDIT_PROBES } from './audit.ts';
import { positionOf, type AssessContext } from './context.ts';
import { GATEWAY_PROBES } from './gateway.ts';
import { MAKER_CHECKER_PROBES, settlementAccount } from './maker_checker.ts';
import { HUB_SIGNATURE_PROBE } from './hub_signatures.ts';
import { MESSAGE_PROBES } from './messages.ts';
import { onboardTestParticipant, type TestParticipant } from './participant.ts';
import { CONTROLS, FAMILIES, notApplicable, type Family, type Probe, type ProbeResult } from './probe.ts';
import { summarise, type AssessReport, type CleanupStep } from './report.ts';
import { TOKEN_PROBES } from './tokens.ts';
import { TRANSPORT_PROBES } from './transport.ts';

const RISK_PROBES: readonly Probe<AssessContext>[] = [{
  id: 'risk.frms', family: 'risk', control: CONTROLS.frms, asvs: ['v5.0.0-2.4.1'],
  expectation: 'transfers are screened by a fraud and risk management system',
  run: () => Promise.resolve(notApplicable('Interlock has no FRMS yet (the seed\'s Risk control is not built)')),
}];

/** Every probe, in the order they run: audit last, so that it finds the run's own actions. */
export const ALL_PROBES: readonly Probe<AssessContext>[] = [
  ...TRANSPORT_PROBES, ...MESSAGE_PROBES, HUB_SIGNATURE_PROBE, ...TOKEN_PROBES, ...GATEWAY_PROBES, ...MAKER_CHECKER_PROBES, ...RISK_PROBES, ...AUDIT_PROBES,
];

export interface AssessOptions {
  readonly hubFspiopUrl: string;
  readonly adminUrl: string;
  readonly adminCaFile: string;
  readonly adminCredentialsFile: string;
  readonly auditKey: string | undefined;
  readonly currency: string;
  /** Each test participant's net debit cap and funds in, a decimal string. */
  readonly testAmount: string;
  /** Where the test participants' callback receivers listen (an address of this machine the hub can reach). */
  readonly callbackHost: string;
  readonly only: readonly Family[] | undefined;
  readonly log: Logger;
}

/** The assessment could not run (the hub could not be reached, or its test participants not onboarded): no verdict on any control. */
export class AssessSetupError extends Error {
  override readonly name = 'AssessSetupError';
}

async function runProbe(probe: Probe<AssessContext>, context: AssessContext): Promise<ProbeResult> {
  const startedMs = Date.now();
  const { id, family, control, asvs, expectation, regressionOfFinding } = probe;
  const definition = { id, family, control, asvs, expectation, ...(regressionOfFinding === undefined ? {} : { regressionOfFinding }) };
  try {
    const result = await probe.run(context);
    return { ...definition, outcome: result.outcome, observed: result.observed, evidence: result.evidence ?? {}, durationMs: Date.now() - startedMs };
  } catch (error) {
    // A probe that could not finish has not shown its control holds.
    return { ...definition, outcome: 'fail', observed: `the probe could not finish: ${(error as Error).message}`, evidence: { error: String((error as Error).stack ?? error) }, durationMs: Date.now() - startedMs };
  }
}

async function step(steps: CleanupStep[], name: string, action: () => Promise<string>): Promise<void> {
  try {
    steps.push({ step: name, ok: true, detail: await action() });
  } catch (error) {
    steps.push({ step: name, ok: false, detail: (error as Error).message });
  }
}

/** Takes the participant's test funds out again, deactivates it and revokes its certificates. */
async function cleanUp(admin: AdminClient, context: Pick<AssessContext, 'admin' | 'currency'>, name: string, steps: CleanupStep[]): Promise<void> {
  await step(steps, `${name}: funds out`, async () => {
    const account = await settlementAccount(context as AssessContext, name);
    if (account === undefined) throw new Error('no settlement account');
    // The settlement account's value is negative while it holds the participant's funds.
    const held = account.value.startsWith('-') ? parseAmount(account.value.slice(1), context.currency, { allowZero: true }) : undefined;
    // What the participant owes in its net position (transfers it paid, not yet settled) stays until settlement.
    const position = await positionOf(context as AssessContext, name);
    const owed = position === undefined || position.startsWith('-') ? undefined : parseAmount(position, context.currency, { allowZero: true });
    const withdrawable = (held?.ok === true ? held.value : 0n) - (owed?.ok === true ? owed.value : 0n);
    if (withdrawable <= 0n) return `nothing to take out (balance ${account.value}, position ${position ?? '?'})`;
    const amount = formatAmount(withdrawable, context.currency);
    const transferId = randomUUID();
    const reserve = await admin.call('POST', `/participants/${name}/accounts/${account.id}`, { transferId, externalReference: 'interlock-assess', action: 'recordFundsOutPrepareReserve', reason: 'interlock assess: test funds returned', amount: { amount, currency: context.currency } });
    if (reserve.status !== 202 && reserve.status !== 200) throw new Error(`reserve ${amount}: HTTP ${reserve.status} ${JSON.stringify(reserve.body).slice(0, 200)}`);
    const commit = await admin.call('PUT', `/participants/${name}/accounts/${account.id}/transfers/${transferId}`, { action: 'recordFundsOutCommit', reason: 'interlock assess: test funds returned' });
    if (commit.status >= 300) throw new Error(`commit ${amount}: HTTP ${commit.status} ${JSON.stringify(commit.body).slice(0, 200)}`);
    return `${amount} ${context.currency} out${position === undefined || position === '0' ? '' : `; its net position ${position} ${context.currency} stays until the next settlement`}`;
  });
  await step(steps, `${name}: deactivate`, async () => {
    const answer = await admin.call('PUT', `/participants/${name}`, { isActive: false });
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    return 'participant inactive (its endpoints are unused from now on)';
  });
  await step(steps, `${name}: revoke certificates`, async () => {
    const list = await admin.call('GET', `/pki/certificates?fspId=${encodeURIComponent(name)}`);
    const certificates = (list.body as { serial: string; state: string }[] | undefined) ?? [];
    const live = certificates.filter((c) => c.state !== 'REVOKED');
    for (const certificate of live) {
      const answer = await admin.call('POST', `/pki/certificates/${certificate.serial}/revoke`, { reason: 'cessationOfOperation' });
      if (answer.status !== 200) throw new Error(`${certificate.serial}: HTTP ${answer.status}`);
    }
    return `${live.length} revoked`;
  });
}

export async function runAssessment(options: AssessOptions): Promise<AssessReport> {
  const startedAt = new Date();
  const { log } = options;
  let caPems: string[];
  let admin: AdminClient;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the scheme root certificate file the operator named
    caPems = splitPemBundle(readFileSync(options.adminCaFile, 'utf8')).certificatePems;
    admin = automationAdminClient(options.adminUrl, options.adminCredentialsFile, { caPems });
    const chain = await admin.text('/pki/ca');
    if (chain.status !== 200) throw new Error(`GET /pki/ca answered HTTP ${chain.status}: are these the automation credentials of this hub?`);
    // The hub's certificates chain through the issuing CA; trust the root and the issuing CA the hub names.
    caPems = [...new Set([...caPems, ...splitPemBundle(chain.text).certificatePems])];
  } catch (error) {
    throw new AssessSetupError(`the admin API at ${options.adminUrl} could not be used: ${(error as Error).message}`);
  }
  const run = randomBytes(3).toString('hex');
  const participants: TestParticipant[] = [];
  const cleanup: CleanupStep[] = [];
  const results: ProbeResult[] = [];
  const onboarded: string[] = [];
  try {
    for (const role of ['payer', 'payee']) {
      const name = `assess${run}${role}`;
      onboarded.push(name);
      try {
        participants.push(await onboardTestParticipant({ admin, hubFspiopUrl: options.hubFspiopUrl, name, currency: options.currency, testAmount: options.testAmount, callbackHost: options.callbackHost, log }));
      } catch (error) {
        throw new AssessSetupError(`test participant ${name} could not be onboarded: ${(error as Error).message}`);
      }
    }
    const [payer, payee] = participants;
    if (payer === undefined || payee === undefined) throw new AssessSetupError('no test participants');
    const context: AssessContext = { hubFspiopUrl: options.hubFspiopUrl, adminUrl: options.adminUrl, admin, caPems, currency: options.currency, payer, payee, auditKey: options.auditKey, startedAtMs: startedAt.getTime(), families: new Set(options.only ?? FAMILIES), log };
    for (const probe of ALL_PROBES) {
      if (options.only !== undefined && !options.only.includes(probe.family)) continue;
      log.info({ probe: probe.id }, 'probe');
      results.push(await runProbe(probe, context));
    }
  } finally {
    for (const name of onboarded) await cleanUp(admin, { admin, currency: options.currency }, name, cleanup);
    for (const participant of participants) await participant.close();
  }
  return {
    tool: 'interlock assess',
    target: { fspiop: options.hubFspiopUrl, admin: options.adminUrl },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    testParticipants: onboarded,
    results,
    cleanup,
    ...summarise(results),
  };
}

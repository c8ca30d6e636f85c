// The demo scheme, onboarded through the admin API exactly as a scheme's
// onboarding tooling would: the hub's accounts, a settlement model, DFSPs
// with net debit caps, funds in, and their callback endpoints. Running it
// again changes nothing but the endpoints, which follow the simulators' ports.
// Calls go through the hub's automation maker and checker (admin_auth.ts), so
// each sensitive step is a change request made and approved by two parties.
import { randomUUID } from 'node:crypto';
import { simulatorEndpoints, type SimParty } from '../sim/index.ts';
import type { Logger } from '../support/index.ts';
import type { AdminAnswer, AdminClient } from './admin_auth.ts';

export type { AdminAnswer, AdminClient } from './admin_auth.ts';

export const DEMO_CURRENCY = 'USD';
export const DEMO_DFSPS = ['payerfsp', 'payeefsp'] as const;
export type DemoDfspName = (typeof DEMO_DFSPS)[number];
const DEMO_NET_DEBIT_CAP = 100_000;
const DEMO_FUNDS_IN = '100000';

/** The parties each demo DFSP serves. */
export const DEMO_PARTIES: Record<DemoDfspName, readonly SimParty[]> = {
  payerfsp: [{ partyIdType: 'MSISDN', partyIdentifier: '44123456789', name: 'Alice Payer' }],
  payeefsp: [{ partyIdType: 'MSISDN', partyIdentifier: '27713803912', name: 'Henrik Karlsson' }],
};

/** One admin API call, as the maker; a change request it makes is approved by the checker (admin_auth.ts). */
export async function adminCall(admin: AdminClient, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  return admin.call(method, path, body);
}

async function expect(admin: AdminClient, method: string, path: string, body: unknown, accepted: (status: number, response: unknown) => boolean): Promise<void> {
  const response = await adminCall(admin, method, path, body);
  if (!accepted(response.status, response.body)) {
    throw new Error(`demo onboarding: ${method} ${path} answered ${response.status} ${JSON.stringify(response.body)}`);
  }
}

const errorCode = (body: unknown): string | undefined =>
  (body as { errorInformation?: { errorCode?: string } } | undefined)?.errorInformation?.errorCode;
const createdOrExists = (status: number, body: unknown) => status === 201 || errorCode(body) === '3000';

/** The hub's settlement and reconciliation accounts and a DEFERREDNET settlement model, in `currency`. */
export async function onboardHub(admin: AdminClient, currency: string): Promise<void> {
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    await expect(admin, 'POST', '/participants/Hub/accounts', { currency, type }, createdOrExists);
  }
  await expect(admin, 'POST', '/settlementModels', {
    name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED',
    currency, requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
  }, createdOrExists);
}

export interface DfspOnboarding {
  name: string;
  currency: string;
  netDebitCap: number;
  /** Funds in on first onboarding, a decimal string. */
  fundsIn: string;
  /** Base URL of the DFSP's (simulator's) callback server; every switching callback endpoint points under it. */
  callbackUrl?: string;
  /** The public key the DFSP signs its requests with (SPKI PEM); registered again on every onboarding (a repeat changes nothing). */
  signingPublicKeyPem?: string;
}

/**
 * Onboards one DFSP: on first sight the participant, its net debit cap and its
 * funds in; every time, its callback endpoints (so a restarted simulator on a
 * new port is reached there). Returns whether the participant was created.
 */
export async function onboardDfsp(admin: AdminClient, dfsp: DfspOnboarding, log: Logger): Promise<boolean> {
  const { name, currency } = dfsp;
  const existing = await adminCall(admin, 'GET', `/participants/${encodeURIComponent(name)}`);
  const created = existing.status !== 200;
  if (created) {
    await expect(admin, 'POST', '/participants', { name, currency }, (status) => status === 201);
    await expect(admin, 'POST', `/participants/${name}/initialPositionAndLimits`, {
      currency, limit: { type: 'NET_DEBIT_CAP', value: dfsp.netDebitCap }, initialPosition: 0,
    }, (status) => status === 201);
    const accounts = await adminCall(admin, 'GET', `/participants/${name}/accounts`);
    const settlement = (accounts.body as { id: number; ledgerAccountType: string; currency: string }[])
      .find((a) => a.ledgerAccountType === 'SETTLEMENT' && a.currency === currency);
    if (settlement === undefined) throw new Error(`demo onboarding: ${name} has no ${currency} settlement account`);
    await expect(admin, 'POST', `/participants/${name}/accounts/${settlement.id}`, {
      transferId: randomUUID(), externalReference: 'demo-funding', action: 'recordFundsIn', reason: 'demo scheme funding',
      amount: { amount: dfsp.fundsIn, currency },
    }, (status) => status === 202);
    log.info({ participant: name, currency, netDebitCap: dfsp.netDebitCap, fundsIn: dfsp.fundsIn }, 'participant onboarded through the admin API');
  }
  if (dfsp.callbackUrl !== undefined) {
    for (const endpoint of simulatorEndpoints(dfsp.callbackUrl)) {
      await expect(admin, 'POST', `/participants/${name}/endpoints`, endpoint, (status) => status === 201);
    }
  }
  if (dfsp.signingPublicKeyPem !== undefined) {
    await expect(admin, 'POST', `/participants/${name}/keys`, { publicKey: dfsp.signingPublicKeyPem }, (status) => status === 201 || status === 200);
  }
  return created;
}

/** The demo scheme: hub accounts, settlement model, payerfsp and payeefsp, with their endpoints and signing keys. */
export async function onboardDemoScheme(admin: AdminClient, log: Logger, dfsps: Record<DemoDfspName, { callbackUrl: string; signingPublicKeyPem: string }>): Promise<void> {
  await onboardHub(admin, DEMO_CURRENCY);
  for (const name of DEMO_DFSPS) {
    await onboardDfsp(admin, { name, currency: DEMO_CURRENCY, netDebitCap: DEMO_NET_DEBIT_CAP, fundsIn: DEMO_FUNDS_IN, ...dfsps[name] }, log);
  }
}

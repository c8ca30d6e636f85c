// The demo scheme, onboarded through the admin API exactly as a scheme's
// onboarding tooling would: the hub's accounts, a settlement model, two DFSPs
// with net debit caps, and funds in. Running it again changes nothing.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../support/logger.ts';

export const DEMO_CURRENCY = 'USD';
export const DEMO_DFSPS = ['payerfsp', 'payeefsp'] as const;
const DEMO_NET_DEBIT_CAP = 100_000;
const DEMO_FUNDS_IN = '100000';
const REQUEST_TIMEOUT_MS = 10_000;

async function call(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(adminUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown };
}

async function expect(adminUrl: string, method: string, path: string, body: unknown, accepted: (status: number, response: unknown) => boolean): Promise<void> {
  const response = await call(adminUrl, method, path, body);
  if (!accepted(response.status, response.body)) {
    throw new Error(`demo onboarding: ${method} ${path} answered ${response.status} ${JSON.stringify(response.body)}`);
  }
}

const errorCode = (body: unknown): string | undefined =>
  (body as { errorInformation?: { errorCode?: string } } | undefined)?.errorInformation?.errorCode;
const createdOrExists = (status: number, body: unknown) => status === 201 || errorCode(body) === '3000';

export async function onboardDemoScheme(adminUrl: string, log: Logger): Promise<void> {
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    await expect(adminUrl, 'POST', '/participants/Hub/accounts', { currency: DEMO_CURRENCY, type }, createdOrExists);
  }
  await expect(adminUrl, 'POST', '/settlementModels', {
    name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED',
    currency: DEMO_CURRENCY, requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
  }, createdOrExists);
  for (const name of DEMO_DFSPS) {
    const existing = await call(adminUrl, 'GET', `/participants/${name}`);
    if (existing.status === 200) continue;
    await expect(adminUrl, 'POST', '/participants', { name, currency: DEMO_CURRENCY }, (status) => status === 201);
    await expect(adminUrl, 'POST', `/participants/${name}/initialPositionAndLimits`, {
      currency: DEMO_CURRENCY, limit: { type: 'NET_DEBIT_CAP', value: DEMO_NET_DEBIT_CAP }, initialPosition: 0,
    }, (status) => status === 201);
    const accounts = await call(adminUrl, 'GET', `/participants/${name}/accounts`);
    const settlement = (accounts.body as { id: number; ledgerAccountType: string; currency: string }[])
      .find((a) => a.ledgerAccountType === 'SETTLEMENT' && a.currency === DEMO_CURRENCY);
    if (settlement === undefined) throw new Error(`demo onboarding: ${name} has no ${DEMO_CURRENCY} settlement account`);
    await expect(adminUrl, 'POST', `/participants/${name}/accounts/${settlement.id}`, {
      transferId: randomUUID(), externalReference: 'demo-funding', action: 'recordFundsIn', reason: 'demo scheme funding',
      amount: { amount: DEMO_FUNDS_IN, currency: DEMO_CURRENCY },
    }, (status) => status === 202);
    log.info({ participant: name, currency: DEMO_CURRENCY, netDebitCap: DEMO_NET_DEBIT_CAP, fundsIn: DEMO_FUNDS_IN }, 'demo participant onboarded');
  }
}

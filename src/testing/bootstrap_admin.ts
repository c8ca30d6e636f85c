// For tests of what the bootstrap administrator can do alone: a fresh hub
// (its first start, as `npm start` leaves it), the administrator signed in at
// the portal with its one-time credential (new password, TOTP enrolled), and
// its admin API calls made through the portal with its own token. The hub's
// participants are onboarded by system-seeded automation clients (as
// admin.seedAutomationClients does), whose keys the administrator never holds.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.ts';
import type { Clock } from '../support/clock.ts';
import { clientCaller, createTestAdminApi, injectedAnswer, makeAndApprove, type Answer, type Caller, type TestAdminApi } from './admin_api.ts';
import { createBrowser, injectTransport, signIn, type Browser } from '../operator/iam/browser.ts';
import { totpCode } from '../operator/iam/totp.ts';
import { testTables } from './tables.ts';

export const PUBLIC_URL = 'http://hub.test';

export interface AdminSession {
  call(method: string, path: string, body?: unknown): Promise<Answer>;
}

/** The bootstrap administrator, signed in at the portal; its calls go to the admin API through the portal with its token. */
export async function signInBootstrapAdmin(api: TestAdminApi, oneTimeCredential: string): Promise<AdminSession> {
  const browser = createBrowser(injectTransport(api.app), PUBLIC_URL);
  const outcome = await signIn(browser, '/portal/login', {
    username: 'admin', password: oneTimeCredential, newPassword: 'the first operator passphrase',
    totp: (secret) => totpCode(secret ?? '', Date.now()),
  }, (url) => url.pathname === '/portal');
  assert.ok('callback' in outcome, 'the bootstrap administrator signs in');
  return portalSession(api, browser);
}

function portalSession(api: TestAdminApi, browser: Browser): AdminSession {
  return {
    async call(method, path, body) {
      const session = JSON.parse((await browser.get('/portal/session')).body) as { formToken: string };
      const cookie = `__Host-interlock-portal=${browser.cookie('__Host-interlock-portal') ?? ''}`;
      const response = await api.app.inject({
        method: method as 'POST', url: `/portal/api${path}`,
        headers: { host: 'hub.test', origin: PUBLIC_URL, cookie, 'x-interlock-form-token': session.formToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return injectedAnswer(response);
    },
  };
}

export interface FreshHub {
  api: TestAdminApi;
  admin: AdminSession;
  /** The system-seeded automation maker and checker: not the administrator's. */
  maker: Caller;
  checker: Caller;
  participant: string;
  accountId: number;
}

export const FUNDED_PARTICIPANT = 'payerfsp';

/**
 * A fresh hub, onboarded by the system's automation clients: hub accounts,
 * a settlement model with the liquidity check, `payerfsp` with a net debit
 * cap and 10 USD of funds; the bootstrap administrator signed in.
 */
export async function freshHub(storage: Storage, options: { clock?: Clock; bootstrapWindowMs?: number } = {}): Promise<FreshHub> {
  const shown: string[] = [];
  const api = await createTestAdminApi(storage, { publicUrl: PUBLIC_URL, showOnce: (text) => { shown.push(text); }, ...options });
  const credential = /one-time credential: +(\S+)/.exec(shown[0] ?? '')?.[1] ?? '';
  const maker = await clientCaller(api, 'automation-maker', [{ role: 'operations-maker' }]);
  const checker = await clientCaller(api, 'automation-checker', [{ role: 'operations-checker' }]);
  const both = (method: string, path: string, body?: unknown) => makeAndApprove(maker, checker, method, path, body);
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    assert.equal((await both('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
  }
  assert.equal((await both('POST', '/settlementModels', {
    name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD',
    requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
  })).status, 201);
  assert.equal((await both('POST', '/participants', { name: FUNDED_PARTICIPANT, currency: 'USD' })).status, 201);
  assert.equal((await both('POST', `/participants/${FUNDED_PARTICIPANT}/initialPositionAndLimits`, { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 10 }, initialPosition: 0 })).status, 201);
  const accounts = (await maker.call('GET', `/participants/${FUNDED_PARTICIPANT}/accounts`)).body as { id: number; ledgerAccountType: string }[];
  const accountId = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
  assert.equal((await both('POST', `/participants/${FUNDED_PARTICIPANT}/accounts/${accountId}`, fundsInBody('10'))).status, 202);
  const admin = await signInBootstrapAdmin(api, credential);
  return { api, admin, maker, checker, participant: FUNDED_PARTICIPANT, accountId };
}

export function fundsInBody(amount: string) {
  return { transferId: randomUUID(), externalReference: 'bootstrap-test', action: 'recordFundsIn', reason: 'bootstrap test', amount: { amount, currency: 'USD' } };
}

/** Every ledger balance, as one comparable text: any movement of money changes it. */
export async function ledgerSnapshot(storage: Storage): Promise<string> {
  const rows = await testTables(storage.db).selectFrom('accounts').selectAll().orderBy('id').execute();
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

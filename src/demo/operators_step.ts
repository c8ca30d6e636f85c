// The demo's maker-checker step: two people, a maker and a checker, are
// seeded as operators with one-time credentials; each signs in through the
// operator portal (the hub's own OpenID Connect server: authorization code
// with PKCE, a new password, a TOTP authenticator enrolled — the demo plays
// their browsers and their authenticator apps); the maker asks for a funds-in,
// which waits as a change request and moves nothing; the maker cannot approve
// it; the checker approves it from the portal page, and the money moves, once.
import type { Clock } from '../support/index.ts';
import type { Storage } from '../storage/index.ts';
import { createBrowser, fetchTransport, signIn, type Browser, createOperatorStore, totpCode, createRbacStore } from '../operator/index.ts';
import { formatAmount, parseAmount } from '../support/index.ts';
import type { AdminClient } from './admin_auth.ts';
import { check, CheckFailed } from './flow.ts';
import type { Print } from './narration.ts';

export const DEMO_OPERATORS = [
  { username: 'demo-maker', displayName: 'Demo Maker', role: 'operations-maker' },
  { username: 'demo-checker', displayName: 'Demo Checker', role: 'operations-checker' },
] as const;
/** The password each demo operator chooses at first sign-in (a demo's, shown here on purpose). */
const DEMO_OPERATOR_PASSWORD = 'correct horse battery staple 2026';

export interface MakerCheckerOptions {
  adminUrl: string;
  storage: Storage;
  clock: Clock;
  /** The automation maker, to read balances exactly. */
  admin: AdminClient;
  participant: string;
  currency: string;
  amount: string;
  print: Print;
}

async function settlementMinor(admin: AdminClient, participant: string, currency: string): Promise<{ id: number; minor: bigint }> {
  const { status, text } = await admin.text(`/participants/${participant}/accounts`);
  const match = /"id":(\d+),"ledgerAccountType":"SETTLEMENT","currency":"([A-Z]{3})","isActive":1,"value":(-?)([0-9.]{1,40}),/.exec(text);
  if (status !== 200 || match?.[2] !== currency) throw new CheckFailed('settlement balance readable', `${status} ${text.slice(0, 200)}`);
  const parsed = parseAmount(match[4] ?? '', currency, { allowZero: true });
  if (!parsed.ok) throw new CheckFailed('settlement balance readable', parsed.error);
  return { id: Number(match[1]), minor: match[3] === '-' ? -parsed.value : parsed.value };
}

/**
 * Seeds the two demo operators, as the system seeds the automation clients (not through the
 * bootstrap administrator): one-time credentials, one role each. An operator that exists already is
 * left as it is; the credentials returned are those of the operators made now.
 */
export async function seedDemoOperators(storage: Storage, clock: Clock): Promise<Map<string, string>> {
  const operators = createOperatorStore({ db: storage.db, engine: storage.engine, clock });
  const rbac = createRbacStore({ db: storage.db, engine: storage.engine, clock });
  const credentials = new Map<string, string>();
  for (const { username, displayName, role } of DEMO_OPERATORS) {
    if (await operators.findByUsername(username) !== undefined) continue;
    const created = await operators.create({ username, displayName }, 'demo');
    if (!created.ok) throw new Error(`demo operator ${username}: ${created.error.detail}`);
    const granted = await rbac.grant({ principalId: created.value.operator.id, principalKind: 'operator', role, participant: null }, 'demo');
    if (!granted.ok) throw new Error(`demo operator ${username}: ${granted.error.detail}`);
    credentials.set(username, created.value.oneTimePassword);
  }
  return credentials;
}

async function portalSignIn(admin: AdminClient, username: string, oneTimePassword: string): Promise<Browser> {
  const adminUrl = admin.url;
  const browser = createBrowser(fetchTransport(admin.fetch), adminUrl);
  const outcome = await signIn(browser, '/portal/login', {
    username, password: oneTimePassword, newPassword: DEMO_OPERATOR_PASSWORD,
    totp: (secret) => totpCode(secret ?? '', Date.now()),
  }, (url) => url.pathname === '/portal');
  if (!('callback' in outcome)) throw new CheckFailed(`${username} signs in`, `stopped at ${outcome.stoppedAt.url.pathname} (${outcome.stoppedAt.status})`);
  return browser;
}

const formTokenOf = (html: string) => /name="formToken" value="([^"]+)"/.exec(html)?.[1] ?? '';

export async function runMakerCheckerStep(options: MakerCheckerOptions): Promise<void> {
  const { adminUrl, admin, participant, currency, amount, print } = options;
  const amountMinor = parseAmount(amount, currency);
  if (!amountMinor.ok) throw new Error(`demo amount: ${amountMinor.error}`);
  const money = (minor: bigint) => `${formatAmount(minor, currency)} ${currency}`;

  print('');
  print(`5. Operators: a funds-in of ${amount} ${currency} to ${participant} needs two people (maker-checker)`);
  const credentials = await seedDemoOperators(options.storage, options.clock);
  print(`  seeded ${DEMO_OPERATORS.map((o) => `${o.username} (${o.role})`).join(' and ')}, each with a one-time credential`);

  const maker = await portalSignIn(admin, 'demo-maker', credentials.get('demo-maker') ?? '');
  print('  demo-maker signs in at /portal: authorization code + PKCE at the hub\'s OpenID server, one-time credential replaced, TOTP enrolled; the browser holds only an HttpOnly SameSite=Strict cookie');
  const before = await settlementMinor(admin, participant, currency);
  const session = JSON.parse((await maker.get('/portal/session')).body) as { formToken: string };
  const asked = await admin.fetch(`${adminUrl}/portal/api/participants/${participant}/accounts/${before.id}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', origin: new URL(adminUrl).origin, 'x-interlock-form-token': session.formToken,
      cookie: `__Host-interlock-portal=${maker.cookie('__Host-interlock-portal') ?? ''}`,
    },
    body: JSON.stringify({ transferId: crypto.randomUUID(), externalReference: 'demo-maker-checker', action: 'recordFundsIn', reason: 'demo: maker-checker', amount: { amount, currency } }),
    signal: AbortSignal.timeout(10_000),
  });
  const request = await asked.json() as { id?: string; state?: string; function?: string };
  check(print, 'the funds-in waits for a second person', asked.status === 202 && request.state === 'PENDING', `POST /participants/${participant}/accounts/${before.id} answered ${asked.status}: change request ${request.id ?? '?'} ${request.function ?? ''} ${request.state ?? ''}`);
  const id = request.id ?? '';
  const waiting = await settlementMinor(admin, participant, currency);
  check(print, 'nothing moved yet', waiting.minor === before.minor, `${participant} settlement ${money(before.minor)}`);

  const own = await maker.post(`/portal/changeRequests/${id}/approve`, { formToken: formTokenOf((await maker.get('/portal')).body) });
  check(print, 'the maker cannot approve their own request', own.status === 403, `demo-maker's approval answered ${own.status}`);

  const checker = await portalSignIn(admin, 'demo-checker', credentials.get('demo-checker') ?? '');
  const page = await checker.get('/portal');
  check(print, 'the checker sees it waiting', page.body.includes(id), `demo-checker signed in the same way; /portal lists change request ${id}`);
  const approved = await checker.post(`/portal/changeRequests/${id}/approve`, { formToken: formTokenOf(page.body) });
  const outcome = /<p>([^<]*is now[^<]*)<\/p>/.exec(approved.body)?.[1] ?? approved.body.slice(0, 200);
  check(print, 'the checker\'s approval runs it', approved.status === 200 && outcome.includes('EXECUTED'), outcome);
  const after = await settlementMinor(admin, participant, currency);
  check(print, 'funds in applied once', before.minor - after.minor === amountMinor.value,
    `${participant} settlement ${money(before.minor)} → ${money(after.minor)} (the hub owes it ${amount} ${currency} more)`);
}

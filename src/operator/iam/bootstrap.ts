// First start of the IAM: the default roles and separation-of-duties
// exclusions, and one bootstrap administrator with a one-time credential,
// shown once (on the terminal or in an owner-only file, never in the log:
// one_time_credential.ts) and to be changed at the first sign-in, where a
// TOTP second factor is enrolled too.
//
// For the demo and the tests, and only when configured
// (admin.seedAutomationClients), a pair of automation clients: a maker with
// the operations-maker role and a checker with operations-checker, their
// private keys written to a file only the hub's user can read. Each data
// directory gets its own pair, so several hub processes on one database each
// have theirs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type { Clock, Logger } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import type { Principal } from '../rbac/authorize.ts';
import type { StoredRequest } from '../change_requests/service.ts';
import { isSubject } from '../change_requests/subjects.ts';
import { BOOTSTRAP_FUNCTIONS, BOOTSTRAP_GRANTABLE_ROLES, BOOTSTRAP_ROLE, moneyApprovalsIn } from '../rbac/default_roles.ts';
import type { ChangeFunction } from '../rbac/privileges.ts';
import type { RbacStore } from '../rbac/store.ts';
import type { ClientStore } from './clients.ts';
import { IAM_SIGNING_ALG } from '../../identity/index.ts';
import type { OperatorStore } from './operators.ts';
import { iamTables } from './tables.ts';

export const BOOTSTRAP_USERNAME = 'admin';
const SYSTEM = 'interlock';
/** How long a process waits for another one's first-start seeding on a shared database. */
const BOOTSTRAP_WAIT_MS_MAX = 30_000;
const BOOTSTRAP_POLL_MS = 100;

export interface AutomationCredential {
  readonly clientId: string;
  readonly privateJwk: JWK;
}

/** The file (admin.seedAutomationClients) a demo or test reads to call the admin API. */
export interface AutomationCredentials {
  readonly maker: AutomationCredential;
  readonly checker: AutomationCredential;
}

export interface BootstrapDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  operators: OperatorStore;
  clients: ClientStore;
  rbac: RbacStore;
  /** Shows the one-time credential of an operator to whoever started the hub (one_time_credential.ts); never a log. */
  showOnce: (text: string, username: string) => void;
  /** Where to keep the automation clients' credentials, when they are wanted. */
  automationCredentialsFile: string | undefined;
}

async function stateOf(db: Db, name: string): Promise<string | undefined> {
  return (await iamTables(db).selectFrom('iam_state').select('value').where('name', '=', name).executeTakeFirst())?.value;
}

async function claim(db: Db, name: string, value: string, nowMs: number): Promise<boolean> {
  const inserted = await iamTables(db).insertInto('iam_state').values({ name, value, changed_at_ms: nowMs }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
  return inserted !== undefined;
}

export async function bootstrapIam(deps: BootstrapDeps): Promise<void> {
  const { db, clock, log, operators, rbac } = deps;
  if (await claim(db, 'bootstrap-started', new Date(clock.nowMs()).toISOString(), clock.nowMs())) {
    await rbac.seedDefaults(SYSTEM);
    const created = await operators.create({ username: BOOTSTRAP_USERNAME, displayName: 'Bootstrap administrator', isBootstrap: true }, SYSTEM);
    if (!created.ok) throw new Error(`bootstrap administrator: ${created.error.detail}`);
    const granted = await rbac.grant({ principalId: created.value.operator.id, principalKind: 'operator', role: BOOTSTRAP_ROLE, participant: null }, SYSTEM);
    if (!granted.ok) throw new Error(`bootstrap administrator: ${granted.error.detail}`);
    await claim(db, 'bootstrap-done', new Date(clock.nowMs()).toISOString(), clock.nowMs());
    log.warn({ operator: BOOTSTRAP_USERNAME }, 'first start: bootstrap administrator created with a one-time credential, delivered once (the next line says where); it must be changed at first sign-in');
    deps.showOnce([
      '',
      '  ┌─ Interlock first start ─────────────────────────────────────────────',
      `  │ bootstrap administrator: ${BOOTSTRAP_USERNAME}`,
      `  │ one-time credential:     ${created.value.oneTimePassword}`,
      '  │ Shown once. Sign in at /portal: you will choose a new password and',
      '  │ enrol a TOTP authenticator, then create the first operators.',
      '  └─────────────────────────────────────────────────────────────────────',
      '',
    ].join('\n'), BOOTSTRAP_USERNAME);
  } else {
    const deadline = clock.nowMs() + BOOTSTRAP_WAIT_MS_MAX;
    while ((await stateOf(db, 'bootstrap-done')) === undefined) {
      if (clock.nowMs() > deadline) throw new Error('another hub process started the IAM bootstrap and has not finished it');
      await new Promise((resolve) => setTimeout(resolve, BOOTSTRAP_POLL_MS));
    }
  }
  if (deps.automationCredentialsFile !== undefined) await seedAutomationClients(deps, deps.automationCredentialsFile);
}

function readCredentials(file: string): AutomationCredentials | undefined {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own file in its data directory
  if (!existsSync(file)) return undefined;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own file in its data directory
  return JSON.parse(readFileSync(file, 'utf8')) as AutomationCredentials;
}

async function newCredential(clients: ClientStore, role: string, rbac: RbacStore, name: string): Promise<AutomationCredential> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = randomBytes(8).toString('hex');
  const clientId = `${name}-${randomBytes(4).toString('hex')}`;
  const created = await clients.create({ clientId, displayName: `automation ${name}`, jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid }] } }, SYSTEM);
  if (!created.ok) throw new Error(`automation client ${clientId}: ${created.error.detail}`);
  const granted = await rbac.grant({ principalId: clientId, principalKind: 'client', role, participant: null }, SYSTEM);
  if (!granted.ok) throw new Error(`automation client ${clientId}: ${granted.error.detail}`);
  return { clientId, privateJwk: { ...jwk, kid, alg: IAM_SIGNING_ALG } };
}

async function seedAutomationClients(deps: BootstrapDeps, file: string): Promise<void> {
  const existing = readCredentials(file);
  if (existing !== undefined) {
    const [maker, checker] = await Promise.all([deps.clients.find(existing.maker.clientId), deps.clients.find(existing.checker.clientId)]);
    if (maker !== undefined && checker !== undefined) return;
  }
  const credentials: AutomationCredentials = {
    maker: await newCredential(deps.clients, 'operations-maker', deps.rbac, 'automation-maker'),
    checker: await newCredential(deps.clients, 'operations-checker', deps.rbac, 'automation-checker'),
  };
  // Written whole, then renamed: a reader never sees half a file; 0600 from the start.
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own file in its data directory
  writeFileSync(temporary, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own file in its data directory
  renameSync(temporary, file);
  deps.log.warn({ file, maker: credentials.maker.clientId, checker: credentials.checker.clientId },
    'automation clients seeded (admin.seedAutomationClients): a maker and a checker, private keys in a file readable by the hub\'s user only; for demos and tests, not production');
}

export interface BootstrapWindowDeps {
  db: Db;
  clock: Clock;
  operators: OperatorStore;
  rbac: RbacStore;
  /** admin.bootstrapWindowMs: how long after the first start the window may stay open. */
  windowMs: number;
}

/** Closes the bootstrap window for good (a latch in the database), saying why; a second call changes nothing. */
export async function closeBootstrapWindow(db: Db, clock: Clock, reason: string): Promise<boolean> {
  return claim(db, 'bootstrap-closed', `${new Date(clock.nowMs()).toISOString()} ${reason}`, clock.nowMs());
}

/**
 * Whether the bootstrap window is open: not latched closed, younger than
 * `windowMs` since the first start, and no principal but a bootstrap
 * administrator holds ROLE_GRANT_APPROVE (once a security approver exists,
 * IAM changes can go through maker-checker). The first check that finds it
 * over latches it closed.
 */
export async function bootstrapWindowOpen(deps: BootstrapWindowDeps, bootstrapId: string): Promise<boolean> {
  const { db, clock } = deps;
  if ((await stateOf(db, 'bootstrap-closed')) !== undefined) return false;
  const started = await iamTables(db).selectFrom('iam_state').select('changed_at_ms').where('name', '=', 'bootstrap-started').executeTakeFirst();
  if (started === undefined || clock.nowMs() - started.changed_at_ms > deps.windowMs) {
    await closeBootstrapWindow(db, clock, `admin.bootstrapWindowMs (${deps.windowMs} ms) since the first start has passed`);
    return false;
  }
  if ((await deps.rbac.holdersOf('ROLE_GRANT_APPROVE', bootstrapId)).length > 0) {
    await closeBootstrapWindow(db, clock, 'a security approver other than the bootstrap administrator exists');
    return false;
  }
  return true;
}

/**
 * Whether `maker`'s request may run without a second person: only the
 * bootstrap administrator's, only while its window is open, and only to
 * create an operator or to grant an operator other than itself one of the
 * IAM roles (BOOTSTRAP_GRANTABLE_ROLES) — and only if that role approves no
 * funds movement. Everything else it asks waits for a second person.
 */
export async function bootstrapMayActAlone(deps: BootstrapWindowDeps, maker: Principal, fn: ChangeFunction, request: StoredRequest): Promise<boolean> {
  if (maker.kind !== 'operator' || !BOOTSTRAP_FUNCTIONS.includes(fn)) return false;
  const operator = await deps.operators.find(maker.id);
  if (operator?.is_bootstrap !== 1) return false;
  if (fn === 'ROLE_GRANT' && !(await grantableAlone(deps, maker, request))) return false;
  return bootstrapWindowOpen(deps, maker.id);
}

async function grantableAlone(deps: BootstrapWindowDeps, maker: Principal, request: StoredRequest): Promise<boolean> {
  const body = request.body as { principal?: unknown; role?: unknown; participant?: unknown } | undefined;
  if (typeof body?.principal !== 'string' || typeof body.role !== 'string' || body.participant !== undefined) return false;
  if (!BOOTSTRAP_GRANTABLE_ROLES.includes(body.role) || isSubject(maker, [body.principal])) return false;
  const subject = await deps.operators.findByUsername(body.principal);
  if (subject === undefined || subject.is_bootstrap === 1) return false;
  const role = (await deps.rbac.listRoles()).find((r) => r.name === body.role);
  return role !== undefined && moneyApprovalsIn(role.privileges).length === 0;
}

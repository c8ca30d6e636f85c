// Operator identity and access, put together: the stores, the authorization
// server (built at the first request, once the admin API knows the address it
// is reachable at, which with port 0 is only known after listen), the token
// issuers the admin API trusts, and the principal behind a token. Its secrets
// (TOTP secrets, the authorization server's keys) are sealed in the database
// with the box it is given (secret_box.ts).
import { createLocalJWKSet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type Provider from 'oidc-provider';
import { IAM_SIGNING_ALG, type ParticipantTokenTrust } from '../../identity/index.ts';
import type { Clock, Logger } from '../../support/index.ts';
import type { Db, Engine } from '../../storage/index.ts';
import type { AdminAuditSink, AuditResult } from '../audit_events.ts';
import type { Grant } from '../rbac/authorize.ts';
import { createRbacStore, type RbacStore } from '../rbac/store.ts';
import { ADMIN_API_AUDIENCE, createAuthorizationServer, issuerOf, type ParticipantTokenOptions } from './authorization_server.ts';
import { bootstrapIam } from './bootstrap.ts';
import { createClientStore, type ClientStore } from './clients.ts';
import { loadIamKeys, sealIamKeysAtRest, type IamKeys } from './keys.ts';
import { createOperatorStore, type OperatorStore } from './operators.ts';
import { resolvePrincipal, type PrincipalResult } from './principals.ts';
import { SecretBoxError, inMemorySecretBox, type SecretBox } from './secret_box.ts';
import { createSigninLimits } from './signin_limits.ts';
import { verifyAccessToken, type TokenCheck, type TrustedIssuer, type VerifiedToken } from './token_verifier.ts';

/** An external OpenID Connect issuer whose users may call the admin API (external_issuer.ts builds these). */
export interface ExternalIssuer {
  readonly trusted: TrustedIssuer;
  readonly grantsOf: (claims: JWTPayload) => Promise<Grant[]>;
}

export interface IamDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  log: Logger;
  /** The admin API's public base URL, once it is known (after listen when the port is 0). */
  publicUrl: () => string;
  /** Delivers a one-time credential of an operator (one_time_credential.ts), once; never to a log. */
  showOnce: (text: string, username: string) => void;
  /** An operator replaced their one-time credential at sign-in: what delivered it is cleaned up. */
  credentialReplaced?: (username: string) => void;
  /** Where the authorization server's own events (tokens issued or refused, grants revoked) are audited. */
  audit: AdminAuditSink;
  automationCredentialsFile: string | undefined;
  /** External issuers whose users may call the admin API, discovered at first use; their roles map into `rbac`. */
  externalIssuers?: (rbac: RbacStore) => Promise<readonly ExternalIssuer[]>;
  /** DFSPs' tokens for the FSPIOP API: the scopes each may get, and the FSPIOP listener's token endpoint. */
  participantTokens?: ParticipantTokenOptions;
  /**
   * Seals the IAM's secrets in the database (loadOrCreateSecretBox: a key file every hub process on the
   * database shares). Absent: this process's in-memory key, for tests; what it seals is lost when the process ends.
   */
  secretBox?: SecretBox;
}

export interface IamRuntime {
  readonly provider: Provider;
  readonly keys: IamKeys;
  readonly publicUrl: string;
  readonly issuer: string;
  /** The public key set of this authorization server's tokens (the admin API's and the FSPIOP API's). */
  readonly localKeys: JWTVerifyGetKey;
  readonly trusted: readonly TrustedIssuer[];
  readonly external: readonly ExternalIssuer[];
}

interface EventContext {
  ip?: string;
  oidc?: { client?: { clientId: string }; params?: Record<string, unknown> };
}

/**
 * The authorization server's own events as audit events: who got a token
 * with which grant, who was refused and why, which grants were revoked. The
 * event carries the client and the grant type, never a token or a code.
 */
function auditAuthorizationServer(provider: Provider, deps: Pick<IamDeps, 'audit' | 'clock' | 'log'>): void {
  // oidc-provider emits its events synchronously, while it answers: each event's entry is appended at once, and
  // the answer waits for it below. A token whose grant could not be recorded is not handed out (503).
  const pending = new WeakMap<object, Promise<void>[]>();
  provider.use(async (ctx, next) => {
    await next();
    const appends = pending.get(ctx);
    if (appends === undefined) return;
    const outcomes = await Promise.allSettled(appends);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed === undefined) return;
    deps.log.error({ err: failed.reason as unknown }, 'an authorization server event could not be audited: answered 503 instead');
    ctx.status = 503;
    ctx.body = { error: 'temporarily_unavailable', error_description: 'the audit log could not record this request' };
  });
  const emit = (action: string, result: AuditResult, ctx: EventContext | undefined, detail?: string) => {
    const clientId = ctx?.oidc?.client?.clientId;
    const appended = deps.audit.record({
      timeMs: deps.clock.nowMs(),
      actor: clientId === undefined ? { kind: 'anonymous' } : { kind: 'client', id: clientId, name: clientId },
      action,
      result,
      target: { resource: 'authorization server' },
      ...(detail === undefined ? {} : { detail: detail.slice(0, 200) }),
      ...(ctx?.ip === undefined ? {} : { sourceAddress: ctx.ip }),
    });
    if (typeof ctx === 'object') {
      pending.set(ctx, [...(pending.get(ctx) ?? []), appended]);
    } else {
      appended.catch((error: unknown) => { deps.log.error({ err: error, action }, 'an authorization server event outside a request could not be audited'); });
    }
  };
  const grantType = (ctx: EventContext | undefined) => {
    const type = ctx?.oidc?.params?.['grant_type'];
    return typeof type === 'string' ? type : 'unknown';
  };
  // oidc-provider keeps why it refused in error_detail (e.g. which client authentication check failed), out of its answer.
  const why = (error: unknown) => {
    if (!(error instanceof Error)) return 'error';
    const detail = (error as { error_detail?: unknown }).error_detail;
    return typeof detail === 'string' ? `${error.message} (${detail})` : error.message;
  };
  provider.on('grant.success', (ctx) => { emit('TOKEN_ISSUE', 'succeeded', ctx as EventContext, `grant ${grantType(ctx as EventContext)}`); });
  provider.on('grant.error', (ctx, error) => { emit('TOKEN_ISSUE', 'refused', ctx as EventContext, `grant ${grantType(ctx as EventContext)}: ${why(error)}`); });
  provider.on('grant.revoked', (ctx) => { emit('GRANT_REVOKE', 'succeeded', ctx as EventContext); });
  provider.on('revocation.error', (ctx, error) => { emit('TOKEN_REVOKE', 'refused', ctx as EventContext, error instanceof Error ? error.message : 'error'); });
  provider.on('server_error', (_ctx, error) => { deps.log.error({ err: error }, 'authorization server error'); });
}

async function buildRuntime(deps: IamDeps, secretBox: SecretBox, operators: OperatorStore, clients: ClientStore, rbac: RbacStore): Promise<IamRuntime> {
  const { db, clock } = deps;
  const keys = await loadIamKeys(db, clock, secretBox);
  const publicUrl = deps.publicUrl();
  const provider = createAuthorizationServer({
    db, clock, keys, operators, clients, publicUrl, secretBox,
    ...(deps.participantTokens === undefined ? {} : { participantTokens: deps.participantTokens }),
  });
  auditAuthorizationServer(provider, deps);
  const localKeys = createLocalJWKSet({ keys: [keys.signing.publicJwk] });
  const local: TrustedIssuer = {
    name: 'local',
    issuer: issuerOf(publicUrl),
    audience: ADMIN_API_AUDIENCE,
    keys: localKeys,
    algorithms: [IAM_SIGNING_ALG],
    typ: 'at+jwt',
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti', 'sub', 'client_id'],
  };
  const external = deps.externalIssuers === undefined ? [] : await deps.externalIssuers(rbac);
  return { provider, keys, publicUrl, issuer: local.issuer, localKeys, trusted: [local, ...external.map((e) => e.trusted)], external };
}

/**
 * Seals what an earlier version stored in clear (once: each value only if it is still the clear one read),
 * and stops the start when sealed values do not open with this key (another process's key, say). The
 * authorization server's keys are made here too, so that a process given another key stops now, not at
 * its first request.
 */
async function sealSecretsAtRest(deps: IamDeps, secretBox: SecretBox, operators: OperatorStore): Promise<void> {
  const { db, clock } = deps;
  const keys = await sealIamKeysAtRest(db, secretBox);
  const totp = await operators.sealTotpSecretsAtRest();
  const unopenable = [...keys.unopenable.map((name) => `iam_keys ${name}`), ...totp.unopenable.map((username) => `the TOTP secret of ${username}`)];
  if (unopenable.length > 0) {
    throw new SecretBoxError(`${unopenable.length} sealed IAM secret(s) do not open with ${secretBox.keySource} (${unopenable.slice(0, 5).join(', ')}${unopenable.length > 5 ? ', …' : ''}): `
      + 'they were sealed with another key; every hub process on one database must use the same IAM secrets key file (admin.secretsKeyFile)');
  }
  if (keys.sealed + totp.sealed > 0) {
    deps.log.warn({ iamKeys: keys.sealed, totpSecrets: totp.sealed }, `sealed the IAM secrets stored in clear with ${secretBox.keySource}; backups made before now still hold them in clear`);
  }
  await loadIamKeys(db, clock, secretBox);
}

export function createIam(deps: IamDeps) {
  const { db, engine, clock } = deps;
  const secretBox = deps.secretBox ?? inMemorySecretBox();
  if (deps.secretBox === undefined) deps.log.warn('the IAM was given no secrets key: its secrets are sealed with an in-memory key and cannot be opened after this process ends (tests only)');
  const operators = createOperatorStore({ db, engine, clock, secretBox });
  const clients = createClientStore({ db, engine, clock });
  const rbac = createRbacStore({ db, engine, clock });
  const signinLimits = createSigninLimits({ db, clock });

  let runtime: Promise<IamRuntime> | undefined;

  /** The authorization server and trusted issuers; built once, at first use. */
  function started(): Promise<IamRuntime> {
    runtime ??= buildRuntime(deps, secretBox, operators, clients, rbac).catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    return runtime;
  }

  /** The issuer and keys of DFSPs' FSPIOP tokens (edge/gateway/access_token.ts); only this hub's own authorization server issues them. */
  async function participantTokenTrust(): Promise<ParticipantTokenTrust> {
    const { issuer, localKeys } = await started();
    return { issuer, keys: localKeys };
  }

  async function verify(token: string): Promise<TokenCheck> {
    return verifyAccessToken(token, (await started()).trusted, clock.nowMs());
  }

  async function principalOf(token: VerifiedToken): Promise<PrincipalResult> {
    const { external } = await started();
    return resolvePrincipal({
      db, clock, operators, clients, rbac, secretBox,
      externalGrants: (name) => external.find((e) => e.trusted.name === name)?.grantsOf,
    }, token.issuer, token.claims);
  }

  const bootstrap = async () => {
    await sealSecretsAtRest(deps, secretBox, operators);
    await bootstrapIam({
      db, clock, log: deps.log, operators, clients, rbac, showOnce: deps.showOnce, automationCredentialsFile: deps.automationCredentialsFile,
    });
  };

  const credentialReplaced = (username: string): void => { deps.credentialReplaced?.(username); };

  return { operators, clients, rbac, signinLimits, secretBox, started, verify, principalOf, bootstrap, participantTokenTrust, credentialReplaced };
}

export type Iam = ReturnType<typeof createIam>;

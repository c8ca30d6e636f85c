// The admin API's part of the composition root, in dependency order: its
// listener, the IAM (operators, clients, roles, the authorization server)
// with its bootstrap, change requests and portal sessions, then its routes,
// then its timers. main.ts builds the hub with these steps, and the admin
// API's tests build it with the same ones.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import {
  adminPublicUrl, createChangeRequests, createExecutions, createIam, discoverExternalIssuer, EXPIRY_SWEEP_INTERVAL_MS, IAM_PRUNE_INTERVAL_MS,
  pruneAdminState, registerAdminApi, sweepChangeRequests, type AdminApiDeps, type DeclaredRoute, type Iam, type IamDeps,
} from '../operator/index.ts';
import { createPortalSessions, registerPortal } from '../portal/index.ts';
import { createDecisionQueries, createListStore, type PartyKeyOf, type RuleSetStore } from '../risk/index.ts';
import type { RiskRouteDeps } from '../operator/index.ts';
import type { Storage } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { every } from '../support/index.ts';

export interface AdminIamDeps extends Pick<IamDeps, 'showOnce' | 'audit' | 'credentialReplaced' | 'participantTokens' | 'secretBox'> {
  storage: Storage;
  clock: Clock;
  log: Logger;
  settings: Pick<Config['admin'], 'publicUrl' | 'automationCredentialsFile' | 'externalIssuer'>;
  /** Whether the admin listener has TLS (its public URL is then https). */
  tls: boolean;
}

/** The admin listener and its IAM, bootstrapped: built before the gateway, which trusts the IAM's participant tokens. */
export async function createAdminIam(app: FastifyInstance, deps: AdminIamDeps): Promise<Iam> {
  const { storage: { db, engine }, clock, log, settings } = deps;
  const external = settings.externalIssuer;
  const iam = createIam({
    db, engine, clock, log,
    publicUrl: adminPublicUrl(app, settings.publicUrl, deps.tls),
    showOnce: deps.showOnce,
    ...(deps.credentialReplaced === undefined ? {} : { credentialReplaced: deps.credentialReplaced }),
    audit: deps.audit,
    automationCredentialsFile: settings.automationCredentialsFile,
    // admin.externalIssuer: discovered at the first request, as the hub's own issuer is built.
    ...(external === undefined ? {} : { externalIssuers: async (rbac) => [await discoverExternalIssuer(external, rbac)] }),
    ...(deps.participantTokens === undefined ? {} : { participantTokens: deps.participantTokens }),
    ...(deps.secretBox === undefined ? {} : { secretBox: deps.secretBox }),
  });
  await iam.bootstrap();
  return iam;
}

/** An admin API built: its listener (not yet listening), its IAM and every route with the access it declared. */
export interface AdminApi {
  readonly app: FastifyInstance;
  readonly iam: Iam;
  readonly declaredRoutes: readonly DeclaredRoute[];
  /** Starts its timers (IAM pruning, change request expiry); returns what stops them (before the listener closes). */
  startTimers(): () => void;
}

type RouteDeps = Omit<AdminApiDeps, 'iam' | 'changeRequests' | 'executions' | 'endPortalSessionsOf'>;

/** Change requests and portal sessions over the IAM, then every route on the listener; ready to listen. */
export async function completeAdminApi(app: FastifyInstance, iam: Iam, deps: RouteDeps): Promise<AdminApi> {
  const { storage, clock, log } = deps;
  const changeRequests = createChangeRequests({ db: storage.db, engine: storage.engine, clock, rbac: iam.rbac, audit: deps.audit });
  const portalSessions = createPortalSessions({ db: storage.db, clock, secretBox: iam.secretBox });
  const declaredRoutes = registerAdminApi(app, { ...deps, iam, changeRequests, executions: createExecutions(), endPortalSessionsOf: (operatorId) => portalSessions.endAllOf(operatorId) });
  // The portal's routes are admin routes too: registered after access control, each declares its access.
  registerPortal(app, { iam, db: storage.db, clock, audit: deps.audit });
  await app.ready();
  function startTimers(): () => void {
    const stopPruning = every(IAM_PRUNE_INTERVAL_MS, async () => {
      await pruneAdminState({ storage, clock, iam });
      await portalSessions.prune();
    }, log, 'IAM pruning');
    const stopExpiry = every(EXPIRY_SWEEP_INTERVAL_MS, () => sweepChangeRequests({ changeRequests, log }), log, 'change request expiry');
    return () => {
      stopPruning();
      stopExpiry();
    };
  }
  return { app, iam, declaredRoutes, startTimers };
}

/** The FRMS's part of the admin API over `storage`: the rule set store the risk service reads, the lists, the decisions. */
export function riskAdmin(parts: { storage: Storage; clock: Clock; ruleSets: RuleSetStore; partyKeyOf: PartyKeyOf; afterRuleSetChange?: () => void }): RiskRouteDeps {
  const { db, engine } = parts.storage;
  const lists = createListStore({ db, engine, clock: parts.clock });
  return {
    ruleSets: parts.ruleSets,
    lists,
    listChanges: lists.writesTo(['deny', 'watch']),
    allowListChanges: lists.writesTo(['allow']),
    decisions: createDecisionQueries(db),
    partyKeyOf: parts.partyKeyOf,
    afterRuleSetChange: parts.afterRuleSetChange,
  };
}

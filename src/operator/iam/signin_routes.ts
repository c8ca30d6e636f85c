// The sign-in pages the authorization server sends an operator to
// (/interaction/{uid}): password, then — as the operator's state requires — a
// new password (for a one-time credential), TOTP enrolment (for anyone holding
// a role that changes anything), and the TOTP code. Plain HTML forms, no
// script, strict CSP (pages.ts).
//
// Cross-site forgery: oidc-provider's interaction cookie (SameSite=Lax, path
// /interaction/{uid}) must come with every post, and the uid is random and in
// the URL only; a page elsewhere can neither read it nor get the cookie sent.
//
// Every failure shows the same words ("Sign-in failed"), whatever the reason
// (unknown user, wrong password, locked, wrong code), so the page tells an
// attacker nothing; the audit event says which it was.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import type { Clock } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import { access } from '../access.ts';
import { recordOrRefuse, type AdminAuditSink, type AuditActor } from '../audit_events.ts';
import { isReadPrivilege } from '../rbac/privileges.ts';
import { INTERACTION_PATH } from './authorization_server.ts';
import type { Iam } from './iam.ts';
import type { StepRefusal } from './operators.ts';
import { INTERACTION_TTL_S, SIGNIN_FORM_BYTES_MAX } from './limits.ts';
import { iamTables, type Operator, type SigninStage } from './tables.ts';
import { form, page, PAGE_HEADERS, paragraph, escapeHtml } from './pages.ts';
import { newTotpSecret, totpUri } from './totp.ts';

export interface SigninRouteDeps {
  iam: Iam;
  db: Db;
  clock: Clock;
  audit: AdminAuditSink;
}

const FAILED = 'Sign-in failed. Check your username, password or code, or try again later.';
const uidParams = { type: 'object', required: ['uid'], properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' } } } as const;

type Form = Record<string, string | undefined>;
type UidRequest = FastifyRequest<{ Params: { uid: string } }>;

function field(body: unknown, name: string): string {
  const value = (body as Form | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** What the audit entry of a failed step says. */
function refusalDetail(refusal: StepRefusal): string {
  return refusal.lockedNow === true ? `${refusal.reason}; now locked out` : refusal.reason;
}

function send(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(page(title, body));
}

/** Records a sign-in step before it is answered; throws AuditUnavailableError (503) if it cannot be recorded. */
async function emit({ audit, clock }: SigninRouteDeps, request: FastifyRequest, actor: AuditActor, action: string, ok: boolean, detail?: string): Promise<void> {
  await recordOrRefuse(audit, { timeMs: clock.nowMs(), actor, action, result: ok ? 'succeeded' : 'refused', ...(detail === undefined ? {} : { detail }), sourceAddress: request.ip, target: { resource: 'operator sign-in' } });
}

const operatorActor = (operator: Operator): AuditActor => ({ kind: 'operator', id: operator.id, name: operator.username });

/** The interaction this browser is in, if its cookie and the uid agree and it asks for a login. */
async function interactionOf({ iam }: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<Interaction | undefined> {
  try {
    const { provider } = await iam.started();
    const interaction = await provider.interactionDetails(request.raw, reply.raw);
    if (interaction.uid !== request.params.uid || interaction.prompt.name !== 'login') return undefined;
    return interaction;
  } catch {
    return undefined;
  }
}

const expired = (reply: FastifyReply) => send(reply, 400, 'Sign-in expired', '<p>This sign-in has expired or is not yours. <a href="/portal">Start again from the portal</a>.</p>');

/** A secret being enrolled is sealed at rest as the enrolled one is (secret_box.ts), bound to its flow. */
const pendingSecretContext = (uid: string) => `signin_flows.pending_totp_secret:${uid}`;

async function flowOf({ iam, db, clock }: SigninRouteDeps, uid: string): Promise<{ operator_id: string; stage: SigninStage; pending_totp_secret: string | null } | undefined> {
  const flow = await iamTables(db).selectFrom('signin_flows').select(['operator_id', 'stage', 'pending_totp_secret']).where('uid', '=', uid).where('expires_at_ms', '>', clock.nowMs()).executeTakeFirst();
  if (flow === undefined || flow.pending_totp_secret === null) return flow;
  try {
    return { ...flow, pending_totp_secret: iam.secretBox.open(flow.pending_totp_secret, pendingSecretContext(uid)) };
  } catch {
    // Not sealed with this key for this flow (written before secrets were sealed, or tampered with): the sign-in starts again.
    return undefined;
  }
}

async function totpRequired({ iam }: SigninRouteDeps, operator: Operator): Promise<boolean> {
  if (operator.is_bootstrap === 1) return true;
  const grants = await iam.rbac.grantsOf(operator.id);
  return grants.some((g) => [...g.privileges].some((p) => !isReadPrivilege(p)));
}

function stagePage(reply: FastifyReply, uid: string, stage: SigninStage, operator: Operator, pendingSecret: string | null, message?: string): FastifyReply {
  const note = message === undefined ? '' : paragraph(message);
  const base = `${INTERACTION_PATH}/${uid}`;
  switch (stage) {
    case 'CHANGE_PASSWORD':
      return send(reply, message === undefined ? 200 : 400, 'Choose a new password', `${note}${paragraph(`Signed in as ${operator.username} with a one-time credential. Choose your own password (at least 12 characters).`)}${form(`${base}/password`, [
        { name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password' },
        { name: 'confirm', label: 'New password again', type: 'password', autocomplete: 'new-password' },
      ], 'Set password')}`);
    case 'ENROL_TOTP': {
      const secret = pendingSecret ?? '';
      return send(reply, message === undefined ? 200 : 400, 'Set up your authenticator', `${note}${paragraph('Your roles change things, so sign-in needs a second factor. Add this key to an authenticator app (TOTP, 6 digits, 30 seconds), then enter the code it shows.')}<p>Key: <code>${escapeHtml(secret)}</code></p><p>Or this URI: <code>${escapeHtml(totpUri(secret, operator.username))}</code></p>${form(`${base}/enrol`, [
        { name: 'code', label: 'Code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' },
      ], 'Enrol')}`);
    }
    case 'TOTP':
      return send(reply, message === undefined ? 200 : 401, 'Authenticator code', `${note}${form(`${base}/totp`, [
        { name: 'code', label: 'Code from your authenticator', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' },
      ], 'Sign in')}`);
  }
}

function loginPage(reply: FastifyReply, uid: string, status = 200, message?: string): FastifyReply {
  return send(reply, status, 'Operator sign-in', `${message === undefined ? '' : paragraph(message)}${form(`${INTERACTION_PATH}/${uid}/login`, [
    { name: 'username', label: 'Username', type: 'text', autocomplete: 'username' },
    { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
  ], 'Continue')}`);
}

/** Where an operator who passed the password (and a password change) goes next. */
async function nextStage(deps: SigninRouteDeps, operator: Operator): Promise<SigninStage | undefined> {
  if (operator.is_password_temporary === 1) return 'CHANGE_PASSWORD';
  if (operator.totp_secret !== null) return 'TOTP';
  if (await totpRequired(deps, operator)) return 'ENROL_TOTP';
  return undefined;
}

async function proceed(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply, interaction: Interaction, operator: Operator, amr: string[]): Promise<FastifyReply> {
  const uid = interaction.uid;
  const stage = await nextStage(deps, operator);
  if (stage === undefined) return finish(deps, request, reply, operator, amr);
  const pending = stage === 'ENROL_TOTP' ? newTotpSecret() : null;
  // Never longer than the interaction it belongs to, which oidc-provider checks on every step anyway.
  const values = { operator_id: operator.id, stage, pending_totp_secret: pending === null ? null : deps.iam.secretBox.seal(pending, pendingSecretContext(uid)), expires_at_ms: deps.clock.nowMs() + INTERACTION_TTL_S * 1000 };
  await iamTables(deps.db).insertInto('signin_flows').values({ uid, ...values }).onConflict((oc) => oc.column('uid').doUpdateSet(values)).execute();
  return stagePage(reply, uid, stage, operator, pending);
}

async function finish(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply, operator: Operator, amr: string[]): Promise<FastifyReply> {
  const { iam, db } = deps;
  await iam.operators.recordSuccess(operator.id);
  await iamTables(db).deleteFrom('signin_flows').where('uid', '=', request.params.uid).execute();
  // Recorded before the sign-in completes: one the audit log cannot record does not happen.
  await emit(deps, request, operatorActor(operator), 'SIGN_IN', true, `amr ${amr.join('+')}`);
  const { provider } = await iam.started();
  const returnTo = await provider.interactionResult(request.raw, reply.raw, {
    login: { accountId: operator.id, amr, acr: amr.includes('otp') ? 'urn:interlock:acr:mfa' : 'urn:interlock:acr:pwd', remember: false },
  }, { mergeWithLastSubmission: false });
  return reply.code(303).header('location', returnTo).headers({ 'cache-control': 'no-store' }).send();
}

async function showSignin(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { iam } = deps;
  const interaction = await interactionOf(deps, request, reply);
  if (interaction === undefined) return expired(reply);
  const flow = await flowOf(deps, interaction.uid);
  const operator = flow === undefined ? undefined : await iam.operators.find(flow.operator_id);
  if (flow === undefined || operator === undefined) return loginPage(reply, interaction.uid);
  return stagePage(reply, interaction.uid, flow.stage, operator, flow.pending_totp_secret);
}

async function submitPassword(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { iam } = deps;
  const interaction = await interactionOf(deps, request, reply);
  if (interaction === undefined) return expired(reply);
  const username = field(request.body, 'username').slice(0, 64);
  if (!(await iam.signinLimits.admit(request.ip))) {
    await emit(deps, request, { kind: 'anonymous', name: username }, 'SIGN_IN', false, 'rate limit: too many attempts from this address');
    return loginPage(reply, interaction.uid, 429, FAILED);
  }
  const step = await iam.operators.checkPassword(username, field(request.body, 'password'));
  if (!step.ok) {
    const actor: AuditActor = step.error.operator === undefined ? { kind: 'anonymous', name: username } : operatorActor(step.error.operator);
    await emit(deps, request, actor, 'SIGN_IN', false, refusalDetail(step.error));
    return loginPage(reply, interaction.uid, 401, FAILED);
  }
  await emit(deps, request, operatorActor(step.value), 'SIGN_IN_PASSWORD', true);
  return proceed(deps, request, reply, interaction, step.value, ['pwd']);
}

async function submitNewPassword(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { iam } = deps;
  const interaction = await interactionOf(deps, request, reply);
  const flow = interaction === undefined ? undefined : await flowOf(deps, interaction.uid);
  const operator = flow === undefined ? undefined : await iam.operators.find(flow.operator_id);
  if (interaction === undefined || flow?.stage !== 'CHANGE_PASSWORD' || operator === undefined) return expired(reply);
  const password = field(request.body, 'password');
  // Two values the same person typed, compared to catch a typo: nothing secret is learnt from the timing.
  // eslint-disable-next-line security/detect-possible-timing-attacks
  if (password !== field(request.body, 'confirm')) return stagePage(reply, interaction.uid, 'CHANGE_PASSWORD', operator, null, 'The two passwords differ.');
  const changed = await iam.operators.changePassword(operator.id, password);
  if (!changed.ok) return stagePage(reply, interaction.uid, 'CHANGE_PASSWORD', operator, null, changed.error.detail);
  await emit(deps, request, operatorActor(operator), 'PASSWORD_CHANGE', true, 'one-time credential replaced');
  iam.credentialReplaced(operator.username);
  const updated = await iam.operators.find(operator.id);
  return updated === undefined ? expired(reply) : proceed(deps, request, reply, interaction, updated, ['pwd']);
}

async function submitEnrolment(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { iam } = deps;
  const interaction = await interactionOf(deps, request, reply);
  const flow = interaction === undefined ? undefined : await flowOf(deps, interaction.uid);
  const operator = flow === undefined ? undefined : await iam.operators.find(flow.operator_id);
  if (interaction === undefined || flow?.stage !== 'ENROL_TOTP' || flow.pending_totp_secret === null || operator === undefined) return expired(reply);
  const step = await iam.operators.enrolTotp(operator.id, flow.pending_totp_secret, field(request.body, 'code'));
  if (!step.ok) {
    await emit(deps, request, operatorActor(operator), 'TOTP_ENROL', false, refusalDetail(step.error));
    if (step.error.lockedNow === true) return send(reply, 401, 'Sign-in failed', paragraph(FAILED));
    return stagePage(reply, interaction.uid, 'ENROL_TOTP', operator, flow.pending_totp_secret, 'That code is not right; try the next one.');
  }
  await emit(deps, request, operatorActor(operator), 'TOTP_ENROL', true);
  return finish(deps, request, reply, operator, ['pwd', 'otp']);
}

async function submitTotp(deps: SigninRouteDeps, request: UidRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { iam, db } = deps;
  const interaction = await interactionOf(deps, request, reply);
  const flow = interaction === undefined ? undefined : await flowOf(deps, interaction.uid);
  if (interaction === undefined || flow?.stage !== 'TOTP') return expired(reply);
  const step = await iam.operators.checkTotp(flow.operator_id, field(request.body, 'code'));
  if (!step.ok) {
    const actor: AuditActor = step.error.operator === undefined ? { kind: 'operator', id: flow.operator_id } : operatorActor(step.error.operator);
    await emit(deps, request, actor, 'SIGN_IN_TOTP', false, refusalDetail(step.error));
    if (step.error.reason === 'locked' || step.error.lockedNow === true) {
      await iamTables(db).deleteFrom('signin_flows').where('uid', '=', interaction.uid).execute();
      return send(reply, 401, 'Sign-in failed', paragraph(FAILED));
    }
    return step.error.operator === undefined ? expired(reply) : stagePage(reply, interaction.uid, 'TOTP', step.error.operator, null, FAILED);
  }
  return finish(deps, request, reply, step.value, ['pwd', 'otp']);
}

export function registerSigninRoutes(app: FastifyInstance, deps: SigninRouteDeps): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: SIGNIN_FORM_BYTES_MAX }, (_request, body, parsed) => {
      const form: Form = Object.create(null) as Form;
      for (const [key, value] of new URLSearchParams(body as string)) if (!(key in form)) form[key] = value;
      parsed(null, form);
    });
    const config = access.public('the sign-in pages: they are how an operator gets a token');

    scope.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, { schema: { params: uidParams }, config }, (request, reply) => showSignin(deps, request, reply));

    scope.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/login`, { schema: { params: uidParams }, config }, (request, reply) => submitPassword(deps, request, reply));

    scope.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/password`, { schema: { params: uidParams }, config }, (request, reply) => submitNewPassword(deps, request, reply));

    scope.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/enrol`, { schema: { params: uidParams }, config }, (request, reply) => submitEnrolment(deps, request, reply));

    scope.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/totp`, { schema: { params: uidParams }, config }, (request, reply) => submitTotp(deps, request, reply));
    done();
  });
}

// The FRMS's administration (issue 16), an Interlock addition:
//
//   GET    /risk/ruleSets                                every rule set with its versions and states   RISK_RULES_READ
//   GET    /risk/ruleSets/{name}/versions/{version}      one version with its definition               RISK_RULES_READ
//   POST   /risk/ruleSets/{name}  {definition}           a new DRAFT version                           RISK_RULES_DRAFT
//   PUT    /risk/ruleSets/{name}/versions/{version}  {state, reason}
//                                                        SHADOW, LIVE or RETIRED: maker-checker        RISK_RULE_SET_PROMOTE
//   GET    /risk/lists/{list}?after&limit                a page of a list (party keys)                 RISK_LISTS_READ
//   POST   /risk/partyKeys  {partyIdType, partyIdentifier, partySubIdOrType?}
//                                                        the party's key, to look it up or list it     RISK_LISTS_READ
//   POST   /risk/lists/{list}/entries  {partyKey, reason}
//   DELETE /risk/lists/{list}/entries/{partyKey}         maker-checker: deny and watch RISK_LIST_CHANGE, allow (an override) RISK_ALLOWLIST_CHANGE
//   GET    /risk/decisions?subjectId&verdict&fromDateTime&toDateTime&before&limit
//                                                        decisions, newest first                       RISK_DECISIONS_READ
//   GET    /risk/decisions/{id}                          one decision with its trace                   RISK_DECISIONS_READ
//
// A draft is enforced nowhere, so saving one is direct; its promotion is the
// change that takes effect, and a second person approves it. Once an approved
// promotion ran, `afterRuleSetChange` makes this process read its rule sets
// again at once; the others do within RULE_SET_REFRESH_MS.
//
// A list change names the party by its key, never by its clear identifier: a
// change request stores the request's body as it came, for its checker and its
// replay, so a clear identifier there would be kept beside the list. The maker
// gets the key first from POST /risk/partyKeys (the hub keys it, stores
// nothing, and the audit entry of the call has no body).
//
// A decision's trace names, for each rule, the value it saw and its outcome,
// and each typology's score. A holder of RISK_RULES_READ also sees what the
// outcome means (the band's bounds or the case's values) and each typology's
// thresholds; an analyst without it sees the trace alone.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPartyIdType, partyIdentifierProblem, partySubIdProblem, sendFailure, type Failure } from '../fspiop/index.ts';
import {
  compileRuleSet, DECISIONS_LIST_LENGTH_MAX, LIST_PAGE_MAX, RISK_LISTS, RULE_SET_NAME_PATTERN,
  type DecisionQueries, type RuleSetProblem, type ListEntry, type ListStore, type PartyKeyOf, type RiskDecisionRow, type RiskList, type RiskRuleSetRow, type RuleSetStore,
} from '../risk/index.ts';
import { parseDateTimeMs } from '../support/index.ts';
import { access, actorName } from './access.ts';
import { decide } from './rbac/authorize.ts';
import type { ChangeFunction } from './rbac/privileges.ts';

/** The admin API's view of the FRMS, each part guarded (guarded_services.ts guardedRiskServices). */
export interface RiskAdminServices {
  ruleSets: Pick<RuleSetStore, 'list' | 'get' | 'saveDraft' | 'promote' | 'promotionRefusal'>;
  lists: Pick<ListStore, 'entries' | 'entry'>;
  /** Writes to the deny and watch lists (RISK_LIST_CHANGE). */
  listChanges: ReturnType<ListStore['writesTo']>;
  /** Writes to the allow list (RISK_ALLOWLIST_CHANGE). */
  allowListChanges: ReturnType<ListStore['writesTo']>;
  decisions: DecisionQueries;
  partyKeyOf: PartyKeyOf;
}

export interface RiskRouteDeps extends RiskAdminServices {
  /** After an approved promotion ran: this process's risk service reads its rule sets again (RiskService.refresh). */
  afterRuleSetChange?: (() => void) | undefined;
}

const none = () => undefined;
const REASON_LENGTH_MAX = 512;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const ruleSetName = { type: 'string', pattern: RULE_SET_NAME_PATTERN.source } as const;
const version = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
const partyKey = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;
const list = { type: 'string', enum: RISK_LISTS } as const;
const PROMOTION_STATES = ['SHADOW', 'LIVE', 'RETIRED'] as const;
const VERDICTS = ['ALLOW', 'ALERT', 'HOLD', 'BLOCK'] as const;

const schemas = {
  ruleSetParams: { type: 'object', required: ['name'], properties: { name: ruleSetName } },
  versionParams: { type: 'object', required: ['name', 'version'], properties: { name: ruleSetName, version } },
  saveDraft: { type: 'object', additionalProperties: false, required: ['definition'], properties: { definition: { type: 'object' } } },
  promote: {
    type: 'object', additionalProperties: false, required: ['state', 'reason'],
    properties: { state: { type: 'string', enum: PROMOTION_STATES }, reason: text(REASON_LENGTH_MAX) },
  },
  listParams: { type: 'object', required: ['list'], properties: { list } },
  listQuery: { type: 'object', additionalProperties: false, properties: { after: partyKey, limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' } } },
  entryParams: { type: 'object', required: ['list', 'partyKey'], properties: { list, partyKey } },
  addEntry: { type: 'object', additionalProperties: false, required: ['partyKey', 'reason'], properties: { partyKey, reason: text(REASON_LENGTH_MAX) } },
  partyKey: {
    type: 'object', additionalProperties: false, required: ['partyIdType', 'partyIdentifier'],
    properties: { partyIdType: text(32), partyIdentifier: text(128), partySubIdOrType: text(128) },
  },
  decisionParams: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } } },
  decisionQuery: {
    type: 'object', additionalProperties: false,
    properties: {
      subjectId: text(64), verdict: { type: 'string', enum: VERDICTS }, fromDateTime: text(40), toDateTime: text(40),
      before: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' }, limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    },
  },
} as const;

interface VersionParams { name: string; version: string }
interface PromoteBody { state: (typeof PROMOTION_STATES)[number]; reason: string }
interface EntryParams { list: RiskList; partyKey?: string }
interface AddEntryBody { partyKey: string; reason: string }
interface DecisionQuery { subjectId?: string; verdict?: (typeof VERDICTS)[number]; fromDateTime?: string; toDateTime?: string; before?: string; limit?: string }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function versionView(row: Omit<RiskRuleSetRow, 'definition'>) {
  return {
    version: row.version, state: row.state, createdAt: iso(row.created_at_ms), createdBy: row.created_by,
    changedAt: iso(row.changed_at_ms), changedBy: row.changed_by, changeRequestId: row.change_request_id,
  };
}

function entryView(entry: ListEntry) {
  return { list: entry.list, partyKey: entry.partyKey, reason: entry.reason, addedAt: iso(entry.addedAtMs), addedBy: entry.addedBy, changeRequestId: entry.changeRequestId };
}

/** The change function of a list change: the allow list is an override of its own. */
const listFunction = (request: FastifyRequest): ChangeFunction => ((request.params as EntryParams).list === 'allow' ? 'RISK_ALLOWLIST_CHANGE' : 'RISK_LIST_CHANGE');

export function registerRiskRoutes(app: FastifyInstance, deps: RiskRouteDeps): void {
  registerRuleSetRoutes(app, deps);
  registerListRoutes(app, deps);
  registerDecisionRoutes(app, deps);
}

function registerRuleSetRoutes(app: FastifyInstance, deps: RiskRouteDeps): void {
  const { ruleSets } = deps;

  app.get('/risk/ruleSets', { config: access.privilege('RISK_RULES_READ', none) }, async (_request, reply) => {
    const byName = new Map<string, ReturnType<typeof versionView>[]>();
    for (const row of await ruleSets.list()) byName.set(row.name, [...(byName.get(row.name) ?? []), versionView(row)]);
    return reply.send([...byName].map(([name, versions]) => ({ name, versions })));
  });

  app.get<{ Params: VersionParams }>('/risk/ruleSets/:name/versions/:version', {
    schema: { params: schemas.versionParams }, config: access.privilege('RISK_RULES_READ', none),
  }, async (request, reply) => {
    const { name, version } = request.params;
    const row = await ruleSets.get(name, Number(version));
    if (row === undefined) return sendFailure(reply, { code: '3100', detail: `rule set ${name} version ${version} does not exist` });
    return reply.send({ name, ...versionView(row), definition: JSON.parse(row.definition) as unknown });
  });

  app.post<{ Params: { name: string }; Body: { definition: Record<string, unknown> } }>('/risk/ruleSets/:name', {
    schema: { params: schemas.ruleSetParams, body: schemas.saveDraft }, config: access.privilege('RISK_RULES_DRAFT', none),
  }, async (request, reply) => {
    const { name } = request.params;
    const { definition } = request.body;
    if (definition['name'] !== undefined && definition['name'] !== name) {
      return sendFailure(reply, { code: '3100', detail: `the definition names rule set ${JSON.stringify(definition['name'])}, the path ${name}` });
    }
    // The store names and numbers the versions: a version given in the definition is replaced.
    const named = { ...definition, name, version: 1 };
    const compiled = compileRuleSet(named);
    if (!compiled.ok) return sendFailure(reply, problemsFailure(compiled.error));
    const saved = await ruleSets.saveDraft(name, named, actorName(request));
    if (!saved.ok) return sendFailure(reply, { code: '3100', detail: saved.error });
    return reply.code(201).header('location', `/risk/ruleSets/${name}/versions/${saved.value.version}`).send({ name, ...versionView(saved.value) });
  });

  app.put<{ Params: VersionParams; Body: PromoteBody }>('/risk/ruleSets/:name/versions/:version', {
    schema: { params: schemas.versionParams, body: schemas.promote },
    config: access.change({
      functions: ['RISK_RULE_SET_PROMOTE'],
      participant: none,
      summary: (request) => {
        const { name, version } = request.params as VersionParams;
        const { state, reason } = request.body as PromoteBody;
        return `make FRMS rule set ${name} version ${version} ${state}${state === 'RETIRED' ? '' : ` (the ${state} version now retires)`}: ${reason}`;
      },
      refusal: async (request): Promise<Failure | undefined> => {
        const { name, version } = request.params as VersionParams;
        const refused = await ruleSets.promotionRefusal(name, Number(version), (request.body as PromoteBody).state);
        return refused === undefined ? undefined : { code: '3100', detail: refused };
      },
    }),
  }, async (request, reply) => {
    const { name, version } = request.params;
    const promoted = await ruleSets.promote(name, Number(version), request.body.state, actorName(request), request.authority?.execution?.changeRequestId ?? null);
    if (!promoted.ok) return sendFailure(reply, { code: '3100', detail: promoted.error });
    deps.afterRuleSetChange?.();
    return reply.send({ name, ...versionView(promoted.value) });
  });
}

/** FSPIOP bounds of an extension's key and value. */
const EXTENSION_KEY_LENGTH_MAX = 32;
const EXTENSION_VALUE_LENGTH_MAX = 128;
const cut = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

/** A rule set's problems as a 3100: the count in the description, each problem (the first 16) an extension keyed by its path. */
function problemsFailure(problems: readonly RuleSetProblem[]): Failure {
  return {
    code: '3100',
    detail: `the rule set has ${problems.length} problem(s), each in the extension list (path: problem)`,
    extensions: problems.map((p) => ({
      key: p.path === '' ? '(rule set)' : p.path.length <= EXTENSION_KEY_LENGTH_MAX ? p.path : `…${p.path.slice(1 - EXTENSION_KEY_LENGTH_MAX)}`,
      value: cut(p.message, EXTENSION_VALUE_LENGTH_MAX),
    })),
  };
}

function registerListRoutes(app: FastifyInstance, deps: RiskRouteDeps): void {
  const { lists } = deps;
  const writer = (list: RiskList) => (list === 'allow' ? deps.allowListChanges : deps.listChanges);

  app.get<{ Params: EntryParams; Querystring: { after?: string; limit?: string } }>('/risk/lists/:list', {
    schema: { params: schemas.listParams, querystring: schemas.listQuery }, config: access.privilege('RISK_LISTS_READ', none),
  }, async (request, reply) => {
    const limit = Math.min(LIST_PAGE_MAX, Number(request.query.limit ?? LIST_PAGE_MAX));
    const entries = await lists.entries(request.params.list, { afterPartyKey: request.query.after, limit });
    return reply.send({ list: request.params.list, entries: entries.map(entryView), next: entries.length === limit ? entries.at(-1)?.partyKey ?? null : null });
  });

  // A read: the key of a party is what the hub would store; nothing is stored, nothing is logged.
  app.post<{ Body: { partyIdType: string; partyIdentifier: string; partySubIdOrType?: string } }>('/risk/partyKeys', {
    schema: { body: schemas.partyKey }, config: access.privilege('RISK_LISTS_READ', none),
  }, async (request, reply) => {
    const { partyIdType, partyIdentifier, partySubIdOrType } = request.body;
    if (!isPartyIdType(partyIdType)) return sendFailure(reply, { code: '3100', detail: `partyIdType ${JSON.stringify(partyIdType)} is not an FSPIOP party id type` });
    const problem = partyIdentifierProblem(partyIdType, partyIdentifier) ?? (partySubIdOrType === undefined ? undefined : partySubIdProblem(partySubIdOrType));
    if (problem !== undefined) return sendFailure(reply, { code: '3100', detail: problem });
    return reply.send({ partyKey: deps.partyKeyOf({ partyIdType, partyIdentifier, partySubIdOrType }) });
  });

  const change = (summary: (request: FastifyRequest) => string, refusal: (request: FastifyRequest) => Promise<string | undefined>) => access.change({
    functions: ['RISK_LIST_CHANGE', 'RISK_ALLOWLIST_CHANGE'],
    functionOf: listFunction,
    participant: none,
    summary,
    refusal: async (request) => {
      const refused = await refusal(request);
      return refused === undefined ? undefined : { code: '3100', detail: refused };
    },
  });

  app.post<{ Params: EntryParams; Body: AddEntryBody }>('/risk/lists/:list/entries', {
    schema: { params: schemas.listParams, body: schemas.addEntry },
    preValidation: refuseClearIdentifier,
    config: change(
      (request) => `add party ${(request.body as AddEntryBody).partyKey} to the FRMS ${(request.params as EntryParams).list} list: ${(request.body as AddEntryBody).reason}`,
      async (request) => {
        const { list } = request.params as EntryParams;
        const found = await lists.entry(list, (request.body as AddEntryBody).partyKey);
        return found === undefined ? undefined : `the party is on the ${list} list already`;
      },
    ),
  }, async (request, reply) => {
    const { list } = request.params;
    const added = await writer(list).add({ list, partyKey: request.body.partyKey, reason: request.body.reason, actor: actorName(request), changeRequestId: request.authority?.execution?.changeRequestId ?? null });
    return added.ok ? reply.code(201).send(entryView(added.value)) : sendFailure(reply, { code: '3100', detail: added.error.detail });
  });

  app.delete<{ Params: Required<EntryParams> }>('/risk/lists/:list/entries/:partyKey', {
    schema: { params: schemas.entryParams },
    config: change(
      (request) => `take party ${String((request.params as EntryParams).partyKey)} off the FRMS ${(request.params as EntryParams).list} list`,
      async (request) => {
        const { list, partyKey: key } = request.params as Required<EntryParams>;
        return (await lists.entry(list, key)) === undefined ? `the party is not on the ${list} list` : undefined;
      },
    ),
  }, async (request, reply) => {
    const { list, partyKey: key } = request.params;
    const removed = await writer(list).remove({ list, partyKey: key, actor: actorName(request), changeRequestId: request.authority?.execution?.changeRequestId ?? null });
    return removed.ok ? reply.send(entryView(removed.value)) : sendFailure(reply, { code: '3100', detail: removed.error.detail });
  });
}

/** A list change with a clear identifier is refused before it can become a change request (which stores its body). */
function refuseClearIdentifier(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || !('partyIdentifier' in body)) return Promise.resolve(undefined);
  return Promise.resolve(sendFailure(reply, { code: '3103', detail: 'name the party by its partyKey (POST /risk/partyKeys gives it), never its clear identifier: a change request keeps its body' }));
}

function registerDecisionRoutes(app: FastifyInstance, deps: RiskRouteDeps): void {
  const { decisions, ruleSets } = deps;

  app.get<{ Querystring: DecisionQuery }>('/risk/decisions', {
    schema: { querystring: schemas.decisionQuery }, config: access.privilege('RISK_DECISIONS_READ', none),
  }, async (request, reply) => {
    const q = request.query;
    const fromMs = q.fromDateTime === undefined ? undefined : parseDateTimeMs(q.fromDateTime);
    const toMs = q.toDateTime === undefined ? undefined : parseDateTimeMs(q.toDateTime);
    if ((q.fromDateTime !== undefined && fromMs === undefined) || (q.toDateTime !== undefined && toMs === undefined)) {
      return sendFailure(reply, { code: '3101', detail: 'fromDateTime and toDateTime are ISO 8601 date-times' });
    }
    const limit = Math.min(DECISIONS_LIST_LENGTH_MAX, Number(q.limit ?? DECISIONS_LIST_LENGTH_MAX));
    const found = await decisions.find({ subjectId: q.subjectId, verdict: q.verdict, fromMs, toMs, beforeId: q.before === undefined ? undefined : Number(q.before), limit });
    return reply.send({ decisions: found.map(decisionSummary), next: found.length === limit ? found.at(-1)?.id ?? null : null });
  });

  app.get<{ Params: { id: string } }>('/risk/decisions/:id', {
    schema: { params: schemas.decisionParams }, config: access.privilege('RISK_DECISIONS_READ', none),
  }, async (request, reply) => {
    const row = await decisions.get(Number(request.params.id));
    if (row === undefined) return sendFailure(reply, { code: '3100', detail: `decision ${request.params.id} does not exist` });
    const authority = request.authority;
    const seesRules = authority?.principal !== undefined && decide(authority.principal, 'RISK_RULES_READ', undefined, authority.exclusions).ok;
    const definition = seesRules ? await ruleSets.get(row.rule_set_name, row.rule_set_version) : undefined;
    return reply.send({ ...decisionSummary(row), trace: traceView(row.trace, definition === undefined ? undefined : JSON.parse(definition.definition) as unknown) });
  });
}

function decisionSummary(row: RiskDecisionRow) {
  return {
    id: row.id, stage: row.stage, subjectId: row.subject_id, payerFsp: row.payer_fsp, payeeFsp: row.payee_fsp, verdict: row.verdict,
    enforced: row.is_enforced === 1, ruleSet: { name: row.rule_set_name, version: row.rule_set_version },
    failure: row.failure, decisionUs: row.decision_us, decidedAt: iso(row.decided_at_ms),
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const members = (value: unknown, names: readonly string[]): Json => (isObject(value) ? Object.fromEntries(names.filter((n) => n in value).map((n) => [n, value[n]])) : {});
const entries = (value: unknown, name: string): unknown[] => (isObject(value) && Array.isArray(value[name]) ? value[name] : []);

/** What a rule's outcome means in its rule set: the band's bounds, or the values of the case (an "else" when none). */
function outcomeMeaning(rule: unknown, ref: unknown): Json {
  if (!isObject(rule) || typeof ref !== 'string') return {};
  if (rule['kind'] === 'bands') {
    const band = entries(rule, 'bands')[Number(ref.slice(1)) - 1];
    return band === undefined ? {} : { band: members(band, ['lower', 'upper']), ...(rule['currency'] === undefined ? {} : { currency: rule['currency'] }) };
  }
  const values = entries(rule, 'cases').filter((c) => isObject(c) && c['ref'] === ref).map((c) => (c as Json)['value']);
  return values.length > 0 ? { caseValues: values } : rule['else'] === ref ? { caseValues: 'else' } : {};
}

/**
 * A stored trace as a caller may see it, built member by member (nothing else of it is passed on): each rule's
 * value seen and outcome, each typology's score and verdict, the override note; with the rule set's
 * `definition` (for a holder of RISK_RULES_READ), also each outcome's band bounds or case values and each
 * typology's thresholds.
 */
function traceView(trace: string, definition: unknown) {
  let stored: unknown;
  try {
    stored = JSON.parse(trace);
  } catch {
    return { unreadable: true };
  }
  const rulesById = new Map(entries(definition, 'rules').filter(isObject).map((r) => [r['id'], r]));
  const typologiesById = new Map(entries(definition, 'typologies').filter(isObject).map((t) => [t['id'], t]));
  const full = definition !== undefined;
  return {
    rules: entries(stored, 'rules').map((outcome) => ({
      ...members(outcome, ['ruleId', 'feature', 'value', 'ref']),
      ...(full && isObject(outcome) ? outcomeMeaning(rulesById.get(outcome['ruleId']), outcome['ref']) : {}),
    })),
    typologies: entries(stored, 'typologies').map((outcome) => ({
      ...members(outcome, ['typologyId', 'score', 'verdict']),
      ...(full && isObject(outcome) ? { thresholds: members(typologiesById.get(outcome['typologyId']), ['alert', 'hold', 'block']) } : {}),
    })),
    ...members(stored, ['override', 'truncated']),
    thresholdsShown: full,
  };
}

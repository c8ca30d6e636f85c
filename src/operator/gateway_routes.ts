// The API gateway's per-participant policies. Interlock additions (Mojaloop
// keeps these in its API gateway's configuration, outside the hub):
//
//   GET /participants/{name}/ip-allowlist      the ranges its requests may come from
//   PUT /participants/{name}/ip-allowlist      replace the whole list: {entries: [{cidr, description?}]}
//   GET /participants/{name}/api-permissions   the APIs it may call, in which role
//   PUT /participants/{name}/api-permissions   replace them: {permissions: {lookup: [roles], quotes: [roles], transfers: [roles], risk?: [roles]}}
//
// A PUT is a change request (IP_ALLOWLIST_CHANGE, API_PERMISSIONS_CHANGE):
// 202 with the request, effective once a second person approves it. The body
// is checked in full before the change request is made, so a checker never
// sees a request that cannot run (a CIDR with host bits set, a range given
// twice), and checked again by the store when it runs. After an approved
// change has run, `afterChange` lets the hub reload the gateway's in-memory
// checks at once (they also refresh on their own from the stored version).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeApiGrants, OPTIONAL_APIS, parseApiGrants, type ApiGrants, IP_ALLOWLIST_LIMITS, parseAllowlistEntries, HUB_HAS_NO_GATEWAY_POLICY, type ApiPermissionsRecord, type GatewayPolicy, type GatewayPolicyStore, type IpAllowlistRecord } from '../edge/index.ts';
import { API_ROLES, FSPIOP_APIS, sendFailure, sendResult, HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import { access, actorName } from './access.ts';
import { params } from './schemas.ts';

export interface GatewayRouteDeps {
  /** The store, guarded (guarded_services.ts). */
  gatewayPolicies: Pick<GatewayPolicyStore, 'ipAllowlist' | 'replaceIpAllowlist' | 'apiPermissions' | 'replaceApiPermissions'>;
  /** Runs after an approved change was stored, before its answer; a failure is logged, the change stands. */
  afterChange?: ((policy: GatewayPolicy) => void | Promise<void>) | undefined;
}

const roles = { type: 'array', maxItems: API_ROLES.length, uniqueItems: true, items: { type: 'string', enum: API_ROLES } } as const;

export const gatewaySchemas = {
  ipAllowlist: {
    type: 'object', additionalProperties: false, required: ['entries'],
    properties: {
      entries: {
        type: 'array', maxItems: IP_ALLOWLIST_LIMITS.entriesPerParticipantMax,
        items: {
          type: 'object', additionalProperties: false, required: ['cidr'],
          properties: {
            cidr: { type: 'string', minLength: 1, maxLength: IP_ALLOWLIST_LIMITS.cidrTextLengthMax },
            description: { type: 'string', minLength: 1, maxLength: IP_ALLOWLIST_LIMITS.descriptionLengthMax },
          },
        },
      },
    },
  },
  apiPermissions: {
    type: 'object', additionalProperties: false, required: ['permissions'],
    properties: {
      permissions: {
        type: 'object', additionalProperties: false, required: FSPIOP_APIS.filter((api) => !OPTIONAL_APIS.includes(api)),
        properties: Object.fromEntries(FSPIOP_APIS.map((api) => [api, roles])),
      },
    },
  },
} as const;

interface NameParams { name: string }
interface IpAllowlistBody { entries: { cidr: string; description?: string }[] }
interface ApiPermissionsBody { permissions: ApiGrants }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function allowlistView(participant: string, entries: readonly IpAllowlistRecord[]) {
  return {
    participant,
    entries: entries.map((e) => ({
      cidr: e.cidr, description: e.description, createdAt: iso(e.createdAtMs), updatedAt: iso(e.updatedAtMs), changedBy: e.changedBy, changeRequestId: e.changeRequestId,
    })),
  };
}

function permissionsView(participant: string, record: ApiPermissionsRecord) {
  return {
    participant,
    configured: record.configured,
    permissions: record.permissions,
    updatedAt: iso(record.updatedAtMs),
    changedBy: record.changedBy,
    changeRequestId: record.changeRequestId,
  };
}

/** Ranges named in a summary; the change request's body has them all. */
const SUMMARY_RANGES_MAX = 8;

function allowlistSummary(request: FastifyRequest): string {
  const name = (request.params as NameParams).name;
  const entries = (request.body as IpAllowlistBody).entries;
  if (entries.length === 0) return `clear ${name}'s IP allow-list (no entries: the scheme's allow-list mode decides)`;
  // The body was checked before this runs (preValidation): the ranges as they will be stored.
  const parsed = parseAllowlistEntries(entries);
  const ranges = parsed.ok ? parsed.value.map((e) => e.cidr.cidr) : entries.map((e) => e.cidr);
  const shown = ranges.slice(0, SUMMARY_RANGES_MAX).join(', ');
  const more = entries.length > SUMMARY_RANGES_MAX ? `, and ${entries.length - SUMMARY_RANGES_MAX} more` : '';
  return `set ${name}'s IP allow-list to ${entries.length} range${entries.length === 1 ? '' : 's'}: ${shown}${more}`;
}

/** The maker's request, checked in full before it becomes a change request: 400 with the first problem. */
function checkedBefore(problem: (body: unknown) => string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if ((request.params as Partial<NameParams>).name === HUB_PARTICIPANT_NAME) return sendFailure(reply, { code: '3000', detail: HUB_HAS_NO_GATEWAY_POLICY });
    const found = problem(request.body);
    return found === undefined ? undefined : sendFailure(reply, { code: '3100', detail: `body/${found}` });
  };
}

/** Only a body of the schema's shape is looked at; anything else is left for the schema to refuse. */
function allowlistProblem(body: unknown): string | undefined {
  const entries = (body as Partial<IpAllowlistBody> | undefined)?.entries;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'object' || typeof (e as { cidr?: unknown }).cidr !== 'string')) return undefined;
  const parsed = parseAllowlistEntries(entries);
  return parsed.ok ? undefined : parsed.error;
}

export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayRouteDeps): void {
  const { gatewayPolicies } = deps;

  async function changed(request: FastifyRequest, policy: GatewayPolicy): Promise<void> {
    try {
      await deps.afterChange?.(policy);
    } catch (error) {
      request.log.error({ err: error, policy }, 'gateway policy stored, but reloading the gateway\'s checks failed: they catch up at their next refresh');
    }
  }

  const changeOf = (request: FastifyRequest) => ({ by: actorName(request), changeRequestId: request.authority?.execution?.changeRequestId ?? null });

  app.get<{ Params: NameParams }>('/participants/:name/ip-allowlist', { schema: { params: params.name }, config: access.privilege('GATEWAY_POLICY_READ') }, async (request, reply) =>
    sendResult(reply, await gatewayPolicies.ipAllowlist(request.params.name), (entries) => ({ status: 200, body: allowlistView(request.params.name, entries) })));

  app.put<{ Params: NameParams; Body: IpAllowlistBody }>('/participants/:name/ip-allowlist', {
    schema: { params: params.name, body: gatewaySchemas.ipAllowlist },
    preValidation: checkedBefore(allowlistProblem),
    config: access.change({ functions: ['IP_ALLOWLIST_CHANGE'], summary: allowlistSummary }),
  }, async (request, reply) => {
    const name = request.params.name;
    const replaced = await gatewayPolicies.replaceIpAllowlist(name, request.body.entries, changeOf(request));
    if (replaced.ok) await changed(request, 'ip-allowlist');
    return sendResult(reply, replaced, (entries) => ({ status: 200, body: allowlistView(name, entries) }));
  });

  app.get<{ Params: NameParams }>('/participants/:name/api-permissions', { schema: { params: params.name }, config: access.privilege('GATEWAY_POLICY_READ') }, async (request, reply) =>
    sendResult(reply, await gatewayPolicies.apiPermissions(request.params.name), (record) => ({ status: 200, body: permissionsView(request.params.name, record) })));

  app.put<{ Params: NameParams; Body: ApiPermissionsBody }>('/participants/:name/api-permissions', {
    schema: { params: params.name, body: gatewaySchemas.apiPermissions },
    preValidation: checkedBefore(() => undefined),
    config: access.change({
      functions: ['API_PERMISSIONS_CHANGE'],
      summary: (r) => {
        const grants = parseApiGrants((r.body as ApiPermissionsBody).permissions);
        return `set ${(r.params as NameParams).name}'s API permissions: ${grants.ok ? describeApiGrants(grants.value) : 'invalid'}`;
      },
    }),
  }, async (request, reply) => {
    const name = request.params.name;
    const replaced = await gatewayPolicies.replaceApiPermissions(name, request.body.permissions, changeOf(request));
    if (replaced.ok) await changed(request, 'api-permissions');
    return sendResult(reply, replaced, (record) => ({ status: 200, body: permissionsView(name, record) }));
  });
}

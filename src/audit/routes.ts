// The audit log's read routes, a plugin for the admin API: every route needs
// the privilege AUDIT_READ (route config `privilege`, for the admin API's
// authorization hook). Nothing here writes.
//
//   GET /audit/checkpoint                      the latest checkpoint, signed note with cosignatures (tlog-tiles)
//   GET /audit/tile/<L>/<N>[.p/<W>]            a hash tile (tlog-tiles)
//   GET /audit/tile/entries/<N>[.p/<W>]        an entry bundle (tlog-tiles)
//   GET /audit/checkpoints?after=SEQ&limit=N   the checkpoints the hub signed, in order (for `audit verify --url`)
//   GET /audit/proof/inclusion?index=I | hash=HEX [&size=N]
//                                              an entry, its leaf hash and its inclusion proof
//   GET /audit/proof/consistency?from=M[&to=N] a consistency proof (to defaults to the latest checkpoint)
//   GET /audit/entries?actor=&action=&targetType=&targetId=&timeFrom=&timeTo=&after=&limit=
//                                              search, each result with its inclusion proof
//
// With `/audit` as the log's prefix, standard tlog-tiles clients read the log
// (interlock audit verify --url http://…/audit does). Proofs are against the
// latest checkpoint, which each answer includes; hashes are base64.
import type { FastifyInstance, FastifyReply, RouteGenericInterface } from 'fastify';
import { sendFailure, sendResult } from '../fspiop/index.ts';
import type { Failure } from '../fspiop/index.ts';
import { encodeBase64 } from '../support/index.ts';
import { AUDIT_SEARCH_RESULTS_MAX } from './limits.ts';
import { AUDIT_CHECKPOINTS_PAGE_MAX, ENTRY_IDENTIFIER_LENGTH_MAX, parseTilePath } from '../translog/index.ts';
import { base64Hashes, type AuditQueries, type PublishedCheckpoint } from './queries.ts';

export interface AuditRouteDeps {
  readonly queries: AuditQueries;
}

/** The privilege every audit route needs. */
export const AUDIT_READ = 'AUDIT_READ';
interface AuditRouteConfig { readonly privilege: typeof AUDIT_READ }
const config: AuditRouteConfig = { privilege: AUDIT_READ };

const index = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } as const;
const positive = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } as const;
const identifier = { type: 'string', minLength: 1, maxLength: ENTRY_IDENTIFIER_LENGTH_MAX } as const;
const instant = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$' } as const;

const schemas = {
  checkpoints: { type: 'object', additionalProperties: false, properties: { after: index, limit: positive } },
  inclusion: {
    type: 'object', additionalProperties: false,
    properties: { index, hash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, size: positive },
    oneOf: [{ required: ['index'] }, { required: ['hash'] }],
  },
  consistency: { type: 'object', additionalProperties: false, required: ['from'], properties: { from: positive, to: positive } },
  search: {
    type: 'object', additionalProperties: false,
    properties: { actor: identifier, action: identifier, targetType: identifier, targetId: { type: 'string', minLength: 1, maxLength: 1024 }, timeFrom: instant, timeTo: instant, after: index, limit: positive },
  },
} as const;

interface CheckpointsQuery { after?: string; limit?: string }
interface InclusionQuery { index?: string; hash?: string; size?: string }
interface ConsistencyQuery { from: string; to?: string }
interface SearchQuery { actor?: string; action?: string; targetType?: string; targetId?: string; timeFrom?: string; timeTo?: string; after?: string; limit?: string }

const optionalNumber = (text: string | undefined) => (text === undefined ? undefined : Number(text));

/** Milliseconds of an instant the schema admitted, or undefined when the calendar has no such day. */
function instantMs(text: string): number | undefined {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19) ? ms : undefined;
}

function checkpointView(checkpoint: PublishedCheckpoint) {
  return {
    seq: checkpoint.seq,
    size: checkpoint.size,
    rootHash: encodeBase64(checkpoint.rootHash),
    note: checkpoint.note,
    createdAt: new Date(checkpoint.createdAtMs).toISOString(),
  };
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function sendBytes(reply: FastifyReply, bytes: Buffer): FastifyReply {
  // Tiles and bundles never change once served at a width (tlog-tiles): caches may keep them.
  return reply.type('application/octet-stream').header('cache-control', IMMUTABLE).send(bytes);
}

export function registerAuditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  const { queries } = deps;

  app.get<RouteGenericInterface, AuditRouteConfig>('/audit/checkpoint', { config }, async (_request, reply) => {
    const checkpoint = await queries.checkpoint();
    if (checkpoint === undefined) return sendFailure(reply, { code: '3200', detail: 'the audit log has no checkpoint yet' });
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(checkpoint.note);
  });

  app.get<{ Params: { '*': string } }, AuditRouteConfig>('/audit/tile/*', { config }, async (request, reply) => {
    const path = parseTilePath(`tile/${request.params['*']}`);
    if (!path.ok) return sendFailure(reply, { code: '3002', detail: `${path.error}: tile/${request.params['*']}` });
    const { kind, tile } = path.value;
    const bytes = kind === 'entries' ? await queries.entryBundle(tile.index, tile.width) : await queries.tile(tile.level, tile.index, tile.width);
    if (!bytes.ok) return sendFailure(reply, bytes.error);
    return sendBytes(reply, bytes.value);
  });

  app.get<{ Querystring: CheckpointsQuery }, AuditRouteConfig>('/audit/checkpoints', { config, schema: { querystring: schemas.checkpoints } }, async (request, reply) => {
    const limit = Math.min(optionalNumber(request.query.limit) ?? AUDIT_CHECKPOINTS_PAGE_MAX, AUDIT_CHECKPOINTS_PAGE_MAX);
    const checkpoints = await queries.checkpoints(optionalNumber(request.query.after) ?? 0, limit);
    return reply.send({ checkpoints: checkpoints.map(checkpointView) });
  });

  app.get<{ Querystring: InclusionQuery }, AuditRouteConfig>('/audit/proof/inclusion', { config, schema: { querystring: schemas.inclusion } }, async (request, reply) => {
    const { index: indexText, hash, size } = request.query;
    const by = indexText !== undefined ? { index: Number(indexText) } : { leafHash: Buffer.from(hash ?? '', 'hex') };
    return sendResult(reply, await queries.inclusion(by, optionalNumber(size)), (answer) => ({
      status: 200,
      body: {
        index: answer.index,
        size: answer.size,
        leafHash: encodeBase64(answer.leafHash),
        entryText: answer.entry.toString('utf8'),
        proof: base64Hashes(answer.proof),
        checkpoint: checkpointView(answer.checkpoint),
      },
    }));
  });

  app.get<{ Querystring: ConsistencyQuery }, AuditRouteConfig>('/audit/proof/consistency', { config, schema: { querystring: schemas.consistency } }, async (request, reply) =>
    sendResult(reply, await queries.consistency(Number(request.query.from), optionalNumber(request.query.to)), (answer) => ({
      status: 200,
      body: { from: answer.from, to: answer.to, proof: base64Hashes(answer.proof), checkpoint: checkpointView(answer.checkpoint) },
    })));

  app.get<{ Querystring: SearchQuery }, AuditRouteConfig>('/audit/entries', { config, schema: { querystring: schemas.search } }, async (request, reply) => {
    const { actor, action, targetType, targetId, timeFrom, timeTo, after, limit } = request.query;
    const timeFromMs = timeFrom === undefined ? undefined : instantMs(timeFrom);
    const timeToMs = timeTo === undefined ? undefined : instantMs(timeTo);
    const invalid: Failure | undefined = (timeFrom !== undefined && timeFromMs === undefined) ? { code: '3100', detail: 'timeFrom is not a valid instant' }
      : (timeTo !== undefined && timeToMs === undefined) ? { code: '3100', detail: 'timeTo is not a valid instant' } : undefined;
    if (invalid !== undefined) return sendFailure(reply, invalid);
    const answer = await queries.search({
      ...(actor === undefined ? {} : { actor }),
      ...(action === undefined ? {} : { action }),
      ...(targetType === undefined ? {} : { targetType }),
      ...(targetId === undefined ? {} : { targetId }),
      ...(timeFromMs === undefined ? {} : { timeFromMs }),
      ...(timeToMs === undefined ? {} : { timeToMs }),
      ...(after === undefined ? {} : { afterIndex: Number(after) }),
      limit: Math.min(optionalNumber(limit) ?? AUDIT_SEARCH_RESULTS_MAX, AUDIT_SEARCH_RESULTS_MAX),
    });
    return sendResult(reply, answer, ({ checkpoint, results, nextAfterIndex }) => ({
      status: 200,
      body: {
        checkpoint: checkpointView(checkpoint),
        entries: results.map((r) => ({ index: r.index, entry: r.entry, entryText: r.entryText, leafHash: encodeBase64(r.leafHash), proof: base64Hashes(r.proof) })),
        next: nextAfterIndex === undefined ? null : { after: nextAfterIndex },
      },
    }));
  });
}

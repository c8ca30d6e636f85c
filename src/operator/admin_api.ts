// The admin API, compatible in paths and bodies with Mojaloop central-ledger's
// (port 3001) and central-settlement's /settlementModels, so that the
// onboarding tools schemes already use can drive Interlock. Until operator
// sign-in exists it listens on loopback only (enforced by the configuration).
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { ErrorCode } from '../fspiop/errors.ts';
import { sendFailure } from './replies.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../support/logger.ts';
import { JsonBodyError, parseExactJson } from './exact_json.ts';
import { registerParticipantRoutes, type ParticipantRouteDeps } from './participant_routes.ts';
import { registerSettlementModelRoutes } from './settlement_model_routes.ts';
import { registerSigningKeyRoutes, type SigningKeyRouteDeps } from './signing_key_routes.ts';
import type { SettlementModels } from '../settlement/index.ts';
import { STORAGE_OVERLOADED, type Storage } from '../storage/index.ts';
import { sql } from 'kysely';

export interface AdminApiDeps extends ParticipantRouteDeps {
  settlementModels: SettlementModels;
  signingKeys: SigningKeyRouteDeps['signingKeys'];
  hubPublicKeys: SigningKeyRouteDeps['hubPublicKeys'];
  storage: Storage;
  log: Logger;
  config: Config['admin'];
  startedAtMs: number;
  version: string;
}

/** Longest path parameter (a participant name is 30, a ULID 26, a UUID 36). */
const PATH_PARAMETER_LENGTH_MAX = 64;
const HEADER_BYTES_MAX = 16_384;

/** ajv keyword → FSPIOP code, as Mojaloop maps OpenAPI failures. */
function validationCode(keyword: string): ErrorCode {
  switch (keyword) {
    case 'required': return '3102';
    case 'additionalProperties': return '3103';
    case 'type': return '3101';
    default: return '3100';
  }
}

export async function createAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.log.child({ component: 'admin-api' });
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.config.bodyBytesMax,
    requestTimeout: deps.config.requestTimeoutMs,
    connectionTimeout: deps.config.requestTimeoutMs,
    maxParamLength: PATH_PARAMETER_LENGTH_MAX,
    http: { maxHeaderSize: HEADER_BYTES_MAX },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : parseExactJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setNotFoundHandler((request, reply) =>
    sendFailure(reply, { code: '3002', detail: `${request.method} ${request.url.split('?')[0] ?? ''} is not an admin API route` }));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'body';
      const detail = first === undefined ? error.message : `${where}${first.instancePath} ${first.message ?? 'is invalid'}`;
      return sendFailure(reply, { code: validationCode(first?.keyword ?? ''), detail });
    }
    if (error instanceof JsonBodyError) return sendFailure(reply, { code: '3101', detail: error.message });
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendFailure(reply, { code: '3101', detail: 'the body is not valid JSON' });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFailure(reply, { code: '3104', detail: `the body exceeds ${deps.config.bodyBytesMax} bytes` });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFailure(reply, { code: '3101', detail: 'the body must be application/json' });
    if (error.code === STORAGE_OVERLOADED) return sendFailure(reply, { code: '2003', detail: 'the hub is overloaded; try again later' });
    request.log.error({ err: error }, 'admin request failed');
    return sendFailure(reply, { code: '2001', detail: '' });
  });

  app.get('/health', async (_request, reply) => {
    let datastore = 'OK';
    try {
      await sql`select 1`.execute(deps.storage.db);
    } catch {
      datastore = 'DOWN';
    }
    const healthy = datastore === 'OK';
    return reply.code(healthy ? 200 : 502).send({
      status: healthy ? 'OK' : 'DOWN',
      uptime: Math.floor((deps.clock.nowMs() - deps.startedAtMs) / 1000),
      startTime: new Date(deps.startedAtMs).toISOString(),
      versionNumber: deps.version,
      services: [{ name: 'datastore', status: datastore }],
    });
  });

  registerParticipantRoutes(app, deps);
  registerSettlementModelRoutes(app, deps.settlementModels);
  registerSigningKeyRoutes(app, deps);
  await app.ready();
  return app;
}

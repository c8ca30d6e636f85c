// The scheme PKI over HTTP, for the admin API (registered there, and so
// behind its loopback-only listener and, later, operator sign-in):
//
//   GET  /pki/crl        the issuing CA's current CRL, DER (application/pkix-crl, RFC 2585)
//   GET  /pki/crl/root   the root's CRL (covers the intermediate), DER
//   GET  /pki/ca         the issuing CA then the root, PEM (application/pem-certificate-chain, RFC 8555)
//   POST /pki/csr        {fspId, csr, profile, hosts?, lifetimeDays?} → 201 the certificate and chain
//   GET  /pki/certificates[?fspId=&expiringWithinDays=]   recorded certificates with their state and days left
//   POST /pki/certificates/{serial}/renew   {csr, lifetimeDays?} → 201 a new certificate (the old one stays valid)
//   POST /pki/certificates/{serial}/revoke  {reason?} → 200; the listener stops accepting it at once
//   GET  /pki/expiring   the certificates (participants', the hub's, the CAs') within the warning window
//   GET  /pki/metrics    the same as Prometheus gauges (text exposition format), for alerting
//
// Errors are FSPIOP errorInformation, as everywhere in the admin API: body
// validation failures go through the host application's error handler, the
// PKI's own refusals through sendResult.
import type { FastifyInstance } from 'fastify';
import { sendResult } from '../fspiop/index.ts';
import { isoInstant, certificateView } from './views.ts';
import { LEAF_LIFETIME_DAYS_MAX } from '../config/index.ts';
import { CSR_PEM_CHARS_MAX, HOST_NAME_LENGTH_MAX, HOSTS_MAX, DAY_MS } from './limits.ts';
import { pemToDer } from './pem.ts';
import { CERTIFICATE_PROFILES } from './profile.ts';
import type { PkiService } from './service.ts';
import type { Clock } from '../support/index.ts';

export interface PkiRouteDeps {
  pki: PkiService;
  clock: Clock;
  /** The warning window, days (pki.expiryWarningDays). */
  expiryWarningDays: number;
  /** Called after a revocation, so that this process's listener reloads its CRLs now. */
  afterRevocation?: () => Promise<void>;
}

/** Who acts, until operator sign-in names a person. */
const ACTOR = 'admin-api';

const csrBody = {
  type: 'object', additionalProperties: false, required: ['fspId', 'csr', 'profile'],
  properties: {
    fspId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$' },
    csr: { type: 'string', minLength: 1, maxLength: CSR_PEM_CHARS_MAX },
    profile: { type: 'string', enum: CERTIFICATE_PROFILES },
    hosts: { type: 'array', maxItems: HOSTS_MAX, items: { type: 'string', minLength: 1, maxLength: HOST_NAME_LENGTH_MAX } },
    lifetimeDays: { type: 'integer', minimum: 1, maximum: LEAF_LIFETIME_DAYS_MAX },
  },
} as const;

interface CsrBody {
  fspId: string;
  csr: string;
  profile: string;
  hosts?: string[];
  lifetimeDays?: number;
}

const serialParams = { type: 'object', required: ['serial'], properties: { serial: { type: 'string', pattern: '^[0-9A-Fa-f]{1,64}$' } } } as const;

export function registerPkiRoutes(app: FastifyInstance, deps: PkiRouteDeps): void {
  registerPkiReadRoutes(app, deps);
  registerPkiExpiryRoutes(app, deps);
  registerPkiChangeRoutes(app, deps);
}

/** The CRLs and chain relying parties fetch, and the recorded certificates. */
function registerPkiReadRoutes(app: FastifyInstance, deps: PkiRouteDeps): void {
  const { pki } = deps;

  app.get('/pki/crl', async (_request, reply) =>
    reply.type('application/pkix-crl').send(pemToDer((await pki.currentCrl()).pem)));

  app.get('/pki/crl/root', async (_request, reply) => reply.type('application/pkix-crl').send(pemToDer(pki.rootCrlPem)));

  app.get('/pki/ca', async (_request, reply) => reply.type('application/pem-certificate-chain').send(pki.chainPem));

  app.get<{ Querystring: { fspId?: string; expiringWithinDays?: string } }>('/pki/certificates', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: {
      fspId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$' },
      // A query value is text (the admin API never coerces types): whole days, 1..999.
      expiringWithinDays: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
    } } },
  }, async (request, reply) => {
    const { fspId } = request.query;
    const expiringWithinDays = request.query.expiringWithinDays === undefined ? undefined : Number(request.query.expiringWithinDays);
    const nowMs = deps.clock.nowMs();
    const records = expiringWithinDays === undefined ? await pki.list({ fspId }) : (await pki.expiring(expiringWithinDays)).filter((r) => fspId === undefined || r.fsp_id === fspId);
    return reply.send(records.map((record) => certificateView(record, nowMs)));
  });
}

/** What expires soon: for operators (JSON) and for monitoring (Prometheus text). */
function registerPkiExpiryRoutes(app: FastifyInstance, deps: PkiRouteDeps): void {
  const { pki } = deps;

  app.get('/pki/expiring', async (_request, reply) => {
    const nowMs = deps.clock.nowMs();
    const withinMs = deps.expiryWarningDays * DAY_MS;
    const ca = pki.caExpiry();
    return reply.send({
      warningDays: deps.expiryWarningDays,
      certificates: (await pki.expiring(deps.expiryWarningDays)).map((record) => certificateView(record, nowMs)),
      schemeCa: [
        { what: 'root CA', notAfter: isoInstant(ca.rootNotAfterMs), expiringSoon: ca.rootNotAfterMs - nowMs <= withinMs },
        { what: 'intermediate CA', notAfter: isoInstant(ca.intermediateNotAfterMs), expiringSoon: ca.intermediateNotAfterMs - nowMs <= withinMs },
        { what: 'root CRL', notAfter: isoInstant(ca.rootCrlNextUpdateMs), expiringSoon: ca.rootCrlNextUpdateMs - nowMs <= withinMs },
      ],
    });
  });

  app.get('/pki/metrics', async (_request, reply) => {
    const nowMs = deps.clock.nowMs();
    const expiring = await pki.expiring(deps.expiryWarningDays);
    const ca = pki.caExpiry();
    const label = (text: string) => text.replace(/[\\"\n]/g, '_');
    const lines = [
      '# HELP interlock_certificates_expiring Issued certificates that expire within the warning window (pki.expiryWarningDays).',
      '# TYPE interlock_certificates_expiring gauge',
      `interlock_certificates_expiring{within_days="${deps.expiryWarningDays}"} ${expiring.length}`,
      '# HELP interlock_certificate_expiry_seconds Seconds until each expiring certificate, the scheme CAs and the root CRL reach their end.',
      '# TYPE interlock_certificate_expiry_seconds gauge',
      ...expiring.map((record) => `interlock_certificate_expiry_seconds{fsp_id="${label(record.fsp_id)}",serial="${record.serial_hex}"} ${Math.floor((record.not_after_ms - nowMs) / 1000)}`),
      `interlock_certificate_expiry_seconds{ca="root"} ${Math.floor((ca.rootNotAfterMs - nowMs) / 1000)}`,
      `interlock_certificate_expiry_seconds{ca="intermediate"} ${Math.floor((ca.intermediateNotAfterMs - nowMs) / 1000)}`,
      `interlock_certificate_expiry_seconds{ca="root-crl"} ${Math.floor((ca.rootCrlNextUpdateMs - nowMs) / 1000)}`,
    ];
    return reply.type('text/plain; version=0.0.4').send(lines.join('\n') + '\n');
  });
}

/** Issue, renew and revoke. */
function registerPkiChangeRoutes(app: FastifyInstance, deps: PkiRouteDeps): void {
  const { pki } = deps;

  app.post<{ Params: { serial: string }; Body: { csr: string; lifetimeDays?: number } }>('/pki/certificates/:serial/renew', {
    schema: { params: serialParams, body: { type: 'object', additionalProperties: false, required: ['csr'], properties: {
      csr: { type: 'string', minLength: 1, maxLength: CSR_PEM_CHARS_MAX }, lifetimeDays: { type: 'integer', minimum: 1, maximum: LEAF_LIFETIME_DAYS_MAX },
    } } },
  }, async (request, reply) => {
    const renewed = await pki.renew({ serialHex: request.params.serial, csrPem: request.body.csr, lifetimeDays: request.body.lifetimeDays, createdBy: ACTOR });
    return sendResult(reply, renewed, ({ record, chainPem }) => ({ status: 201, body: { ...certificateView(record, deps.clock.nowMs()), certificate: record.certificate_pem, chain: chainPem } }));
  });

  app.post<{ Params: { serial: string }; Body: { reason?: string } | undefined }>('/pki/certificates/:serial/revoke', {
    schema: { params: serialParams, body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 32 } } } },
  }, async (request, reply) => {
    const revoked = await pki.revoke(request.params.serial, request.body?.reason ?? 'unspecified');
    if (revoked.ok) await deps.afterRevocation?.();
    return sendResult(reply, revoked, ({ record }) => ({ status: 200, body: certificateView(record, deps.clock.nowMs()) }));
  });

  app.post<{ Body: CsrBody }>('/pki/csr', { schema: { body: csrBody } }, async (request, reply) => {
    const { fspId, csr, profile, hosts, lifetimeDays } = request.body;
    const issued = await pki.issue({ fspId, csrPem: csr, profile, hosts, lifetimeDays, createdBy: ACTOR });
    return sendResult(reply, issued, ({ record, chainPem }) => ({
      status: 201,
      body: {
        serial: record.serial_hex,
        fspId: record.fsp_id,
        profile: record.profile,
        subject: record.subject,
        notBefore: isoInstant(record.not_before_ms),
        notAfter: isoInstant(record.not_after_ms),
        fingerprintSha256: record.fingerprint_sha256,
        certificate: record.certificate_pem,
        chain: chainPem,
      },
    }));
  });
}

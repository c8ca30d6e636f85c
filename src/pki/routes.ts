// The scheme PKI over HTTP, for the admin API (registered there, and so
// behind its loopback-only listener and, later, operator sign-in):
//
//   GET  /pki/crl        the issuing CA's current CRL, DER (application/pkix-crl, RFC 2585)
//   GET  /pki/crl/root   the root's CRL (covers the intermediate), DER
//   GET  /pki/ca         the issuing CA then the root, PEM (application/pem-certificate-chain, RFC 8555)
//   POST /pki/csr        {fspId, csr, profile, hosts?, lifetimeDays?} → 201 the certificate and chain
//
// Errors are FSPIOP errorInformation, as everywhere in the admin API: body
// validation failures go through the host application's error handler, the
// PKI's own refusals through sendResult.
import type { FastifyInstance } from 'fastify';
import { sendResult } from '../operator/replies.ts';
import { isoInstant } from './views.ts';
import { CSR_PEM_CHARS_MAX, HOST_NAME_LENGTH_MAX, HOSTS_MAX, LEAF_LIFETIME_DAYS_MAX } from './limits.ts';
import { pemToDer } from './pem.ts';
import { CERTIFICATE_PROFILES } from './profile.ts';
import type { PkiService } from './service.ts';

export interface PkiRouteDeps {
  pki: PkiService;
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

export function registerPkiRoutes(app: FastifyInstance, deps: PkiRouteDeps): void {
  const { pki } = deps;

  app.get('/pki/crl', async (_request, reply) =>
    reply.type('application/pkix-crl').send(pemToDer((await pki.currentCrl()).pem)));

  app.get('/pki/crl/root', async (_request, reply) => reply.type('application/pkix-crl').send(pemToDer(pki.rootCrlPem)));

  app.get('/pki/ca', async (_request, reply) => reply.type('application/pem-certificate-chain').send(pki.chainPem));

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

// Access to the scheme PKI's admin routes (registered by src/pki/routes.ts,
// which does not declare access itself). A PKI route missing here stops the
// admin API from starting: deny by default.
import type { FastifyRequest } from 'fastify';
import type { RouteAccess } from './access.ts';

const none = () => undefined;

export const PKI_ROUTE_ACCESS: ReadonlyMap<string, RouteAccess> = new Map<string, RouteAccess>([
  ['GET /pki/crl', { kind: 'public', reason: 'relying parties fetch the CRL (it may be the certificates\' distribution point)' }],
  ['GET /pki/crl/root', { kind: 'public', reason: 'the root CA\'s CRL, for relying parties' }],
  ['GET /pki/ca', { kind: 'public', reason: 'the CA chain, which every participant needs to trust the hub' }],
  ['GET /pki/certificates', { kind: 'privilege', privilege: 'CERTIFICATE_READ', participant: none }],
  ['GET /pki/expiring', { kind: 'privilege', privilege: 'CERTIFICATE_READ', participant: none }],
  ['GET /pki/metrics', { kind: 'privilege', privilege: 'CERTIFICATE_READ', participant: none }],
  ['POST /pki/csr', {
    kind: 'change', functions: ['CERTIFICATE_CHANGE'],
    participant: (request: FastifyRequest) => (request.body as { fspId?: string } | undefined)?.fspId,
    summary: (request: FastifyRequest) => {
      const body = request.body as { fspId: string; profile: string };
      return `issue a ${body.profile} certificate for ${body.fspId}`;
    },
  }],
  ['POST /pki/certificates/:serial/renew', { kind: 'change', functions: ['CERTIFICATE_CHANGE'], participant: none, summary: (request: FastifyRequest) => `renew certificate ${(request.params as { serial: string }).serial}` }],
  ['POST /pki/certificates/:serial/revoke', { kind: 'change', functions: ['CERTIFICATE_REVOKE'], participant: none, summary: (request: FastifyRequest) => `revoke certificate ${(request.params as { serial: string }).serial}` }],
]);

// Transport probes: the FSPIOP listener's TLS, from outside. What the hub
// accepts at the handshake (protocol versions, cipher suites) and whom
// (certificates of the scheme CA only, not revoked, bound to the FSPIOP-Source
// the request claims).
import { connect } from 'node:tls';
import { makeCsr, createTestPki, splitPemBundle } from '../pki/index.ts';
import type { AssessContext } from './context.ts';
import { answerEvidence, errorCodeOf, fspiopConnection, messageHeaders, type ClientTls, type RawAnswer } from './fspiop_client.ts';
import { CONTROLS, fail, notApplicable, verdict, type Probe, type Verdict } from './probe.ts';

type TransportProbe = Probe<AssessContext>;
const control = CONTROLS.transport;
const LOOKUP_URI = '/parties/MSISDN/27700000009';

interface Handshake { readonly completed: boolean; readonly protocol?: string | null; readonly cipher?: string; readonly error?: string }

/** One TLS handshake with the FSPIOP listener, with the participant's own certificate and the given offer. */
function handshake(context: AssessContext, offer: { minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1.1' | 'TLSv1.2'; ciphers: string }): Promise<Handshake> {
  const url = new URL(context.hubFspiopUrl);
  const { tls } = context.payer;
  return new Promise((resolve) => {
    const socket = connect({
      host: url.hostname, port: Number(url.port || 443), servername: /^[0-9.]+$/.test(url.hostname) ? undefined : url.hostname,
      key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems], rejectUnauthorized: true, ...offer,
    });
    const timer = setTimeout(() => { socket.destroy(new Error('handshake timed out')); }, 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cipher = socket.getCipher();
      resolve({ completed: true, protocol: socket.getProtocol(), cipher: cipher.name });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ completed: false, error: `${error.code ?? error.name}: ${error.message}` });
    });
  });
}

/** Whether a refusal came from the hub (an alert it sent) rather than from this machine refusing to offer. */
const refusedByHub = (error: string | undefined) => error !== undefined && !/NO_PROTOCOLS_AVAILABLE|NO_CIPHERS_AVAILABLE|no protocols available|no cipher/i.test(error);

/** A party lookup (no body, no signature) over a connection with `tls`, claiming `source`. */
async function lookupWith(context: AssessContext, tls: ClientTls, source: string, token: string | undefined): Promise<RawAnswer> {
  const connection = fspiopConnection(context.hubFspiopUrl, tls, 1);
  try {
    const headers = messageHeaders({ resource: 'parties', method: 'GET', uri: LOOKUP_URI, source, destination: undefined, nowMs: Date.now() }, token);
    return await connection.send({ method: 'GET', path: LOOKUP_URI, headers });
  } finally {
    connection.close();
  }
}

const refusedAtConnection = (answer: RawAnswer, what: string): Verdict =>
  verdict(answer.status === 0, answer.status === 0 ? `refused before any HTTP answer (${answer.error ?? ''})` : `${what} was served: HTTP ${answer.status}`, answerEvidence(answer));

export const TRANSPORT_PROBES: readonly TransportProbe[] = [
  {
    id: 'transport.tls-legacy-versions', family: 'transport', control, asvs: ['v5.0.0-12.1.1', 'v5.0.0-12.2.1'],
    expectation: 'a client offering only TLS 1.0 and 1.1 gets no connection',
    async run(context) {
      const result = await handshake(context, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      if (!result.completed && !refusedByHub(result.error)) return notApplicable(`this machine's TLS library will not offer TLS 1.0/1.1 (${result.error ?? ''}), so the hub's answer cannot be seen`, { ...result });
      return verdict(!result.completed, result.completed ? `the hub completed a ${result.protocol ?? '?'} handshake` : `refused: ${result.error ?? ''}`, { offered: 'TLSv1, TLSv1.1', ...result });
    },
  },
  {
    id: 'transport.tls-weak-ciphers', family: 'transport', control, asvs: ['v5.0.0-12.1.2', 'v5.0.0-11.3.2', 'v5.0.0-11.6.2'],
    expectation: 'a TLS 1.2 client offering only static-RSA and non-AEAD (CBC) suites gets no connection',
    async run(context) {
      const ciphers = 'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA';
      const result = await handshake(context, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers });
      return verdict(!result.completed, result.completed ? `the hub agreed to ${result.cipher ?? '?'}` : `refused: ${result.error ?? ''}`, { offered: ciphers, ...result });
    },
  },
  {
    id: 'transport.no-client-certificate', family: 'transport', control, asvs: ['v5.0.0-12.1.3', 'v5.0.0-8.2.1'],
    expectation: 'a connection without a client certificate is refused before any request is served',
    async run(context) {
      return refusedAtConnection(await lookupWith(context, { caPems: context.caPems }, context.payer.name, undefined), 'a request without a certificate');
    },
  },
  {
    id: 'transport.foreign-ca-certificate', family: 'transport', control, asvs: ['v5.0.0-12.1.3'],
    expectation: 'a certificate naming a participant but issued by another CA is refused at the connection',
    async run(context) {
      const foreign = await createTestPki({ schemeName: 'Assessment Foreign Scheme' });
      try {
        const credentials = await foreign.issue(context.payer.name, { profile: 'client' });
        const answer = await lookupWith(context, { keyPem: credentials.keyPem, certificateChainPem: credentials.certificateChainPem, caPems: context.caPems }, context.payer.name, undefined);
        return refusedAtConnection(answer, 'a certificate of a foreign CA');
      } finally {
        foreign.dispose();
      }
    },
  },
  {
    id: 'transport.revoked-certificate', family: 'transport', control, asvs: ['v5.0.0-12.1.4', 'v5.0.0-12.1.3'],
    expectation: 'a scheme certificate revoked through the admin API is refused at once, without a restart',
    async run(context) {
      const { csrPem, keyPem } = await makeCsr();
      const issued = await context.admin.call('POST', '/pki/csr', { fspId: context.payer.name, csr: csrPem, profile: 'client', lifetimeDays: 1 });
      const body = issued.body as { serial?: string; certificate?: string; chain?: string } | undefined;
      if (issued.status !== 201 || body?.serial === undefined || body.certificate === undefined || body.chain === undefined) {
        return fail(`the scheme CA did not issue a second test certificate: HTTP ${issued.status}`, { issued: issued.body });
      }
      const [intermediate = ''] = splitPemBundle(body.chain).certificatePems;
      const tls = { keyPem, certificateChainPem: body.certificate + intermediate, caPems: context.caPems };
      const before = await lookupWith(context, tls, context.payer.name, undefined);
      const revoked = await context.admin.call('POST', `/pki/certificates/${body.serial}/revoke`, { reason: 'keyCompromise' });
      if (revoked.status !== 200) return fail(`the test certificate could not be revoked: HTTP ${revoked.status}`, { serial: body.serial, revoke: revoked.body });
      const after = await lookupWith(context, tls, context.payer.name, undefined);
      const evidence = { serial: body.serial, beforeRevocation: answerEvidence(before), revoke: revoked.status, afterRevocation: answerEvidence(after) };
      if (before.status === 0) return fail(`the certificate was refused even before it was revoked (${before.error ?? ''}): the probe proves nothing`, evidence);
      return verdict(after.status === 0, after.status === 0 ? `accepted before revocation (HTTP ${before.status}), refused at the connection after (${after.error ?? ''})` : `still served after revocation: HTTP ${after.status}`, evidence);
    },
  },
  {
    id: 'transport.expired-certificate', family: 'transport', control, asvs: ['v5.0.0-12.1.3'],
    expectation: 'an expired scheme certificate is refused at the connection',
    run() {
      return Promise.resolve(notApplicable('the admin API issues certificates valid for at least a day (POST /pki/csr lifetimeDays >= 1), so an expired scheme certificate cannot be obtained from outside; src/edge/tls/mtls.e2e.test.ts tests the refusal with the CA\'s key'));
    },
  },
  {
    id: 'transport.identity-mismatch', family: 'transport', control, asvs: ['v5.0.0-12.1.3', 'v5.0.0-8.2.2'],
    expectation: 'participant A\'s certificate (and token) with FSPIOP-Source B is refused: 403, FSPIOP error 3000',
    async run(context) {
      const answer = await context.payer.send({ resource: 'parties', method: 'GET', uri: LOOKUP_URI, destination: undefined, tamper: { source: context.payee.name } });
      const code = errorCodeOf(answer.text);
      return verdict(answer.status === 403 && code === '3000', `HTTP ${answer.status} ${code ?? ''}`.trim(), { certificateOf: context.payer.name, claimedSource: context.payee.name, ...answerEvidence(answer) });
    },
  },
];

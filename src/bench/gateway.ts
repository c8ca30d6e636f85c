// npm run bench:gateway: what the participant API gateway costs a request, in
// this process, with each control as the hub runs it: an IP allow-list of
// 64 ranges behind one trusted proxy hop, an ES256 access token bound to the
// connection's certificate (verified with jose against the authorization
// server's key set the first time it is seen; its binding, scope and expiry
// on every request), the API permission, and a token bucket. Each control is
// timed alone, then the whole gateway; the FSPIOP signature check (RS256 over a
// prepare's body) is timed beside it for scale.
//
//   npm run bench:gateway [-- --iterations N --json]
import { createHash, generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, exportJWK, SignJWT, type JWK } from 'jose';
import { createParticipantTokenCheck, loadApiPermissions, trustedProxies, addressRefusal, passGateway, type GatewayControls, type GatewayRequest, loadIpAllowlist, createRateLimiter } from '../edge/index.ts';
import { signMessage, verifySignature } from '../signature/index.ts';
import { createTestPki } from '../pki/index.ts';
import { prepareBody, ilpLock } from '../testing/index.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } } });
const iterations = Number(values.iterations);
if (!Number.isSafeInteger(iterations) || iterations < 100) throw new Error('--iterations: at least 100');

const clock = { nowMs: () => Date.now() };
const pki = await createTestPki({ schemeName: 'Interlock Bench Gateway' });
const leaf = await pki.issue('payerfsp', { profile: 'client' });
pki.dispose();
const certificateDer = new X509Certificate(leaf.certificateChainPem).raw;

// The authorization server's signing key and a token as it issues them (operator/iam/authorization_server.ts).
const issuer = 'https://hub.bench/oidc';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk: JWK = { ...await exportJWK(publicKey), kid: 'bench', alg: 'ES256', use: 'sig' };
const token = await new SignJWT({ client_id: 'fsp:payerfsp', scope: 'fspiop:lookup fspiop:quotes fspiop:transfers', cnf: { 'x5t#S256': createHash('sha256').update(certificateDer).digest('base64url') } })
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
  .setIssuer(issuer).setAudience('urn:interlock:fspiop-api').setSubject('fsp:payerfsp').setIssuedAt().setExpirationTime('1h').setJti(randomUUID())
  .sign(privateKey);
const keys = createLocalJWKSet({ keys: [publicJwk] });

const ranges = Array.from({ length: 64 }, (_, i) => `10.${i}.0.0/16`);
const ipAllowlist = await loadIpAllowlist({
  store: { version: () => Promise.resolve(1), ipAllowlistSnapshot: () => Promise.resolve({ version: 1, lists: new Map([['payerfsp', ranges]]) }) },
  mode: 'enforce',
});
const apiPermissions = await loadApiPermissions({ store: { version: () => Promise.resolve(1), apiPermissionsSnapshot: () => Promise.resolve({ version: 1, grants: new Map() }) } });
const controls: GatewayControls = {
  trustedProxies: trustedProxies(['192.168.0.0/16']),
  ipAllowlist,
  accessTokens: createParticipantTokenCheck({ trust: () => ({ issuer, keys }), clock, mode: 'required' }),
  apiPermissions,
  // Limits no benchmark reaches: the bucket's arithmetic is what is timed, not a refusal.
  rateLimiter: createRateLimiter({ limits: { lookup: { ratePerS: 1_000_000, burst: 1_000_000 }, quotes: { ratePerS: 1_000_000, burst: 1_000_000 }, transfers: { ratePerS: 1_000_000, burst: 1_000_000 }, risk: { ratePerS: 1_000_000, burst: 1_000_000 } } }, clock),
};
const request: GatewayRequest = {
  participant: 'payerfsp', operation: 'POST /transfers', socketAddress: '192.168.1.10', forwardedFor: '10.63.4.5',
  authorization: `Bearer ${token}`, peerCertificateDer: certificateDer,
};
if ((await passGateway(controls, request)) !== undefined) throw new Error('the benchmark request must pass the gateway');

// A prepare signed as a DFSP signs it, for scale.
const { privateKey: rsaKey, publicKey: rsaPublic } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const body = prepareBody(ilpLock().condition);
const date = new Date().toUTCString();
const signed = await signMessage({ method: 'POST', fspiopUri: '/transfers', source: 'payerfsp', destination: 'payeefsp', date, body }, { privateKey: rsaKey, alg: 'RS256', kid: 'bench' });
const signatureHeaders = { 'fspiop-signature': signed.signature, 'fspiop-source': 'payerfsp', 'fspiop-destination': 'payeefsp', date, 'fspiop-uri': '/transfers', 'fspiop-http-method': 'POST' };
const verificationKeys = [{ kid: 'bench', publicKey: rsaPublic }];
const rawBody = Buffer.from(signed.body);
if (!(await verifySignature({ method: 'POST', fspiopUri: '/transfers', headers: signatureHeaders, rawBody }, verificationKeys)).ok) throw new Error('the benchmark signature must verify');

async function timed(name: string, run: () => unknown): Promise<{ name: string; microsecondsPerRequest: number; perS: number }> {
  for (let i = 0; i < Math.min(1_000, iterations / 10); i++) await run();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await run();
  const elapsedMs = performance.now() - started;
  return { name, microsecondsPerRequest: (elapsedMs * 1000) / iterations, perS: iterations / (elapsedMs / 1000) };
}

const results = [
  await timed('IP allow-list (1 proxy hop, 64 ranges)', () => addressRefusal(controls, 'payerfsp', request)),
  await timed('access token, first sight (ES256 verified)', () => createParticipantTokenCheck({ trust: () => ({ issuer, keys }), clock, mode: 'required' })
    .check({ participant: 'payerfsp', peerCertificateDer: certificateDer, authorization: request.authorization, api: 'transfers' })),
  await timed('access token, seen before (cnf, scope, expiry)', () => controls.accessTokens.check({ participant: 'payerfsp', peerCertificateDer: certificateDer, authorization: request.authorization, api: 'transfers' })),
  await timed('API permission', () => apiPermissions.check('payerfsp', 'POST /transfers')),
  await timed('rate limit (token bucket)', () => controls.rateLimiter.take('payerfsp', 'transfers')),
  await timed('whole gateway', () => passGateway(controls, request)),
  await timed('for scale: FSPIOP-Signature (RS256, a prepare)', () => verifySignature({ method: 'POST', fspiopUri: '/transfers', headers: signatureHeaders, rawBody }, verificationKeys)),
];

if (values.json) {
  process.stdout.write(`${JSON.stringify({ iterations, results }, null, 2)}\n`);
} else {
  process.stdout.write(`Interlock gateway cost per request, ${iterations} requests each, one core of this machine:\n`);
  const oneDecimal = new Intl.NumberFormat('en', { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
  for (const r of results) process.stdout.write(`  ${r.name.padEnd(48)} ${oneDecimal.format(r.microsecondsPerRequest).padStart(8)} µs   ${Math.round(r.perS).toString().padStart(9)} /s\n`);
}

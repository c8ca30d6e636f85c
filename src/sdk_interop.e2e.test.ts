// Interoperability with Mojaloop's own DFSP client: a payer built with
// MojaloopRequests from @mojaloop/sdk-standard-components (the library the
// sdk-scheme-adapter and Mojaloop's simulators send with) runs lookup → quote
// → transfer through the hub, against a payee that answers with the same
// library and makes its ILP packet, condition and fulfilment with the SDK's
// ILP v1. Whatever the SDK puts in its headers and bodies, the hub's header
// and schema checks must accept: the SDK throws on any answer but 2xx with an
// empty body, so each call that resolves is one the hub accepted.
//
// FSPIOP API 1.1 for every resource (the SDK's default is 1.0), over mutual
// TLS with certificates from the scheme CA (the SDK's own tls.mutualTLS
// settings). Every request with a body is signed by the SDK's own JWS signer
// (ES256, jwsSign: true) and verified by the hub; what the hub signs itself is
// checked with the SDK's own validator.
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID, type JsonWebKeyInput } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { testTlsOf } from './testing/scheme_pki.ts';
import type { Hub } from './main.ts';
import { sdkJwsValidator } from './testing/sdk_jws_peer.ts';
import { fspiopRequest, positionOf, testCredentialsOf, tokenSourceOf, type DfspServer, type Received } from './testing/dfsp.ts';
import type { AdminClient } from './testing/admin_client.ts';
import { startSchemeHub, type SchemeHub } from './testing/scheme_hub.ts';
import { describeOnEachEngine } from './testing/engines.ts';
import { until } from './testing/hub_process.ts';
import { SDK_SILENT_LOGGER } from './testing/sdk_logger.ts';
import { fetchTrusting } from './support/trusted_fetch.ts';

// The SDK's own type declarations leave out most of MojaloopRequests' methods; these are the ones used here, as its source has them.
interface SdkAnswer {
  /** The request as the SDK made it (axios options): what was sent. */
  originalRequest: { method: string; url: string; headers: Record<string, string>; data: unknown };
}
interface SdkRequests {
  getParties(idType: string, idValue: string, idSubValue: string | undefined, destFspId: string | undefined): Promise<SdkAnswer>;
  putParties(idType: string, idValue: string, idSubValue: string | undefined, body: unknown, destFspId: string): Promise<SdkAnswer>;
  postQuotes(quoteRequest: unknown, destFspId: string): Promise<SdkAnswer>;
  putQuotes(quoteId: string, quoteResponse: unknown, destFspId: string): Promise<SdkAnswer>;
  postTransfers(prepare: unknown, destFspId: string): Promise<SdkAnswer>;
  putTransfers(transferId: string, fulfilment: unknown, destFspId: string): Promise<SdkAnswer>;
  getTransfers(transferId: string, destFspId?: string): Promise<SdkAnswer>;
}
interface SdkIlp {
  getQuoteResponseIlp(quoteRequest: unknown, quoteResponse: { transferAmount: unknown; expiration: string }): { fulfilment: string; condition: string; ilpPacket: string };
  calculateFulfil(ilpPacket: string): string;
  validateFulfil(fulfilment: string, condition: string): boolean;
  validateIlpAgainstTransferRequest(prepare: unknown): boolean;
}
interface Sdk {
  MojaloopRequests: new (config: Record<string, unknown>) => SdkRequests;
  OIDCAuth: new (config: { logger: unknown; staticToken: string }) => unknown;
  Ilp: { ilpFactory(version: string, options: { secret: string; logger: unknown }): SdkIlp; ILP_VERSIONS: { v1: string } };
}

const sdk = createRequire(import.meta.url)('@mojaloop/sdk-standard-components') as Sdk;


/** FSPIOP 1.1 content, Accept version 1, for every resource used (reference §9: the SDK defaults to 1.0). */
const RESOURCE_VERSIONS = Object.fromEntries(['parties', 'participants', 'quotes', 'transfers'].map((r) => [r, { contentVersion: '1.1', acceptVersion: '1' }]));

async function mojaloopRequests(dfspId: string, hub: Hub, resourceVersions: Record<string, unknown> = RESOURCE_VERSIONS): Promise<SdkRequests> {
  // The key onboardScheme registered for this DFSP; the SDK signs ES256 only with a SEC1 PEM.
  const { signingKey } = await testCredentialsOf(dfspId);
  const tls = await testTlsOf(dfspId);
  return new sdk.MojaloopRequests({
    logger: SDK_SILENT_LOGGER, dfspId, peerEndpoint: new URL(hub.fspiopUrl).host,
    tls: { enabled: true, mutualTLS: { enabled: true }, creds: { ca: [...tls.caPems], cert: tls.certificateChainPem, key: tls.keyPem } }, resourceVersions,
    jwsSign: true, jwsSignPutParties: true, jwsSigningKey: signingKey.privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    // The hub requires an access token bound to the DFSP's certificate: got at its token endpoint over mutual TLS
    // (the SDK's own OIDC client speaks client_secret_basic only), carried by the SDK as a Bearer token.
    oidc: { auth: new sdk.OIDCAuth({ logger: SDK_SILENT_LOGGER, staticToken: await (await tokenSourceOf(hub.fspiopUrl, dfspId)).token() }), retryOidcAuthFailureTimes: 0 },
    // One attempt per call: a refusal must fail the test, not be retried into a pass.
    retryConfig: { retries: 0 },
  });
}

/** The hub's public signing key as a PEM, from its published JWK Set (what a DFSP configures its validator with). */
async function hubPublicKeyPem(hub: Hub): Promise<string> {
  const jwks = await (await fetchTrusting(hub.schemeCaPems)(`${hub.adminUrl}/hub/jwks`)).json() as { keys: JsonWebKeyInput["key"][] };
  const [jwk] = jwks.keys;
  assert.ok(jwk !== undefined, 'the hub publishes its key');
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** Runs an SDK call; a refusal becomes an error that names the hub's answer. */
async function accepted(what: string, call: Promise<SdkAnswer>): Promise<SdkAnswer> {
  try {
    return await call;
  } catch (error) {
    const e = error as { statusCode?: number; response?: { data?: unknown }; message?: string };
    throw new Error(`the hub refused the SDK's ${what}: HTTP ${e.statusCode ?? '?'} ${JSON.stringify(e.response?.data ?? e.message)}`, { cause: error });
  }
}

/** The body an SDK request carried: signing makes it the signed text, otherwise it is the object. */
const sentData = (request: SdkAnswer['originalRequest']): unknown => (typeof request.data === 'string' ? JSON.parse(request.data) : request.data);

/** The FSPIOP headers of an SDK request, for comparison with what the hub forwards. */
const fspiopHeaders = (headers: Record<string, string | string[] | undefined>, names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, headers[name]]));

const PARTY = { partyIdType: 'MSISDN', partyIdentifier: '27713803912' };

describeOnEachEngine('a DFSP on Mojaloop\'s SDK (MojaloopRequests) through the hub', (context) => {
  let scheme: SchemeHub<'payerfsp' | 'payeefsp'>;
  let hub: Hub;
  let adminClient: AdminClient;
  let payer: DfspServer;
  let payee: DfspServer;
  let payerSdk: SdkRequests;
  let payeeSdk: SdkRequests;
  const ilp = sdk.Ilp.ilpFactory(sdk.Ilp.ILP_VERSIONS.v1, { secret: 'payee-ilp-secret', logger: SDK_SILENT_LOGGER });
  /** The payee's answers, sent after its 202/200, as a DFSP does; each must be accepted by the hub. */
  const payeeAnswers: Promise<SdkAnswer>[] = [];
  const quoteRequests = new Map<string, unknown>();

  function answerAsPayee(r: Received): void {
    const body = r.body === '' ? undefined : JSON.parse(r.body) as Record<string, unknown>;
    if (r.method === 'GET' && r.url === `/parties/${PARTY.partyIdType}/${PARTY.partyIdentifier}`) {
      const party = { party: { partyIdInfo: { ...PARTY, fspId: 'payeefsp' }, name: 'Henrik Karlsson', personalInfo: { complexName: { firstName: 'Henrik', lastName: 'Karlsson' } } } };
      payeeAnswers.push(accepted('PUT /parties', payeeSdk.putParties(PARTY.partyIdType, PARTY.partyIdentifier, undefined, party, String(r.headers['fspiop-source']))));
    } else if (r.method === 'POST' && r.url === '/quotes' && body !== undefined) {
      const quoteResponse = { transferAmount: body['amount'], expiration: new Date(Date.now() + 60_000).toISOString() };
      const { ilpPacket, condition } = ilp.getQuoteResponseIlp(body, quoteResponse);
      quoteRequests.set(String(body['quoteId']), body);
      payeeAnswers.push(accepted('PUT /quotes', payeeSdk.putQuotes(String(body['quoteId']), { ...quoteResponse, ilpPacket, condition }, String(r.headers['fspiop-source']))));
    } else if (r.method === 'POST' && r.url === '/transfers' && body !== undefined) {
      assert.ok(ilp.validateIlpAgainstTransferRequest(body), 'the prepare matches its ILP packet');
      const fulfil = { transferState: 'COMMITTED', fulfilment: ilp.calculateFulfil(String(body['ilpPacket'])), completedTimestamp: new Date().toISOString() };
      payeeAnswers.push(accepted('PUT /transfers', payeeSdk.putTransfers(String(body['transferId']), fulfil, String(r.headers['fspiop-source']))));
    }
  }

  before(async () => {
    scheme = await startSchemeHub({ name: 'sdk', dfsps: { payerfsp: {}, payeefsp: { onRequest: answerAsPayee } }, overrides: { 'storage.url': context.url } });
    ({ hub, admin: adminClient, dfsps: { payerfsp: payer, payeefsp: payee } } = scheme);
    payerSdk = await mojaloopRequests('payerfsp', hub);
    payeeSdk = await mojaloopRequests('payeefsp', hub);
    // The payee registers its party. (MojaloopRequests has no call for POST /participants/{Type}/{ID}, only the bulk POST /participants.)
    const registered = await fspiopRequest(hub.fspiopUrl, 'POST', `/participants/${PARTY.partyIdType}/${PARTY.partyIdentifier}`, 'participants', 'payeefsp', undefined, { fspId: 'payeefsp', currency: 'USD' });
    assert.equal(registered.status, 202, registered.body);
    await payee.next((r) => r.method === 'PUT' && r.url === `/participants/${PARTY.partyIdType}/${PARTY.partyIdentifier}`);
  });

  after(() => scheme.close());

  test('lookup, quote and transfer: every request the SDK builds is accepted, and each callback reaches the payer as the payee sent it', async () => {
    // Lookup, without knowing the payee's FSP.
    const lookup = await accepted('GET /parties', payerSdk.getParties(PARTY.partyIdType, PARTY.partyIdentifier, undefined, undefined));
    assert.equal(lookup.originalRequest.headers['content-type'], 'application/vnd.interoperability.parties+json;version=1.1');
    assert.equal(lookup.originalRequest.headers['accept'], 'application/vnd.interoperability.parties+json;version=1');
    assert.equal(lookup.originalRequest.headers['fspiop-destination'], undefined);
    const asked = await payee.next((r) => r.method === 'GET' && r.url.startsWith('/parties/'));
    assert.deepEqual(fspiopHeaders(asked.headers, ['content-type', 'accept', 'date', 'fspiop-source']), fspiopHeaders(lookup.originalRequest.headers, ['content-type', 'accept', 'date', 'fspiop-source']));
    assert.equal(asked.headers['fspiop-destination'], 'payeefsp', 'the hub names the FSP it found');
    const found = await payer.next((r) => r.method === 'PUT' && r.url === `/parties/${PARTY.partyIdType}/${PARTY.partyIdentifier}`);
    const partyPut = (await payeeAnswers[0])?.originalRequest;
    assert.ok(partyPut !== undefined);
    assert.equal(partyPut.headers['accept'], undefined, 'the SDK sends no Accept on PUT');
    assert.deepEqual(JSON.parse(found.body), sentData(partyPut));
    const payeeFsp = (JSON.parse(found.body) as { party: { partyIdInfo: { fspId: string } } }).party.partyIdInfo.fspId;
    assert.equal(payeeFsp, 'payeefsp');

    // Quote.
    const quoteId = randomUUID();
    const quoteRequest = {
      quoteId, transactionId: randomUUID(),
      payee: { partyIdInfo: { ...PARTY, fspId: payeeFsp } },
      payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'payerfsp' }, name: 'Alice Payer' },
      amountType: 'SEND', amount: { amount: '100.25', currency: 'USD' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      note: 'SDK interop',
    };
    const quoted = await accepted('POST /quotes', payerSdk.postQuotes(quoteRequest, payeeFsp));
    assert.equal(quoted.originalRequest.headers['content-type'], 'application/vnd.interoperability.quotes+json;version=1.1');
    const atPayee = await payee.next((r) => r.method === 'POST' && r.url === '/quotes');
    assert.deepEqual(JSON.parse(atPayee.body), quoteRequest);
    const quoteCallback = await payer.next((r) => r.method === 'PUT' && r.url === `/quotes/${quoteId}`);
    const quote = JSON.parse(quoteCallback.body) as { transferAmount: { amount: string; currency: string }; expiration: string; ilpPacket: string; condition: string };
    const quotePut = (await payeeAnswers[1])?.originalRequest;
    assert.ok(quotePut !== undefined);
    assert.deepEqual(quote, sentData(quotePut));

    // Transfer, on the quote's terms.
    const transferId = randomUUID();
    const prepare = { transferId, payerFsp: 'payerfsp', payeeFsp, amount: quote.transferAmount, expiration: quote.expiration, ilpPacket: quote.ilpPacket, condition: quote.condition };
    const prepared = await accepted('POST /transfers', payerSdk.postTransfers(prepare, payeeFsp));
    assert.equal(prepared.originalRequest.headers['content-type'], 'application/vnd.interoperability.transfers+json;version=1.1');
    assert.equal(prepared.originalRequest.headers['accept'], 'application/vnd.interoperability.transfers+json;version=1');
    const forwarded = await payee.next((r) => r.method === 'POST' && r.url === '/transfers');
    const names = ['content-type', 'accept', 'date', 'fspiop-source', 'fspiop-destination'];
    assert.deepEqual(fspiopHeaders(forwarded.headers, names), fspiopHeaders(prepared.originalRequest.headers, names));
    assert.deepEqual(JSON.parse(forwarded.body), prepare);
    const done = await payer.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}`);
    const fulfil = JSON.parse(done.body) as { transferState: string; fulfilment: string };
    assert.equal(fulfil.transferState, 'COMMITTED');
    assert.ok(ilp.validateFulfil(fulfil.fulfilment, quote.condition), 'the payer can check the fulfilment against its condition');
    const fulfilPut = (await payeeAnswers[2])?.originalRequest;
    assert.ok(fulfilPut !== undefined);
    assert.deepEqual(fulfil, sentData(fulfilPut));
    assert.deepEqual(fspiopHeaders(done.headers, ['content-type', 'date', 'fspiop-source', 'fspiop-destination']), fspiopHeaders(fulfilPut.headers, ['content-type', 'date', 'fspiop-source', 'fspiop-destination']));

    // The payer asks for the transfer's state; the hub answers it, signed with its own key.
    await accepted('GET /transfers/{ID}', payerSdk.getTransfers(transferId));
    const state = await payer.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}` && r.headers['fspiop-source'] === 'Hub');
    assert.equal((JSON.parse(state.body) as { transferState: string }).transferState, 'COMMITTED');
    // Mojaloop's own validator accepts what the hub signs: its answer here, and its commit notice to the payee.
    const validator = sdkJwsValidator({ Hub: await hubPublicKeyPem(hub) });
    const notice = await payee.next((r) => r.method === 'PUT' && r.url === `/transfers/${transferId}` && r.headers['fspiop-source'] === 'Hub');
    for (const signed of [state, notice]) {
      assert.equal(validator.validate({ headers: signed.headers as Record<string, string>, body: JSON.parse(signed.body) }), true);
    }

    assert.equal(payeeAnswers.length, 3);
    assert.deepEqual([await positionOf(adminClient, 'payerfsp'), await positionOf(adminClient, 'payeefsp')], [100.25, -100.25]);
  });

  test('the SDK\'s own default versions (content 1.0, Accept version 1) are accepted too', async () => {
    const defaults = await mojaloopRequests('payerfsp', hub, {});
    const before = payer.count((r) => r.url.startsWith('/parties/'));
    const lookup = await accepted('GET /parties (1.0)', defaults.getParties(PARTY.partyIdType, PARTY.partyIdentifier, undefined, undefined));
    assert.equal(lookup.originalRequest.headers['content-type'], 'application/vnd.interoperability.parties+json;version=1.0');
    await until('the party callback', () => Promise.resolve(payer.count((r) => r.url.startsWith('/parties/')) > before ? true : undefined));
    const asked = payee.received.filter((r) => r.method === 'GET' && r.url.startsWith('/parties/')).at(-1);
    assert.equal(asked?.headers['content-type'], 'application/vnd.interoperability.parties+json;version=1.0', 'forwarded in the version it was sent in');
  });
});

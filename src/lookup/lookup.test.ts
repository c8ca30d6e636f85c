import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { enqueue, type OutboundMessage } from '../delivery/index.ts';
import type { Inbound } from '../fspiop/inbound.ts';
import type { Tx } from '../ledger/index.ts';
import type { EndpointType } from '../participants/index.ts';
import { err, ok } from '../support/result.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createLedgerFixture, type LedgerFixture } from '../testing/ledger_fixture.ts';
import { DEFAULT_LOOKUP_LIMITS } from './limits.ts';
import { outboxOf } from '../delivery/outbox_table.ts';
import { LOOPBACK_CALLBACKS } from '../delivery/receiver_fixture.ts';
import { createOracleClient, type OracleClient, type OracleEntry, type OracleLookup, type OracleWrite } from './oracle_client.ts';
import { isPartyIdType, type PartyKey, type PartyPath } from './party.ts';
import { createLookupService, type LookupOutcome, type LookupService } from './service.ts';
import { testTables } from '../testing/tables.ts';

const START_MS = Date.parse('2026-11-24T10:00:00.000Z');
const WINDOW_MS = DEFAULT_LOOKUP_LIMITS.lookupWindowMs;

const ENDPOINT_PATHS: [EndpointType, string][] = [
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', '/participants/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', '/participants/{{partyIdType}}/{{partyIdentifier}}/error'],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT', '/participants/{{partyIdType}}/{{partyIdentifier}}/{{partySubIdOrType}}'],
  ['FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR', '/participants/{{partyIdType}}/{{partyIdentifier}}/{{partySubIdOrType}}/error'],
  ['FSPIOP_CALLBACK_URL_PARTIES_GET', '/parties/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT', '/parties/{{partyIdType}}/{{partyIdentifier}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', '/parties/{{partyIdType}}/{{partyIdentifier}}/error'],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET', '/parties/{{partyIdType}}/{{partyIdentifier}}/{{partySubIdOrType}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT', '/parties/{{partyIdType}}/{{partyIdentifier}}/{{partySubIdOrType}}'],
  ['FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR', '/parties/{{partyIdType}}/{{partyIdentifier}}/{{partySubIdOrType}}/error'],
];

/** An oracle client whose answers the test sets, recording what it was asked. */
function fakeOracleClient() {
  const calls: { op: 'lookup' | 'register' | 'remove'; endpoint: string; key: PartyKey; fspId?: string; currency: string | undefined }[] = [];
  const state = {
    entries: [] as OracleEntry[],
    lookupFails: false,
    writeAnswer: ok(undefined) as OracleWrite,
  };
  const client: OracleClient = {
    lookup: (endpoint, key, currency): Promise<OracleLookup> => {
      calls.push({ op: 'lookup', endpoint, key, currency });
      return Promise.resolve(state.lookupFails ? err('no answer within 5000 ms') : ok(state.entries));
    },
    register: (endpoint, key, fspId, currency) => {
      calls.push({ op: 'register', endpoint, key, fspId, currency });
      return Promise.resolve(state.writeAnswer);
    },
    remove: (endpoint, key, currency) => {
      calls.push({ op: 'remove', endpoint, key, currency });
      return Promise.resolve(state.writeAnswer);
    },
  };
  return { client, calls, state };
}

const entry = (fspId: string, extra: Partial<OracleEntry> = {}): OracleEntry => ({ fspId, currency: undefined, partySubIdOrType: undefined, ...extra });

describeOnEachEngine('account lookup', (ctx) => {
  let nowMs = START_MS;
  const clock = { nowMs: () => nowMs };
  let f: LedgerFixture;
  let service: LookupService;
  let outbox: OutboundMessage[] = [];
  /** The real outbox write, in the service's transaction; the message is also kept for the test to look at. */
  const outboxAndRecord = async (tx: Tx, message: OutboundMessage, atMs: number) => {
    await enqueue(tx, message, atMs);
    outbox.push(message);
  };
  const oracle = fakeOracleClient();
  // payer side, payee side, an attacker, and a participant that is later deactivated
  const [A, B, EVIL, SLEEPY, SILENT] = ['dfspa', 'dfspb', 'evilfsp', 'sleepyfsp', 'silentfsp'];

  before(async () => {
    f = createLedgerFixture(ctx.storage, clock);
    await f.openHubAccounts('USD');
    for (const name of [A, B, EVIL, SLEEPY, SILENT, 'busyfsp']) await f.participant({}, name);
    for (const name of [A, B, EVIL, SLEEPY, 'busyfsp']) {
      for (const [type, path] of ENDPOINT_PATHS) assert.ok((await f.registry.setEndpoint(name, type, `http://127.0.0.1:9/${name}${path}`)).ok);
    }
    service = createLookupService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, oracleClient: oracle.client,
      enqueue: outboxAndRecord,
    });
  });

  const take = () => { const taken = outbox; outbox = []; return taken; };
  const inbound = (source: string, options: { destination?: string; body?: unknown; resource?: 'parties' | 'participants' } = {}): Inbound => {
    const resource = options.resource ?? 'parties';
    return {
      source, destination: options.destination, contentVersion: '1.1',
      headers: {
        'content-type': `application/vnd.interoperability.${resource}+json;version=1.1`,
        ...(options.body === undefined ? { accept: `application/vnd.interoperability.${resource}+json;version=1` } : {}),
        date: new Date(nowMs).toUTCString(), 'fspiop-source': source,
        ...(options.destination === undefined ? {} : { 'fspiop-destination': options.destination }),
        ...(options.body === undefined ? {} : { 'fspiop-signature': '{"signature":"sig","protectedHeader":"ph"}' }),
        host: 'hub.internal', authorization: 'Bearer secret',
      },
      rawBody: options.body === undefined ? '' : JSON.stringify(options.body),
    };
  };
  const participantsFrom = (source: string, body?: unknown) => inbound(source, { resource: 'participants', body });
  const msisdn = (id: string, subId?: string): PartyPath => ({ type: 'MSISDN', id, subId });
  const register = (source: string, path: PartyPath, fspId = source, currency?: string) =>
    service.registerParty(participantsFrom(source, { fspId, currency }), path, { fspId, currency });
  const bodyOf = (message: OutboundMessage | undefined) => JSON.parse(message?.body ?? 'null') as Record<string, unknown>;
  const errorCodeOf = (message: OutboundMessage | undefined) => (bodyOf(message)['errorInformation'] as { errorCode: string }).errorCode;
  const partyAnswer = (path: PartyPath, fspId?: string) => ({
    party: {
      partyIdInfo: { partyIdType: path.type, partyIdentifier: path.id, ...(path.subId === undefined ? {} : { partySubIdOrType: path.subId }), ...(fspId === undefined ? {} : { fspId }) },
      name: 'Alice Ally',
    },
  });
  const answer = (source: string, requester: string | undefined, path: PartyPath, body = partyAnswer(path, source)) =>
    service.answerParty(inbound(source, { ...(requester === undefined ? {} : { destination: requester }), body }), path, body);
  const answerError = (source: string, requester: string, path: PartyPath) =>
    service.answerPartyError(inbound(source, { destination: requester, body: { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } } }), path);
  const ownerOf = async (id: string) =>
    (await testTables(ctx.storage.db).selectFrom('oracle_parties').select('fsp_id').where('party_id_type', '=', 'MSISDN').where('party_identifier', '=', id).executeTakeFirst())?.fsp_id;
  const currenciesOf = async (id: string) =>
    (await testTables(ctx.storage.db).selectFrom('oracle_party_currencies').select('currency').where('party_id_type', '=', 'MSISDN').where('party_identifier', '=', id).orderBy('currency').execute()).map((r) => r.currency);
  const lookupRows = async () => testTables(ctx.storage.db).selectFrom('party_lookups').selectAll().orderBy('id').execute();

  /** Asserts a refusal with `code`: one error callback to `recipient` on `endpointType`, and nothing else. */
  function assertRefused(outcome: LookupOutcome, code: string, recipient: string, endpointType: EndpointType, label = ''): void {
    assert.equal(outcome.kind, 'refused', `${label}: ${JSON.stringify(outcome)}`);
    const messages = take();
    assert.equal(messages.length, 1, label);
    const [message] = messages;
    assert.equal(message?.recipient, recipient, label);
    assert.equal(message.endpointType, endpointType, label);
    assert.equal(message.method, 'PUT', label);
    assert.equal(message.headers['fspiop-source'], 'Hub', label);
    assert.equal(errorCodeOf(message), code, label);
  }

  function assertInvalid(outcome: LookupOutcome, label: string, code = '3100'): void {
    assert.ok(outcome.kind === 'invalid', `${label}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.failure.code, code, label);
    assert.equal(take().length, 0, `${label}: nothing is sent for a malformed request`);
  }

  // -- POST /participants ---------------------------------------------------------

  test('an FSP registers its party and is answered PUT /participants {fspId}; a repeat is answered the same', async () => {
    assert.deepEqual(await register(B, msisdn('1001')), { kind: 'registered' });
    const [answerMessage, ...rest] = take();
    assert.equal(rest.length, 0);
    assert.equal(answerMessage?.recipient, B);
    assert.equal(answerMessage.endpointType, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT');
    assert.deepEqual(answerMessage.templateValues, { partyIdType: 'MSISDN', partyIdentifier: '1001' });
    assert.equal(answerMessage.method, 'PUT');
    assert.equal(answerMessage.body, '{"fspId":"dfspb"}');
    assert.equal(answerMessage.headers['fspiop-source'], 'Hub');
    assert.equal(answerMessage.headers['fspiop-destination'], B);
    assert.equal(answerMessage.headers['fspiop-uri'], '/participants/MSISDN/1001');
    assert.equal(answerMessage.headers['content-type'], 'application/vnd.interoperability.participants+json;version=1.1');
    assert.equal(await ownerOf('1001'), B);

    assert.deepEqual(await register(B, msisdn('1001')), { kind: 'already-registered' });
    assert.equal(take()[0]?.body, '{"fspId":"dfspb"}');
    assert.deepEqual(await register(B, msisdn('1001'), B, 'USD'), { kind: 'registered' }, 'a new currency is a new registration');
    take();
    assert.deepEqual(await currenciesOf('1001'), ['', 'USD']);

    assert.deepEqual(await register(B, msisdn('1001', 'savings')), { kind: 'registered' });
    const [subAnswer] = take();
    assert.equal(subAnswer?.endpointType, 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT');
    assert.deepEqual(subAnswer.templateValues, { partyIdType: 'MSISDN', partyIdentifier: '1001', partySubIdOrType: 'savings' });
    assert.equal(subAnswer.headers['fspiop-uri'], '/participants/MSISDN/1001/savings');
  });

  test('an FSP cannot register a party for another FSP: 3100 to the sender, nothing stored', async () => {
    assertRefused(await register(EVIL, msisdn('1101'), B), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    assert.equal(await ownerOf('1101'), undefined);
    assertRefused(await register(EVIL, msisdn('1101', 'x'), B), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR');
    assert.equal((await testTables(ctx.storage.db).selectFrom('oracle_parties').select('fsp_id').where('party_identifier', '=', '1101').execute()).length, 0);
    // The real FSP can still register it.
    assert.deepEqual(await register(B, msisdn('1101')), { kind: 'registered' });
    take();
  });

  test('a party another FSP serves cannot be taken over, in any currency: 3003, and the registration stands', async () => {
    assert.deepEqual(await register(B, msisdn('1201')), { kind: 'registered' });
    assert.deepEqual(await register(B, msisdn('1202'), B, 'USD'), { kind: 'registered' });
    take();
    for (const [id, currency] of [['1201', undefined], ['1201', 'USD'], ['1202', undefined], ['1202', 'USD']] as const) {
      const label = `${id} ${currency ?? '(any currency)'}`;
      assertRefused(await register(EVIL, msisdn(id), EVIL, currency), '3003', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', label);
      assert.equal(await ownerOf(id), B, label);
    }
    assert.deepEqual(await currenciesOf('1201'), ['']);
    assert.deepEqual(await currenciesOf('1202'), ['USD']);
    assert.deepEqual(await service.queryParty(participantsFrom(A), msisdn('1201')), { kind: 'answered' });
    assert.equal(take()[0]?.body, '{"fspId":"dfspb"}');
    // A sub-identifier is another party (the payer names it in the path).
    assert.deepEqual(await register(EVIL, msisdn('1201', 'wallet')), { kind: 'registered' });
    take();
  });

  test('two FSPs registering one party at once: exactly one wins, the other gets 3003', async () => {
    const outcomes = await Promise.all([register(B, msisdn('1301')), register(EVIL, msisdn('1301'), EVIL, 'USD')]);
    const kinds = outcomes.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ['refused', 'registered']);
    const winner = outcomes[0].kind === 'registered' ? B : EVIL;
    assert.equal(await ownerOf('1301'), winner);
    const refusal = take().find((m) => m.endpointType === 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    assert.equal(errorCodeOf(refusal), '3003');
  });

  test('registration in a currency the FSP holds no account in is 3003', async () => {
    assertRefused(await register(B, msisdn('1401'), B, 'EUR'), '3003', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    assert.equal(await ownerOf('1401'), undefined);
  });

  test('malformed paths, fspIds and currencies are refused synchronously: nothing stored, nothing sent', async () => {
    const paths: PartyPath[] = [
      { type: 'PHONE', id: '1501' }, { type: 'msisdn', id: '1501' }, msisdn('15/01'), msisdn('1501?currency=USD'), msisdn('1501#x'),
      msisdn('..'), msisdn(''), msisdn('1'.repeat(129)), msisdn('15%2F01'), msisdn('15 01'), msisdn('1501\u200b'), msisdn('1501', '..'), msisdn('1501', 'a/b'),
      // Look-alikes: a Cyrillic а, a fullwidth １; and identifiers not of their type's form.
      msisdn('150\u0430'), msisdn('150\uff11'), msisdn('1501', 'h\u043eme'), msisdn('15a01'), { type: 'IBAN', id: 'de89370400440532013000' }, { type: 'EMAIL', id: 'nobody' },
    ];
    for (const path of paths) {
      const label = JSON.stringify(path);
      // An unknown Type is the enum's 3100; an identifier not of its type's form, 3101.
      const code = isPartyIdType(path.type) ? '3101' : '3100';
      assertInvalid(await register(B, path), `register ${label}`, code);
      assertInvalid(await service.queryParty(participantsFrom(A), path), `query ${label}`, code);
      assertInvalid(await service.deleteParty(participantsFrom(B), path), `delete ${label}`, code);
      assertInvalid(await service.lookupParty(inbound(A), path), `lookup ${label}`, code);
      assertInvalid(await service.answerParty(inbound(B, { destination: A, body: {} }), path, partyAnswer(path, B)), `answer ${label}`, code);
      assertInvalid(await service.answerPartyError(inbound(B, { destination: A, body: {} }), path), `answer error ${label}`, code);
    }
    for (const fspId of ['', 'no/such', 'x', 'a'.repeat(31)]) {
      assertInvalid(await service.registerParty(participantsFrom(B), msisdn('1501'), { fspId }), `fspId ${fspId}`);
    }
    for (const currency of ['usd', 'XYZ', '']) {
      assertInvalid(await register(B, msisdn('1501'), B, currency), `currency ${currency}`);
      assertInvalid(await service.queryParty(participantsFrom(A), msisdn('1501'), { currency }), `query currency ${currency}`);
      assertInvalid(await service.deleteParty(participantsFrom(B), msisdn('1501'), { currency }), `delete currency ${currency}`);
    }
    assert.equal(await ownerOf('1501'), undefined);
    assert.equal((await testTables(ctx.storage.db).selectFrom('oracle_parties').select('fsp_id').where('party_identifier', 'like', '%15%01%').execute()).length, 0);
  });

  test('an inactive FSP cannot register, query, delete, look up or answer (3200)', async () => {
    assert.deepEqual(await register(SLEEPY, msisdn('1601')), { kind: 'registered' });
    take();
    assert.ok((await f.registry.setActive(SLEEPY, false)).ok);
    try {
      assertRefused(await register(SLEEPY, msisdn('1602')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
      assertRefused(await service.queryParty(participantsFrom(SLEEPY), msisdn('1601')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
      assertRefused(await service.deleteParty(participantsFrom(SLEEPY), msisdn('1601')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
      assertRefused(await service.lookupParty(inbound(SLEEPY, { destination: B }), msisdn('1001')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
      assertRefused(await answer(SLEEPY, A, msisdn('1601')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
      // Its parties cannot be reached meanwhile: to others they are not found.
      assertRefused(await service.queryParty(participantsFrom(A), msisdn('1601')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
      assertRefused(await service.lookupParty(inbound(A), msisdn('1601')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
      // …and not free for another FSP to take.
      assertRefused(await register(EVIL, msisdn('1601')), '3003', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    } finally {
      assert.ok((await f.registry.setActive(SLEEPY, true)).ok);
    }
    // A source the hub does not know is not called back at all (the edge refuses it first).
    assert.equal((await service.lookupParty(inbound('strangerfsp'), msisdn('1001'))).kind, 'refused');
    assert.equal(take().length, 0);
  });

  // -- GET /participants -------------------------------------------------------------

  test('GET /participants answers the serving FSP, in the currency asked; 3204 otherwise', async () => {
    assert.deepEqual(await register(B, msisdn('2001'), B, 'USD'), { kind: 'registered' });
    assert.deepEqual(await register(B, msisdn('2002')), { kind: 'registered' });
    assert.deepEqual(await register(B, msisdn('2003', 'home')), { kind: 'registered' });
    take();
    const cases: [PartyPath, string | undefined, string | undefined][] = [
      [msisdn('2001'), undefined, B], [msisdn('2001'), 'USD', B], [msisdn('2001'), 'EUR', undefined],
      [msisdn('2002'), 'EUR', B], [msisdn('2002'), undefined, B],
      [msisdn('2003', 'home'), undefined, B], [msisdn('2003'), undefined, undefined], [msisdn('2003', 'work'), undefined, undefined],
      [msisdn('2999'), undefined, undefined], [{ type: 'ALIAS', id: '2001' }, undefined, undefined],
    ];
    for (const [path, currency, expected] of cases) {
      const label = `${JSON.stringify(path)} ${currency ?? ''}`;
      const outcome = await service.queryParty(participantsFrom(A), path, { currency });
      if (expected === undefined) {
        assertRefused(outcome, '3204', A, path.subId === undefined ? 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR' : 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR', label);
      } else {
        assert.deepEqual(outcome, { kind: 'answered' }, label);
        const [message] = take();
        assert.equal(message?.recipient, A, label);
        assert.equal(message.endpointType, path.subId === undefined ? 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT' : 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT', label);
        assert.deepEqual(bodyOf(message), { fspId: expected }, label);
      }
    }
  });

  // -- DELETE /participants ------------------------------------------------------------

  test('only the FSP that registered a party can delete it; to any other it does not exist (3204)', async () => {
    assert.deepEqual(await register(B, msisdn('3001')), { kind: 'registered' });
    assert.deepEqual(await register(B, msisdn('3001'), B, 'USD'), { kind: 'registered' });
    take();
    for (const currency of [undefined, 'USD']) {
      assertRefused(await service.deleteParty(participantsFrom(EVIL), msisdn('3001'), { currency }), '3204', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    }
    assert.equal(await ownerOf('3001'), B);
    assert.deepEqual(await currenciesOf('3001'), ['', 'USD']);
    assertRefused(await service.deleteParty(participantsFrom(B), msisdn('3001'), { currency: 'EUR' }), '3204', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'not registered in EUR');
    assertRefused(await service.deleteParty(participantsFrom(B), msisdn('3999')), '3204', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'never registered');

    assert.deepEqual(await service.deleteParty(participantsFrom(B), msisdn('3001'), { currency: 'USD' }), { kind: 'deleted' });
    const [deletedAnswer] = take();
    assert.equal(deletedAnswer?.recipient, B);
    assert.equal(deletedAnswer.endpointType, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT');
    assert.deepEqual(bodyOf(deletedAnswer), { fspId: B });
    assert.deepEqual(await currenciesOf('3001'), ['']);
    assert.equal(await ownerOf('3001'), B, 'still registered for any currency');

    assert.deepEqual(await service.deleteParty(participantsFrom(B), msisdn('3001')), { kind: 'deleted' });
    take();
    assert.equal(await ownerOf('3001'), undefined);
    assertRefused(await service.queryParty(participantsFrom(A), msisdn('3001')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
    // Once withdrawn, the party is free for another FSP (the customer moved).
    assert.deepEqual(await register(EVIL, msisdn('3001')), { kind: 'registered' });
    take();
  });

  // -- GET /parties --------------------------------------------------------------------

  test('GET /parties without FSPIOP-Destination goes to the FSP the oracle names, destination set, with the requester\'s own headers', async () => {
    assert.deepEqual(await register(B, msisdn('4001')), { kind: 'registered' });
    assert.deepEqual(await register(B, msisdn('4001', 'home')), { kind: 'registered' });
    take();
    const request = inbound(A);
    assert.deepEqual(await service.lookupParty(request, msisdn('4001')), { kind: 'forwarded', to: B });
    const [forward, ...rest] = take();
    assert.equal(rest.length, 0);
    assert.equal(forward?.recipient, B);
    assert.equal(forward.endpointType, 'FSPIOP_CALLBACK_URL_PARTIES_GET');
    assert.deepEqual(forward.templateValues, { partyIdType: 'MSISDN', partyIdentifier: '4001' });
    assert.equal(forward.method, 'GET');
    assert.equal(forward.body, null);
    assert.equal(forward.headers['fspiop-destination'], B);
    assert.equal(forward.headers['fspiop-source'], A);
    assert.equal(forward.headers['date'], request.headers['date']);
    assert.equal(forward.headers['accept'], request.headers['accept']);
    assert.equal(forward.headers['authorization'], undefined, 'the requester\'s credentials stay behind');
    assert.equal(forward.headers['host'], undefined);
    const rows = (await lookupRows()).filter((r) => r.party_identifier === '4001');
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]?.requester_fsp, rows[0]?.asked_fsp, rows[0]?.party_sub_id, rows[0]?.expires_at_ms], [A, B, '', nowMs + WINDOW_MS]);

    assert.deepEqual(await service.lookupParty(inbound(A), msisdn('4001', 'home')), { kind: 'forwarded', to: B });
    assert.equal(take()[0]?.endpointType, 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET');
    // A repeated lookup extends its row rather than adding one.
    nowMs += 1_000;
    assert.deepEqual(await service.lookupParty(inbound(A), msisdn('4001')), { kind: 'forwarded', to: B });
    take();
    const again = (await lookupRows()).filter((r) => r.party_identifier === '4001' && r.party_sub_id === '');
    assert.equal(again.length, 1);
    assert.equal(again[0]?.expires_at_ms, nowMs + WINDOW_MS);
  });

  test('GET /parties for a party no FSP serves: 3204 to the requester, nothing forwarded or recorded', async () => {
    const before = (await lookupRows()).length;
    assertRefused(await service.lookupParty(inbound(A), msisdn('4101')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assertRefused(await service.lookupParty(inbound(A), msisdn('4001', 'work')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR');
    assert.equal((await lookupRows()).length, before);
  });

  test('GET /parties with FSPIOP-Destination goes there; an unknown, inactive or hub destination, or one without an endpoint, is 3201', async () => {
    assert.deepEqual(await service.lookupParty(inbound(A, { destination: B }), msisdn('4201')), { kind: 'forwarded', to: B });
    const [forward] = take();
    assert.equal(forward?.recipient, B);
    assert.equal(forward.headers['fspiop-destination'], B);
    for (const destination of ['nobodyfsp', 'Hub', SILENT]) {
      assertRefused(await service.lookupParty(inbound(A, { destination }), msisdn('4201')), '3201', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', destination);
    }
    assert.ok((await f.registry.setActive(SLEEPY, false)).ok);
    assertRefused(await service.lookupParty(inbound(A, { destination: SLEEPY }), msisdn('4201')), '3201', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assert.ok((await f.registry.setActive(SLEEPY, true)).ok);
  });

  // -- PUT /parties ----------------------------------------------------------------------

  test('the asked FSP\'s PUT /parties goes to the requester untouched, as do repeats and PUT …/error within the window', async () => {
    assert.deepEqual(await register(B, msisdn('5001')), { kind: 'registered' });
    take();
    assert.deepEqual(await service.lookupParty(inbound(A), msisdn('5001')), { kind: 'forwarded', to: B });
    take();
    const body = partyAnswer(msisdn('5001'), B);
    const request = inbound(B, { destination: A, body });
    assert.deepEqual(await service.answerParty(request, msisdn('5001'), body), { kind: 'forwarded', to: A });
    const [forward, ...rest] = take();
    assert.equal(rest.length, 0);
    assert.equal(forward?.recipient, A);
    assert.equal(forward.endpointType, 'FSPIOP_CALLBACK_URL_PARTIES_PUT');
    assert.equal(forward.method, 'PUT');
    assert.equal(forward.body, request.rawBody, 'the answering FSP\'s own bytes');
    assert.equal(forward.headers['fspiop-signature'], request.headers['fspiop-signature']);
    assert.equal(forward.headers['fspiop-source'], B);
    assert.equal(forward.headers['authorization'], undefined);

    nowMs += WINDOW_MS - 1;
    assert.deepEqual(await answer(B, A, msisdn('5001')), { kind: 'forwarded', to: A }, 'a retry within the window');
    take();
    assert.deepEqual(await answerError(B, A, msisdn('5001')), { kind: 'forwarded', to: A });
    const [errorForward] = take();
    assert.equal(errorForward?.endpointType, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assert.equal(bodyOf(errorForward)['errorInformation'] !== undefined, true);

    // With a sub-identifier, the sub-id endpoints.
    assert.deepEqual(await register(B, msisdn('5001', 'home')), { kind: 'registered' });
    take();
    assert.deepEqual(await service.lookupParty(inbound(A), msisdn('5001', 'home')), { kind: 'forwarded', to: B });
    take();
    assert.deepEqual(await answer(B, A, msisdn('5001', 'home')), { kind: 'forwarded', to: A });
    assert.equal(take()[0]?.endpointType, 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT');
  });

  test('an unsolicited PUT /parties is refused with 3100, and nothing reaches the FSP it names', async () => {
    assertRefused(await answer(EVIL, A, msisdn('5101'), partyAnswer(msisdn('5101'), EVIL)), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assertRefused(await answerError(EVIL, A, msisdn('5101')), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assertRefused(await answer(EVIL, A, msisdn('5101', 'x'), partyAnswer(msisdn('5101', 'x'), EVIL)), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR');
  });

  test('while a lookup is outstanding, only the FSP asked may answer it, only for that party, only to that requester', async () => {
    assert.deepEqual(await register(B, msisdn('5201')), { kind: 'registered' });
    take();
    assert.deepEqual(await service.lookupParty(inbound(A), msisdn('5201')), { kind: 'forwarded', to: B });
    take();
    const refusals: [string, string | undefined, PartyPath, string][] = [
      [EVIL, A, msisdn('5201'), 'an FSP that was not asked (spoofed party name)'],
      [A, A, msisdn('5201'), 'the requester itself'],
      [B, A, msisdn('5202'), 'another party'],
      [B, A, msisdn('5201', 'home'), 'another sub-identifier'],
      [B, EVIL, msisdn('5201'), 'a requester that did not ask'],
      [B, undefined, msisdn('5201'), 'no FSPIOP-Destination'],
    ];
    for (const [source, requester, path, label] of refusals) {
      assertRefused(await answer(source, requester, path, partyAnswer(path, source)), '3100', source,
        path.subId === undefined ? 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR' : 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR', label);
    }
    assertRefused(await answerError(EVIL, A, msisdn('5201')), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'error from an FSP that was not asked');
    // The real answer still goes through.
    assert.deepEqual(await answer(B, A, msisdn('5201')), { kind: 'forwarded', to: A });
    take();
  });

  test('a PUT /parties whose body names another party or another FSP than the sender is refused (3100)', async () => {
    assert.deepEqual(await service.lookupParty(inbound(A, { destination: B }), msisdn('5301')), { kind: 'forwarded', to: B });
    take();
    const path = msisdn('5301');
    const bodies = [
      partyAnswer(msisdn('5399'), B),
      partyAnswer({ type: 'ALIAS', id: '5301' }, B),
      partyAnswer(msisdn('5301', 'home'), B),
      partyAnswer(path, EVIL),
      { party: {} },
      {},
    ];
    for (const body of bodies) {
      assertRefused(await service.answerParty(inbound(B, { destination: A, body }), path, body as ReturnType<typeof partyAnswer>), '3100', B, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', JSON.stringify(body));
    }
    assert.deepEqual(await answer(B, A, path, partyAnswer(path)), { kind: 'forwarded', to: A }, 'fspId may be left out');
    take();
  });

  test('after the window an answer is refused; expired lookups are pruned', async () => {
    assert.deepEqual(await service.lookupParty(inbound(A, { destination: B }), msisdn('5401')), { kind: 'forwarded', to: B });
    take();
    nowMs += WINDOW_MS;
    assertRefused(await answer(B, A, msisdn('5401')), '3100', B, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assert.ok((await lookupRows()).some((r) => r.expires_at_ms <= nowMs), 'expired rows are there to prune');
    let pruned = 0;
    for (let removed = await service.pruneExpiredLookups(); removed > 0; removed = await service.pruneExpiredLookups()) pruned += removed;
    assert.ok(pruned > 0);
    assert.ok((await lookupRows()).every((r) => r.expires_at_ms > nowMs));
    // Each new lookup prunes too.
    assert.deepEqual(await service.lookupParty(inbound(A, { destination: B }), msisdn('5402')), { kind: 'forwarded', to: B });
    take();
    nowMs += WINDOW_MS;
    assert.deepEqual(await service.lookupParty(inbound(A, { destination: B }), msisdn('5403')), { kind: 'forwarded', to: B });
    take();
    assert.deepEqual((await lookupRows()).map((r) => r.party_identifier), ['5403']);
  });

  test('the lookups one requester may have outstanding are bounded (2005)', async () => {
    const bounded = createLookupService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, oracleClient: oracle.client,
      enqueue: outboxAndRecord,
      limits: { ...DEFAULT_LOOKUP_LIMITS, lookupsOutstandingPerRequesterMax: 3 },
    });
    for (const id of ['5501', '5502', '5503']) assert.deepEqual(await bounded.lookupParty(inbound('busyfsp', { destination: B }), msisdn(id)), { kind: 'forwarded', to: B });
    take();
    assertRefused(await bounded.lookupParty(inbound('busyfsp', { destination: B }), msisdn('5504')), '2005', 'busyfsp', 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR');
    assert.deepEqual(await bounded.lookupParty(inbound(A, { destination: B }), msisdn('5504')), { kind: 'forwarded', to: B }, 'other requesters are not affected');
    take();
    nowMs += WINDOW_MS;
    assert.deepEqual(await bounded.lookupParty(inbound('busyfsp', { destination: B }), msisdn('5504')), { kind: 'forwarded', to: B });
    take();
  });

  // -- External oracles -----------------------------------------------------------------

  test('oracle admin: ALS\'s shape, checked URLs, one oracle per type and currency, one default per type', async () => {
    const bad: [unknown, unknown, unknown?][] = [
      ['PHONE', { value: 'http://oracle.test', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://oracle.test', endpointType: 'EMAIL' }],
      ['ALIAS', 'http://oracle.test'],
      ['ALIAS', { value: 'ftp://oracle.test', endpointType: 'URL' }],
      ['ALIAS', { value: 'file:///etc/passwd', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://user:secret@oracle.test', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://oracle.test/?', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://oracle.test/x?a=1', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://oracle.test/#x', endpointType: 'URL' }],
      ['ALIAS', { value: 'oracle.test', endpointType: 'URL' }],
      ['ALIAS', { value: ' http://oracle.test', endpointType: 'URL' }],
      ['ALIAS', { value: 'http://ora\ncle.test', endpointType: 'URL' }],
      ['ALIAS', { value: `http://oracle.test/${'x'.repeat(600)}`, endpointType: 'URL' }],
      ['ALIAS', { value: 'http://oracle.test', endpointType: 'URL' }, 'usd'],
    ];
    for (const [oracleIdType, endpoint, currency] of bad) {
      const created = await service.createOracle({ oracleIdType, endpoint, currency }, 'test-operator');
      assert.equal(created.ok, false, JSON.stringify(endpoint));
    }
    assert.equal((await service.createOracle({ oracleIdType: 'ALIAS', endpoint: { value: 'http://oracle.test', endpointType: 'URL' }, isDefault: 'yes' }, 'op')).ok, false);

    const created = await service.createOracle({ oracleIdType: 'DEVICE', endpoint: { value: 'https://oracle.test:8443/als', endpointType: 'URL' }, currency: 'USD', isDefault: true }, 'test-operator');
    assert.ok(created.ok);
    assert.deepEqual({ ...created.value, createdDate: undefined }, {
      oracleId: created.value.oracleId, oracleIdType: 'DEVICE', endpoint: { value: 'https://oracle.test:8443/als', endpointType: 'URL' },
      currency: 'USD', isDefault: true, createdDate: undefined,
    });
    const again = await service.createOracle({ oracleIdType: 'DEVICE', endpoint: { value: 'https://other.test', endpointType: 'URL' }, currency: 'USD' }, 'op');
    assert.ok(!again.ok);
    assert.equal(again.error.code, '3000');
    const secondDefault = await service.createOracle({ oracleIdType: 'DEVICE', endpoint: { value: 'https://other.test', endpointType: 'URL' }, isDefault: true }, 'op');
    assert.ok(!secondDefault.ok);
    assert.equal(secondDefault.error.code, '3000');
    const plain = await service.createOracle({ oracleIdType: 'DEVICE', endpoint: { value: 'https://other.test', endpointType: 'URL' } }, 'op');
    assert.ok(plain.ok);
    assert.equal(plain.value.currency, undefined);
    assert.deepEqual((await service.listOracles({ type: 'DEVICE' })).map((o) => o.oracleId), [created.value.oracleId, plain.value.oracleId]);
    assert.deepEqual((await service.listOracles({ currency: 'USD' })).map((o) => o.oracleId), [created.value.oracleId]);

    assert.ok((await service.deleteOracle(created.value.oracleId)).ok);
    assert.ok((await service.deleteOracle(plain.value.oracleId)).ok);
    const gone = await service.deleteOracle(plain.value.oracleId);
    assert.ok(!gone.ok);
    assert.equal(gone.error.code, '3200');
    assert.equal((await service.deleteOracle(0)).ok, false);
    assert.deepEqual(await service.listOracles({ type: 'DEVICE' }), []);
  });

  test('with an external oracle for a type, lookups ask it instead of the built-in one, and trust only active participants it names', async () => {
    const alias = (id: string, subId?: string): PartyPath => ({ type: 'ALIAS', id, subId });
    assert.deepEqual(await register(B, alias('builtin-only')), { kind: 'registered' }, 'before the oracle exists: built-in');
    take();
    const created = await service.createOracle({ oracleIdType: 'ALIAS', endpoint: { value: 'http://oracle.test/als', endpointType: 'URL' } }, 'op');
    assert.ok(created.ok);
    oracle.calls.length = 0;
    try {
      oracle.state.entries = [];
      assertRefused(await service.lookupParty(inbound(A), alias('builtin-only')), '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'the built-in oracle is not consulted');
      assert.deepEqual(oracle.calls, [{ op: 'lookup', endpoint: 'http://oracle.test/als', key: { partyIdType: 'ALIAS', partyIdentifier: 'builtin-only', partySubIdOrType: undefined }, currency: undefined }]);

      oracle.state.entries = [entry(B)];
      assert.deepEqual(await service.lookupParty(inbound(A), alias('x1')), { kind: 'forwarded', to: B });
      assert.equal(take()[0]?.headers['fspiop-destination'], B);
      assert.deepEqual(await service.queryParty(participantsFrom(A), alias('x1')), { kind: 'answered' });
      assert.deepEqual(bodyOf(take()[0]), { fspId: B });

      const refusedCases: [OracleEntry[], string, string][] = [
        [[entry('ghostfsp')], '3204', 'an FSP that is not a participant'],
        [[entry('Hub')], '3204', 'the hub'],
        [[entry(SILENT), entry(B)], '3204', 'two FSPs: ambiguous'],
        [[entry(B, { partySubIdOrType: 'home' })], '3204', 'another sub-identifier'],
      ];
      assert.ok((await f.registry.setActive(SLEEPY, false)).ok);
      refusedCases.push([[entry(SLEEPY)], '3204', 'an inactive FSP']);
      for (const [entries, code, label] of refusedCases) {
        oracle.state.entries = entries;
        assertRefused(await service.lookupParty(inbound(A), alias('x1')), code, A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', label);
      }
      const callsBefore = oracle.calls.length;
      assertRefused(await service.lookupParty(inbound(SLEEPY), alias('x1')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'inactive requester');
      assertRefused(await service.queryParty(participantsFrom(SLEEPY), alias('x1')), '3200', SLEEPY, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'inactive requester');
      assert.equal(oracle.calls.length, callsBefore, 'an inactive FSP cannot make the hub call the oracle');
      assert.ok((await f.registry.setActive(SLEEPY, true)).ok);
      oracle.state.entries = [entry('ghostfsp'), entry(B), entry(B, { currency: 'USD' })];
      assert.deepEqual(await service.lookupParty(inbound(A), alias('x1')), { kind: 'forwarded', to: B }, 'unknown FSPs are ignored, duplicates merged');
      take();
      oracle.state.entries = [entry(B, { currency: 'EUR' })];
      assertRefused(await service.queryParty(participantsFrom(A), alias('x1'), { currency: 'USD' }), '3204', A, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'another currency');

      oracle.state.lookupFails = true;
      const failed = await service.lookupParty(inbound(A), alias('x1'));
      assertRefused(failed, '2006', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'oracle down');
      assert.ok(failed.kind === 'refused' && failed.cause?.includes('5000 ms') === true, 'the cause is kept for the hub\'s logs');
      oracle.state.lookupFails = false;
    } finally {
      assert.ok((await service.deleteOracle(created.value.oracleId)).ok);
      oracle.state.entries = [];
    }
    assert.deepEqual(await service.lookupParty(inbound(A), alias('builtin-only')), { kind: 'forwarded', to: B }, 'the oracle gone, the built-in one answers again');
    take();
  });

  test('registration and deletion through an external oracle: checked by the hub first, never over another FSP\'s entry', async () => {
    const iban = (id: string): PartyPath => ({ type: 'IBAN', id });
    const created = await service.createOracle({ oracleIdType: 'IBAN', endpoint: { value: 'http://oracle.test', endpointType: 'URL' } }, 'op');
    assert.ok(created.ok);
    const ops = () => oracle.calls.map((c) => c.op);
    try {
      oracle.calls.length = 0;
      assertRefused(await register(EVIL, iban('DE89370400440532013000'), B), '3100', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR');
      assert.deepEqual(ops(), [], 'a registration for another FSP never reaches the oracle');

      oracle.state.entries = [];
      assert.deepEqual(await register(B, iban('DE89370400440532013000'), B, 'USD'), { kind: 'registered' });
      assert.deepEqual(ops(), ['lookup', 'register']);
      assert.deepEqual(oracle.calls[1], { op: 'register', endpoint: 'http://oracle.test', key: { partyIdType: 'IBAN', partyIdentifier: 'DE89370400440532013000', partySubIdOrType: undefined }, fspId: B, currency: 'USD' });
      assert.deepEqual(bodyOf(take()[0]), { fspId: B });

      oracle.calls.length = 0;
      oracle.state.entries = [entry(B, { currency: 'USD' })];
      assert.deepEqual(await register(B, iban('DE89370400440532013000'), B, 'USD'), { kind: 'already-registered' });
      assert.deepEqual(ops(), ['lookup']);
      take();

      oracle.calls.length = 0;
      assertRefused(await register(EVIL, iban('DE89370400440532013000')), '3003', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'hijack');
      assertRefused(await register(EVIL, iban('DE89370400440532013000'), EVIL, 'USD'), '3003', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'hijack in a currency');
      assert.deepEqual(ops(), ['lookup', 'lookup'], 'nothing written');

      oracle.state.entries = [];
      oracle.state.writeAnswer = err('answered 500, not 201');
      assertRefused(await register(B, iban('DE44500105175407324931')), '3003', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'oracle refuses the write');
      oracle.state.lookupFails = true;
      assertRefused(await register(B, iban('DE44500105175407324931')), '3003', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'oracle down');
      oracle.state.lookupFails = false;
      oracle.state.writeAnswer = ok(undefined);

      oracle.calls.length = 0;
      oracle.state.entries = [entry(B, { currency: 'USD' })];
      assertRefused(await service.deleteParty(participantsFrom(EVIL), iban('DE89370400440532013000')), '3204', EVIL, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'another FSP\'s party');
      assertRefused(await service.deleteParty(participantsFrom(B), iban('DE89370400440532013000'), { currency: 'EUR' }), '3204', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'not in that currency');
      oracle.state.entries = [entry(B), entry(EVIL)];
      assertRefused(await service.deleteParty(participantsFrom(B), iban('DE89370400440532013000')), '3204', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'shared with another FSP');
      assert.ok(!ops().includes('remove'), 'no deletion reached the oracle');

      oracle.state.entries = [entry(B, { currency: 'USD' })];
      assert.deepEqual(await service.deleteParty(participantsFrom(B), iban('DE89370400440532013000'), { currency: 'USD' }), { kind: 'deleted' });
      assert.deepEqual(oracle.calls.at(-1), { op: 'remove', endpoint: 'http://oracle.test', key: { partyIdType: 'IBAN', partyIdentifier: 'DE89370400440532013000', partySubIdOrType: undefined }, currency: 'USD' });
      assert.deepEqual(bodyOf(take()[0]), { fspId: B });
      oracle.state.writeAnswer = err('answered 500, not 204');
      assertRefused(await service.deleteParty(participantsFrom(B), iban('DE89370400440532013000')), '3040', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'oracle refuses the deletion');
      oracle.state.writeAnswer = ok(undefined);
      oracle.state.lookupFails = true;
      assertRefused(await service.deleteParty(participantsFrom(B), iban('DE89370400440532013000')), '3040', B, 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', 'oracle down');
      oracle.state.lookupFails = false;
    } finally {
      assert.ok((await service.deleteOracle(created.value.oracleId)).ok);
      oracle.state.entries = [];
    }
  });

  test('oracles per currency: the one for the currency, else the default; a type served for other currencies only is 3204', async () => {
    const usd = await service.createOracle({ oracleIdType: 'BUSINESS', endpoint: { value: 'http://usd.oracle.test', endpointType: 'URL' }, currency: 'USD' }, 'op');
    const eur = await service.createOracle({ oracleIdType: 'BUSINESS', endpoint: { value: 'http://eur.oracle.test', endpointType: 'URL' }, currency: 'EUR' }, 'op');
    assert.ok(usd.ok && eur.ok);
    try {
      oracle.calls.length = 0;
      oracle.state.entries = [entry(B)];
      assert.deepEqual(await service.queryParty(participantsFrom(A), { type: 'BUSINESS', id: 'acme' }, { currency: 'EUR' }), { kind: 'answered' });
      assert.equal(oracle.calls.at(-1)?.endpoint, 'http://eur.oracle.test');
      take();
      const unserved = await service.lookupParty(inbound(A), { type: 'BUSINESS', id: 'acme' });
      assertRefused(unserved, '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'no oracle without a currency, none default');
      assert.equal(oracle.calls.length, 1, 'no oracle asked');
      const fallback = await service.createOracle({ oracleIdType: 'BUSINESS', endpoint: { value: 'http://default.oracle.test', endpointType: 'URL' }, currency: 'TZS', isDefault: true }, 'op');
      assert.ok(fallback.ok);
      assert.deepEqual(await service.lookupParty(inbound(A), { type: 'BUSINESS', id: 'acme' }), { kind: 'forwarded', to: B });
      assert.equal(oracle.calls.at(-1)?.endpoint, 'http://default.oracle.test');
      take();
      assert.ok((await service.deleteOracle(fallback.value.oracleId)).ok);
    } finally {
      assert.ok((await service.deleteOracle(usd.value.oracleId)).ok);
      assert.ok((await service.deleteOracle(eur.value.oracleId)).ok);
      oracle.state.entries = [];
    }
  });

  test('end to end with a real oracle over HTTP: an fspId that is not a participant, a redirect and a slow oracle find no one', async () => {
    let reply: (res: ServerResponse) => void = () => undefined;
    const server: Server = createServer((_req, res) => { reply(res); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const real = createLookupService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, oracleClient: createOracleClient({ timeoutMs: 300, addresses: LOOPBACK_CALLBACKS }),
      enqueue: outboxAndRecord,
    });
    const created = await real.createOracle({ oracleIdType: 'PERSONAL_ID', endpoint: { value: url, endpointType: 'URL' } }, 'op');
    assert.ok(created.ok);
    const path = { type: 'PERSONAL_ID', id: 'ID-42' };
    const json = (body: unknown) => (res: ServerResponse) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)); };
    try {
      reply = json({ partyList: [{ fspId: 'ghostfsp' }] });
      assertRefused(await real.lookupParty(inbound(A), path), '3204', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'not a participant');
      reply = json({ partyList: [{ fspId: B }] });
      assert.deepEqual(await real.lookupParty(inbound(A), path), { kind: 'forwarded', to: B });
      take();
      reply = (res) => { res.writeHead(302, { location: `${url}/elsewhere` }).end(); };
      assertRefused(await real.lookupParty(inbound(A), path), '2006', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'redirect');
      reply = () => undefined;
      assertRefused(await real.lookupParty(inbound(A), path), '2006', A, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'slow');
    } finally {
      assert.ok((await real.deleteOracle(created.value.oracleId)).ok);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });

  test('a callback is written in the transaction of the change it reports: a committed change leaves exactly one, a rolled-back one none', async () => {
    const callbacksFor = async (id: string) => (await outboxOf(ctx.storage.db).selectFrom('outbox').select('template_values').where('recipient', '=', B).execute())
      .filter((row) => (JSON.parse(row.template_values) as Record<string, string>)['partyIdentifier'] === id).length;
    const failing = createLookupService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, oracleClient: oracle.client,
      // The outbox row is written, then the change fails after it.
      enqueue: async (tx, message, atMs) => {
        await enqueue(tx, message, atMs);
        throw new Error('the change fails after its callback was written');
      },
    });
    await assert.rejects(failing.registerParty(participantsFrom(B, { fspId: B }), msisdn('9901'), { fspId: B }), /fails after its callback was written/);
    assert.equal(await ownerOf('9901'), undefined, 'the registration rolled back');
    assert.equal(await callbacksFor('9901'), 0, 'and its callback with it');
    assert.deepEqual(await register(B, msisdn('9901')), { kind: 'registered' });
    take();
    assert.equal(await callbacksFor('9901'), 1, 'a committed registration leaves exactly one callback');
  });

  after(() => {
    assert.equal(outbox.length, 0, 'every message was looked at');
  });
});

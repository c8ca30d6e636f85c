import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import type { v1_1, v2_0 } from '@mojaloop/api-snippets';
import packageV2_0Schemas from '@mojaloop/api-snippets/lib/fspiop/v2_0/json-schemas.json' with { type: 'json' };
import { BODY_SHAPE_LIMITS, checkBodyShape, schemaSetFor, SCHEMA_SET_NAMES, validateBody } from './body_validation.ts';
import type { ErrorCode } from './errors.ts';
import { SUPPORTED_CONTENT_VERSIONS, type FspiopVersion } from './headers.ts';
import { OPERATIONS, PARTY_ID_TYPES, type OperationKey } from './resources.ts';
import generated from './openapi/fspiop-v1.1.schemas.json' with { type: 'json' };
import generatedV2_0 from './openapi/fspiop-v2.0.schemas.json' with { type: 'json' };
import { currencyScales } from '../support/iso4217.ts';
import { participantsAnswer, participantsError, partiesError } from '../lookup/messages.ts';
import { completedTimestamp, hubPatch, hubTransferError, hubTransferState } from '../transfers/messages.ts';

/** The official v1.1 and v2.0 body types (openapi-typescript output in @mojaloop/api-snippets), to type-check the examples independently of the JSON Schemas. */
type S = v1_1.openapi.components['schemas'];
type S2 = v2_0.openapi.components['schemas'];

const V1_0: FspiopVersion = { major: 1, minor: 0 };
const V1_1: FspiopVersion = { major: 1, minor: 1 };
const V2_0: FspiopVersion = { major: 2, minor: 0 };

const base64url = (bytes: Buffer): string => bytes.toString('base64url');
const fulfilment = base64url(randomBytes(32));
const condition = base64url(createHash('sha256').update(Buffer.from(fulfilment, 'base64url')).digest());
// Any base64url text passes the IlpPacket pattern; this one is an ILP v1 payment header and a few bytes.
const ilpPacket = base64url(Buffer.concat([Buffer.from([0x01, 0x28]), randomBytes(40)]));

// Ids in the three forms a Mojaloop scheme sees: UUID v4, UUID v7 (the SDK's default), ULID.
const uuidV4 = 'b51ec534-ee48-4575-b6a9-ead2955b8069';
const uuidV7 = '019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b';
const ulid = '01JD3Z6W5Q8X4N2M7K9B1C0V3F';

const extensionList: S['ExtensionList'] = { extension: [{ key: 'scheme', value: 'interlock-test' }, { key: 'k'.repeat(32), value: 'v'.repeat(128) }] };
const money = (amount: string, currency: S['Currency'] = 'USD'): S['Money'] => ({ currency, amount });
const errorInformation: S['ErrorInformationObject'] = { errorInformation: { errorCode: '5104', errorDescription: 'Payee rejected transaction' } };
const errorInformationFull: S['ErrorInformationObject'] = { errorInformation: { errorCode: '3100', errorDescription: 'Generic validation error', extensionList } };

const partyIdInfoMinimal: S['PartyIdInfo'] = { partyIdType: 'MSISDN', partyIdentifier: '256700000001' };
const partyIdInfoFull: S['PartyIdInfo'] = { partyIdType: 'BUSINESS', partyIdentifier: 'shoecompany', partySubIdOrType: 'employee1', fspId: 'payeefsp', extensionList };
const partyMinimal: S['Party'] = { partyIdInfo: partyIdInfoMinimal };
const partyFull: S['Party'] = {
  partyIdInfo: partyIdInfoFull,
  merchantClassificationCode: '4812',
  name: 'Henrik Karlsson',
  personalInfo: { complexName: { firstName: 'Henrik', middleName: 'Johannes', lastName: 'Karlsson-Östberg' }, dateOfBirth: '1980-02-29' },
};
const transactionTypeMinimal: S['TransactionType'] = { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' };
const transactionTypeFull: S['TransactionType'] = {
  scenario: 'REFUND', subScenario: 'PARTIAL_REFUND', initiator: 'PAYEE', initiatorType: 'BUSINESS',
  refundInfo: { originalTransactionId: uuidV4, refundReason: 'Goods returned' }, balanceOfPayments: '123',
};
const geoCode: S['GeoCode'] = { latitude: '+45.4215', longitude: '-75.6972' };

/** A minimal (required properties only) and a full (every property the schema has) body for each operation with a body. */
const EXAMPLES: Record<string, { minimal: unknown; full: unknown }> = {
  'POST /participants': {
    minimal: { requestId: uuidV7, partyList: [partyIdInfoMinimal] } satisfies S['ParticipantsPostRequest'],
    full: { requestId: ulid, partyList: [partyIdInfoMinimal, partyIdInfoFull], currency: 'EUR' } satisfies S['ParticipantsPostRequest'],
  },
  'PUT /participants/{ID}': {
    minimal: { partyList: [{ partyId: partyIdInfoMinimal }] } satisfies S['ParticipantsIDPutResponse'],
    full: {
      partyList: [{ partyId: partyIdInfoFull }, { partyId: partyIdInfoMinimal, errorInformation: errorInformationFull.errorInformation }],
      currency: 'TZS',
    } satisfies S['ParticipantsIDPutResponse'],
  },
  'PUT /participants/{ID}/error': { minimal: errorInformation, full: errorInformationFull },
  'POST /participants/{Type}/{ID}': {
    minimal: { fspId: 'payeefsp' } satisfies S['ParticipantsTypeIDSubIDPostRequest'],
    full: { fspId: 'payeefsp', currency: 'KES', extensionList } satisfies S['ParticipantsTypeIDSubIDPostRequest'],
  },
  'PUT /participants/{Type}/{ID}': {
    // The specification makes fspId optional: an empty body answers a DELETE.
    minimal: {} satisfies S['ParticipantsTypeIDPutResponse'],
    full: { fspId: 'payeefsp' } satisfies S['ParticipantsTypeIDPutResponse'],
  },
  'PUT /participants/{Type}/{ID}/error': { minimal: errorInformation, full: errorInformationFull },
  'POST /participants/{Type}/{ID}/{SubId}': {
    minimal: { fspId: 'p' } satisfies S['ParticipantsTypeIDSubIDPostRequest'],
    full: { fspId: 'f'.repeat(32), currency: 'XOF', extensionList } satisfies S['ParticipantsTypeIDSubIDPostRequest'],
  },
  'PUT /participants/{Type}/{ID}/{SubId}': {
    minimal: {} satisfies S['ParticipantsTypeIDPutResponse'],
    full: { fspId: 'payeefsp' } satisfies S['ParticipantsTypeIDPutResponse'],
  },
  'PUT /participants/{Type}/{ID}/{SubId}/error': { minimal: errorInformation, full: errorInformationFull },
  'PUT /parties/{Type}/{ID}': {
    minimal: { party: partyMinimal } satisfies S['PartiesTypeIDPutResponse'],
    full: { party: partyFull } satisfies S['PartiesTypeIDPutResponse'],
  },
  'PUT /parties/{Type}/{ID}/error': { minimal: errorInformation, full: errorInformationFull },
  'PUT /parties/{Type}/{ID}/{SubId}': {
    minimal: { party: { partyIdInfo: { ...partyIdInfoMinimal, partySubIdOrType: 'savings' } } } satisfies S['PartiesTypeIDPutResponse'],
    full: { party: partyFull } satisfies S['PartiesTypeIDPutResponse'],
  },
  'PUT /parties/{Type}/{ID}/{SubId}/error': { minimal: errorInformation, full: errorInformationFull },
  'POST /quotes': {
    minimal: {
      quoteId: uuidV7, transactionId: uuidV4, payee: partyMinimal, payer: partyMinimal, amountType: 'SEND',
      amount: money('100'), transactionType: transactionTypeMinimal,
    } satisfies S['QuotesPostRequest'],
    full: {
      quoteId: ulid, transactionId: uuidV7, transactionRequestId: uuidV4, payee: partyFull, payer: partyFull, amountType: 'RECEIVE',
      amount: money('100.5'), fees: money('0.25'), transactionType: transactionTypeFull, geoCode, note: 'Rent for May',
      expiration: '2030-01-01T00:00:00.000Z', extensionList,
    } satisfies S['QuotesPostRequest'],
  },
  'PUT /quotes/{ID}': {
    minimal: { transferAmount: money('100'), expiration: '2030-01-01T00:00:00.000+03:00', ilpPacket, condition } satisfies S['QuotesIDPutResponse'],
    full: {
      transferAmount: money('101'), payeeReceiveAmount: money('100'), payeeFspFee: money('1'), payeeFspCommission: money('0.5'),
      expiration: '2030-01-01T00:00:00.000Z', geoCode, ilpPacket, condition, extensionList,
    } satisfies S['QuotesIDPutResponse'],
  },
  'PUT /quotes/{ID}/error': { minimal: errorInformation, full: errorInformationFull },
  'POST /transfers': {
    minimal: {
      transferId: uuidV7, payeeFsp: 'payeefsp', payerFsp: 'payerfsp', amount: money('100'), ilpPacket, condition,
      expiration: '2030-01-01T00:00:00.000Z',
    } satisfies S['TransfersPostRequest'],
    full: {
      transferId: ulid, payeeFsp: 'payeefsp', payerFsp: 'payerfsp', amount: money('123456789012345678.1234', 'CLP'), ilpPacket, condition,
      expiration: '2030-12-31T23:59:59.999-05:00', extensionList,
    } satisfies S['TransfersPostRequest'],
  },
  'PUT /transfers/{ID}': {
    minimal: { transferState: 'ABORTED' } satisfies S['TransfersIDPutResponse'],
    full: { fulfilment, completedTimestamp: '2030-01-01T00:00:00.000Z', transferState: 'COMMITTED', extensionList } satisfies S['TransfersIDPutResponse'],
  },
  'PUT /transfers/{ID}/error': { minimal: errorInformation, full: errorInformationFull },
  'PATCH /transfers/{ID}': {
    minimal: { completedTimestamp: '2030-01-01T00:00:00.000Z', transferState: 'COMMITTED' },
    full: { completedTimestamp: '2030-01-01T00:00:00.000Z', transferState: 'ABORTED', extensionList: { extension: [{ key: 'cause', value: '3303: Transfer expired' }] } },
  },
};

const BODY_OPERATIONS = OPERATIONS.filter((op) => op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH');
const NO_BODY_OPERATIONS = OPERATIONS.filter((op) => op.method === 'GET' || op.method === 'DELETE');

/** `version` left out: 1.1. */
function accepted(key: OperationKey, body: unknown, version: FspiopVersion = V1_1): void {
  const result = validateBody(key, body, version);
  const label = ` as ${version.major}.${version.minor}`;
  assert.ok(result.ok, `${key} should accept${label} ${JSON.stringify(body)}; got ${result.ok ? '' : `${result.error.code} ${result.error.detail}`}`);
}

function refused(key: OperationKey, body: unknown, code: ErrorCode, detail?: RegExp, version: FspiopVersion = V1_1): void {
  const result = validateBody(key, body, version);
  const label = ` as ${version.major}.${version.minor}`;
  assert.ok(!result.ok, `${key} should refuse${label} ${(JSON.stringify(body) as string | undefined ?? 'undefined').slice(0, 200)}`);
  assert.equal(result.error.code, code, `${key}: ${result.error.detail}`);
  if (detail !== undefined) assert.match(result.error.detail, detail);
}

const clone = <T>(value: T): T => structuredClone(value);
const without = (value: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));

/** Every property path a schema allows ("/party/partyIdInfo/extensionList/extension[]/key"). */
function schemaPaths(schema: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (typeof schema !== 'object' || schema === null) return out;
  const node = schema as Record<string, unknown>;
  const properties = node['properties'] as Record<string, unknown> | undefined;
  for (const [name, child] of Object.entries(properties ?? {})) {
    out.add(`${prefix}/${name}`);
    schemaPaths(child, `${prefix}/${name}`, out);
  }
  if (node['items'] !== undefined) schemaPaths(node['items'], `${prefix}[]`, out);
  return out;
}

/** Every property path a value uses. */
function valuePaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) valuePaths(item, `${prefix}[]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, child] of Object.entries(value)) {
      out.add(`${prefix}/${name}`);
      valuePaths(child, `${prefix}/${name}`, out);
    }
  }
  return out;
}

const operations = (generated as { operations: Record<string, { body: unknown }> }).operations;

describe('validateBody: valid bodies of every operation pass', () => {
  it('has an example for exactly the operations that carry a body', () => {
    assert.deepEqual(Object.keys(EXAMPLES).sort(), BODY_OPERATIONS.map((op) => op.key).sort());
  });

  for (const op of BODY_OPERATIONS) {
    it(`${op.key}: the minimal and the full body pass`, () => {
      const example = EXAMPLES[op.key]!;
      accepted(op.key, example.minimal);
      accepted(op.key, example.full);
    });

    it(`${op.key}: the full example uses every property the schema defines`, () => {
      const missing = [...schemaPaths(operations[op.key]!.body)].filter((path) => !valuePaths(EXAMPLES[op.key]!.full).has(path));
      assert.deepEqual(missing, [], `the full ${op.key} example leaves out ${missing.join(', ')}`);
    });

    it(`${op.key}: JSON text round trip changes nothing`, () => {
      accepted(op.key, JSON.parse(JSON.stringify(EXAMPLES[op.key]!.full)));
    });
  }

  it('accepts every PartyIdType, transfer state, scenario, initiator, initiator type and amount type', () => {
    for (const partyIdType of PARTY_ID_TYPES) accepted('PUT /parties/{Type}/{ID}', { party: { partyIdInfo: { partyIdType, partyIdentifier: 'x' } } });
    for (const transferState of ['RECEIVED', 'RESERVED', 'COMMITTED', 'ABORTED'] as const) accepted('PUT /transfers/{ID}', { transferState });
    for (const transferState of ['COMMITTED', 'ABORTED'] as const) accepted('PATCH /transfers/{ID}', { transferState, completedTimestamp: '2030-01-01T00:00:00.000Z' });
    const quote = EXAMPLES['POST /quotes']!.minimal as S['QuotesPostRequest'];
    for (const scenario of ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'PAYMENT', 'REFUND'] as const) {
      for (const initiator of ['PAYER', 'PAYEE'] as const) {
        for (const initiatorType of ['CONSUMER', 'AGENT', 'BUSINESS', 'DEVICE'] as const) {
          accepted('POST /quotes', { ...quote, transactionType: { scenario, initiator, initiatorType } });
        }
      }
    }
    for (const amountType of ['SEND', 'RECEIVE'] as const) accepted('POST /quotes', { ...quote, amountType });
  });

  it('accepts amounts in the FSPIOP Amount format and dates with exactly three fraction digits', () => {
    const transfer = EXAMPLES['POST /transfers']!.minimal as S['TransfersPostRequest'];
    for (const amount of ['0', '5', '5.5', '0.0001', '999999999999999999', '123456789012345678.1234']) {
      accepted('POST /transfers', { ...transfer, amount: money(amount) });
    }
    for (const expiration of ['2024-02-29T12:00:00.000Z', '2030-01-01T00:00:00.000+14:00', '2030-01-01T23:59:59.999-12:00']) {
      accepted('POST /transfers', { ...transfer, expiration });
    }
  });

  it('accepts names in any script, with marks, digits, apostrophes and hyphens', () => {
    for (const firstName of ['Amélie', 'Nguyễn', 'Мария', 'محمد', '李', 'O\'Brien', 'Jean-Luc', 'Anne Marie', 'J.']) {
      accepted('PUT /parties/{Type}/{ID}', { party: { partyIdInfo: partyIdInfoMinimal, personalInfo: { complexName: { firstName } } } });
    }
  });
});

describe('validateBody: what the specification refuses', () => {
  const transfer = EXAMPLES['POST /transfers']!.minimal as S['TransfersPostRequest'];

  it('maps a missing required property to 3102, naming it', () => {
    for (const key of Object.keys(transfer)) {
      const result = validateBody('POST /transfers', without(transfer, key), V1_1);
      assert.ok(!result.ok);
      assert.deepEqual(result.error, { code: '3102', detail: `body must have property ${key}` });
    }
    refused('POST /transfers', { ...transfer, amount: { currency: 'USD' } }, '3102', /^body\/amount must have property amount$/);
    refused('PUT /transfers/{ID}', {}, '3102', /transferState/);
    refused('PATCH /transfers/{ID}', { transferState: 'COMMITTED' }, '3102', /completedTimestamp/);
    refused('PUT /quotes/{ID}/error', { errorInformation: { errorCode: '5101' } }, '3102', /errorDescription/);
  });

  it('maps an extra property to 3103 at every depth, naming it only when it is a plain identifier', () => {
    refused('POST /transfers', { ...transfer, note: 'hi' }, '3103', /^body must not have property note$/);
    refused('POST /transfers', { ...transfer, amount: { ...transfer.amount, scale: 2 } }, '3103', /^body\/amount must not have property scale$/);
    refused('PUT /transfers/{ID}', { transferState: 'COMMITTED', extensionList: { extension: [{ key: 'a', value: 'b', c: 'd' }] } }, '3103', /^body\/extensionList\/extension\/0 /);
    refused('POST /transfers', { ...transfer, 'x<script>': 1 }, '3103', /^body must not have additional properties$/);
    refused('PUT /parties/{Type}/{ID}', { party: { ...partyFull, supportedCurrencies: ['USD'] } }, '3103', /supportedCurrencies/);
  });

  it('maps a wrong type to 3101', () => {
    refused('POST /transfers', { ...transfer, amount: { currency: 'USD', amount: 100 } }, '3101', /^body\/amount\/amount must be of type string$/);
    refused('POST /transfers', { ...transfer, transferId: null }, '3101');
    refused('POST /transfers', { ...transfer, amount: ['USD', '100'] }, '3101');
    refused('PUT /transfers/{ID}', { transferState: 'COMMITTED', extensionList: { extension: {} } }, '3101');
    for (const body of [null, [], 'x', 5, true]) refused('POST /transfers', body, '3101', /^body must be of type object$/);
  });

  it('maps a pattern, enum, length or count failure to 3100', () => {
    refused('POST /transfers', { ...transfer, transferId: uuidV7.toUpperCase() }, '3100', /^body\/transferId is not a valid CorrelationId$/);
    refused('POST /transfers', { ...transfer, amount: money('5.0') }, '3100', /Amount/);
    refused('POST /transfers', { ...transfer, amount: money('5', 'usd' as S['Currency']) }, '3100', /^body\/amount\/currency must be one of the Currency values$/);
    refused('POST /transfers', { ...transfer, expiration: '2030-01-01T00:00:00Z' }, '3100', /DateTime/);
    refused('POST /transfers', { ...transfer, expiration: '2023-02-29T00:00:00.000Z' }, '3100', /DateTime/);
    refused('POST /transfers', { ...transfer, condition: condition.slice(1) }, '3100', /IlpCondition/);
    refused('POST /transfers', { ...transfer, ilpPacket: 'a'.repeat(32_769) }, '3100');
    refused('POST /transfers', { ...transfer, payerFsp: '' }, '3100', /fewer than 1 characters/);
    refused('POST /transfers', { ...transfer, payeeFsp: 'p'.repeat(33) }, '3100', /more than 32 characters/);
    refused('PUT /transfers/{ID}', { transferState: 'REJECTED' }, '3100', /^body\/transferState must be one of RECEIVED, RESERVED, COMMITTED, ABORTED$/);
    refused('PUT /transfers/{ID}', { transferState: 'COMMITTED', extensionList: { extension: [] } }, '3100', /fewer than 1 items/);
    refused('PUT /transfers/{ID}', { transferState: 'COMMITTED', extensionList: { extension: Array.from({ length: 17 }, () => ({ key: 'k', value: 'v' })) } }, '3100');
    refused('PUT /quotes/{ID}/error', { errorInformation: { errorCode: '0100', errorDescription: 'x' } }, '3100', /ErrorCode/);
    refused('POST /participants', { requestId: uuidV4, partyList: [] }, '3100');
  });

  it('refuses names the specification\'s Name pattern leaves out, among them a typographic apostrophe', () => {
    // The v1.1 pattern lists "''": a straight apostrophe twice. "O’Brien" (U+2019) fails; see the report.
    for (const firstName of ['O’Brien', '   ', 'a/b', 'x@y', '<b>']) {
      refused('PUT /parties/{Type}/{ID}', { party: { partyIdInfo: partyIdInfoMinimal, personalInfo: { complexName: { firstName } } } }, '3100', /FirstName/);
    }
  });

  it('checks currencies against the hub\'s ISO 4217 table (src/support/iso4217.ts), not the definition\'s stale list', () => {
    // The definition's enum predates SSP (2011), MRU and STN (2018), SLE (2022), VED (2021), ZWG (2024), XCG (2025);
    // the generator puts the hub's table in its place, in both sets.
    for (const version of [V1_0, V1_1, V2_0]) {
      for (const currency of ['SLE', 'SSP', 'MRU', 'STN', 'VED', 'ZWG', 'XCG', 'USD', 'CLF']) {
        accepted('POST /transfers', { ...transfer, amount: { currency, amount: '1' } }, version);
      }
      // Not currencies the hub can hold: unknown, lower case, withdrawn (SLL, HRK, BGN), test and no-minor-unit codes,
      // and codes that were never ISO 4217 (GGP), all of which the definition's list has. 3100, as before.
      for (const currency of ['ZZZ', 'usd', 'SLL', 'HRK', 'BGN', 'XTS', 'XXX', 'XDR', 'GGP']) {
        refused('POST /transfers', { ...transfer, amount: { currency, amount: '1' } }, '3100', /^body\/amount\/currency must be one of the Currency values$/, version);
      }
    }
  });

  it('accepts exactly the currencies src/support/money.ts can parse an amount in', () => {
    for (const currency of currencyScales.keys()) accepted('POST /transfers', { ...transfer, amount: { currency, amount: '1' } });
  });

  it('does not coerce, fill in or strip anything', () => {
    const body = clone(EXAMPLES['POST /transfers']!.full);
    const before = JSON.stringify(body);
    accepted('POST /transfers', body);
    assert.equal(JSON.stringify(body), before, 'validation must not modify the body');
    refused('PUT /transfers/{ID}', { transferState: 'COMMITTED', completedTimestamp: 1_700_000_000_000 }, '3101');
  });

  it('is not fooled by a polluted Object.prototype', () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype['transferState'] = 'COMMITTED';
    try {
      refused('PUT /transfers/{ID}', {}, '3102', /transferState/);
    } finally {
      delete prototype['transferState'];
    }
  });

  it('requires a body where the operation has one, and refuses one where it has none', () => {
    for (const op of BODY_OPERATIONS) refused(op.key, undefined, '3102', /body is required/);
    for (const op of NO_BODY_OPERATIONS) {
      accepted(op.key, undefined);
      refused(op.key, {}, '3100', /takes no body/);
    }
  });

  it('throws on an operation key it does not know (a programmer error)', () => {
    assert.throws(() => validateBody('POST /bulkTransfers' as OperationKey, {}, V1_1), /unknown operation/);
    assert.throws(() => validateBody('post /transfers' as OperationKey, {}, V1_1), /unknown operation/);
  });

  it('keeps details short, one line, and free of schema internals', () => {
    const bodies: unknown[] = [{ ...transfer, expiration: 'x' }, { ...transfer, amount: money('1', 'ZZZ' as S['Currency']) }, {}, { ...transfer, z: 1 }];
    for (const body of bodies) {
      const result = validateBody('POST /transfers', body, V1_1);
      assert.ok(!result.ok);
      assert.ok(result.error.detail.length <= 100, result.error.detail);
      assert.doesNotMatch(result.error.detail, /#\/|\^|\$|\n|schema/i);
    }
  });
});

/** Party with every property v2.0 adds: the currencies it can receive and KYC information. */
const partyFullV2_0: S2['Party'] = {
  ...partyFull,
  personalInfo: { ...partyFull.personalInfo, kycInformation: '{"verified":true}' },
  supportedCurrencies: ['USD', 'EUR'],
};
const currencyConversion: S2['FxRate'] = { sourceAmount: money('100', 'EUR'), targetAmount: money('108.5', 'USD') };

/** Full bodies for v2.0 where it differs from v1.1: every property the v2.0 schema defines. */
const EXAMPLES_V2_0: Record<string, unknown> = {
  'PUT /parties/{Type}/{ID}': { party: partyFullV2_0 } satisfies S2['PartiesTypeIDPutResponse'],
  'PUT /parties/{Type}/{ID}/{SubId}': { party: partyFullV2_0 } satisfies S2['PartiesTypeIDPutResponse'],
  'POST /quotes': {
    ...(EXAMPLES['POST /quotes']!.full as S['QuotesPostRequest']), payee: partyFullV2_0, payer: partyFullV2_0,
    converter: 'PAYER', currencyConversion,
  } satisfies S2['QuotesPostRequest'],
};
const fullV2_0 = (key: string): unknown => EXAMPLES_V2_0[key] ?? EXAMPLES[key]!.full;
const operationsV2_0 = (generatedV2_0 as { operations: Record<string, { body: unknown }> }).operations;

describe('validateBody: the schema set follows the content version', () => {
  const quote = EXAMPLES['POST /quotes']!.minimal as S['QuotesPostRequest'];
  const party = (extra: Record<string, unknown>): unknown => ({ party: { partyIdInfo: partyIdInfoMinimal, ...extra } });

  it('checks 1.0 and 1.1 bodies against the v1.1 set and 2.0 bodies against the v2.0 set, for every version the headers accept', () => {
    assert.deepEqual(SUPPORTED_CONTENT_VERSIONS.map(schemaSetFor), ['1.1', '1.1', '2.0']);
    assert.deepEqual(new Set(SUPPORTED_CONTENT_VERSIONS.map(schemaSetFor)), new Set(SCHEMA_SET_NAMES));
  });

  it('throws on a version the headers check refuses (a programmer error)', () => {
    for (const version of [{ major: 1, minor: 2 }, { major: 2, minor: 1 }, { major: 3, minor: 0 }, { major: 0, minor: 9 }]) {
      assert.throws(() => validateBody('PUT /transfers/{ID}', { transferState: 'COMMITTED' }, version), /no schema set for content version/);
    }
  });

  it('accepts v2.0-only properties with version 2.0, and refuses them with 3103 with 1.1, 1.0 or no version', () => {
    const cases: [OperationKey, unknown, RegExp][] = [
      ['PUT /parties/{Type}/{ID}', party({ supportedCurrencies: ['USD'] }), /^body\/party must not have property supportedCurrencies$/],
      ['PUT /parties/{Type}/{ID}/{SubId}', party({ supportedCurrencies: ['SLE', 'KES'] }), /supportedCurrencies/],
      ['PUT /parties/{Type}/{ID}', party({ personalInfo: { kycInformation: 'x' } }), /^body\/party\/personalInfo must not have property kycInformation$/],
      ['POST /quotes', { ...quote, converter: 'PAYEE' }, /^body must not have property converter$/],
      ['POST /quotes', { ...quote, currencyConversion }, /^body must not have property currencyConversion$/],
      ['POST /quotes', { ...quote, payer: { ...quote.payer, supportedCurrencies: ['EUR'] } }, /^body\/payer must not have property supportedCurrencies$/],
    ];
    for (const [key, body, detail] of cases) {
      accepted(key, body, V2_0);
      for (const version of [V1_1, V1_0, undefined]) refused(key, body, '3103', detail, version);
    }
  });

  it('accepts every v1.1 body, minimal and full, with version 2.0: v2.0 requires nothing new of the routed operations', () => {
    for (const op of BODY_OPERATIONS) {
      accepted(op.key, EXAMPLES[op.key]!.minimal, V2_0);
      accepted(op.key, EXAMPLES[op.key]!.full, V2_0);
      accepted(op.key, EXAMPLES[op.key]!.minimal, V1_0);
      accepted(op.key, EXAMPLES[op.key]!.full, V1_0);
    }
  });

  for (const op of BODY_OPERATIONS) {
    it(`${op.key}: the full v2.0 body uses every property the v2.0 schema defines, and passes only as 2.0 where v2.0 adds some`, () => {
      const body = fullV2_0(op.key);
      const missing = [...schemaPaths(operationsV2_0[op.key]!.body)].filter((path) => !valuePaths(body).has(path));
      assert.deepEqual(missing, [], `the full v2.0 ${op.key} example leaves out ${missing.join(', ')}`);
      accepted(op.key, body, V2_0);
      if (EXAMPLES_V2_0[op.key] !== undefined) refused(op.key, body, '3103', undefined, V1_1);
    });
  }

  it('agrees with the package\'s own v2.0 JSON Schemas (lib/fspiop/v2_0/json-schemas.json) on the full v2.0 bodies', () => {
    // An independent translation of the same definition (it keeps allOf; ours resolves it), which knows only the
    // definition's currencies, so the examples use currencies in both lists.
    const ajv = new Ajv({ strict: false, allErrors: true, addUsedSchema: false });
    const schemas = packageV2_0Schemas as Record<string, object>;
    const names: Record<string, string> = {
      'PUT /parties/{Type}/{ID}': 'PartiesTypeIDPutResponse', 'POST /quotes': 'QuotesPostRequest', 'PUT /quotes/{ID}': 'QuotesIDPutResponse',
      'POST /transfers': 'TransfersPostRequest', 'PUT /transfers/{ID}': 'TransfersIDPutResponse', 'PATCH /transfers/{ID}': 'TransfersIDPatchResponse',
      'PUT /transfers/{ID}/error': 'ErrorInformationObject', 'POST /participants/{Type}/{ID}': 'ParticipantsTypeIDSubIDPostRequest',
    };
    for (const [key, name] of Object.entries(names)) {
      const validate = ajv.compile(schemas[name]!);
      assert.ok(validate(fullV2_0(key)), `${key}: ${JSON.stringify(validate.errors)}`);
    }
    const validateQuote = ajv.compile(schemas['QuotesPostRequest']!);
    assert.ok(!validateQuote({ ...quote, converter: 'NOBODY' }));
    refused('POST /quotes', { ...quote, converter: 'NOBODY' }, '3100', /^body\/converter must be one of PAYER, PAYEE$/, V2_0);
  });

  it('applies the v2.0 constraints to the v2.0 properties', () => {
    refused('PUT /parties/{Type}/{ID}', party({ supportedCurrencies: ['ZZZ'] }), '3100', /^body\/party\/supportedCurrencies\/0 must be one of the Currency values$/, V2_0);
    refused('PUT /parties/{Type}/{ID}', party({ supportedCurrencies: Array.from({ length: 17 }, () => 'USD') }), '3100', /more than 16 items/, V2_0);
    accepted('PUT /parties/{Type}/{ID}', party({ supportedCurrencies: [] }), V2_0);
    refused('PUT /parties/{Type}/{ID}', party({ personalInfo: { kycInformation: '' } }), '3100', /fewer than 1 characters/, V2_0);
    refused('POST /quotes', { ...quote, currencyConversion: { sourceAmount: money('1') } }, '3102', /^body\/currencyConversion must have property targetAmount$/, V2_0);
    refused('POST /quotes', { ...quote, currencyConversion: { ...currencyConversion, rate: '1.08' } }, '3103', /^body\/currencyConversion must not have property rate$/, V2_0);
    refused('POST /quotes', { ...quote, currencyConversion: { ...currencyConversion, targetAmount: money('1', 'XDR') } }, '3100', /Currency/, V2_0);
  });

  it('keeps refusing, with 2.0, what v2.0 does not define either', () => {
    const transfer = EXAMPLES['POST /transfers']!.minimal as S['TransfersPostRequest'];
    refused('POST /transfers', { ...transfer, note: 'hi' }, '3103', /^body must not have property note$/, V2_0);
    refused('POST /transfers', { ...transfer, amount: money('5', 'SLL') }, '3100', /Currency/, V2_0);
    refused('PUT /transfers/{ID}', {}, '3102', /transferState/, V2_0);
    refused('PUT /transfers/{ID}', { transferState: 'REJECTED' }, '3100', undefined, V2_0);
    // FX resources exist in v2.0 but are not routed: their operations are unknown here.
    assert.throws(() => validateBody('POST /fxQuotes' as OperationKey, {}, V2_0), /unknown operation/);
  });

  it('the body the hub sends most often, an error callback, is the same in both sets', () => {
    for (const version of [V1_1, V2_0]) {
      accepted('PUT /transfers/{ID}/error', { errorInformation: { errorCode: '3100', errorDescription: 'Generic validation error - x' } }, version);
      accepted('PATCH /transfers/{ID}', { transferState: 'COMMITTED', completedTimestamp: '2030-01-01T00:00:00.000Z' }, version);
    }
  });
});

describe('the bodies the hub itself sends pass the schema of the version they are labelled with', () => {
  // The hub answers in the version of the request it answers (the prepare's, for a transfer's later messages), so
  // each of its own bodies must be valid in 1.1 and 2.0 alike. v2.0 changes none of them (see openapi/schemas.test.ts).
  const nowMs = Date.parse('2030-01-01T00:00:00.000Z');
  const key = { partyIdType: 'MSISDN' as const, partyIdentifier: '27713803912', partySubIdOrType: undefined };
  const subKey = { ...key, partySubIdOrType: 'savings' };
  const failure = { code: '3100' as const, detail: 'x'.repeat(300) };
  const withExtensions = { code: '3001' as const, detail: 'content version 9.9 is not supported', extensions: [{ key: '1', value: '1' }, { key: '2', value: '0' }] };

  for (const version of ['1.1', '2.0'] as const) {
    it(`version ${version}`, () => {
      const [major = 0, minor = 0] = version.split('.').map(Number);
      const messages: [OperationKey, { headers: Record<string, string>; body: string | null }][] = [
        ['PUT /transfers/{ID}', hubTransferState(uuidV7, 'payerfsp', { transferState: 'COMMITTED', completedTimestamp: completedTimestamp(nowMs), fulfilment }, version, nowMs)],
        ['PUT /transfers/{ID}', hubTransferState(uuidV7, 'payerfsp', { transferState: 'RESERVED' }, version, nowMs)],
        ['PATCH /transfers/{ID}', hubPatch(uuidV7, 'payeefsp', { transferState: 'COMMITTED', completedTimestamp: completedTimestamp(nowMs) }, version, nowMs)],
        ['PUT /transfers/{ID}/error', hubTransferError(uuidV7, 'payerfsp', failure, version, nowMs)],
        ['PUT /transfers/{ID}/error', hubTransferError(uuidV7, 'payerfsp', withExtensions, version, nowMs)],
        ['PUT /participants/{Type}/{ID}', participantsAnswer(key, 'payerfsp', 'payeefsp', version, nowMs)],
        ['PUT /participants/{Type}/{ID}/{SubId}', participantsAnswer(subKey, 'payerfsp', 'payeefsp', version, nowMs)],
        ['PUT /participants/{Type}/{ID}/error', participantsError(key, 'payerfsp', failure, version, nowMs)],
        ['PUT /parties/{Type}/{ID}/error', partiesError(key, 'payerfsp', failure, version, nowMs)],
        ['PUT /parties/{Type}/{ID}/{SubId}/error', partiesError(subKey, 'payerfsp', failure, version, nowMs)],
      ];
      for (const [operation, message] of messages) {
        assert.ok((message.headers['content-type'] ?? '').endsWith(`;version=${version}`), operation);
        accepted(operation, JSON.parse(message.body ?? 'null') as unknown, { major, minor });
      }
    });
  }
});

describe('checkBodyShape: bounds that hold whatever the schema says', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
    return value;
  };

  it(`allows nesting to ${BODY_SHAPE_LIMITS.depthMax} levels and refuses one more with 3101`, () => {
    assert.ok(checkBodyShape(nested(BODY_SHAPE_LIMITS.depthMax)).ok);
    const result = checkBodyShape(nested(BODY_SHAPE_LIMITS.depthMax + 1));
    assert.ok(!result.ok);
    assert.equal(result.error.code, '3101');
  });

  it('refuses a body nested a million levels deep without exhausting the stack, parsed from JSON text', () => {
    const depth = 1_000_000;
    const body: unknown = JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    const result = checkBodyShape(body);
    assert.ok(!result.ok);
    assert.equal(result.error.code, '3101');
    const viaSchema = validateBody('POST /transfers', body, V1_1);
    assert.ok(!viaSchema.ok);
    assert.equal(viaSchema.error.code, '3101');
  });

  it('refuses an over-long string anywhere, even where the schema would never look', () => {
    assert.ok(checkBodyShape({ a: 'x'.repeat(BODY_SHAPE_LIMITS.stringLengthMax) }).ok);
    const result = checkBodyShape({ a: [{ b: 'x'.repeat(BODY_SHAPE_LIMITS.stringLengthMax + 1) }] });
    assert.ok(!result.ok);
    assert.equal(result.error.code, '3100');
  });

  it('refuses over-long property names and prototype keys with 3103', () => {
    const long = checkBodyShape({ ['k'.repeat(BODY_SHAPE_LIMITS.keyLengthMax + 1)]: 1 });
    assert.ok(!long.ok);
    assert.equal(long.error.code, '3103');
    for (const text of ['{"__proto__":{"x":1}}', '{"a":{"constructor":{}}}', '{"a":[{"prototype":1}]}']) {
      const result = checkBodyShape(JSON.parse(text));
      assert.ok(!result.ok, text);
      assert.equal(result.error.code, '3103');
    }
    const parsed: unknown = JSON.parse(`{"transferState":"COMMITTED","__proto__":{"fulfilment":"${fulfilment}"}}`);
    refused('PUT /transfers/{ID}', parsed, '3103');
  });

  it('refuses objects and arrays wider than any FSPIOP body, with 3103', () => {
    const wide = Object.fromEntries(Array.from({ length: BODY_SHAPE_LIMITS.propertiesMax }, (_, i) => [`k${i}`, i]));
    assert.ok(checkBodyShape(wide).ok);
    const wider = checkBodyShape({ a: { ...wide, extra: 1 } });
    assert.ok(!wider.ok);
    assert.equal(wider.error.code, '3103');
    assert.ok(checkBodyShape(new Array<number>(BODY_SHAPE_LIMITS.arrayItemsMax).fill(0)).ok);
    const longer = checkBodyShape({ a: new Array<number>(BODY_SHAPE_LIMITS.arrayItemsMax + 1).fill(0) });
    assert.ok(!longer.ok);
    assert.equal(longer.error.code, '3103');
  });

  it('accepts a bulk lookup of 10000 parties, the widest body the specification allows', () => {
    const partyList = Array.from({ length: 10_000 }, (_, i) => ({ ...partyIdInfoFull, partyIdentifier: String(i) }));
    accepted('POST /participants', { requestId: uuidV4, partyList, currency: 'USD' });
    refused('POST /participants', { requestId: uuidV4, partyList: [...partyList, partyIdInfoMinimal] }, '3103', /more than 10000 items/);
  });

  it('refuses values JSON cannot carry', () => {
    for (const value of [undefined, 1n, Symbol('s'), () => 1, Number.NaN, Number.POSITIVE_INFINITY, new Date(0), new Map(), { a: undefined }, [1n]]) {
      const result = checkBodyShape(value);
      assert.ok(!result.ok, typeof value);
      assert.equal(result.error.code, '3101');
    }
    assert.ok(checkBodyShape(Object.create(null) as unknown).ok, 'an object without a prototype is still JSON-shaped');
  });

  it('accepts every example body', () => {
    for (const example of Object.values(EXAMPLES)) {
      assert.ok(checkBodyShape(example.minimal).ok);
      assert.ok(checkBodyShape(example.full).ok);
    }
  });
});

describe('validateBody and checkBodyShape: properties', () => {
  it('never throw on arbitrary JSON, for any operation, and answer only with FSPIOP validation codes', () => {
    const codes = new Set(['3100', '3101', '3102', '3103']);
    fc.assert(fc.property(fc.constantFrom(...OPERATIONS.map((op) => op.key)), fc.jsonValue({ maxDepth: 6 }), (key, body) => {
      const shape = checkBodyShape(body);
      const result = validateBody(key, body, V1_1);
      if (!shape.ok) assert.ok(!result.ok);
      if (!result.ok) assert.ok(codes.has(result.error.code), result.error.code);
    }), { numRuns: 2000 });
  });

  it('never throw on arbitrary values of the right outline (random mutations of valid bodies)', () => {
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}));
    fc.assert(fc.property(fc.constantFrom(...BODY_OPERATIONS.map((op) => op.key)), fc.nat(), leaf, (key, pick, replacement) => {
      const body = clone(EXAMPLES[key]!.full) as Record<string, unknown>;
      const paths = [...valuePaths(body)].filter((p) => !p.includes('[]'));
      const path = paths[pick % paths.length]!.split('/').slice(1);
      let target: Record<string, unknown> = body;
      for (const name of path.slice(0, -1)) target = target[name] as Record<string, unknown>;
      target[path[path.length - 1]!] = replacement;
      const result = validateBody(key, body, V1_1);
      if (!result.ok) assert.match(result.error.code, /^310[0-3]$/);
    }), { numRuns: 2000 });
  });

  it('refuse every valid body with one required property removed, with 3102', () => {
    for (const op of BODY_OPERATIONS) {
      const example = EXAMPLES[op.key]!.minimal as Record<string, unknown>;
      for (const key of Object.keys(example)) refused(op.key, without(example, key), '3102');
    }
  });
});

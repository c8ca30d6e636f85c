// Writes src/ilp/vectors.json: ILP terms and decodings produced by Mojaloop's SDK
// (@mojaloop/sdk-standard-components, a devDependency), so vectors.test.ts can
// check this module against them without the SDK. A development tool, run by
// hand: node src/testing/generate_ilp_vectors.ts
//
// The outputs come from the SDK alone; only the inputs and, for the malformed
// packets, the reason we expect to refuse them are written here.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sdkIlp } from './sdk_ilp_peer.ts';

const require = createRequire(import.meta.url);
const sdkVersion = (require('@mojaloop/sdk-standard-components/package.json') as { version: string }).version;

const payer = {
  partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '27713803912', fspId: 'payerfsp' },
  personalInfo: { complexName: { firstName: 'Mats', lastName: 'Hagman' }, dateOfBirth: '1983-10-25' },
  name: 'Mats Hagman',
};

const quotes = [
  {
    name: 'MSISDN payee, USD with cents, mixed-case fspId',
    secret: 'secret',
    quoteRequest: {
      quoteId: 'b51ec534-ee48-4575-b6a9-ead2955b8069',
      transactionId: 'a8323bc6-c228-4df2-ae82-e5a997baf898',
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123456789', fspId: 'PayeeFSP' } },
      payer,
      amountType: 'RECEIVE',
      amount: { amount: '100.5', currency: 'USD' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    },
    response: { transferAmount: { amount: '100.5', currency: 'USD' }, expiration: '2030-01-01T00:00:00.000Z' },
  },
  {
    name: 'EMAIL payee with sub-id (lower-cased into the v1 address), JPY (no decimals), a UTF-8 secret',
    secret: 'sécret-🔑',
    quoteRequest: {
      quoteId: '7c23e80c-d078-4077-8263-2c047876fcf6',
      transactionId: '85feac2f-39b2-491b-817e-4a03203d4f14',
      payee: { partyIdInfo: { partyIdType: 'EMAIL', partyIdentifier: 'Alice.Smith@Example.COM', partySubIdOrType: 'Savings', fspId: 'dfsp-b' } },
      payer,
      amountType: 'SEND',
      amount: { amount: '5000', currency: 'JPY' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      note: 'the request note is not copied',
    },
    response: { transferAmount: { amount: '5000', currency: 'JPY' }, expiration: '2030-06-01T12:34:56.789+02:00' },
  },
  {
    name: 'BHD (three decimals), a response note, extensions, non-ASCII names and a lone surrogate',
    secret: 'another secret',
    quoteRequest: {
      quoteId: '0d6d7b42-9a4e-4c0a-8f55-1b7f7e0c2b11',
      transactionId: '4f1c2c9e-6b7a-4d8e-9a0b-2c3d4e5f6a7b',
      payee: {
        partyIdInfo: { partyIdType: 'ACCOUNT_ID', partyIdentifier: 'Acc-001', fspId: 'bhdfsp' },
        name: 'Åsa Öberg 日本',
        merchantClassificationCode: '4321',
      },
      payer: { ...payer, name: 'broken \ud800 surrogate' },
      amountType: 'RECEIVE',
      amount: { amount: '0.125', currency: 'BHD' },
      fees: { amount: '0.005', currency: 'BHD' },
      transactionType: { scenario: 'PAYMENT', subScenario: 'LOCALLY_DEFINED', initiator: 'PAYER', initiatorType: 'BUSINESS', balanceOfPayments: '123' },
      geoCode: { latitude: '+45.4215', longitude: '+75.6972' },
      extensionList: { extension: [{ key: 'zeta', value: '1' }, { key: 'alpha', value: '2' }] },
    },
    response: { transferAmount: { amount: '0.125', currency: 'BHD' }, expiration: '2031-12-31T23:59:59.999Z', note: 'thanks' },
  },
  {
    name: 'CLF (four decimals)',
    secret: 'secret',
    quoteRequest: {
      quoteId: '1b1b5f4e-27f4-4a36-9d3c-0e3c7c0a5d10',
      transactionId: '9d6f1f52-8e1c-4e5d-a1d9-31c8a6f5e2b0',
      payee: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'Shop42', fspId: 'clffsp' } },
      payer,
      amountType: 'SEND',
      amount: { amount: '1.2345', currency: 'CLF' },
      transactionType: { scenario: 'PAYMENT', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    },
    response: { transferAmount: { amount: '1.2345', currency: 'CLF' }, expiration: '2030-01-01T00:00:00.001Z' },
  },
  {
    name: 'largest amount the hub accepts (10^17 minor units) and an empty response note (left out)',
    secret: 'secret',
    quoteRequest: {
      quoteId: '5e0a7c1d-3b2f-4a6e-8d9c-0f1e2d3c4b5a',
      transactionId: '6f1b8d2e-4c3a-4b7f-9eaf-1a2b3c4d5e6f',
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: 'bigfsp' } },
      payer,
      amountType: 'SEND',
      amount: { amount: '1000000000000000', currency: 'USD' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    },
    response: { transferAmount: { amount: '1000000000000000', currency: 'USD' }, expiration: '2030-01-01T00:00:00.000Z', note: '' },
  },
];

function decodedBySdk(version: 'v1' | 'v4', secret: string, ilpPacket: string): Record<string, unknown> {
  const ilp = sdkIlp(version, secret);
  const packet = ilp.decodeIlpPacket(ilpPacket);
  const out: Record<string, unknown> = {
    amount: packet['amount'],
    destination: version === 'v1' ? packet['account'] : packet['destination'],
    dataBase64url: (packet['data'] as Buffer).toString('base64url'),
    transaction: ilp.getTransactionObject(ilpPacket),
  };
  if (version === 'v4') {
    out['expiresAt'] = (packet['expiresAt'] as Date).toISOString();
    out['executionConditionBase64url'] = (packet['executionCondition'] as Buffer).toString('base64url');
  }
  return out;
}

const quoteVectors = quotes.flatMap((q) => (['v1', 'v4'] as const).map((version) => {
  const terms = sdkIlp(version, q.secret).getQuoteResponseIlp(q.quoteRequest, q.response);
  return {
    name: `${version}: ${q.name}`,
    version,
    secret: q.secret,
    quoteRequest: q.quoteRequest,
    response: q.response,
    expected: { ilpPacket: terms.ilpPacket, condition: terms.condition, fulfilment: terms.fulfilment },
    decoded: decodedBySdk(version, q.secret, terms.ilpPacket),
  };
}));

// Malformed or unusual packets, built by hand from a valid SDK packet. `sdk`
// records what the SDK's decoder does with them; `refusal` is the part of the
// detail we expect (null: we accept it too).
const base = quoteVectors[0];
if (base === undefined) throw new Error('no base vector');
const v1Bytes = Buffer.from(base.expected.ilpPacket, 'base64url');
const v4Base = quoteVectors[1];
if (v4Base === undefined) throw new Error('no v4 vector');
const v4Bytes = Buffer.from(v4Base.expected.ilpPacket, 'base64url');

function sdkVerdict(version: 'v1' | 'v4', ilpPacket: string): string {
  try {
    const decoded = sdkIlp(version, 'secret').decodeIlpPacket(ilpPacket);
    return `accepts (amount ${String(decoded['amount'])})`;
  } catch (error) {
    return `throws: ${(error as Error).message}`;
  }
}

const withContentsLength = (type: number, contents: Buffer): Buffer => {
  const length = contents.length < 128 ? Buffer.of(contents.length) : Buffer.of(0x82, contents.length >> 8, contents.length & 0xff);
  return Buffer.concat([Buffer.of(type), length, contents]);
};

// The same bytes, spelled with the lowest unused bit of the last base64 character set.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function withUnusedBitSet(text: string): string {
  if (text.length % 4 === 0) throw new Error('no unused bits: pick a packet whose length is not a multiple of 3');
  const last = ALPHABET.indexOf(text.charAt(text.length - 1));
  return text.slice(0, -1) + ALPHABET.charAt(last | 1);
}
const v1Contents = v1Bytes.subarray(4); // 0x01 0x82 hi lo
const v4Contents = v4Bytes.subarray(4);
if (v1Bytes[1] !== 0x82 || v4Bytes[1] !== 0x82) throw new Error('expected two-byte long-form lengths in the base packets');

const v4WithTime = (time: string): Buffer => {
  const contents = Buffer.from(v4Contents);
  contents.write(time, 8, 'latin1');
  return withContentsLength(0x0c, contents);
};

const malformed: { name: string; version: 'v1' | 'v4'; bytes: Buffer | string; refusal: string | null }[] = [
  {
    name: 'the FSPIOP v1.1 specification example packet (ILPv1, opaque non-JSON data)',
    version: 'v1',
    bytes: 'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA',
    refusal: null,
  },
  { name: 'v1 with a byte after the envelope', version: 'v1', bytes: Buffer.concat([v1Bytes, Buffer.of(0)]), refusal: 'unexpected bytes after the packet' },
  { name: 'v1 with a byte after the extensions', version: 'v1', bytes: withContentsLength(0x01, Buffer.concat([v1Contents, Buffer.of(7)])), refusal: 'unexpected bytes after the extensions byte' },
  { name: 'v1 with an extensions byte of 1', version: 'v1', bytes: withContentsLength(0x01, Buffer.concat([v1Contents.subarray(0, -1), Buffer.of(1)])), refusal: 'extensions are not supported' },
  { name: 'v1 truncated by one byte', version: 'v1', bytes: v1Bytes.subarray(0, -1), refusal: 'packet: declares' },
  { name: 'v1 envelope length in a non-canonical long form', version: 'v1', bytes: Buffer.concat([Buffer.of(0x01, 0x83, 0x00), v1Bytes.subarray(2)]), refusal: 'not canonical' },
  { name: 'v1 envelope claiming 2^32 bytes', version: 'v1', bytes: Buffer.concat([Buffer.of(0x01, 0x85, 0x01, 0, 0, 0, 0), v1Contents]), refusal: 'more than remain' },
  { name: 'v1 envelope claiming 2^32 - 1 bytes', version: 'v1', bytes: Buffer.concat([Buffer.of(0x01, 0x84, 0xff, 0xff, 0xff, 0xff), v1Contents]), refusal: 'declares 4294967295 bytes' },
  { name: 'v4 with expiresAt month 13', version: 'v4', bytes: v4WithTime('20301301000000000'), refusal: 'expiresAt is not a valid' },
  { name: 'v4 with expiresAt 30 February', version: 'v4', bytes: v4WithTime('20300230000000000'), refusal: 'expiresAt is not a valid' },
  { name: 'v4 with a byte after the data', version: 'v4', bytes: withContentsLength(0x0c, Buffer.concat([v4Contents, Buffer.of(0)])), refusal: 'unexpected bytes after the data' },
  { name: 'an ILPv4 Fulfill (type 13) is not a prepare', version: 'v4', bytes: Buffer.concat([Buffer.of(0x0d), v4Bytes.subarray(1)]), refusal: 'packet type 13' },
  ...quoteVectors.filter((v) => v.expected.ilpPacket.length % 4 !== 0).slice(0, 1).map((v) => ({
    name: `base64url with unused bits set in the last character (${v.version})`,
    version: v.version,
    bytes: withUnusedBitSet(v.expected.ilpPacket),
    refusal: 'not canonical base64url',
  })),
];

const packetVectors = malformed.map((m) => {
  const ilpPacket = typeof m.bytes === 'string' ? m.bytes : m.bytes.toString('base64url');
  return { name: m.name, ilpPacket, sdk: sdkVerdict(m.version, ilpPacket), refusal: m.refusal };
});

const vectors = {
  comment: `Generated by src/testing/generate_ilp_vectors.ts with @mojaloop/sdk-standard-components ${sdkVersion} (Ilp.ilpFactory v1/v4). 'expected' and 'decoded' are the SDK's outputs; 'sdk' is what the SDK's decoder does with each packet; 'refusal' is ours.`,
  quotes: quoteVectors,
  packets: packetVectors,
};

// eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed path beside this file
writeFileSync(new URL('../ilp/vectors.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote ${quoteVectors.length} quote vectors and ${packetVectors.length} packet vectors`);

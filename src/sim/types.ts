// What a simulated DFSP is made of and what it reports, shared by its parts.
import type { KeyObject } from 'node:crypto';
import type { SigningKey } from '../signature/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import type { SimLimits } from './limits.ts';

/** A party the simulated DFSP serves (as payee) or pays from (as payer). */
export interface SimParty {
  readonly partyIdType: string;
  readonly partyIdentifier: string;
  readonly name: string;
}

export type IlpVersion = 'v1' | 'v4';

/** One FSPIOP message the simulator sent to the hub or received from it, for demos and tests. */
export interface SimTraffic {
  readonly dfsp: string;
  readonly direction: 'sent' | 'received';
  readonly method: string;
  /** The path from the resource on, e.g. "/parties/MSISDN/27713803912". */
  readonly path: string;
  readonly source: string | undefined;
  readonly destination: string | undefined;
  /** The parsed body; undefined for none. */
  readonly body: unknown;
}

/** A DFSP's TLS certificate from the scheme CA (client and server), and the CA it trusts. */
export interface DfspTls {
  readonly keyPem: string;
  /** Its certificate then the issuing CA. */
  readonly certificateChainPem: string;
  /** The scheme's CA certificates: the hub's certificate is verified against them. */
  readonly caPems: readonly string[];
}

/** What a DFSP holds to speak to the hub: the key it signs its requests with, and its TLS certificate. */
export interface DfspCredentials {
  /** Signs every request with a body (FSPIOP-Signature); its public key is registered with the hub. */
  readonly signingKey: SigningKey & { readonly publicKey: KeyObject };
  /** Mutual TLS with the hub; needed when the hub's URL is https. */
  readonly tls?: DfspTls;
}

export interface SimulatedDfspOptions {
  /** The DFSP's participant name at the hub (its FSPIOP-Source). */
  readonly name: string;
  /** Base URL of the hub's FSPIOP API. */
  readonly hubFspiopUrl: string;
  /** Where the simulator listens for the hub's requests and callbacks: loopback only; port 0 for any free one. HTTPS when credentials.tls is given. */
  readonly listen: { readonly host: string; readonly port: number };
  readonly parties: readonly SimParty[];
  /** The secret the DFSP derives ILP fulfilments from; never logged. */
  readonly ilpSecret: string;
  readonly ilpVersion: IlpVersion;
  readonly credentials: DfspCredentials;
  readonly log: Logger;
  /** The currency parties are registered in, and the only one quoted; undefined: registered without one, any quoted. */
  readonly currency?: string;
  readonly limits?: Partial<SimLimits>;
  readonly clock?: Clock;
  /** Told of every message sent or received, before it is handled. Must not throw. */
  readonly onTraffic?: (traffic: SimTraffic) => void;
}

/** The party identifier fields of FSPIOP's PartyIdInfo. */
export interface PartyIdInfo {
  partyIdType: string;
  partyIdentifier: string;
  partySubIdOrType?: string;
  fspId?: string;
}

export interface Money {
  amount: string;
  currency: string;
}

/** PUT /parties/{Type}/{ID}: what the payee FSP says of its party. */
export interface PartyAnswer {
  party: { partyIdInfo: PartyIdInfo; name?: string; personalInfo?: unknown };
}

export interface QuoteRequestBody {
  quoteId: string;
  transactionId: string;
  payee: { partyIdInfo: PartyIdInfo; name?: string };
  payer: { partyIdInfo: PartyIdInfo; name?: string };
  amountType: 'SEND' | 'RECEIVE';
  amount: Money;
  transactionType: { scenario: string; initiator: string; initiatorType: string };
  note?: string;
  expiration?: string;
}

export interface QuoteResponseBody {
  transferAmount: Money;
  payeeReceiveAmount?: Money;
  expiration: string;
  ilpPacket: string;
  condition: string;
}

export interface PrepareBody {
  transferId: string;
  payerFsp: string;
  payeeFsp: string;
  amount: Money;
  ilpPacket: string;
  condition: string;
  expiration: string;
}

export interface TransferStateBody {
  transferState: string;
  fulfilment?: string;
  completedTimestamp?: string;
}

// What every step of the transfer path works with: the service's
// dependencies, and the one request being handled inside its transaction.
import type { OutboundMessage } from '../delivery/index.ts';
import type { Failure, Inbound } from '../fspiop/index.ts';
import type { LiquidityRule, Tx, WindowRule } from '../ledger/index.ts';
import type { RiskAssessor, RiskNotifier } from '../risk/index.ts';
import type { Clock } from '../support/index.ts';
import type { Db, Engine } from '../storage/index.ts';

export interface TransferLimits {
  /** The latest expiration a prepare may ask for, ms from now: liquidity cannot be locked for longer. */
  expiryMsMax: number;
}

export const DEFAULT_TRANSFER_LIMITS: TransferLimits = {
  expiryMsMax: 24 * 60 * 60 * 1000,
};

export interface PrepareBody {
  transferId: string;
  payerFsp: string;
  payeeFsp: string;
  amount: { amount: string; currency: string };
  ilpPacket: string;
  condition: string;
  expiration: string;
}

export interface FulfilBody {
  transferState: string;
  fulfilment?: string;
  completedTimestamp?: string;
}

export interface ErrorBody {
  errorInformation: { errorCode: string; errorDescription: string };
}

/** Writes a message to the outbox inside the caller's transaction. */
export type Enqueue = (tx: Tx, message: OutboundMessage, nowMs: number) => Promise<void>;

export interface TransferDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  enqueue: Enqueue;
  /** The settlement model's rule (settlement/), which the reserve step hands the ledger. */
  liquidityCheckRequired: LiquidityRule;
  /** The settlement window a commit falls in (settlement/), which the commit step hands the ledger. */
  windowOf: WindowRule;
  /** The FRMS (risk/): its decision on a prepare, in the prepare's transaction; none: every prepare is allowed. */
  riskAssessor?: RiskAssessor;
  /** Tells a payer DFSP of the FRMS's non-ALLOW verdict on its prepare, in the prepare's transaction (risk/sharing.ts). */
  riskNotifier?: RiskNotifier | undefined;
  limits?: TransferLimits;
  /** Also send the payee the hub's COMMITTED state after a commit (Mojaloop's SEND_TRANSFER_CONFIRMATION_TO_PAYEE, default on). */
  confirmToPayee?: boolean;
}

/** The service's dependencies with their defaults applied. */
export interface TransferContext {
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly enqueue: Enqueue;
  readonly liquidityCheckRequired: LiquidityRule;
  readonly windowOf: WindowRule;
  readonly riskAssessor: RiskAssessor | undefined;
  readonly riskNotifier: RiskNotifier | undefined;
  readonly limits: TransferLimits;
  readonly confirmToPayee: boolean;
}

/** One request about one transfer, inside the transaction that handles it. */
export interface Handling {
  readonly ctx: TransferContext;
  readonly tx: Tx;
  readonly inbound: Inbound;
  readonly transferId: string;
  readonly nowMs: number;
}

/** What the transfer service decided, for logs and tests; every effect is already in the database and outbox. */
export type TransferOutcome =
  | { kind: 'reserved' | 'held' | 'committed' | 'aborted' | 'expired' | 'answered' }
  | { kind: 'rejected'; failure: Failure }
  | { kind: 'duplicate-resent' | 'duplicate-ignored' }
  | { kind: 'refused'; failure: Failure };

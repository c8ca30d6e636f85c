export { createTransferService, DEFAULT_TRANSFER_LIMITS, type TransferService, type TransferDeps, type TransferOutcome, type PrepareBody, type FulfilBody, type ErrorBody, type TransferLimits } from './service.ts';
export { TRANSFER_STATES, TRANSITIONS, externalState, canTransition, type TransferState } from './states.ts';
export type { Transfer } from './tables.ts';
export { checkTransfersAgainstLedger } from './consistency.ts';
export { ledgerFailure, asFspiopResult } from './ledger_refusals.ts';
export { runEvidenceCommand } from './evidence_cli.ts';
export { transferPartiesOf } from './parties_of.ts';

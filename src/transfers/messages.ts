// The callbacks a transfer causes, as outbox messages.
import type { OutboundMessage } from '../delivery/index.ts';
import { errorInformation, type Failure, forwardableHeaders, hubHeaders, type Inbound } from '../fspiop/index.ts';
import { canonicalJson } from '../support/index.ts';

/** An FSPIOP DateTime for epoch milliseconds (UTC, three fraction digits). */
export function completedTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** The payer's prepare, forwarded untouched to the payee. */
export function forwardPrepare(transferId: string, payee: string, inbound: Inbound, expiresAtMs: number): OutboundMessage {
  return {
    recipient: payee, endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_POST', templateValues: { transferId },
    method: 'POST', headers: forwardableHeaders(inbound.headers), body: inbound.rawBody, subject: `transfer ${transferId} prepare`,
    // Once the transfer has expired the hub has told the payee so (3303); the prepare must not follow it.
    notAfterMs: expiresAtMs,
  };
}

/** The payee's PUT (fulfil) or PUT …/error, forwarded untouched to the payer. */
export function forwardToPayer(transferId: string, payer: string, inbound: Inbound, kind: 'fulfil' | 'error'): OutboundMessage {
  return {
    recipient: payer,
    endpointType: kind === 'fulfil' ? 'FSPIOP_CALLBACK_URL_TRANSFER_PUT' : 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR',
    templateValues: { transferId }, method: 'PUT', headers: forwardableHeaders(inbound.headers), body: inbound.rawBody,
    subject: `transfer ${transferId} ${kind} forwarded`,
  };
}

export interface TransferStateBody {
  transferState: 'RESERVED' | 'COMMITTED' | 'ABORTED';
  completedTimestamp?: string;
  fulfilment?: string;
}

/** A PUT /transfers/{ID} from the hub: a transfer's state (GET reply, duplicate resend, commit notice). */
export function hubTransferState(transferId: string, recipient: string, body: TransferStateBody, version: string, nowMs: number): OutboundMessage {
  return {
    recipient, endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', templateValues: { transferId }, method: 'PUT',
    headers: hubHeaders('transfers', recipient, 'PUT', `/transfers/${transferId}`, version, nowMs), body: canonicalJson(body),
    subject: `transfer ${transferId} state ${body.transferState} from hub`,
  };
}

/** The PATCH commit notification to a payee that answered RESERVED (v1.1). */
export function hubPatch(transferId: string, payee: string, body: { transferState: 'COMMITTED' | 'ABORTED'; completedTimestamp: string }, version: string, nowMs: number): OutboundMessage {
  return {
    recipient: payee, endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', templateValues: { transferId }, method: 'PATCH',
    headers: hubHeaders('transfers', payee, 'PATCH', `/transfers/${transferId}`, version, nowMs), body: canonicalJson(body),
    subject: `transfer ${transferId} PATCH ${body.transferState} from hub`,
  };
}

/** A PUT /transfers/{ID}/error from the hub. */
export function hubTransferError(transferId: string, recipient: string, failure: Failure, version: string, nowMs: number): OutboundMessage {
  return {
    recipient, endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR', templateValues: { transferId }, method: 'PUT',
    headers: hubHeaders('transfers', recipient, 'PUT', `/transfers/${transferId}/error`, version, nowMs), body: canonicalJson(errorInformation(failure)),
    subject: `transfer ${transferId} error ${failure.code} from hub`,
  };
}


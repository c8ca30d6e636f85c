// Callback delivery: the outbox (enqueue in the transaction of the change a
// message reports) and the workers that send it, at least once.
export type { OutboundMessage, OutboundMethod } from './message.ts';
export { enqueue } from './enqueue.ts';
export { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerDeps, type DeliveryCounters, type DeliveryMetrics } from './worker.ts';
export { DEFAULT_DELIVERY_LIMITS, OUTBOX_MESSAGE_LIMITS, assertDeliveryLimits, claimHeldMsMax, type DeliveryLimits } from './limits.ts';
export type { DeliveryTls, HttpSend, HttpRequest, HttpAnswer } from './http_send.ts';
export { OUTBOX_STATES, OUTBOX_TRANSITIONS, type OutboxState, type OutboxRow } from './outbox_table.ts';
export { createCallbackAddressPolicy, endpointAddressRefusal, type CallbackAddressPolicy, type CallbackNetworkSettings, type OwnListener } from './callback_addresses.ts';
export { AddressRefused, guardedLookup, ipLiteralOf, portOf } from './callback_addresses.ts';

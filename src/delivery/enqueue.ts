// Writes a message to the outbox, inside the caller's transaction, so that a
// state change and the callbacks it causes commit together or not at all: a
// hub that stops after the commit still sends them, one that stops before it
// sends nothing.
//
// The message is made by the hub's own code, so a malformed one is a
// programmer's error and crashes here, at the caller, rather than failing
// later in the worker where nobody would see why.
import assert from 'node:assert/strict';
import { CALLBACK_ENDPOINT_TYPES } from '../participants/index.ts';
import type { Db } from '../storage/index.ts';
import { isParticipantName } from '../support/index.ts';
import { isPathSuffix } from './endpoint_url.ts';
import { OUTBOX_MESSAGE_LIMITS } from './limits.ts';
import type { OutboundMessage } from './message.ts';
import { OUTBOUND_METHODS, outboxOf } from './outbox_table.ts';

/** An HTTP field name (RFC 9110 token), in lower case as the contract says. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** A field value: visible ASCII, space, tab and obs-text (bytes 0x80–0xff, as Node hands them over); no CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Headers the HTTP client sets from the request itself (host, length, framing) or that would change
 * the connection, not the message. A forwarded message's copy of them describes the other hop.
 */
const HEADERS_NOT_FORWARDED = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'expect', 'proxy-connection', 'proxy-authorization', 'http2-settings',
]);
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function assertMessage(message: OutboundMessage): void {
  assert.ok(isParticipantName(message.recipient), 'outbound message: recipient is not a participant name');
  assert.ok((CALLBACK_ENDPOINT_TYPES as readonly string[]).includes(message.endpointType),
    `outbound message: ${message.endpointType} is not a callback endpoint type`);
  assert.ok(OUTBOUND_METHODS.includes(message.method), 'outbound message: unknown method');
  assert.ok(message.subject.length > 0 && message.subject.length <= OUTBOX_MESSAGE_LIMITS.subjectLengthMax && !CONTROL.test(message.subject),
    `outbound message: subject must be 1..${OUTBOX_MESSAGE_LIMITS.subjectLengthMax} characters on one line`);
  assert.ok(message.notAfterMs === undefined || Number.isSafeInteger(message.notAfterMs), 'outbound message: notAfterMs must be epoch milliseconds');
  assert.ok(isPathSuffix(message.pathSuffix ?? ''), 'outbound message: pathSuffix must be plain path segments such as "/error"');
  for (const [name, value] of Object.entries(message.templateValues)) {
    assert.ok(typeof value === 'string', `outbound message: template value ${name} is not a string`);
  }

  let headersBytes = 0;
  for (const [name, value] of Object.entries(message.headers)) {
    assert.ok(HEADER_NAME.test(name), `outbound message: header name ${JSON.stringify(name)} is not a lower-case token`);
    assert.ok(!HEADERS_NOT_FORWARDED.has(name), `outbound message: header ${name} is set by the HTTP client, not the message`);
    assert.ok(typeof value === 'string' && HEADER_VALUE.test(value), `outbound message: header ${name} has a value that cannot be sent`);
    headersBytes += name.length + value.length + 4; // ": " and CRLF
  }
  assert.ok(headersBytes <= OUTBOX_MESSAGE_LIMITS.headersBytesMax, 'outbound message: headers exceed the FSPIOP limit');

  if (message.body !== null) {
    assert.ok(message.method !== 'GET', 'outbound message: a GET has no body');
    // The stored text must be the exact bytes: a lone surrogate would not survive UTF-8, and
    // PostgreSQL's text cannot hold NUL. A body the hub accepted as JSON has neither.
    assert.ok(message.body.isWellFormed() && !message.body.includes('\u0000'), 'outbound message: body is not well-formed UTF-8 text');
    assert.ok(Buffer.byteLength(message.body, 'utf8') <= OUTBOX_MESSAGE_LIMITS.bodyBytesMax, 'outbound message: body exceeds the FSPIOP limit');
  }
}

/**
 * Adds `message` to the outbox as PENDING, due at `nowMs`. `tx` must be the transaction of the
 * state change the message reports.
 */
export async function enqueue(tx: Db, message: OutboundMessage, nowMs: number): Promise<void> {
  assert.ok(tx.isTransaction, 'enqueue() runs inside the transaction of the change it reports');
  assert.ok(Number.isSafeInteger(nowMs) && nowMs >= 0, 'enqueue(): nowMs must be epoch milliseconds');
  assertMessage(message);
  await outboxOf(tx).insertInto('outbox').values({
    recipient: message.recipient,
    endpoint_type: message.endpointType,
    template_values: JSON.stringify(message.templateValues),
    path_suffix: message.pathSuffix ?? '',
    method: message.method,
    headers: JSON.stringify(message.headers),
    body: message.body,
    subject: message.subject,
    state: 'PENDING',
    attempts: 0,
    next_attempt_at_ms: nowMs,
    created_at_ms: nowMs,
    not_after_ms: message.notAfterMs ?? null,
  }).execute();
}

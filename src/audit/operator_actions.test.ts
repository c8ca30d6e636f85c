import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEntry, encodeEntry } from '../translog/index.ts';
import { auditValueOf, operatorActionEntry } from './operator_actions.ts';

const base = { timeMs: Date.parse('2026-11-24T05:00:00Z'), sourceAddress: '127.0.0.1' } as const;

test('a change request made, then approved: who, in which roles, what, on which target; pending approval is said so', () => {
  const made = operatorActionEntry({
    ...base, actor: { kind: 'operator', id: 'op-7', name: 'alice', roles: ['funds-maker'] }, action: 'FUNDS_IN_REQUEST',
    target: { route: 'POST /participants/:name/accounts/:id', participant: 'payerfsp' }, result: 'pending-approval', after: { amount: '100', currency: 'USD' },
  });
  assert.deepEqual([made.kind, made.actor, made.actorRole, made.action, made.target, made.result.outcome], ['operator-action', 'op-7', 'funds-maker', 'FUNDS_IN_REQUEST', { type: 'participant', id: 'payerfsp' }, 'succeeded']);
  assert.deepEqual(made.after, { state: 'pending-approval', view: { amount: '100', currency: 'USD' } });
  const encoded = encodeEntry(made);
  assert.ok(encoded.ok, JSON.stringify(encoded));
  const decoded = decodeEntry(encoded.value);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.action, 'FUNDS_IN_REQUEST');
});

test('a refusal keeps its reason; an anonymous caller and a spoofed source address are recorded as such', () => {
  const refused = operatorActionEntry({
    timeMs: base.timeMs, sourceAddress: 'not an address', actor: { kind: 'anonymous' }, action: 'NDC_CHANGE_REQUEST', result: 'refused', detail: 'a bearer token is required',
  });
  assert.deepEqual([refused.actor, refused.result, refused.sourceAddress], ['anonymous', { outcome: 'refused', reason: 'a bearer token is required' }, null]);
  assert.ok(encodeEntry(refused).ok);
});

test('views are bounded: depth, width, prototype keys, and values JSON has no word for', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 20; i++) deep = { next: deep };
  // An own "__proto__" member, as JSON.parse makes one from a request body.
  const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}') as Record<string, unknown>;
  const value = auditValueOf({ ...hostile, deep, wide: Array.from({ length: 100 }, (_, i) => i), big: 12345678901234567890n, inf: Number.POSITIVE_INFINITY, fn: () => 1 });
  const text = JSON.stringify(value);
  assert.match(text, /deeper parts not kept/);
  assert.match(text, /36 more/);
  assert.doesNotMatch(text, /polluted|constructor/);
  assert.match(text, /"12345678901234567890"/);
  assert.ok(encodeEntry({ ...operatorActionEntry({ ...base, actor: { kind: 'system' }, action: 'X', result: 'succeeded' }), after: value }).ok);
});

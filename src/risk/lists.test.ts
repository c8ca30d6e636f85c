// The deny and watch lists: entries added, refused, removed and paged; list
// files of keys and of partyIdType:partyIdentifier lines, refused whole for one
// bad line; and the flags readFeatures gives from them.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { PartyIdType } from '../fspiop/index.ts';
import { runRefusable } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { readFeatures } from './features.ts';
import { addToList, listEntries, listFlags, loadListFile, parseListFile, removeFromList, type ListEntryInput } from './lists.ts';
import type { PaymentFacts } from './types.ts';

const key = (name: string): string => createHash('sha256').update(name).digest('base64url');
/** A key function as the service will pass one (HMAC under a key the lists never see). */
const keyOf = (type: PartyIdType, identifier: string): string => createHmac('sha256', 'test risk key').update(`${type}:${identifier}`).digest('base64url');
const NOW_MS = Date.parse('2026-01-10T12:00:00Z');

describeOnEachEngine('risk lists', (ctx) => {
  const entry = (partyKey: string, overrides: Partial<ListEntryInput> = {}): ListEntryInput => ({ list: 'deny', partyKey, reason: 'confirmed mule', addedBy: 'operator-1', nowMs: NOW_MS, ...overrides });

  test('an entry is added once, refused when malformed, listed in key order, and removed', async () => {
    const db = ctx.storage.db;
    assert.deepEqual(await addToList(db, entry(key('a'))), { ok: true, value: true });
    assert.deepEqual(await addToList(db, entry(key('a'), { reason: 'another reason' })), { ok: true, value: false }, 'already there: unchanged');
    assert.deepEqual(await addToList(db, entry(key('a'), { list: 'watch', changeRequestId: null })), { ok: true, value: true }, 'the watch list is another list');
    for (const bad of [entry('+15551234567'), entry(key('b'), { reason: '' }), entry(key('b'), { reason: 'x'.repeat(513) }), entry(key('b'), { addedBy: '' }), entry(key('b'), { list: 'grey' as 'deny' })]) {
      const refused = await addToList(db, bad);
      assert.equal(refused.ok, false);
      assert.equal(refused.error.kind, 'invalid');
    }
    await addToList(db, entry(key('c')));
    const all = await listEntries(db, 'deny', { limit: 10 });
    assert.deepEqual(all.map((e) => e.partyKey).sort(), [key('a'), key('c')].sort());
    assert.deepEqual(all.find((e) => e.partyKey === key('a')), { list: 'deny', partyKey: key('a'), reason: 'confirmed mule', addedAtMs: NOW_MS, addedBy: 'operator-1', changeRequestId: null });
    const [first] = await listEntries(db, 'deny', { limit: 1 });
    assert.deepEqual((await listEntries(db, 'deny', { limit: 10, afterPartyKey: first?.partyKey })).length, 1);
    assert.equal(await removeFromList(db, 'deny', key('c')), true);
    assert.equal(await removeFromList(db, 'deny', key('c')), false);
    assert.deepEqual((await listEntries(db, 'deny', { limit: 10 })).map((e) => e.partyKey), [key('a')]);
  });

  test('flags: each party on each list; null for a party without a key', async () => {
    const db = ctx.storage.db;
    await addToList(db, entry(key('flag-denied')));
    await addToList(db, entry(key('flag-watched'), { list: 'watch' }));
    assert.deepEqual(await listFlags(db, key('flag-denied'), key('flag-watched')), { payerDenied: true, payeeDenied: false, payerWatched: false, payeeWatched: true });
    assert.deepEqual(await listFlags(db, null, key('flag-denied')), { payerDenied: null, payeeDenied: true, payerWatched: null, payeeWatched: false });
    assert.deepEqual(await listFlags(db, null, null), { payerDenied: null, payeeDenied: null, payerWatched: null, payeeWatched: null });
    const facts: PaymentFacts = {
      stage: 'quote', id: 'q1', payerFsp: 'a', payeeFsp: 'b', payerParty: key('flag-watched'), payeeParty: key('flag-denied'), payerName: null, payeeName: null,
      currency: 'USD', amountMinor: 1n, sourceAddress: null, nowMs: NOW_MS,
    };
    const features = await readFeatures(db, ctx.engine, facts);
    assert.deepEqual([features['payerDenied'], features['payeeDenied'], features['payerWatched'], features['payeeWatched']], [false, true, true, false]);
  });

  test('a list file: keys and partyIdType:partyIdentifier lines, comments and blanks skipped, duplicates once', async () => {
    const text = ['# mules reported in January', '', key('file-1'), 'MSISDN:+15551234567', '  EMAIL:mule@example.com  ', key('file-1'), 'MSISDN:+15551234567', '\r'].join('\n');
    const load = { list: 'watch' as const, text, keyOf, reason: 'january file', addedBy: 'operator-2', nowMs: NOW_MS };
    const loaded = await runRefusable(ctx.storage.db, ctx.engine, (tx) => loadListFile(tx, load));
    assert.deepEqual(loaded, { ok: true, value: { entries: 3, added: 3, present: 0 } });
    const flags = await listFlags(ctx.storage.db, keyOf('MSISDN', '+15551234567'), keyOf('EMAIL', 'mule@example.com'));
    assert.deepEqual([flags.payerWatched, flags.payeeWatched, flags.payerDenied], [true, true, false]);
    const again = await runRefusable(ctx.storage.db, ctx.engine, (tx) => loadListFile(tx, load));
    assert.deepEqual(again, { ok: true, value: { entries: 3, added: 0, present: 3 } });
  });

  test('a list file with a bad line is refused whole, naming each bad line', async () => {
    const text = [key('refused-1'), 'MSISDN:not digits', 'NOT_A_TYPE:123', 'just an identifier', 'ACCOUNT_ID:12345'].join('\n');
    const refused = await runRefusable(ctx.storage.db, ctx.engine, (tx) => loadListFile(tx, { list: 'deny', text, keyOf, reason: 'r', addedBy: 'o', nowMs: NOW_MS }));
    assert.equal(refused.ok, false);
    const detail = refused.error.detail;
    assert.match(detail, /^3 bad line\(s\): line 2: .*MSISDN.*; line 3: "NOT_A_TYPE" is not an FSPIOP partyIdType; line 4: neither a party key/);
    assert.deepEqual(await listFlags(ctx.storage.db, key('refused-1'), keyOf('ACCOUNT_ID', '12345')), { payerDenied: false, payeeDenied: false, payerWatched: false, payeeWatched: false }, 'nothing of it was loaded');
    const badKeyFunction = parseListFile('MSISDN:+15551234567', () => 'not a key');
    assert.deepEqual(badKeyFunction, { ok: false, error: { count: 1, lines: ['line 1: the key function gave no party key'] } });
  });
});

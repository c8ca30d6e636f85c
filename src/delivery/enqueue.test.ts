import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { runTransaction } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { enqueue } from './enqueue.ts';
import type { OutboundMessage } from './message.ts';
import { outboxOf } from './outbox_table.ts';

const NOW_MS = 1_750_000_000_000;

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    recipient: 'payeefsp',
    endpointType: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT',
    templateValues: { transferId: '0198c3a2-6a2b-7c1d-8e9f-0a1b2c3d4e5f' },
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=1.1', date: 'Tue, 15 Nov 1994 08:12:31 GMT', 'fspiop-source': 'Hub' },
    body: '{"transferState":"COMMITTED","note":"café ✓ 𝄞"}',
    subject: 'transfer 0198c3a2/PUT',
    ...overrides,
  };
}

describeOnEachEngine('outbox enqueue', (ctx) => {
  const outbox = () => outboxOf(ctx.storage.db);
  /** Enqueues in a transaction of its own and returns the new row's id. */
  const inTransaction = async (m: OutboundMessage): Promise<number> => {
    await runTransaction(ctx.storage.db, ctx.storage.engine, (tx) => enqueue(tx, m, NOW_MS));
    const newest = await outbox().selectFrom('outbox').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    return newest.id;
  };

  test('writes a PENDING row due now, keeping the body text, headers and template values exactly', async () => {
    const m = message({ pathSuffix: '/error' });
    const id = await inTransaction(m);
    const row = await outbox().selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(
      { ...row, headers: JSON.parse(row.headers) as unknown, template_values: JSON.parse(row.template_values) as unknown },
      {
        id, recipient: m.recipient, endpoint_type: m.endpointType, template_values: m.templateValues, path_suffix: '/error',
        method: 'PUT', headers: m.headers, body: m.body, subject: m.subject, state: 'PENDING', attempts: 0,
        next_attempt_at_ms: NOW_MS, last_error: null, last_status: null, last_attempt_at_ms: null, created_at_ms: NOW_MS,
        delivered_at_ms: null, claimed_by: null, claimed_until_ms: null, not_after_ms: null,
      },
    );
  });

  test('refuses to run outside a transaction: a callback must commit with the change it reports', async () => {
    await assert.rejects(enqueue(ctx.storage.db, message(), NOW_MS), assert.AssertionError);
  });

  test('a malformed message is a programmer error, refused before anything is written', async () => {
    const before = await outbox().selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const malformed: Partial<OutboundMessage>[] = [
      { recipient: 'no spaces allowed' },
      { endpointType: 'NET_DEBIT_CAP_ADJUSTMENT_EMAIL' },
      { method: 'TRACE' as OutboundMessage['method'] },
      { subject: '' },
      { subject: 'two\nlines' },
      { pathSuffix: '/../admin' },
      { pathSuffix: 'error' },
      { headers: { 'Content-Type': 'x' } },
      { headers: { 'fspiop-source': 'Hub\r\nx-injected: 1' } },
      { headers: { 'content-length': '1' } },
      { headers: { host: 'elsewhere.example' } },
      { headers: { 'x-big': 'x'.repeat(64 * 1024) } },
      { method: 'GET', body: '{}' },
      { body: 'lone \uD800 surrogate' },
      { body: 'nul \u0000 byte' },
      { body: 'x'.repeat(5 * 1024 * 1024 + 1) },
      { templateValues: { transferId: 1 as unknown as string } },
    ];
    for (const overrides of malformed) {
      await assert.rejects(inTransaction(message(overrides)), assert.AssertionError, JSON.stringify(overrides).slice(0, 80));
    }
    const after = await outbox().selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  test('the database holds the state machine: a final row never changes, and a claim is whole', async () => {
    const id = await inTransaction(message());
    const row = () => outbox().updateTable('outbox').where('id', '=', id);
    await assert.rejects(row().set({ state: 'SENT' as 'PENDING' }).execute(), 'an unknown state');
    await assert.rejects(row().set({ claimed_by: 'w' }).execute(), 'a holder without a lease');
    await assert.rejects(row().set({ state: 'DELIVERED' }).execute(), 'DELIVERED without delivered_at_ms');
    await assert.rejects(row().set({ attempts: -1 }).execute(), 'negative attempts');
    await row().set({ state: 'DELIVERED', delivered_at_ms: NOW_MS }).execute();
    await assert.rejects(row().set({ state: 'PENDING', delivered_at_ms: null }).execute(), /illegal state change/);
    await assert.rejects(row().set({ last_error: 'x' }).execute(), /illegal state change/, 'a DELIVERED row is final');
    await assert.rejects(outbox().insertInto('outbox').values({
      recipient: 'r', endpoint_type: 't', template_values: '{}', path_suffix: '', method: 'GET', headers: '{}', body: 'x',
      subject: 's', state: 'PENDING', attempts: 0, next_attempt_at_ms: 0, created_at_ms: 0,
    }).execute(), 'a GET with a body');
  });

  test('the claim query has its partial index', async () => {
    const found = ctx.engine === 'postgres'
      ? await sql<{ def: string }>`select indexdef as def from pg_indexes where indexname = 'outbox_due'`.execute(ctx.storage.db)
      : await sql<{ def: string }>`select sql as def from sqlite_master where name = 'outbox_due'`.execute(ctx.storage.db);
    assert.match(found.rows[0]?.def ?? '', /next_attempt_at_ms.*id.*where.*state.*=.*'PENDING'/i);
  });
});

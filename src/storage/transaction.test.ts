import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fail, ok } from '../fspiop/errors.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { runTransaction } from './transaction.ts';

describeOnEachEngine('runTransaction', (ctx) => {
  const exists = async (name: string) =>
    (await ctx.storage.db.selectFrom('participants').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;

  test('a returned refusal rolls back what the work wrote, and is returned as it was', async () => {
    const result = await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await tx.insertInto('participants').values({ name: 'refused', name_folded: 'refused', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      return fail('3100', 'changed my mind');
    });
    assert.deepEqual(result, { ok: false, error: { code: '3100', detail: 'changed my mind' } });
    assert.equal(await exists('refused'), false);
  });

  test('a success commits', async () => {
    const result = await runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await tx.insertInto('participants').values({ name: 'kept', name_folded: 'kept', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      return ok('done');
    });
    assert.deepEqual(result, { ok: true, value: 'done' });
    assert.equal(await exists('kept'), true);
  });

  test('a thrown error rolls back and is rethrown', async () => {
    await assert.rejects(runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await tx.insertInto('participants').values({ name: 'thrown', name_folded: 'thrown', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      throw new Error('boom');
    }), /boom/);
    assert.equal(await exists('thrown'), false);
  });
});

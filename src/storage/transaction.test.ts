import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fail } from '../fspiop/errors.ts';
import { ok } from '../support/result.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import type { Transaction } from 'kysely';
import type { Schema } from './schema.ts';
import { runLast, runRefusable, runTransaction, withCommitHook } from './transaction.ts';
import { testTables } from '../testing/tables.ts';

describeOnEachEngine('runTransaction', (ctx) => {
  const exists = async (name: string) =>
    (await testTables(ctx.storage.db).selectFrom('participants').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;

  test('a returned refusal rolls back what the work wrote, and is returned as it was', async () => {
    const result = await runRefusable(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('participants').values({ name: 'refused', name_folded: 'refused', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      return fail('3100', 'changed my mind');
    });
    assert.deepEqual(result, { ok: false, error: { code: '3100', detail: 'changed my mind' } });
    assert.equal(await exists('refused'), false);
  });

  test('runTransaction refuses work that returns a refusal, and rolls back what it wrote: only runRefusable may refuse', async () => {
    await assert.rejects(runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('participants').values({ name: 'misrouted', name_folded: 'misrouted', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      return fail('3100', 'a refusal that would otherwise commit');
    }), /runTransaction: the work returned a refusal, which would commit; run work that can refuse with runRefusable/);
    assert.equal(await exists('misrouted'), false);
  });

  test('a success commits', async () => {
    const result = await runRefusable(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('participants').values({ name: 'kept', name_folded: 'kept', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      return ok('done');
    });
    assert.deepEqual(result, { ok: true, value: 'done' });
    assert.equal(await exists('kept'), true);
  });

  test('a thrown error rolls back and is rethrown', async () => {
    await assert.rejects(runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      await testTables(tx).insertInto('participants').values({ name: 'thrown', name_folded: 'thrown', is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
      throw new Error('boom');
    }), /boom/);
    assert.equal(await exists('thrown'), false);
  });

  const insert = (name: string) => async (tx: Transaction<Schema>) => {
    await testTables(tx).insertInto('participants').values({ name, name_folded: name, is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test' }).execute();
    return ok(name);
  };

  test('a commit hook runs last in each transaction of its scope: when it throws, the work rolls back with it', async () => {
    const ran: string[] = [];
    const failing = withCommitHook(() => { ran.push('hook'); return Promise.reject(new Error('the audit append failed')); },
      () => runRefusable(ctx.storage.db, ctx.storage.engine, insert('unaudited')));
    await assert.rejects(failing, /the audit append failed/);
    assert.equal(await exists('unaudited'), false);
    const kept = await withCommitHook(async (tx) => {
      ran.push('hook');
      // The hook sees the work's writes: it is in the same transaction, after them.
      const seen = await testTables(tx as unknown as Transaction<Schema>).selectFrom('participants').select('id').where('name', '=', 'audited').executeTakeFirst();
      assert.ok(seen !== undefined);
    }, () => runRefusable(ctx.storage.db, ctx.storage.engine, insert('audited')));
    assert.deepEqual(kept, { ok: true, value: 'audited' });
    assert.equal(await exists('audited'), true);
    assert.deepEqual(ran, ['hook', 'hook']);
  });

  test('a refusal runs no commit hook, and a scope without one (the audit log\'s own) runs none', async () => {
    let hooks = 0;
    const refused = await withCommitHook(() => { hooks += 1; return Promise.resolve(); }, () => runRefusable(ctx.storage.db, ctx.storage.engine, () => Promise.resolve(fail('3100', 'no'))));
    assert.equal(refused.ok, false);
    await withCommitHook(() => { hooks += 1; return Promise.resolve(); }, () => withCommitHook(undefined, () => runRefusable(ctx.storage.db, ctx.storage.engine, insert('unhooked'))));
    assert.equal(hooks, 0);
  });

  test('work asked to run last runs after the unit and before the commit hook; not on a refusal; when it throws, all rolls back', async () => {
    const ran: string[] = [];
    const lastThenHook = await withCommitHook(() => { ran.push('hook'); return Promise.resolve(); }, () => runRefusable(ctx.storage.db, ctx.storage.engine, async (tx) => {
      runLast(tx, async (last) => {
        ran.push('last');
        // It sees what the unit wrote after it asked: it runs once the unit is done.
        assert.ok(await testTables(last as unknown as Transaction<Schema>).selectFrom('participants').select('id').where('name', '=', 'written-after').executeTakeFirst());
      });
      ran.push('unit');
      return insert('written-after')(tx);
    }));
    assert.equal(lastThenHook.ok, true);
    assert.deepEqual(ran, ['unit', 'last', 'hook']);
    const refused = await runRefusable(ctx.storage.db, ctx.storage.engine, (tx) => {
      runLast(tx, () => { ran.push('last of a refusal'); return Promise.resolve(); });
      return Promise.resolve(fail('3100', 'no'));
    });
    assert.equal(refused.ok, false);
    assert.ok(!ran.includes('last of a refusal'));
    await assert.rejects(runTransaction(ctx.storage.db, ctx.storage.engine, async (tx) => {
      runLast(tx, () => Promise.reject(new Error('the audit append failed')));
      return insert('unrecorded')(tx);
    }), /the audit append failed/);
    assert.equal(await exists('unrecorded'), false);
  });
});

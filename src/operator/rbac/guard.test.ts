// The guard's violation path: a handler that calls a domain service beyond
// what its route declared (a write without the privilege, a change function
// outside an approved change request of that function, a method no rule
// opens) is stopped before the service runs, and the admin API answers 2001.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Storage } from '../../storage/index.ts';
import { runTransaction } from '../../storage/index.ts';
import { freshStorage } from '../../testing/engines.ts';
import { routeTestApp } from '../../testing/admin_api.ts';
import type { Principal } from './authorize.ts';
import { guarded, GuardViolation, withAuthority, type Authority } from './guard.ts';
import type { Privilege } from './privileges.ts';

function principalHolding(...privileges: Privilege[]): Principal {
  return { kind: 'client', id: 'reader', name: 'reader', grants: [{ role: 'test', participant: null, privileges: new Set(privileges) }] };
}

const authorityOf = (principal: Principal | undefined, extra: Partial<Authority> = {}): Authority =>
  ({ principal, participant: undefined, exclusions: [], ...extra });

describe('the guard at the domain boundary', () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  /** What the service really did: a violation must leave this untouched. */
  const done: string[] = [];
  const service = {
    read: () => 'read',
    commit: () => { done.push('commit'); return 'committed'; },
    fundsIn: () => { done.push('fundsIn'); return 'funded'; },
    unlisted: () => { done.push('unlisted'); return 'unlisted'; },
    write: () => runTransaction(storage.db, storage.engine, async (tx) => { await sql`select 1`.execute(tx); done.push('write'); return 'written'; }),
  };
  const guardedService = guarded('svc', service, {
    read: 'read',
    commit: { privilege: 'FUNDS_OUT_COMMIT' },
    fundsIn: { fn: 'FUNDS_IN' },
    write: { privilege: 'FUNDS_OUT_ABORT' },
  });

  before(async () => {
    ({ storage, dispose } = await freshStorage('sqlite'));
  });
  after(async () => {
    await dispose();
  });

  test('a handler that writes without the privilege is refused before the service runs', () => {
    const reader = authorityOf(principalHolding('PARTICIPANT_READ'));
    assert.equal(withAuthority(reader, () => guardedService.read()), 'read');
    assert.throws(() => withAuthority(reader, () => guardedService.commit()), (error: unknown) =>
      error instanceof GuardViolation && error.message === 'guard: svc.commit: FUNDS_OUT_COMMIT is needed');
    assert.deepEqual(done, []);
    assert.equal(withAuthority(authorityOf(principalHolding('FUNDS_OUT_COMMIT')), () => guardedService.commit()), 'committed');
    assert.deepEqual(done.splice(0), ['commit']);
  });

  test('a change function runs only inside an approved change request of that function', () => {
    const holder = authorityOf(principalHolding('FUNDS_IN_REQUEST', 'FUNDS_IN_APPROVE'));
    assert.throws(() => withAuthority(holder, () => guardedService.fundsIn()), /guard: svc\.fundsIn: FUNDS_IN runs only as an approved change request/);
    const otherRequest = authorityOf(undefined, { execution: { changeRequestId: 'cr-1', fn: 'FUNDS_OUT' } });
    assert.throws(() => withAuthority(otherRequest, () => guardedService.fundsIn()), /the approved change request is FUNDS_OUT, not FUNDS_IN/);
    assert.throws(() => withAuthority(otherRequest, () => guardedService.commit()), /a FUNDS_OUT change request does not carry FUNDS_OUT_COMMIT/);
    assert.deepEqual(done, []);
    const approved = authorityOf(undefined, { execution: { changeRequestId: 'cr-2', fn: 'FUNDS_IN' } });
    assert.equal(withAuthority(approved, () => guardedService.fundsIn()), 'funded');
    assert.deepEqual(done.splice(0), ['fundsIn']);
  });

  test('a method no rule opens, a public route and a call outside any admin request are refused', () => {
    const everything = authorityOf(principalHolding('FUNDS_OUT_COMMIT', 'PARTICIPANT_READ'));
    assert.throws(() => withAuthority(everything, () => guardedService.unlisted()), /guard: svc\.unlisted: svc\.unlisted is not open to the admin API/);
    assert.throws(() => withAuthority(authorityOf(undefined), () => guardedService.read()), /a public route reached a guarded service/);
    assert.throws(() => guardedService.commit(), /no admin request is being served/);
    assert.deepEqual(done, []);
  });

  test('an allowed write carries the request\'s record of the change in its transaction', async () => {
    const recorded: string[] = [];
    const writer = authorityOf(principalHolding('FUNDS_OUT_ABORT'), { recordChange: (_tx, call) => { recorded.push(call); return Promise.resolve(); } });
    assert.equal(await withAuthority(writer, () => guardedService.write()), 'written');
    assert.deepEqual(recorded, ['svc.write']);
    assert.deepEqual(done.splice(0), ['write']);
    // A read runs without the record, and a refused write records nothing.
    assert.equal(withAuthority(writer, () => guardedService.read()), 'read');
    assert.throws(() => withAuthority(writer, () => guardedService.commit()), GuardViolation);
    assert.deepEqual(recorded, ['svc.write']);
    assert.deepEqual(done, []);
  });

  test('a route whose handler oversteps its declaration is answered 2001, and nothing is done', async () => {
    const app = await routeTestApp((routes) => {
      routes.post('/overstep', (_request, reply) =>
        withAuthority(authorityOf(principalHolding('PARTICIPANT_READ')), () => reply.send({ result: guardedService.commit() })));
    });
    try {
      const answer = await app.inject({ method: 'POST', url: '/overstep' });
      assert.equal(answer.statusCode, 500);
      assert.equal((JSON.parse(answer.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '2001');
      assert.deepEqual(done, []);
    } finally {
      await app.close();
    }
  });
});

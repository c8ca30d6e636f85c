// Every employee action is in the audit log, or it does not happen (issue 13,
// finding 9). A hub as `npm start` wires it, on each engine, whose audit
// table is made to refuse one action's entry (a trigger that raises, as a
// broken or locked audit table would): the action must fail with 503 and
// change nothing. And a flood of refused requests must leave exactly one
// entry each, durable before each refusal was answered.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { Agent, fetch as undiciFetch } from 'undici';
import { describeOnEachEngine, type EngineContext } from './testing/engines.ts';
import { startSchemeHub, type SchemeHub } from './testing/scheme_hub.ts';
import { testTables } from './testing/tables.ts';

/** Refused requests sent at once: more than the old background queue held (1024). */
const FLOOD_REQUESTS = 1_100;
/** Connections they share: a flood of TLS handshakes on a small machine would only time out the client. */
const FLOOD_CONNECTIONS = 32;

async function breakAuditFor(ctx: EngineContext, action: string): Promise<void> {
  // The action is a constant of this test, never input.
  if (ctx.engine === 'sqlite') {
    await sql.raw(`create trigger test_audit_broken before insert on audit_entries when new.action = '${action}' begin select raise(abort, 'audit storage broken (test)'); end`).execute(ctx.storage.db);
  } else {
    await sql.raw(`create or replace function test_audit_broken() returns trigger language plpgsql as $$ begin raise exception 'audit storage broken (test)'; end $$`).execute(ctx.storage.db);
    await sql.raw(`create trigger test_audit_broken before insert on audit_entries for each row when (new.action = '${action}') execute function test_audit_broken()`).execute(ctx.storage.db);
  }
}

async function repairAudit(ctx: EngineContext): Promise<void> {
  await sql.raw(ctx.engine === 'sqlite' ? 'drop trigger test_audit_broken' : 'drop trigger test_audit_broken on audit_entries').execute(ctx.storage.db);
}

describeOnEachEngine('audited operator actions', (ctx) => {
  let scheme: SchemeHub;
  let accountId: number;

  before(async () => {
    scheme = await startSchemeHub({ name: 'audited-actions', dfsps: { payerfsp: {} }, overrides: { 'storage.url': ctx.url } });
    const accounts = (await scheme.admin.call('GET', '/participants/payerfsp/accounts')).body as { id: number; ledgerAccountType: string }[];
    accountId = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
  });
  after(async () => {
    await scheme.close();
  });

  const settlementText = async () => (await scheme.admin.text('/participants/payerfsp/accounts')).text;
  const fundsIn = (amount: string) => ({ transferId: randomUUID(), externalReference: 'audit', action: 'recordFundsIn', reason: 'audit test', amount: { amount, currency: 'USD' } });
  const changeRequestCount = async () => Number((await testTables(ctx.storage.db).selectFrom('change_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const entriesOf = (changeRequestId: string) => testTables(ctx.storage.db).selectFrom('audit_entries').select(['action', 'actor']).where('target_type', '=', 'change-request').where('target_id', '=', changeRequestId).orderBy('idx').execute();

  test('a change request whose entry cannot be appended is not made: 503, no row', async () => {
    const rows = await changeRequestCount();
    await breakAuditFor(ctx, 'FUNDS_IN_REQUEST');
    try {
      const made = await scheme.admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('7'));
      assert.equal(made.status, 503, JSON.stringify(made.body));
    } finally {
      await repairAudit(ctx);
    }
    assert.equal(await changeRequestCount(), rows);
  });

  test('an approval whose entry cannot be appended is not taken: 503, still PENDING, no funds moved', async () => {
    const before = await settlementText();
    const made = await scheme.admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('11'));
    assert.equal(made.status, 202);
    const id = (made.body as { id: string }).id;
    await breakAuditFor(ctx, 'CHANGE_REQUEST_APPROVE');
    try {
      const approved = await scheme.admin.checker.call('POST', `/changeRequests/${id}/approve`);
      assert.equal(approved.status, 503, JSON.stringify(approved.body));
    } finally {
      await repairAudit(ctx);
    }
    assert.equal(((await scheme.admin.maker.call('GET', `/changeRequests/${id}`)).body as { state: string }).state, 'PENDING');
    assert.equal(await settlementText(), before);
    assert.deepEqual((await entriesOf(id)).map((e) => e.action), ['FUNDS_IN_REQUEST']);
  });

  test('an approved funds-in whose execution cannot be recorded moves nothing; approval and outcome are in the log', async () => {
    const before = await settlementText();
    const made = await scheme.admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('13'));
    assert.equal(made.status, 202);
    const id = (made.body as { id: string }).id;
    await breakAuditFor(ctx, 'FUNDS_IN_EXECUTE');
    let approved;
    try {
      approved = await scheme.admin.checker.call('POST', `/changeRequests/${id}/approve`);
    } finally {
      await repairAudit(ctx);
    }
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const cr = approved.body as { state: string; result: { status: number } };
    assert.deepEqual([cr.state, cr.result.status], ['FAILED', 503]);
    assert.equal(await settlementText(), before);
    assert.deepEqual((await entriesOf(id)).map((e) => e.action), ['FUNDS_IN_REQUEST', 'CHANGE_REQUEST_APPROVE', 'FUNDS_IN_OUTCOME']);
  });

  test('an approved funds-in moves the funds with its entry: request, approval, execution, outcome', async () => {
    const made = await scheme.admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('17'));
    const id = (made.body as { id: string }).id;
    const approved = await scheme.admin.checker.call('POST', `/changeRequests/${id}/approve`);
    assert.equal((approved.body as { state: string }).state, 'EXECUTED');
    const actions = (await entriesOf(id)).map((e) => e.action);
    assert.deepEqual(actions.filter((a) => a !== 'FUNDS_IN_EXECUTE'), ['FUNDS_IN_REQUEST', 'CHANGE_REQUEST_APPROVE', 'FUNDS_IN_OUTCOME']);
    // One entry per transaction the funds-in ran, each committed with it.
    assert.ok(actions.includes('FUNDS_IN_EXECUTE'));
  });

  test('a maker approving their own request is refused, and each refusal is in the log before it is answered', async () => {
    const made = await scheme.admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, fundsIn('19'));
    const id = (made.body as { id: string }).id;
    const decisions = async () => Number((await testTables(ctx.storage.db).selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n'))
      .where('action', '=', 'CHANGE_REQUEST_DECIDE').executeTakeFirstOrThrow()).n);
    const before = await decisions();
    const answers = await Promise.all(Array.from({ length: 20 }, () => scheme.admin.maker.call('POST', `/changeRequests/${id}/approve`)));
    assert.ok(answers.every((a) => a.status === 403));
    assert.equal(await decisions() - before, 20);
  });

  test(`${FLOOD_REQUESTS} requests without a token at once: exactly ${FLOOD_REQUESTS} entries, none dropped`, async () => {
    const anonymous = async () => Number((await testTables(ctx.storage.db).selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n'))
      .where('actor', '=', 'anonymous').where('kind', '=', 'operator-action').executeTakeFirstOrThrow()).n);
    const before = await anonymous();
    const dispatcher = new Agent({ connections: FLOOD_CONNECTIONS, connect: { ca: [...scheme.hub.schemeCaPems] } });
    const answers = await Promise.all(Array.from({ length: FLOOD_REQUESTS }, async () => {
      const response = await undiciFetch(`${scheme.hub.adminUrl}/participants`, { dispatcher });
      await response.arrayBuffer();
      return response.status;
    }));
    await dispatcher.close();
    assert.ok(answers.every((status) => status === 401), JSON.stringify([...new Set(answers)]));
    assert.equal(await anonymous() - before, FLOOD_REQUESTS);
  });
});

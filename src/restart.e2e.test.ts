// A hub killed with SIGKILL (no shutdown code runs) in the middle of a
// transfer, and started again on the same storage, loses nothing: every
// callback it had accepted to send is sent, the transfer moves once, money
// balances, and a transfer that expired while no hub ran is expired on the way
// back. The hub runs as `interlock start` in a child process; the DFSPs are
// HTTP servers in this process. Each scenario gets a fresh database, on
// SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { outboxOf, type OutboxRow } from './delivery/outbox_table.ts';
import type { Engine, Storage } from './storage/index.ts';
import {
  dfspServer, errorCodeOf, fspiopRequest, freePort, ilpLock, onboardScheme, positionOf, prepareBody, sentBodyText,
  type DfspServer, type DfspServerOptions, type HttpAnswer, type Received,
} from './testing/dfsp.ts';
import { freshStorage, postgresUnavailable, skippedOnPostgres } from './testing/engines.ts';
import { ledgerCheck, reportHubOutputs, startHubProcess, until, type HubProcess } from './testing/hub_process.ts';
import { adminClientFor } from './testing/admin_client.ts';
import { testSchemePki } from './testing/scheme_pki.ts';
import { testTables } from './testing/tables.ts';

/** Short, so that a transfer expires within a test; the configuration's lowest. */
const SWEEP_INTERVAL_MS = 100;
/** Prepares sent at once, the hub killed among them. */
const BURST = 200;

interface Scheme {
  readonly storage: Storage;
  readonly payer: DfspServer;
  readonly payee: DfspServer;
  readonly hub: HubProcess;
  /**
   * SIGKILL, meant to land between two attempts of a failing callback. If it landed during an
   * attempt instead (the next one came early on a loaded machine), the dead hub's claim would hold
   * the row for its whole lease (60 s; what that does is a scenario of its own): the claim is ended
   * here, as its lease running out would.
   */
  killBetweenAttempts(): Promise<void>;
  /** Ends the claims of a killed hub, as their leases running out would (60 s); the subjects of the rows they held. */
  endDeadClaims(): Promise<string[]>;
  /** Starts a new hub on the same storage and ports; the previous one must be gone. */
  restart(): Promise<void>;
  fspiop(method: string, path: string, source: string, destination: string, body: unknown): Promise<HttpAnswer>;
  outbox(): Promise<OutboxRow[]>;
  /** The transfer's states, in the order it entered them. */
  states(transferId: string): Promise<string[]>;
  positions(): Promise<[payer: number, payee: number]>;
  /** Waits until no outbox row is PENDING, and checks that none FAILED. */
  allDelivered(): Promise<OutboxRow[]>;
  assertLedgerConsistent(): Promise<void>;
}

/** A fresh database, a hub process on it, and payer and payee onboarded; everything removed afterwards. */
async function withScheme(t: TestContext, engine: Engine, dfsps: { payer?: DfspServerOptions; payee?: DfspServerOptions }, run: (scheme: Scheme) => Promise<void>): Promise<void> {
  const fresh = await freshStorage(engine);
  const dataDir = mkdtempSync(join(tmpdir(), 'interlock-restart-'));
  const payer = await dfspServer('payerfsp', dfsps.payer);
  const payee = await dfspServer('payeefsp', dfsps.payee);
  const ports = { adminPort: await freePort(), fspiopPort: await freePort() };
  const hubOptions = { dataDir, storageUrl: fresh.url, ...ports, expirySweepIntervalMs: SWEEP_INTERVAL_MS, pkiDir: (await testSchemePki()).dir };
  const hubs: HubProcess[] = [];
  try {
    hubs.push(await startHubProcess(hubOptions));
    const current = () => {
      const hub = hubs.at(-1);
      assert.ok(hub !== undefined);
      return hub;
    };
    await onboardScheme(adminClientFor(current().adminUrl, dataDir, current().pkiDir), [{ name: 'payerfsp', url: payer.url }, { name: 'payeefsp', url: payee.url }]);
    const outbox = () => outboxOf(fresh.storage.db).selectFrom('outbox').selectAll().orderBy('id').execute();
    const endDeadClaims = async () => (await outboxOf(fresh.storage.db).updateTable('outbox').set({ claimed_until_ms: Date.now() })
      .where('state', '=', 'PENDING').where('claimed_by', 'is not', null).returning('subject').execute()).map((row) => row.subject);
    await run({
      storage: fresh.storage,
      payer,
      payee,
      get hub() { return current(); },
      async killBetweenAttempts() {
        await current().kill();
        const ended = await endDeadClaims();
        if (ended.length > 0) t.diagnostic(`the kill landed during an attempt at ${ended.join(', ')}; its claim was ended by hand`);
      },
      endDeadClaims,
      async restart() {
        hubs.push(await startHubProcess(hubOptions));
      },
      fspiop: (method, path, source, destination, body) => fspiopRequest(current().fspiopUrl, method, path, 'transfers', source, destination, body),
      outbox,
      async states(transferId) {
        const changes = await testTables(fresh.storage.db).selectFrom('transfer_state_changes').select('to_state')
          .where('transfer_id', '=', transferId).orderBy('id').execute();
        return changes.map((c) => c.to_state);
      },
      positions: async () => [await positionOf(adminClientFor(current().adminUrl, dataDir, current().pkiDir), 'payerfsp'), await positionOf(adminClientFor(current().adminUrl, dataDir, current().pkiDir), 'payeefsp')],
      async allDelivered() {
        const rows = await until('every outbox row delivered or failed', async () => {
          const all = await outbox();
          return all.every((row) => row.state !== 'PENDING') ? all : undefined;
        });
        assert.deepEqual(rows.filter((row) => row.state === 'FAILED').map((row) => `${row.subject}: ${row.last_error ?? ''}`), []);
        return rows;
      },
      async assertLedgerConsistent() {
        const check = await ledgerCheck(hubOptions);
        assert.equal(check.code, 0, check.output);
        assert.equal(check.report?.ok, true, check.output);
      },
    });
  } catch (error) {
    reportHubOutputs(t, hubs);
    throw error;
  } finally {
    for (const hub of hubs) await hub.kill();
    await payer.close();
    await payee.close();
    await fresh.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const isPost = (r: Received) => r.method === 'POST' && r.url === '/transfers';
const isPut = (transferId: string) => (r: Received) => r.method === 'PUT' && r.url === `/transfers/${transferId}`;
const isError = (transferId: string) => (r: Received) => r.method === 'PUT' && r.url === `/transfers/${transferId}/error`;
/** The FSPIOP headers a forwarded message keeps from its sender. */
const fspiopHeaders = (headers: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(['content-type', 'date', 'fspiop-source', 'fspiop-destination'].map((name) => [name, headers[name]]));

/** The outbox row with `subject`, once it has had a failed attempt and is held by nobody: nothing is in flight. */
function failedAndWaiting(scheme: Scheme, subject: string): Promise<OutboxRow> {
  return until(`a failed attempt at "${subject}", recorded`, async () => (await scheme.outbox()).find((row) =>
    row.subject === subject && row.state === 'PENDING' && row.attempts >= 1 && row.claimed_by === null && row.last_error !== null));
}

function restartSuite(engine: Engine): void {
  describe(`a hub killed and restarted on the same storage [${engine}]`, { concurrency: 1 }, () => {
    test('a prepare accepted while the payee is down reaches it after the restart, and the transfer completes', async (t) => {
      const payeePort = await freePort();
      await withScheme(t, engine, { payee: { port: payeePort, down: true } }, async (s) => {
        const { fulfilment, condition } = ilpLock();
        const prepare = prepareBody(condition);
        const id = prepare.transferId;
        assert.equal((await s.fspiop('POST', '/transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
        // The forward is refused (nothing listens) and waits in the outbox for its next attempt.
        const waiting = await failedAndWaiting(s, `transfer ${id} prepare`);
        assert.match(waiting.last_error ?? '', /ECONNREFUSED/);
        await s.killBetweenAttempts();

        await s.payee.start();
        await s.restart();
        const forwarded = await s.payee.next(isPost);
        assert.equal(forwarded.body, sentBodyText(prepare), 'the payee receives the payer\'s exact bytes');
        assert.deepEqual(await s.positions(), [100, 0]);

        const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
        const sent = await s.fspiop('PUT', `/transfers/${id}`, 'payeefsp', 'payerfsp', fulfil);
        assert.equal(sent.status, 200, sent.body);
        const done = await s.payer.next(isPut(id));
        assert.equal(done.body, sentBodyText(fulfil));
        await s.payee.next(isPut(id)); // the hub's confirmation to the payee

        const rows = await s.allDelivered();
        assert.ok((rows.find((row) => row.subject === `transfer ${id} prepare`)?.attempts ?? 0) > waiting.attempts, 'the forward was sent again after the restart');
        assert.equal(s.payee.count(isPost), 1);
        assert.equal(s.payer.count(isPut(id)), 1);
        assert.deepEqual(await s.states(id), ['RESERVED', 'COMMITTED']);
        assert.deepEqual(await s.positions(), [100, -100]);
        await s.assertLedgerConsistent();
      });
    });

    test('killed after the fulfil was accepted, before the payer was told: the payer gets the payee\'s callback as sent, once', async (t) => {
      const payerPort = await freePort();
      await withScheme(t, engine, { payer: { port: payerPort, down: true } }, async (s) => {
        const { fulfilment, condition } = ilpLock();
        const prepare = prepareBody(condition);
        const id = prepare.transferId;
        assert.equal((await s.fspiop('POST', '/transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
        await s.payee.next(isPost);
        const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
        const sent = await s.fspiop('PUT', `/transfers/${id}`, 'payeefsp', 'payerfsp', fulfil);
        assert.equal(sent.status, 200, sent.body);
        await failedAndWaiting(s, `transfer ${id} fulfil forwarded`);
        await until('the confirmation to the payee recorded', async () => (await s.outbox()).find((row) =>
          row.subject === `transfer ${id} state COMMITTED from hub` && row.state === 'DELIVERED'));
        await s.killBetweenAttempts();

        await s.payer.start();
        await s.restart();
        const done = await s.payer.next(isPut(id));
        assert.equal(done.body, sentBodyText(fulfil), 'the payer receives the payee\'s exact bytes');
        assert.deepEqual(fspiopHeaders(done.headers), fspiopHeaders(sent.sent), 'and the payee\'s own FSPIOP headers');

        await s.allDelivered();
        assert.equal(s.payer.count(isPut(id)), 1);
        assert.deepEqual(await s.states(id), ['RESERVED', 'COMMITTED']);
        assert.deepEqual(await s.positions(), [100, -100]);
        await s.assertLedgerConsistent();
      });
    });

    test('killed while the payer\'s callback was in flight: sent again once the dead holder\'s lease runs out, the same bytes', async (t) => {
      let holdFirst = true;
      const never = new Promise<void>(() => undefined);
      // The payer receives the callback and never answers it: the hub is killed with the send in flight.
      const payer: DfspServerOptions = { onRequest: (r) => (r.method === 'PUT' && holdFirst ? (holdFirst = false, never) : undefined) };
      await withScheme(t, engine, { payer }, async (s) => {
        const { fulfilment, condition } = ilpLock();
        const prepare = prepareBody(condition);
        const id = prepare.transferId;
        assert.equal((await s.fspiop('POST', '/transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
        await s.payee.next(isPost);
        const fulfil = { transferState: 'COMMITTED', fulfilment, completedTimestamp: new Date().toISOString() };
        const sent = await s.fspiop('PUT', `/transfers/${id}`, 'payeefsp', 'payerfsp', fulfil);
        assert.equal(sent.status, 200, sent.body);
        const first = await s.payer.next(isPut(id));
        // Only the payer's callback is in flight: the hub's confirmation to the payee is recorded as delivered.
        await until('the confirmation to the payee recorded', async () => (await s.outbox()).find((row) =>
          row.subject === `transfer ${id} state COMMITTED from hub` && row.state === 'DELIVERED'));
        await s.hub.kill();

        const subject = `transfer ${id} fulfil forwarded`;
        const held = (await s.outbox()).find((row) => row.subject === subject);
        assert.ok(held?.state === 'PENDING' && held.claimed_by !== null && held.attempts === 1,
          `the row is still held by the dead hub's claim: ${JSON.stringify(held)}`);
        await s.restart();
        // While the claim could still be a live worker's, no other worker sends the row.
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        assert.equal(s.payer.count(isPut(id)), 1, 'not sent again while the lease holds');
        // The lease runs out (60 s by default; the test moves it rather than waiting).
        await outboxOf(s.storage.db).updateTable('outbox').set({ claimed_until_ms: Date.now() }).where('id', '=', held.id).execute();

        const second = await until('the callback sent again', () => Promise.resolve(s.payer.received.filter(isPut(id))[1]));
        for (const copy of [first, second]) {
          assert.equal(copy.body, sentBodyText(fulfil));
          assert.deepEqual(fspiopHeaders(copy.headers), fspiopHeaders(sent.sent));
        }
        const rows = await s.allDelivered();
        assert.equal(rows.find((row) => row.subject === subject)?.attempts, 2);
        assert.equal(s.payer.count(isPut(id)), 2, 'at least once: the unanswered copy and the delivered one, no more');
        assert.deepEqual(await s.states(id), ['RESERVED', 'COMMITTED']);
        assert.deepEqual(await s.positions(), [100, -100]);
        await s.assertLedgerConsistent();
      });
    });

    test('killed in the middle of a burst of prepares: each is kept whole or not at all, every one answered 202 is kept and forwarded', async (t) => {
      await withScheme(t, engine, {}, async (s) => {
        const prepares = Array.from({ length: BURST }, () => prepareBody(ilpLock().condition, { amount: '1' }));
        let acceptedSoFar = 0;
        const statuses = prepares.map((prepare) => s.fspiop('POST', '/transfers', 'payerfsp', 'payeefsp', prepare).then((answer) => {
          if (answer.status === 202) acceptedSoFar += 1;
          return answer.status;
        }, () => 'no answer'));
        await until('the first prepares accepted', () => Promise.resolve(acceptedSoFar >= BURST / 20 ? true : undefined));
        await s.hub.kill();
        const answered = await Promise.all(statuses);
        // Rows the dead hub was sending are sent again (at least once), when their leases run out.
        await s.endDeadClaims();

        await s.restart();
        const kept = new Set((await testTables(s.storage.db).selectFrom('transfers').select(['transfer_id', 'state']).execute()).map((row) => {
          assert.equal(row.state, 'RESERVED');
          return row.transfer_id;
        }));
        t.diagnostic(`${answered.filter((status) => status === 202).length} of ${BURST} answered 202 before the kill; ${kept.size} kept`);
        assert.ok(kept.size > 0 && kept.size < BURST, 'the kill landed inside the burst');
        for (const [i, prepare] of prepares.entries()) {
          if (answered[i] === 202) assert.ok(kept.has(prepare.transferId), `${prepare.transferId} was answered 202 and must be kept`);
          else assert.equal(answered[i], 'no answer', 'a prepare is accepted or unanswered, never refused');
        }
        await s.allDelivered();
        const forwarded = new Set(s.payee.received.filter(isPost).map((r) => (JSON.parse(r.body) as { transferId: string }).transferId));
        assert.deepEqual([...forwarded].sort(), [...kept].sort(), 'every kept transfer, and only those, reached the payee');
        for (const id of kept) assert.deepEqual(await s.states(id), ['RESERVED']);
        // Each kept transfer reserved its amount once, and nothing else was reserved.
        assert.deepEqual(await s.positions(), [kept.size, 0]);
        await s.assertLedgerConsistent();
      });
    });

    test('a transfer whose expiration passes while no hub runs is expired after the restart: 3303 to both, the position released', async (t) => {
      await withScheme(t, engine, {}, async (s) => {
        const { condition } = ilpLock();
        // Long enough for the prepare to reach the payee on a loaded machine: once expired it would lapse unsent.
        const prepare = prepareBody(condition, { expiresInMs: 4_000 });
        const id = prepare.transferId;
        assert.equal((await s.fspiop('POST', '/transfers', 'payerfsp', 'payeefsp', prepare)).status, 202);
        await s.payee.next(isPost);
        assert.deepEqual(await s.positions(), [100, 0]);
        await s.hub.kill();
        assert.deepEqual(await s.states(id), ['RESERVED'], 'the hub was killed before the transfer expired');
        const waitMs = Date.parse(prepare.expiration) - Date.now() + 100;
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));

        await s.restart();
        const [toPayer, toPayee] = await Promise.all([s.payer.next(isError(id)), s.payee.next(isError(id))]);
        for (const callback of [toPayer, toPayee]) {
          assert.equal(errorCodeOf(callback.body), '3303');
          assert.equal(callback.headers['fspiop-source'], 'Hub');
        }
        assert.equal(toPayer.headers['fspiop-destination'], 'payerfsp');
        assert.equal(toPayee.headers['fspiop-destination'], 'payeefsp');
        await s.allDelivered();
        assert.equal(s.payer.count(isError(id)), 1);
        assert.equal(s.payee.count(isError(id)), 1);
        assert.deepEqual(await s.states(id), ['RESERVED', 'EXPIRED_RESERVED']);
        assert.deepEqual(await s.positions(), [0, 0]);
        await s.assertLedgerConsistent();
      });
    });
  });
}

const postgresMissing = await postgresUnavailable();
// The two engines' suites run side by side: most of each scenario is waiting (for a hub to start, a retry, an expiration).
describe('restarts', { concurrency: 2 }, () => {
  restartSuite('sqlite');
  if (postgresMissing === undefined) restartSuite('postgres');
  else skippedOnPostgres('a hub killed and restarted on the same storage [postgres]');
});

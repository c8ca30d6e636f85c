// Several hub processes on one PostgreSQL database, as a scheme runs them when
// one machine is not enough: no process leads, and work is claimed with row
// locks. Two `interlock start` processes take prepares, and both sweep for
// expired transfers and deliver callbacks at the same time; each transfer must
// still expire once, each DFSP hear of it once, and each outbox row be sent
// once, by one of the two.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { outboxOf } from './delivery/outbox_table.ts';
import { dfspServer, errorCodeOf, sentBodyText, fspiopRequest, freePort, ilpLock, onboardScheme, positionOf, prepareBody, type Received } from './testing/dfsp.ts';
import { freshStorage, postgresUnavailable, skippedOnPostgres } from './testing/engines.ts';
import { ledgerCheck, startHubProcess, until, type HubProcess } from './testing/hub_process.ts';
import { adminClientFor } from './testing/admin_client.ts';
import { testSchemePki } from './testing/scheme_pki.ts';
import { loadOrCreateAuditKey } from './audit/index.ts';
import { loadOrCreateSecretBox } from './operator/iam/secret_box.ts';
import { testTables } from './testing/tables.ts';

/** Transfers left to expire. */
const TRANSFERS = 20;
/** Transfers the payee fulfils around the moment they expire. */
const RACED = 10;
const RACE_SPREAD_MS = 100;
const SWEEP_INTERVAL_MS = 100;
/**
 * Long enough for every prepare to be accepted and forwarded first. The prepares all debit one payer, so
 * they pass its position one at a time: on a loaded 2-core CI machine 30 of them took over 2.5 s.
 */
const EXPIRES_IN_MS = 6_000;
/** After everything arrived, how long the test keeps listening for a duplicate: several sweeps and delivery polls (500 ms). */
const SETTLE_MS = 1_200;

const SUITE = 'several hub processes on one PostgreSQL database';
const postgresMissing = await postgresUnavailable();
if (postgresMissing !== undefined) {
  skippedOnPostgres(SUITE);
} else {
  describe(SUITE, () => {
    test(`${TRANSFERS} transfers prepared through either of two hubs expire exactly once each, ${RACED} fulfilled as they expire end one way each, and every callback is sent once`, async (t) => {
      const fresh = await freshStorage('postgres');
      const dirs = [mkdtempSync(join(tmpdir(), 'interlock-mp-a-')), mkdtempSync(join(tmpdir(), 'interlock-mp-b-'))];
      const payer = await dfspServer('payerfsp');
      const payee = await dfspServer('payeefsp');
      const hubs: HubProcess[] = [];
      try {
        // Processes on one database share the scheme CA and the audit log's key, as an operator deploys them.
        const auditKeyFile = loadOrCreateAuditKey({ dataDir: dirs[0] ?? '' }).path;
        const iamSecretsKeyFile = loadOrCreateSecretBox({ dataDir: dirs[0] ?? '' }).path;
        const options = await Promise.all(dirs.map(async (dataDir) => ({
          dataDir, storageUrl: fresh.url, adminPort: await freePort(), fspiopPort: await freePort(), expirySweepIntervalMs: SWEEP_INTERVAL_MS,
          pkiDir: (await testSchemePki()).dir, auditKeyFile, iamSecretsKeyFile,
        })));
        hubs.push(...await Promise.all(options.map((o) => startHubProcess(o))));
        const [a, b] = hubs;
        assert.ok(a !== undefined && b !== undefined);
        await onboardScheme(adminClientFor(a.adminUrl, dirs[0] ?? '', a.pkiDir), [{ name: 'payerfsp', url: payer.url }, { name: 'payeefsp', url: payee.url }]);

        // Every transfer expires at the same instant, so that both sweepers find all of them due together.
        // Most are left to expire; the payee fulfils the rest (through the hub that did not take the
        // prepare) around that instant, so that commits race the expiry across the two processes.
        const expiration = new Date(Date.now() + EXPIRES_IN_MS).toISOString();
        const locks = Array.from({ length: TRANSFERS + RACED }, () => ilpLock());
        const prepares = locks.map((lock) => prepareBody(lock.condition, { amount: '10', expiration }));
        const via = (i: number) => (i % 2 === 0 ? a : b);
        const answers = await Promise.all(prepares.map((prepare, i) =>
          fspiopRequest(via(i).fspiopUrl, 'POST', '/transfers', 'transfers', 'payerfsp', 'payeefsp', prepare)));
        assert.deepEqual(answers.map((answer) => answer.status), prepares.map(() => 202));
        await until('every prepare forwarded', () => Promise.resolve(payee.count((r) => r.method === 'POST') >= prepares.length ? true : undefined), Math.max(0, Date.parse(expiration) - Date.now()));
        assert.equal(await positionOf(adminClientFor(b.adminUrl, dirs[1] ?? '', b.pkiDir), 'payerfsp'), 10 * prepares.length);

        const raced = prepares.slice(TRANSFERS);
        const fulfils = await Promise.all(raced.map(async (prepare, k) => {
          const i = TRANSFERS + k;
          // From 100 ms before the expiration to 100 ms after it.
          const atMs = Date.parse(expiration) - RACE_SPREAD_MS + Math.round((2 * RACE_SPREAD_MS * k) / Math.max(1, RACED - 1));
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now())));
          const body = { transferState: 'COMMITTED', fulfilment: locks[i]?.fulfilment, completedTimestamp: new Date().toISOString() };
          return fspiopRequest(via(i + 1).fspiopUrl, 'PUT', `/transfers/${prepare.transferId}`, 'transfers', 'payeefsp', 'payerfsp', body);
        }));
        assert.deepEqual(fulfils.map((answer) => answer.status), raced.map(() => 200));

        const isError = (r: Received) => r.method === 'PUT' && r.url.endsWith('/error');
        await until('a 3303 to payer and payee for every transfer left to expire', () =>
          Promise.resolve(payer.count(isError) >= TRANSFERS && payee.count(isError) >= TRANSFERS ? true : undefined), EXPIRES_IN_MS + 10_000);
        await until('every outbox row delivered', async () =>
          (await outboxOf(fresh.storage.db).selectFrom('outbox').select('state').where('state', '=', 'PENDING').execute()).length === 0 ? true : undefined);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

        const transfersTo = (dfsp: typeof payer, id: string, suffix = '') => dfsp.received.filter((r) => r.method === 'PUT' && r.url === `/transfers/${id}${suffix}`);
        for (const prepare of prepares) {
          const id = prepare.transferId;
          assert.equal(payee.count((r) => r.method === 'POST' && r.body === sentBodyText(prepare)), 1, `the prepare of ${id} is forwarded once`);
        }
        for (const prepare of prepares.slice(0, TRANSFERS)) {
          const id = prepare.transferId;
          const changes = await testTables(fresh.storage.db).selectFrom('transfer_state_changes').select(['from_state', 'to_state']).where('transfer_id', '=', id).orderBy('id').execute();
          assert.deepEqual(changes, [{ from_state: null, to_state: 'RESERVED' }, { from_state: 'RESERVED', to_state: 'EXPIRED_RESERVED' }], `transfer ${id}`);
          for (const [name, dfsp] of [['payer', payer], ['payee', payee]] as const) {
            const told = transfersTo(dfsp, id, '/error');
            assert.equal(told.length, 1, `the ${name} is told once that ${id} expired`);
            assert.equal(errorCodeOf(told[0]?.body ?? ''), '3303');
            assert.equal(transfersTo(dfsp, id).length, 0);
          }
        }
        // A raced transfer ends one way, once, and the payer hears that way once.
        let committed = 0;
        for (const prepare of raced) {
          const id = prepare.transferId;
          const changes = await testTables(fresh.storage.db).selectFrom('transfer_state_changes').select('to_state').where('transfer_id', '=', id).orderBy('id').execute();
          const final = changes.map((c) => c.to_state);
          assert.ok(final.length === 2 && final[0] === 'RESERVED' && (final[1] === 'COMMITTED' || final[1] === 'EXPIRED_RESERVED'), `transfer ${id}: ${final.join(' → ')}`);
          if (final[1] === 'COMMITTED') {
            committed += 1;
            assert.deepEqual([transfersTo(payer, id).length, transfersTo(payer, id, '/error').length], [1, 0], `the payer hears once that ${id} committed`);
            assert.deepEqual([transfersTo(payee, id).length, transfersTo(payee, id, '/error').length], [1, 0], `the payee is confirmed ${id} once`);
          } else {
            assert.deepEqual([transfersTo(payer, id).length, transfersTo(payer, id, '/error').length], [0, 1], `the payer hears once that ${id} expired`);
            // The payee hears of the expiry, and, if its fulfil came after it, that the fulfil was refused: 3303 each time.
            const told = transfersTo(payee, id, '/error');
            assert.ok(told.length >= 1 && told.length <= 2 && told.every((r) => errorCodeOf(r.body) === '3303'), `the payee hears that ${id} expired: ${told.length}`);
            assert.equal(transfersTo(payee, id).length, 0);
          }
        }
        t.diagnostic(`raced transfers: ${committed} committed, ${RACED - committed} expired`);

        // Each outbox row: delivered, on its first attempt, by exactly one of the two processes.
        const rows = await outboxOf(fresh.storage.db).selectFrom('outbox').select(['id', 'state', 'attempts']).orderBy('id').execute();
        assert.equal(rows.length, payer.received.length + payee.received.length, 'one row per message received');
        assert.deepEqual(rows.filter((row) => row.state !== 'DELIVERED' || row.attempts !== 1), []);
        const deliveredBy = hubs.map((hub) => hub.logs().filter((line) => line['msg'] === 'callback delivered').map((line) => Number(line['outboxId'])));
        assert.deepEqual(deliveredBy.flat().sort((x, y) => x - y), rows.map((row) => row.id), 'each row\'s delivery is logged once, by one process');
        t.diagnostic(`outbox rows delivered by each process: ${deliveredBy.map((ids) => ids.length).join(' and ')}`);
        for (const [index, hub] of hubs.entries()) {
          assert.deepEqual(hub.logs().filter((line) => Number(line['level']) >= 50), [], `hub ${index} logged no errors`);
        }

        assert.deepEqual([await positionOf(adminClientFor(a.adminUrl, dirs[0] ?? '', a.pkiDir), 'payerfsp'), await positionOf(adminClientFor(a.adminUrl, dirs[0] ?? '', a.pkiDir), 'payeefsp')], [10 * committed, 0 - 10 * committed]); // 0 - …: never -0, which deepEqual tells from 0
        const check = await ledgerCheck(options[0] ?? { dataDir: '' });
        assert.equal(check.code, 0, check.output);
        assert.deepEqual(await Promise.all(hubs.map((hub) => hub.stop())), [0, 0], 'both stop cleanly on SIGTERM');
      } catch (error) {
        for (const [index, hub] of hubs.entries()) t.diagnostic(`hub ${index} (pid ${hub.pid}), last lines:\n${hub.output().split('\n').slice(-30).join('\n')}`);
        throw error;
      } finally {
        await Promise.all(hubs.map((hub) => hub.kill()));
        await payer.close();
        await payee.close();
        await fresh.dispose();
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

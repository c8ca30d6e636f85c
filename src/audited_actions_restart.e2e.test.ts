// A hub killed with SIGKILL while change requests are being approved and
// executed (issue 13, finding 9): whatever the kill interrupted, every change
// that committed has its audit entries, committed with it. Funds that moved
// have their execution's entry; a request approved has its approval's; one
// executed has its outcome's. And the hub starts again on that log.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dfspServer, freePort, onboardScheme } from './testing/dfsp.ts';
import { freshStorage } from './testing/engines.ts';
import { reportHubOutputs, startHubProcess, until, type HubProcess } from './testing/hub_process.ts';
import { adminClientFor } from './testing/admin_client.ts';
import { testSchemePki } from './testing/scheme_pki.ts';
import { testTables } from './testing/tables.ts';

/** Change requests approved at once, the hub killed among them. */
const REQUESTS = 12;

test('SIGKILL among approvals: every committed change has its audit entries, and the hub starts again on the log', async (t) => {
  const fresh = await freshStorage('sqlite');
  const dataDir = mkdtempSync(join(tmpdir(), 'interlock-audit-kill-'));
  const payer = await dfspServer('payerfsp');
  const hubOptions = { dataDir, storageUrl: fresh.url, adminPort: await freePort(), fspiopPort: await freePort(), pkiDir: (await testSchemePki()).dir };
  const hubs: HubProcess[] = [];
  const db = fresh.storage.db;
  try {
    hubs.push(await startHubProcess(hubOptions));
    const hub = hubs[0]!;
    const admin = adminClientFor(hub.adminUrl, dataDir, hub.pkiDir);
    await onboardScheme(admin, [{ name: 'payerfsp', url: payer.url }]);
    const accounts = (await admin.call('GET', '/participants/payerfsp/accounts')).body as { id: number; ledgerAccountType: string }[];
    const accountId = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
    const requests: { id: string; transferId: string }[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const transferId = randomUUID();
      const made = await admin.maker.call('POST', `/participants/payerfsp/accounts/${accountId}`, { transferId, externalReference: 'kill', action: 'recordFundsIn', reason: 'kill test', amount: { amount: '1', currency: 'USD' } });
      assert.equal(made.status, 202);
      requests.push({ id: (made.body as { id: string }).id, transferId });
    }
    // Every approval at once; the hub is killed as soon as the first funds-in has committed, mid-stream.
    const approvals = requests.map((r) => admin.checker.call('POST', `/changeRequests/${r.id}/approve`).catch(() => undefined));
    await until('a first funds-in committed', async () => ((await testTables(db).selectFrom('journal_entries').select('id').where('transfer_id', 'in', requests.map((r) => r.transferId)).executeTakeFirst()) === undefined ? undefined : true));
    await hub.kill();
    await Promise.all(approvals);

    const entries = await testTables(db).selectFrom('audit_entries').select(['action', 'target_id']).where('target_type', '=', 'change-request').execute();
    const actionsOf = (id: string) => new Set(entries.filter((e) => e.target_id === id).map((e) => e.action));
    const moved = new Set((await testTables(db).selectFrom('journal_entries').select('transfer_id').where('kind', '=', 'FUNDS_IN').execute()).map((j) => j.transfer_id));
    const states = new Map((await testTables(db).selectFrom('change_requests').select(['id', 'state']).execute()).map((r) => [r.id, r.state]));
    const seen = { moved: 0, approved: 0, executed: 0 };
    for (const { id, transferId } of requests) {
      const actions = actionsOf(id);
      const state = states.get(id);
      assert.ok(actions.has('FUNDS_IN_REQUEST'), `${id}: made, with its entry`);
      if (state !== 'PENDING') {
        seen.approved += 1;
        assert.ok(actions.has('CHANGE_REQUEST_APPROVE'), `${id} is ${state ?? '?'}: its approval's entry is there`);
      }
      if (moved.has(transferId)) {
        seen.moved += 1;
        assert.ok(actions.has('FUNDS_IN_EXECUTE'), `${id}: the funds moved, and its execution's entry committed with them`);
      }
      if (state === 'EXECUTED') {
        seen.executed += 1;
        assert.ok(actions.has('FUNDS_IN_OUTCOME') && moved.has(transferId), `${id}: executed, with its outcome's entry`);
      }
    }
    t.diagnostic(`at the kill: ${seen.approved} approved, ${seen.moved} moved, ${seen.executed} recorded as executed, of ${REQUESTS}`);
    assert.ok(seen.moved >= 1);

    // The hub refuses to start on a log that does not extend its last checkpoint: it starts.
    hubs.push(await startHubProcess(hubOptions));
    assert.equal(await hubs[1]!.stop(), 0);
  } catch (error) {
    reportHubOutputs(t, hubs);
    throw error;
  } finally {
    for (const hub of hubs) await hub.kill();
    await payer.close();
    await fresh.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// The IAM's secrets at rest, read straight from the tables: the
// authorization server's keys and operators' TOTP secrets are sealed, sign-in
// with TOTP works on them, values an earlier version stored in clear are
// sealed at start (once, by processes starting together), and a start whose
// key does not open what is stored stops.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { describeOnEachEngine } from '../../testing/engines.ts';
import type { Storage } from '../../storage/index.ts';
import { createLogger } from '../../support/logger.ts';
import { capturedAdminAudit } from '../audit_events.ts';
import { createTestAdminApi, type TestAdminApi } from '../../testing/admin_api.ts';
import { createBrowser, injectTransport, signIn } from './browser.ts';
import { createIam } from './iam.ts';
import { iamKeyContext } from './keys.ts';
import { totpSecretContext } from './operators.ts';
import { SecretBox, isSealed, loadOrCreateSecretBox } from './secret_box.ts';
import { totpCode } from './totp.ts';
import { testTables } from '../../testing/tables.ts';

const PUBLIC_URL = 'http://hub.test';
const NEW_PASSWORD = 'the first operator passphrase';
const IAM_KEY_NAMES = ['as-cookies', 'as-signing-es256', 'portal-client-es256'];
const dir = mkdtempSync(join(tmpdir(), 'interlock-iam-secrets-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { log: createLogger('info', stream), lines };
}

describeOnEachEngine('IAM secrets sealed at rest', (context) => {
  let storage: Storage;
  let box: SecretBox;
  let hub: TestAdminApi | undefined;
  const shown: string[] = [];
  // The admin API's clock, moved on by whole TOTP steps so that each sign-in has a fresh code.
  let offsetMs = 0;
  const clock = { nowMs: () => Date.now() + offsetMs };
  let adminId = '';
  let totpSecret = '';

  const start = async () => { hub = await createTestAdminApi(storage, { clock, publicUrl: PUBLIC_URL, secretBox: box, showOnce: (text) => { shown.push(text); } }); };
  const stop = async () => { await hub?.close(); hub = undefined; };
  /** An IAM as another hub process on the same database starts it. */
  const startIam = (secretBox: SecretBox | undefined, log = createLogger('silent')) => createIam({
    db: storage.db, engine: storage.engine, clock, log, publicUrl: () => PUBLIC_URL, showOnce: () => undefined,
    audit: capturedAdminAudit(), automationCredentialsFile: undefined, ...(secretBox === undefined ? {} : { secretBox }),
  }).bootstrap();
  const iamKeys = () => testTables(storage.db).selectFrom('iam_keys').select(['name', 'material']).orderBy('name').execute();
  const adminRow = () => testTables(storage.db).selectFrom('operators').selectAll().where('id', '=', adminId).executeTakeFirstOrThrow();

  async function signInAdmin(password: string, enrol: boolean): Promise<void> {
    if (hub === undefined) throw new Error('the admin API is not started');
    offsetMs += 30_000;
    const outcome = await signIn(createBrowser(injectTransport(hub.app), PUBLIC_URL), '/portal/login', {
      username: 'admin', password, ...(enrol ? { newPassword: NEW_PASSWORD } : {}),
      totp: (shownKey) => {
        assert.equal(shownKey !== undefined, enrol, enrol ? 'the enrolment page shows the key' : 'no key shown once enrolled');
        if (shownKey !== undefined) totpSecret = shownKey;
        return totpCode(totpSecret, clock.nowMs());
      },
    }, (url) => url.pathname === '/portal');
    assert.ok('callback' in outcome, 'stoppedAt' in outcome ? `${outcome.stoppedAt.status} ${outcome.stoppedAt.body}` : '');
  }

  before(async () => {
    storage = context.storage;
    box = loadOrCreateSecretBox({ dataDir: join(dir, context.engine) }).box;
    await start();
    adminId = (await testTables(storage.db).selectFrom('operators').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id;
  });
  after(stop);

  test('the authorization server\'s keys are in iam_keys sealed, each for its own row', async () => {
    const rows = await iamKeys();
    assert.deepEqual(rows.map((row) => row.name), IAM_KEY_NAMES);
    for (const { name, material } of rows) {
      assert.ok(isSealed(material), name);
      assert.ok(!material.includes('"d"') && !material.includes('{'), `${name} holds no clear JWK`);
      assert.doesNotThrow(() => box.open(material, iamKeyContext(name)));
      for (const other of IAM_KEY_NAMES.filter((n) => n !== name)) assert.throws(() => box.open(material, iamKeyContext(other)), /does not open/);
    }
    const signing = JSON.parse(box.open(rows[1]?.material ?? '', iamKeyContext('as-signing-es256'))) as Record<string, unknown>;
    assert.equal(signing['crv'], 'P-256');
    assert.equal(typeof signing['d'], 'string');
  });

  test('a TOTP secret enrolled at sign-in is stored sealed, and signing in with TOTP works', async () => {
    const credential = /one-time credential: +(\S+)/.exec(shown[0] ?? '')?.[1] ?? '';
    await signInAdmin(credential, true);
    const stored = (await adminRow()).totp_secret;
    assert.ok(stored !== null && totpSecret.length >= 16);
    assert.ok(isSealed(stored));
    assert.ok(!stored.includes(totpSecret));
    assert.equal(box.open(stored, totpSecretContext(adminId)), totpSecret);
    await signInAdmin(NEW_PASSWORD, false);
  });

  test('clear values stored before sealing are sealed at start, once, by processes starting together, and still work', async () => {
    await stop();
    // As a version before sealing stored them.
    for (const { name, material } of await iamKeys()) {
      await testTables(storage.db).updateTable('iam_keys').set({ material: box.open(material, iamKeyContext(name)) }).where('name', '=', name).execute();
    }
    await testTables(storage.db).updateTable('operators').set({ totp_secret: totpSecret }).where('id', '=', adminId).execute();
    assert.ok((await iamKeys()).every(({ material }) => !isSealed(material)));
    assert.equal((await adminRow()).totp_secret, totpSecret);

    const processes = [capturedLog(), capturedLog()];
    await Promise.all(processes.map(({ log }) => startIam(box, log)));
    const sealedLines = processes.flatMap(({ lines }) => lines.filter((line) => String(line['msg']).startsWith('sealed the IAM secrets stored in clear')));
    assert.ok(sealedLines.length >= 1 && sealedLines.length <= 2);
    // Each value sealed by one process only.
    assert.equal(sealedLines.reduce((sum, line) => sum + Number(line['iamKeys']), 0), IAM_KEY_NAMES.length);
    assert.equal(sealedLines.reduce((sum, line) => sum + Number(line['totpSecrets']), 0), 1);
    assert.ok(!JSON.stringify(processes.map(({ lines }) => lines)).includes(totpSecret), 'no secret in the log');

    for (const { name, material } of await iamKeys()) assert.ok(isSealed(material) && box.open(material, iamKeyContext(name)).length > 0, name);
    const stored = (await adminRow()).totp_secret ?? '';
    assert.ok(isSealed(stored));
    assert.equal(box.open(stored, totpSecretContext(adminId)), totpSecret);

    // Done once: a later start seals nothing and says nothing of it.
    const later = capturedLog();
    await startIam(box, later.log);
    assert.ok(!later.lines.some((line) => String(line['msg']).startsWith('sealed the IAM secrets')));

    await start();
    await signInAdmin(NEW_PASSWORD, false);
  });

  test('a TOTP secret copied to another operator\'s row does not open there: the start stops, naming them', async () => {
    const other = (await testTables(storage.db).insertInto('operators').values({
      ...(await adminRow()), id: '00000000-0000-4000-8000-00000000c0de', username: 'copycat', is_bootstrap: 0,
    }).returning('id').executeTakeFirstOrThrow()).id;
    await assert.rejects(startIam(box), /1 sealed IAM secret\(s\) do not open with the IAM secrets key .*\(the TOTP secret of copycat\)/);
    await testTables(storage.db).deleteFrom('operators').where('id', '=', other).execute();
    await startIam(box);
  });

  test('another key does not open the stored secrets: the start stops and says why', async () => {
    const stranger = new SecretBox(randomBytes(32), { keySource: 'the IAM secrets key /elsewhere/iam_secrets.key' });
    await assert.rejects(startIam(stranger), (error: unknown) => error instanceof Error
      && error.message.includes('4 sealed IAM secret(s) do not open with the IAM secrets key /elsewhere/iam_secrets.key (iam_keys as-cookies, iam_keys as-signing-es256, iam_keys portal-client-es256, the TOTP secret of admin)')
      && error.message.includes('every hub process on one database must use the same IAM secrets key file (admin.secretsKeyFile)'));
    // Nothing was changed by the refused start.
    for (const { name, material } of await iamKeys()) assert.doesNotThrow(() => box.open(material, iamKeyContext(name)));
  });

  test('an IAM with no key file (an in-memory key) refuses to seal secrets already stored', async () => {
    const { name, material } = (await iamKeys())[0] ?? { name: '', material: '' };
    await testTables(storage.db).updateTable('iam_keys').set({ material: box.open(material, iamKeyContext(name)) }).where('name', '=', name).execute();
    await assert.rejects(startIam(undefined), /refusing to seal the clear value stored for iam_keys:as-cookies with an in-memory key/);
    await startIam(box);
    assert.ok(isSealed((await iamKeys())[0]?.material ?? ''));
  });
});

// The bootstrap administrator's one-time credential as an operator meets it
// with `npm start > hub.log 2>&1`: `interlock start` in a child process whose
// stdout and stderr are captured (not a terminal). The credential is not in
// what was captured but in an owner-only file the log names; a start whose
// port is busy fails before anything is created; and `interlock operator
// reset-credential` issues a new credential (audited), after which the old
// one no longer signs in, and refuses any operator but the bootstrap one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inMemorySecretBox } from './operator/iam/secret_box.ts';
import { createOperatorStore } from './operator/iam/operators.ts';
import { oneTimeCredentialFile } from './operator/iam/one_time_credential.ts';
import { openStorage } from './storage/index.ts';
import { systemClock } from './support/clock.ts';
import { freePort } from './testing/dfsp.ts';
import { startHubProcess } from './testing/hub_process.ts';
import { testTables } from './testing/tables.ts';

const CLI = new URL('./cli.ts', import.meta.url).pathname;
const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });
function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `interlock-${name}-`));
  dirs.push(dir);
  return dir;
}

/** Runs the CLI with only the given INTERLOCK_* settings, stdout and stderr captured (no terminal). */
function runCli(args: readonly string[], settings: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('INTERLOCK_')) env[name] = value;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: scratch('cwd'), env: { ...env, ...settings }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const credentialIn = (text: string) => /one-time credential:\s+(\S+)/.exec(text)?.[1];

/** Whether `password` is the admin's password now, on the hub's SQLite database. */
async function signsIn(dataDir: string, username: string, password: string): Promise<boolean> {
  const storage = openStorage(join(dataDir, 'interlock.sqlite'));
  try {
    return (await createOperatorStore({ db: storage.db, engine: storage.engine, clock: systemClock, secretBox: inMemorySecretBox() }).checkPassword(username, password)).ok;
  } finally {
    await storage.close();
  }
}

const dataDir = scratch('first-start');
let firstCredential = '';

test('stderr not a terminal: the credential is in an owner-only file the log names, not in the captured output', async () => {
  const hub = await startHubProcess({ dataDir, adminPort: await freePort(), fspiopPort: await freePort() });
  const output = hub.output();
  const stopped = await hub.stop();
  assert.equal(stopped, 0);
  const file = oneTimeCredentialFile(dataDir, 'admin');
  assert.ok(existsSync(file), `the credential file exists:\n${output}`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  firstCredential = credentialIn(readFileSync(file, 'utf8')) ?? '';
  assert.match(firstCredential, /^\S{16,}$/);
  assert.ok(!hub.output().includes(firstCredential), 'the captured stdout and stderr do not hold the credential');
  assert.ok(hub.logs().some((line) => line['file'] === file && String(line['msg']).includes(file)), 'a log line names the file');
  assert.ok(await signsIn(dataDir, 'admin', firstCredential), 'the credential in the file is the live one');
});

test('a start whose port is busy fails before anything is created: no database, no bootstrap administrator, no credential', async () => {
  const fresh = scratch('busy-port');
  const busy = createServer();
  const port = await new Promise<number>((resolve) => { busy.listen(0, '127.0.0.1', () => { resolve((busy.address() as { port: number }).port); }); });
  try {
    const started = await runCli(['start'], { INTERLOCK_DATA_DIR: fresh, INTERLOCK_ADMIN_PORT: String(await freePort()), INTERLOCK_FSPIOP_PORT: String(port) });
    assert.equal(started.code, 1);
    assert.ok(started.stderr.includes(`the FSPIOP API cannot listen on 127.0.0.1:${port}: another process holds it. Nothing was created; set fspiop.port (INTERLOCK_FSPIOP_PORT)`), started.stderr);
    assert.ok(!existsSync(join(fresh, 'interlock.sqlite')), 'no database was made');
    assert.ok(!existsSync(oneTimeCredentialFile(fresh, 'admin')), 'no credential was made to be lost');
    assert.equal(credentialIn(started.stdout + started.stderr), undefined);
  } finally {
    await new Promise((resolve) => { busy.close(resolve); });
  }
});

test('interlock operator reset-credential: a new credential the same way, the old one dead, the act audited', async () => {
  assert.notEqual(firstCredential, '');
  const reset = await runCli(['operator', 'reset-credential'], { INTERLOCK_DATA_DIR: dataDir });
  assert.equal(reset.code, 0, reset.stdout + reset.stderr);
  const file = oneTimeCredentialFile(dataDir, 'admin');
  const secondCredential = credentialIn(readFileSync(file, 'utf8')) ?? '';
  assert.match(secondCredential, /^\S{16,}$/);
  assert.notEqual(secondCredential, firstCredential);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(!(reset.stdout + reset.stderr).includes(secondCredential), 'not in the captured output either');
  assert.ok(reset.stdout.includes(file), 'the output names the file');
  assert.equal(await signsIn(dataDir, 'admin', firstCredential), false, 'the old credential no longer signs in');
  assert.ok(await signsIn(dataDir, 'admin', secondCredential));

  const storage = openStorage(join(dataDir, 'interlock.sqlite'));
  try {
    const entries = await testTables(storage.db).selectFrom('audit_entries').select(['actor', 'action', 'target_id']).where('action', '=', 'OPERATOR_CREDENTIAL_RESET').execute();
    assert.equal(entries.length, 1);
    assert.match(entries[0]?.actor ?? '', /^local:/, 'recorded as the local user\'s action');
    assert.equal(entries[0]?.target_id, 'operator admin');
  } finally {
    await storage.close();
  }
});

test('reset-credential refuses any operator but the bootstrap administrator, and records the refusal', async () => {
  const storage = openStorage(join(dataDir, 'interlock.sqlite'));
  try {
    const created = await createOperatorStore({ db: storage.db, engine: storage.engine, clock: systemClock, secretBox: inMemorySecretBox() }).create({ username: 'casey', displayName: 'Casey Checker' }, 'test');
    assert.ok(created.ok);
  } finally {
    await storage.close();
  }
  const refused = await runCli(['operator', 'reset-credential', 'casey'], { INTERLOCK_DATA_DIR: dataDir });
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /casey is not the bootstrap administrator: other operators' credentials are reset through the admin API/);
  assert.ok(!existsSync(oneTimeCredentialFile(dataDir, 'casey')));
  const after = openStorage(join(dataDir, 'interlock.sqlite'));
  try {
    const entries = await testTables(after.db).selectFrom('audit_entries').select(['target_id']).where('action', '=', 'OPERATOR_CREDENTIAL_RESET').execute();
    assert.deepEqual(entries.map((e) => e.target_id), ['operator admin', 'operator casey']);
  } finally {
    await after.close();
  }
});

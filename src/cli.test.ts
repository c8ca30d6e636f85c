// End to end through the command line, as an operator runs it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { adminClientFor } from './testing/admin_client.ts';

const CLI = new URL('./cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'interlock-cli-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });
const env = { ...process.env, INTERLOCK_DATA_DIR: join(dir, 'data'), INTERLOCK_ADMIN_PORT: '0', INTERLOCK_FSPIOP_PORT: '0', INTERLOCK_LOG_LEVEL: 'info' };

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

test('start --demo onboards the demo scheme through the admin API, then stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [CLI, 'start', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const deadline = Date.now() + 30_000;
  while (!output.includes('demo scheme ready') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(output, /admin API listening with TLS 1\.3/);
  assert.match(output, /demo scheme ready/);
  const adminUrl = /"adminUrl":"(https:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
  assert.ok(adminUrl, output);
  const admin = adminClientFor(adminUrl, join(dir, 'data'));
  // Over TLS with the scheme CA's certificate: a client trusting only the public roots refuses it.
  await assert.rejects(fetch(`${adminUrl}/participants/payerfsp/accounts`), /fetch failed/);
  // Without a token the admin API refuses; the demo's automation maker (seeded in the data directory) may read.
  assert.equal((await admin.fetch(`${adminUrl}/participants/payerfsp/accounts`)).status, 401);
  const positions = (await admin.text('/participants/payerfsp/accounts')).text;
  assert.match(positions, /"ledgerAccountType":"SETTLEMENT","currency":"USD","isActive":1,"value":-100000,/);
  // While the hub runs: the database and its WAL and shared-memory files are private.
  for (const file of ['interlock.sqlite', 'interlock.sqlite-wal', 'interlock.sqlite-shm']) {
    assert.equal(statSync(join(dir, 'data', file)).mode & 0o777, 0o600, file);
  }
  // Onboarding done: two demo operators to try maker-checker with, and nobody acts alone any more.
  // Output captured (not a terminal): their credentials are in owner-only files the log names, not in the output.
  for (const username of ['demo-maker', 'demo-checker']) {
    const file = join(dir, 'data', `one-time-credential.${username}.txt`);
    const credential = /one-time credential: (\S{12,})/.exec(readFileSync(file, 'utf8'))?.[1];
    assert.ok(credential, file);
    assert.equal(statSync(file).mode & 0o777, 0o600, file);
    assert.ok(output.includes(file), `the log names ${file}`);
    assert.ok(!output.includes(credential), `${username}'s credential is not in the output`);
  }
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
  const db = new DatabaseSync(join(dir, 'data', 'interlock.sqlite'));
  const closed = db.prepare("select value from iam_state where name = 'bootstrap-closed'").get() as { value: string } | undefined;
  db.close();
  assert.match(closed?.value ?? '', /the demo scheme is onboarded/);
});

test('ledger check proves the live database consistent, and names a tampered balance', () => {
  const good = run('ledger', 'check');
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /OK: balances rebuild from the journal/);
  const db = new DatabaseSync(join(dir, 'data', 'interlock.sqlite'));
  db.exec("update accounts set credits_posted_minor = credits_posted_minor + 1 where type = 'SETTLEMENT' and id = (select min(id) from accounts where type = 'SETTLEMENT')");
  db.close();
  const bad = run('ledger', 'check', '--json');
  assert.equal(bad.status, 1);
  const report = JSON.parse(bad.stdout) as { ok: boolean; problems: string[] };
  assert.equal(report.ok, false);
  assert.ok(report.problems.some((p) => p.includes('SETTLEMENT USD): stored credits_posted_minor')), report.problems.join('\n'));
});

test('a bad configuration value stops the start with the key named; usage errors exit 2', () => {
  const bad = spawnSync(process.execPath, [CLI, 'start'], { env: { ...env, INTERLOCK_ADMIN_HOST: '0.0.0.0', INTERLOCK_ADMIN_TLS: 'off' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /admin\.host \(0\.0\.0\.0\): with admin\.tls off .* loopback only/);
  assert.equal(run('frobnicate').status, 2);
  assert.equal(run('--version').status, 0);
});

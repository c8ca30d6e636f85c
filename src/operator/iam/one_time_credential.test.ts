// A one-time credential reaches a terminal, or an owner-only file: never a
// captured stderr, never a log line, never a file someone planted.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { capturedLogger } from '../../audit/log_fixture.ts';
import { oneTimeCredentialDelivery, oneTimeCredentialFile } from './one_time_credential.ts';

const dir = mkdtempSync(join(tmpdir(), 'interlock-credential-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });
const CREDENTIAL = 'Zt4-one-time-credential-9Qx';

function captured(isTTY: boolean) {
  const written: string[] = [];
  return { written, terminal: { isTTY, write: (text: string) => { written.push(text); } } };
}

test('on a terminal it is written there, and the log says so without it', () => {
  const { log, ...logged } = capturedLogger();
  const lines = () => logged.lines();
  const { written, terminal } = captured(true);
  oneTimeCredentialDelivery({ dataDir: dir, log, terminal }).show(`credential: ${CREDENTIAL}`, 'admin');
  assert.deepEqual(written, [`credential: ${CREDENTIAL}\n`]);
  assert.ok(!existsSync(oneTimeCredentialFile(dir, 'admin')));
  assert.ok(!JSON.stringify(lines()).includes(CREDENTIAL));
});

test('when stderr is not a terminal it goes to an owner-only file the log names, and nowhere else', () => {
  const { log, ...logged } = capturedLogger();
  const lines = () => logged.lines();
  const { written, terminal } = captured(false);
  const delivery = oneTimeCredentialDelivery({ dataDir: dir, log, terminal });
  delivery.show(`credential: ${CREDENTIAL}`, 'admin');
  const file = oneTimeCredentialFile(dir, 'admin');
  assert.deepEqual(written, [], 'nothing on a captured stderr');
  assert.equal(readFileSync(file, 'utf8'), `credential: ${CREDENTIAL}\n`);
  assert.equal(lstatSync(file).mode & 0o777, 0o600);
  assert.ok(!JSON.stringify(lines()).includes(CREDENTIAL), 'the log holds no credential');
  assert.ok(lines().some((line) => line['file'] === file), 'the log names the file');
  // Replaced at sign-in: the file goes.
  delivery.replaced('admin');
  assert.ok(!existsSync(file));
  delivery.replaced('admin');
});

test('a file or link already at the name is not written through: the new credential gets a new file', () => {
  const { log } = capturedLogger();
  const { terminal } = captured(false);
  const file = oneTimeCredentialFile(dir, 'admin');
  const target = join(dir, 'someone-elses-file');
  writeFileSync(target, 'untouched');
  symlinkSync(target, file);
  oneTimeCredentialDelivery({ dataDir: dir, log, terminal }).show(`credential: ${CREDENTIAL}`, 'admin');
  assert.equal(readFileSync(target, 'utf8'), 'untouched');
  assert.ok(lstatSync(file).isFile());
  assert.equal(lstatSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), `credential: ${CREDENTIAL}\n`);
});

test('a file name is made only of a valid username', () => {
  assert.throws(() => oneTimeCredentialFile(dir, '../etc'), /valid username/);
});

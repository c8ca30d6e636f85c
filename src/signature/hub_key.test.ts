import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHubSigningKey, HUB_KEY_FILE_NAME, HubKeyError, loadHubSigningKey, loadOrCreateHubSigningKey } from './hub_key.ts';
import { signMessage } from './sign_message.ts';
import { verifySignature } from './verify_signature.ts';

const root = mkdtempSync(join(tmpdir(), 'interlock-hub-key-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => join(root, `d${++n}`);

function keyFile(pem: string, mode = 0o600): string {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  const path = join(dir, 'key.pem');
  writeFileSync(path, pem, { mode });
  chmodSync(path, mode);
  return path;
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

test('made at first start: a 0600 PKCS#8 file in a 0700 directory, then read back as the same key', async () => {
  const dataDir = join(freshDir(), 'data');
  const made = await loadOrCreateHubSigningKey({ dataDir, alg: 'ES256' });
  const path = join(dataDir, HUB_KEY_FILE_NAME);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dataDir), [HUB_KEY_FILE_NAME], 'no temporary file left behind');
  assert.equal(made.alg, 'ES256');
  assert.match(made.kid, /^[A-Za-z0-9_-]{43}$/);
  const again = await loadOrCreateHubSigningKey({ dataDir, alg: 'ES256' });
  assert.equal(again.kid, made.kid);
  assert.ok(again.publicKey.equals(made.publicKey));
});

test('an RS256 hub key is RSA 3072, and signs what verifies with its public key', async () => {
  const key = await createHubSigningKey(freshDir(), { alg: 'RS256' });
  assert.equal(key.alg, 'RS256');
  assert.equal(key.privateKey.asymmetricKeyDetails?.modulusLength, 3072);
  const signed = await signMessage({ method: 'PUT', fspiopUri: '/transfers/1', source: 'Hub', body: { a: 1 } }, key);
  const verified = await verifySignature({ method: 'PUT', fspiopUri: '/transfers/1', headers: { 'fspiop-source': 'Hub', 'fspiop-signature': signed.signature }, rawBody: Buffer.from(signed.body) }, [key]);
  assert.ok(verified.ok && verified.value.kid === key.kid);
});

test('two processes starting at once on one data directory end with one key', async () => {
  const dir = freshDir();
  const [a, b] = await Promise.all([createHubSigningKey(dir, { alg: 'ES256' }), createHubSigningKey(dir, { alg: 'ES256' })]);
  const first = await loadHubSigningKey(join(dir, HUB_KEY_FILE_NAME));
  assert.equal(a.kid, first.kid);
  assert.equal(b.kid, first.kid);
  assert.deepEqual(readdirSync(dir), [HUB_KEY_FILE_NAME]);
});

test('a configured key file is read, through a symbolic link as a mounted secret is', async () => {
  const path = keyFile(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const link = `${path}.link`;
  symlinkSync(path, link);
  const key = await loadOrCreateHubSigningKey({ keyFile: link, dataDir: freshDir(), alg: 'RS256' });
  assert.equal(key.alg, 'ES256');
  assert.ok(key.publicKey.equals(ec.publicKey));
});

test('a key file that group or others may read or write is refused, naming the mode and never the key', async () => {
  const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
    const path = keyFile(pem, mode);
    await assert.rejects(loadHubSigningKey(path), (error: unknown) => {
      assert.ok(error instanceof HubKeyError);
      assert.ok(error.message.includes(`mode 0${mode.toString(8)}`), error.message);
      assert.ok(!error.message.includes('PRIVATE') && !error.message.includes(pem.split('\n')[1] ?? 'x'));
      return true;
    });
  }
  // The owner's own read-only copy is fine.
  assert.equal((await loadHubSigningKey(keyFile(pem, 0o400))).alg, 'ES256');
});

test('anything but an unencrypted PKCS#8 key the policy accepts is refused', async () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const cases: [string, RegExp][] = [
    [ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), /not an unencrypted PKCS#8/],
    [ec.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString(), /not an unencrypted PKCS#8/],
    [ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), /not an unencrypted PKCS#8/],
    ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /cannot be read/],
    [rsa1024.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /too weak/],
    [p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /P-256/],
  ];
  for (const [pem, message] of cases) {
    await assert.rejects(loadHubSigningKey(keyFile(pem)), (error: unknown) => error instanceof HubKeyError && message.test(error.message));
  }
});

test('a missing configured file, a directory, or an oversized file is refused; only a missing data-dir key is made', async () => {
  await assert.rejects(loadOrCreateHubSigningKey({ keyFile: join(freshDir(), 'absent.pem'), dataDir: freshDir(), alg: 'ES256' }), /cannot be opened: ENOENT/);
  const dir = freshDir();
  mkdirSync(join(dir, HUB_KEY_FILE_NAME), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, HUB_KEY_FILE_NAME), 0o700);
  await assert.rejects(loadOrCreateHubSigningKey({ dataDir: dir, alg: 'ES256' }), /not a regular file/);
  await assert.rejects(loadHubSigningKey(keyFile('x'.repeat(20_000))), /larger than/);
  // A data-dir key the hub refuses is not silently replaced by a new one.
  const refused = freshDir();
  mkdirSync(refused, { mode: 0o700 });
  writeFileSync(join(refused, HUB_KEY_FILE_NAME), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o644 });
  chmodSync(join(refused, HUB_KEY_FILE_NAME), 0o644);
  await assert.rejects(loadOrCreateHubSigningKey({ dataDir: refused, alg: 'ES256' }), /mode 0644/);
});

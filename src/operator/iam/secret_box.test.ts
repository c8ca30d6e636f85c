// The IAM's secret box: what it seals opens only with its key and for its
// place, anything altered or not sealed is refused, and its key file is made
// once, owner-only, and never replaced.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyFileError } from '../../support/key_file.ts';
import { IAM_SECRETS_KEY_FILE_NAME, SecretBox, SecretBoxError, createSecretBox, inMemorySecretBox, isSealed, loadOrCreateSecretBox, loadSecretBox } from './secret_box.ts';

const dir = mkdtempSync(join(tmpdir(), 'interlock-secret-box-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

const box = new SecretBox(randomBytes(32), { keySource: 'a test key' });
const CONTEXT = 'operators.totp_secret:7d6f0c1e-0000-4000-8000-000000000001';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** The sealed value with one of its four parts changed. */
function withPart(sealed: string, index: number, change: (part: string) => string): string {
  const parts = sealed.split('.');
  parts[index] = change(parts[index] ?? '');
  return parts.join('.');
}
/** A base64url part with its first byte's bits flipped, still well-formed. */
const flipFirstByte = (part: string) => {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return bytes.toString('base64url');
};
const refused = (pattern: RegExp) => (error: unknown) => error instanceof SecretBoxError && pattern.test(error.message) && !error.message.includes(SECRET);

describe('SecretBox', () => {
  it('seals to v1.<iv>.<ciphertext>.<tag> and opens for the same context', () => {
    const sealed = box.seal(SECRET, CONTEXT);
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    assert.ok(isSealed(sealed));
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.open(sealed, CONTEXT), SECRET);
    // A fresh IV each time: the same secret never seals to the same value.
    assert.notEqual(box.seal(SECRET, CONTEXT), sealed);
    // Any text, including the empty one and JSON with non-ASCII characters.
    for (const text of ['', '{"kty":"EC","d":"…"}', 'x'.repeat(10_000)]) assert.equal(box.open(box.seal(text, 'iam_keys:k'), 'iam_keys:k'), text);
  });

  it('digests a bearer value under its key and purpose only, never showing it', () => {
    const value = 'a-refresh-token-0123456789abcdefghijklmnopq';
    const digest = box.digest(value, 'oidc_payloads');
    assert.match(digest, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(box.digest(value, 'oidc_payloads'), digest, 'the same value finds the same row');
    assert.notEqual(box.digest(value, 'portal_sessions'), digest, 'another purpose, another digest');
    assert.notEqual(new SecretBox(randomBytes(32), { keySource: 'another key' }).digest(value, 'oidc_payloads'), digest, 'without the key file nobody computes it');
    assert.notEqual(box.digest(`${value}x`, 'oidc_payloads'), digest);
    assert.ok(!digest.includes(value));
  });

  it('refuses a value sealed for another place (a row copied to another)', () => {
    const sealed = box.seal(SECRET, CONTEXT);
    assert.throws(() => box.open(sealed, 'operators.totp_secret:7d6f0c1e-0000-4000-8000-000000000002'), refused(/does not open with a test key/));
    assert.throws(() => box.open(sealed, 'iam_keys:as-cookies'), refused(/does not open/));
  });

  it('refuses a tampered IV, ciphertext or tag', () => {
    const sealed = box.seal(SECRET, CONTEXT);
    for (const index of [1, 2, 3]) assert.throws(() => box.open(withPart(sealed, index, flipFirstByte), CONTEXT), refused(/does not open/), `part ${index}`);
    // Another spelling of the same bytes (stray bits in the tag's last character) is not base64url either.
    const tag = sealed.split('.')[3] ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const alias = `${tag.slice(0, -1)}${alphabet[alphabet.indexOf(tag.at(-1) ?? 'A') | 1] ?? ''}`;
    assert.ok(Buffer.from(alias, 'base64url').equals(Buffer.from(tag, 'base64url')));
    assert.throws(() => box.open(withPart(sealed, 3, () => alias), CONTEXT), refused(/tag is not base64url/));
  });

  it('refuses a truncated value, a wrong IV or tag length, and anything else', () => {
    const sealed = box.seal(SECRET, CONTEXT);
    assert.throws(() => box.open(sealed.slice(0, -4), CONTEXT), refused(/tag is not base64url|tag is \d+ bytes/));
    assert.throws(() => box.open(sealed.split('.').slice(0, 3).join('.'), CONTEXT), refused(/is not sealed/));
    assert.throws(() => box.open(withPart(sealed, 3, (part) => part.slice(0, 20)), CONTEXT), refused(/tag is 15 bytes, not 16/));
    assert.throws(() => box.open(withPart(sealed, 2, (part) => part.slice(0, -2)), CONTEXT), refused(/does not open|not base64url/));
    assert.throws(() => box.open(withPart(sealed, 1, (part) => part.slice(0, 8)), CONTEXT), refused(/IV is 6 bytes/));
    assert.throws(() => box.open(withPart(sealed, 1, () => ''), CONTEXT), refused(/IV is 0 bytes/));
    assert.throws(() => box.open(withPart(sealed, 2, () => 'a+b/'), CONTEXT), refused(/ciphertext is not base64url/));
    assert.throws(() => box.open(`v2${sealed.slice(2)}`, CONTEXT), refused(/is not sealed/));
    assert.throws(() => box.open(`${sealed}.x`, CONTEXT), refused(/is not sealed/));
    // A clear value (as stored before sealing) never passes for a sealed one.
    assert.ok(!isSealed(SECRET));
    assert.throws(() => box.open(SECRET, CONTEXT), refused(/is not sealed/));
    assert.throws(() => box.open('{"kty":"EC"}', 'iam_keys:as-signing-es256'), refused(/is not sealed/));
    assert.throws(() => box.open('', CONTEXT), refused(/is not sealed/));
  });

  it('refuses a value sealed with another key', () => {
    const other = new SecretBox(randomBytes(32), { keySource: 'another key' });
    assert.throws(() => other.open(box.seal(SECRET, CONTEXT), CONTEXT), refused(/does not open with another key/));
  });

  it('takes only a 32-byte key', () => {
    assert.throws(() => new SecretBox(randomBytes(16), { keySource: 'short' }), SecretBoxError);
  });

  it('an in-memory key is one per process, and never seals what is already stored', () => {
    assert.equal(inMemorySecretBox(), inMemorySecretBox());
    assert.ok(inMemorySecretBox().ephemeral);
    assert.throws(() => inMemorySecretBox().sealStored(SECRET, CONTEXT), refused(/in-memory key/));
    assert.equal(box.open(box.sealStored(SECRET, CONTEXT), CONTEXT), SECRET);
  });
});

describe('the IAM secrets key file', () => {
  it('is made at first start in the data directory, 0600, and read again (the same key) after', () => {
    const dataDir = join(dir, 'data');
    const made = loadOrCreateSecretBox({ dataDir });
    assert.equal(made.created, true);
    assert.equal(made.path, join(dataDir, IAM_SECRETS_KEY_FILE_NAME));
    assert.equal(statSync(made.path).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.match(readFileSync(made.path, 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
    const again = loadOrCreateSecretBox({ dataDir });
    assert.equal(again.created, false);
    assert.equal(again.box.open(made.box.seal(SECRET, CONTEXT), CONTEXT), SECRET);
  });

  it('is never replaced: a second maker (another process starting at once) gets the key that is there', () => {
    const path = join(dir, 'race', IAM_SECRETS_KEY_FILE_NAME);
    const first = createSecretBox(path);
    const before = readFileSync(path, 'utf8');
    const second = createSecretBox(path);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.equal(second.box.open(first.box.seal(SECRET, CONTEXT), CONTEXT), SECRET);
  });

  it('a configured key file must exist (it is never made in its place)', () => {
    const keyFile = join(dir, 'configured', 'missing.key');
    assert.throws(() => loadOrCreateSecretBox({ keyFile, dataDir: dir }), (error: unknown) => error instanceof KeyFileError && error.message.includes('cannot be opened: ENOENT'));
    assert.ok(!existsSync(keyFile));
  });

  it('a configured key file made by the operator (openssl rand -base64 32) is used', () => {
    const keyFile = join(dir, 'operator.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const loaded = loadOrCreateSecretBox({ keyFile, dataDir: dir });
    assert.equal(loaded.created, false);
    assert.equal(loadSecretBox(keyFile).open(loaded.box.seal(SECRET, CONTEXT), CONTEXT), SECRET);
  });

  it('refuses a key file group or others may read, and one that is not 32 bytes in base64', () => {
    const open = join(dir, 'open.key');
    writeFileSync(open, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    chmodSync(open, 0o640);
    assert.throws(() => loadSecretBox(open), (error: unknown) => error instanceof KeyFileError && error.message.includes('mode 0640'));
    for (const [name, text] of [['short.key', randomBytes(16).toString('base64')], ['url.key', randomBytes(32).toString('base64url')], ['pem.key', '-----BEGIN PRIVATE KEY-----\n'], ['empty.key', '']] as const) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      assert.throws(() => loadSecretBox(path), (error: unknown) => error instanceof KeyFileError && error.message.includes('is not 32 bytes in base64; make one with'), name);
    }
  });
});

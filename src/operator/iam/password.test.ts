import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARGON2, PASSWORD_LENGTH_MIN } from './limits.ts';
import { hashPassword, oneTimePassword, passwordProblem, verifyPassword } from './password.ts';

test('argon2id hashes verify, carry their OWASP parameters, and differ per salt', async () => {
  const hash = await hashPassword('correct horse battery staple');
  assert.ok(hash.startsWith(`$argon2id$v=19$m=${ARGON2.memoryKib},t=${ARGON2.passes},p=${ARGON2.parallelism}$`), hash);
  assert.deepEqual(await verifyPassword('correct horse battery staple', hash), { matches: true, needsRehash: false });
  assert.equal((await verifyPassword('correct horse battery stapLe', hash)).matches, false);
  assert.notEqual(await hashPassword('correct horse battery staple'), hash);
});

test('a hash made with weaker parameters asks to be rehashed', async () => {
  const weak = (await hashPassword('correct horse battery staple')).replace(`m=${ARGON2.memoryKib}`, 'm=8192');
  // The tag no longer matches (other memory), but the parameters are still read and judged.
  assert.equal((await verifyPassword('correct horse battery staple', weak)).needsRehash, true);
});

test('a malformed stored hash is a crash, not a refusal', async () => {
  await assert.rejects(verifyPassword('x', '$2b$10$bcrypt-is-not-accepted'), /not an argon2id PHC string/);
});

test('the password policy', () => {
  assert.match(passwordProblem('short', { username: 'alice' }) ?? '', /at least/);
  assert.match(passwordProblem('alice-is-my-password', { username: 'alice' }) ?? '', /username/);
  assert.match(passwordProblem('aaaaaaaaaaaaaaaa', { username: 'bob' }) ?? '', /distinct/);
  assert.equal(passwordProblem('a long passphrase of words', { username: 'bob' }), undefined);
  const otp = oneTimePassword();
  assert.ok(otp.length >= PASSWORD_LENGTH_MIN);
  assert.notEqual(oneTimePassword(), otp);
});
